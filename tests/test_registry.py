"""The component registry: names from the class, the package walk, lazy entry points, near
names. Each test builds its own ``Registry`` (on a package or entry-point group of its own) so
the shipped registries are never touched."""

from __future__ import annotations

import importlib
import logging
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from medtrust.errors import ComponentError, MedtrustError, UnknownComponentError
from medtrust.registry import Registry

# A group nobody declares, so entry points cannot leak into these registries.
EMPTY_GROUP = "medtrust.tests.no_such_group"


class Widget:
    name = "widget.one"


class Gadget:
    name = "gadget.two"


class Nameless:
    pass


def test_the_name_comes_from_the_class() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    assert reg.register(Widget) is Widget
    assert reg.register(Gadget) is Gadget
    assert reg.get("widget.one") is Widget
    assert reg.names() == ["gadget.two", "widget.one"]
    assert list(reg) == reg.names()
    assert "widget.one" in reg and "widget.two" not in reg


def test_an_explicit_name_must_agree_with_the_class() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    assert reg.register("widget.one")(Widget) is Widget  # the same name: accepted
    with pytest.raises(ComponentError, match=r"registered as 'other' but is named 'gadget\.two'"):
        reg.register("other")(Gadget)
    assert reg.names() == ["widget.one"]


def test_a_function_is_registered_under_the_name_given_once() -> None:
    reg: Registry[object] = Registry("target", group=EMPTY_GROUP)

    def factory(spec: str, rest: str) -> str:
        return rest

    assert reg.register("echo")(factory) is factory
    assert reg.get("echo") is factory


def test_a_component_without_a_name_is_refused() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    with pytest.raises(ComponentError, match="Nameless has no name"):
        reg.register(Nameless)


def test_a_name_taken_by_another_class_is_refused() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    reg.register(Widget)
    other = type("Other", (), {"name": "widget.one"})
    with pytest.raises(ComponentError, match=r"'widget\.one' is registered twice"):
        reg.register(other)
    assert reg.get("widget.one") is Widget
    assert reg.register(Widget) is Widget  # the very same class again (imported twice): fine


def test_check_runs_at_registration() -> None:
    def check(name: str, obj: type) -> None:
        if not name.startswith("widget."):
            raise ComponentError(f"widget {name!r}: names start with 'widget.'")

    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP, check=check)
    reg.register(Widget)
    with pytest.raises(ComponentError, match="names start with"):
        reg.register(Gadget)
    assert reg.names() == ["widget.one"]


def test_an_unknown_name_suggests_near_ones_on_one_line() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    reg.register(Widget)
    reg.register(type("Far", (), {"name": "zeta"}))
    with pytest.raises(UnknownComponentError) as info:
        reg.get("widget.onr")
    msg = str(info.value)
    assert msg == (
        "unknown widget 'widget.onr'; did you mean 'widget.one'? (known: widget.one, zeta)"
    )
    assert isinstance(info.value, MedtrustError) and isinstance(info.value, LookupError)
    with pytest.raises(UnknownComponentError, match=r"^unknown widget 'qqq' \(known: "):
        reg.get("qqq")  # nothing near: no suggestion
    empty: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    with pytest.raises(UnknownComponentError, match=r"\(known: none\)"):
        empty.get("x")


# --- the package walk --------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh importable package whose ``REG`` walks itself: two components in public modules
    (one in a sub-package), and a private module and a ``cli`` module that must not be imported.
    """
    pkg = f"walk_{uuid.uuid4().hex[:10]}"
    root = tmp_path / pkg
    _write(root / "__init__.py", f"""
        from medtrust.registry import Registry
        REG = Registry("thing", group={EMPTY_GROUP!r}, package={pkg!r})
    """)
    component = """
        from {pkg} import REG

        @REG.register
        class {cls}:
            name = {name!r}
    """
    _write(root / "alpha.py", component.format(pkg=pkg, cls="Alpha", name="alpha"))
    _write(root / "sub" / "__init__.py", "")
    _write(root / "sub" / "beta.py", component.format(pkg=pkg, cls="Beta", name="sub.beta"))
    _write(root / "_private.py", "raise RuntimeError('private modules are not walked')\n")
    _write(root / "cli.py", "raise RuntimeError('cli modules are not walked')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in [m for m in sys.modules if m == pkg or m.startswith(f"{pkg}.")]:
        del sys.modules[name]


def test_the_walk_finds_every_public_module_lazily(package: str) -> None:
    reg = importlib.import_module(package).REG
    assert f"{package}.alpha" not in sys.modules  # nothing is imported before a lookup
    assert reg.get("alpha").__name__ == "Alpha"
    assert reg.names() == ["alpha", "sub.beta"]
    assert f"{package}._private" not in sys.modules
    assert f"{package}.cli" not in sys.modules


def test_a_new_file_is_all_it_takes(package: str, tmp_path: Path) -> None:
    _write(tmp_path / package / "sub" / "gamma.py", f"""
        from {package} import REG

        @REG.register
        class Gamma:
            name = "sub.gamma"
    """)
    reg = importlib.import_module(package).REG
    assert reg.get("sub.gamma").__name__ == "Gamma"


def test_a_module_that_fails_to_import_is_an_error_naming_it(
    package: str, tmp_path: Path
) -> None:
    _write(tmp_path / package / "broken.py", "import math\n\nVALUE = math.nope\n")
    reg = importlib.import_module(package).REG
    for _ in range(2):  # raised again on the next lookup, never swallowed
        with pytest.raises(ComponentError) as info:
            reg.get("alpha")
        msg = str(info.value)
        assert msg.startswith(f"thing module {package}.broken cannot be imported: AttributeError")
        assert "broken.py:3)" in msg and "\n" not in msg
    (tmp_path / package / "broken.py").unlink()
    assert reg.get("alpha").__name__ == "Alpha"


def test_a_refused_component_points_at_its_own_file(package: str, tmp_path: Path) -> None:
    _write(tmp_path / package / "twice.py", f"""
        from {package} import REG

        @REG.register("other")
        class Twice:
            name = "twice"
    """)
    reg = importlib.import_module(package).REG
    with pytest.raises(ComponentError) as info:
        reg.get("alpha")
    msg = str(info.value)
    assert f"module {package}.twice cannot be imported: ComponentError:" in msg
    assert "registered as 'other' but is named 'twice'" in msg
    assert msg.endswith(f"{tmp_path / package / 'twice.py'}:3)")


def test_a_lookup_from_another_thread_waits_for_the_walk(package: str, tmp_path: Path) -> None:
    # "aaa_slow" is walked first and holds the walk open while the second thread looks up.
    _write(tmp_path / package / "aaa_slow.py", f"""
        import threading
        from {package} import REG
        STARTED = threading.Event()
        RELEASE = threading.Event()
        STARTED.set()
        RELEASE.wait(10)
    """)
    reg = importlib.import_module(package).REG
    found: dict[str, object] = {}

    def first() -> None:
        found["first"] = reg.get("sub.beta")

    walker = threading.Thread(target=first)
    walker.start()
    slow = None
    # The walk has reached the slow module and run it up to its events (a module is in
    # sys.modules before its first line runs).
    while slow is None or not hasattr(slow, "STARTED"):
        slow = sys.modules.get(f"{package}.aaa_slow")
    slow.STARTED.wait(10)
    second = threading.Thread(target=lambda: found.setdefault("second", reg.get("sub.beta")))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the walk, not answering "unknown" from half of it
    slow.RELEASE.set()
    walker.join(10)
    second.join(10)
    assert found["first"] is found["second"]
    assert found["first"].__name__ == "Beta"  # type: ignore[attr-defined]


# --- entry points --------------------------------------------------------------------------


def _fake_pack(root: Path, *, dist: str, group: str, entries: dict[str, str]) -> None:
    """A distribution on ``root`` (add it to sys.path) declaring ``entries`` in ``group``."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}", encoding="utf-8")


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A group of its own with a good pack (module ``good``) and a broken one (its module does
    not exist); yields (group, good module name)."""
    group = f"medtrust.tests.{uuid.uuid4().hex[:10]}"
    good = f"good_pack_{uuid.uuid4().hex[:10]}"
    _write(tmp_path / f"{good}.py", """
        class PackProbe:
            name = "pack.probe"

        class Misnamed:
            name = "pack.something_else"
    """)
    _fake_pack(tmp_path, dist="good-pack", group=group,
               entries={"pack.probe": f"{good}:PackProbe", "pack.misnamed": f"{good}:Misnamed"})
    _fake_pack(tmp_path, dist="broken-pack", group=group,
               entries={"broken.probe": "no_such_module_for_medtrust_tests:Probe"})
    monkeypatch.syspath_prepend(str(tmp_path))
    yield group, good
    sys.modules.pop(good, None)


def test_entry_points_are_listed_without_being_loaded(packs: tuple[str, str]) -> None:
    group, good = packs
    reg: Registry[type] = Registry("probe", group=group)
    reg.register(Widget)
    assert reg.names() == ["broken.probe", "pack.misnamed", "pack.probe", "widget.one"]
    assert reg.get("widget.one") is Widget  # a built-in hit never touches the entry points
    assert good not in sys.modules


def test_only_the_entry_point_asked_for_is_loaded(
    packs: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    group, good = packs
    reg: Registry[type] = Registry("probe", group=group)
    with caplog.at_level(logging.WARNING, logger="medtrust.registry"):
        found = reg.get("pack.probe")
    assert found.__name__ == "PackProbe" and found.__module__ == good
    assert reg.get("pack.probe") is found
    assert caplog.records == []  # the broken pack was never imported, so never reported


def test_a_broken_pack_is_one_warning_naming_its_distribution(
    packs: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    group, _ = packs
    reg: Registry[type] = Registry("probe", group=group)
    reg.register(Widget)
    # An unrelated typo is an unknown name with a suggestion, never the pack's import error.
    with pytest.raises(UnknownComponentError, match=r"did you mean 'widget\.one'\?"):
        reg.get("widget.onee")
    with caplog.at_level(logging.WARNING, logger="medtrust.registry"):
        with pytest.raises(UnknownComponentError) as info:
            reg.get("broken.probe")
        with pytest.raises(UnknownComponentError):
            reg.get("broken.probe")  # not retried: one warning in all
    assert "from distribution 'broken-pack'" in str(info.value)
    assert "ModuleNotFoundError" in str(info.value)
    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert "broken-pack" in line and "broken.probe" in line and "\n" not in line
    assert reg.get("pack.probe").__name__ == "PackProbe"  # the other pack still loads


def test_an_entry_point_whose_class_has_another_name_is_skipped(
    packs: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    group, _ = packs
    reg: Registry[type] = Registry("probe", group=group)
    with (
        caplog.at_level(logging.WARNING, logger="medtrust.registry"),
        pytest.raises(UnknownComponentError, match=r"good-pack.*is named 'pack\.something_else'"),
    ):
        reg.get("pack.misnamed")
    assert len(caplog.records) == 1


def test_an_entry_point_does_not_shadow_a_built_in(packs: tuple[str, str]) -> None:
    group, good = packs
    reg: Registry[type] = Registry("probe", group=group)
    shadow = type("Shadow", (), {"name": "pack.probe"})
    reg.register(shadow)
    assert reg.get("pack.probe") is shadow
    assert good not in sys.modules


def test_entry_points_of_another_group_are_ignored(packs: tuple[str, str]) -> None:
    reg: Registry[type] = Registry("probe", group=EMPTY_GROUP)
    with pytest.raises(UnknownComponentError):
        reg.get("pack.probe")
    assert reg.names() == []
