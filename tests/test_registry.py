"""The component registry: decorators, lazily imported built-ins, and third-party entry points."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from medtrust.judges import MultipleChoiceJudge, judges
from medtrust.probes import probes
from medtrust.registry import Registry, UnknownComponentError

# A group nobody declares, so entry points cannot leak into these registries.
EMPTY_GROUP = "medtrust.tests.no_such_group"


class Widget:
    pass


class Gadget:
    pass


def test_register_and_get() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    assert reg.register("w")(Widget) is Widget
    assert reg.get("w") is Widget
    assert reg.names() == ["w"]
    assert list(reg) == ["w"]


def test_names_are_sorted() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    reg.register("zeta")(Widget)
    reg.register("alpha")(Gadget)
    assert reg.names() == ["alpha", "zeta"]


def test_duplicate_name_raises() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    reg.register("w")(Widget)
    with pytest.raises(ValueError, match="widget 'w' is registered twice"):
        reg.register("w")(Gadget)
    assert reg.get("w") is Widget
    # Re-registering the very same object (a module imported twice) is harmless.
    assert reg.register("w")(Widget) is Widget


def test_unknown_name_lists_known_names() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    reg.register("beta")(Widget)
    reg.register("alpha")(Gadget)
    with pytest.raises(
        UnknownComponentError, match=r"unknown widget 'gamma' \(known: alpha, beta\)"
    ):
        reg.get("gamma")
    with pytest.raises(LookupError):
        reg.get("gamma")


def test_unknown_name_in_an_empty_registry() -> None:
    reg: Registry[type] = Registry("widget", group=EMPTY_GROUP)
    with pytest.raises(UnknownComponentError, match=r"\(known: none\)"):
        reg.get("x")


def _module_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def test_builtins_are_imported_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg_mod, impl_mod = _module_name("fake_reg"), _module_name("fake_impl")
    (tmp_path / f"{reg_mod}.py").write_text(
        "from medtrust.registry import Registry\n"
        f"REG = Registry('thing', group={EMPTY_GROUP!r}, builtins=({impl_mod!r},))\n",
        encoding="utf-8",
    )
    (tmp_path / f"{impl_mod}.py").write_text(
        f"from {reg_mod} import REG\n\n@REG.register('built')\nclass Built:\n    pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = importlib.import_module(reg_mod).REG
    assert impl_mod not in sys.modules
    assert reg.get("built").__name__ == "Built"
    assert impl_mod in sys.modules
    assert reg.names() == ["built"]
    sys.modules.pop(impl_mod)
    sys.modules.pop(reg_mod)


def test_a_broken_builtin_keeps_failing_loudly() -> None:
    missing = _module_name("no_such_builtin")
    reg: Registry[type] = Registry("thing", group=EMPTY_GROUP, builtins=(missing,))
    with pytest.raises(ModuleNotFoundError):
        reg.get("x")
    with pytest.raises(ModuleNotFoundError):
        reg.get("x")


def _fake_distribution(root: Path, module: str, group: str, name: str) -> None:
    (root / f"{module}.py").write_text(
        textwrap.dedent(
            """
            class FakeProbe:
                name = "fake.probe"
            """
        ),
        encoding="utf-8",
    )
    dist = root / "fake_pack-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-pack\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        f"[{group}]\n{name} = {module}:FakeProbe\n", encoding="utf-8"
    )


def test_entry_points_are_found_and_loaded_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _module_name("fake_pack_mod")
    _fake_distribution(tmp_path, module, "medtrust.probes", "fake.probe")
    monkeypatch.syspath_prepend(str(tmp_path))

    reg: Registry[type] = Registry("probe", group="medtrust.probes")
    reg.register("local.one")(Widget)
    # A built-in hit never touches the entry points.
    assert reg.get("local.one") is Widget
    assert module not in sys.modules

    found = reg.get("fake.probe")
    assert module in sys.modules
    sys.modules.pop(module)
    assert found.__name__ == "FakeProbe"
    assert found.__module__ == module
    assert "fake.probe" in reg.names()
    assert reg.names() == sorted(reg.names())


def test_entry_point_does_not_shadow_a_registered_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _module_name("fake_pack_mod")
    _fake_distribution(tmp_path, module, "medtrust.probes", "fake.probe")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[type] = Registry("probe", group="medtrust.probes")
    reg.register("fake.probe")(Widget)
    assert "fake.probe" in reg.names()  # loads entry points
    assert reg.get("fake.probe") is Widget
    assert module not in sys.modules  # the shadowed entry point is never imported


def test_entry_points_of_another_group_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _module_name("fake_pack_mod")
    _fake_distribution(tmp_path, module, "medtrust.targets", "fake.probe")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[type] = Registry("probe", group="medtrust.probes")
    with pytest.raises(UnknownComponentError):
        reg.get("fake.probe")
    assert module not in sys.modules


def test_shipped_registries() -> None:
    assert judges.get("multiple_choice") is MultipleChoiceJudge
    assert "robustness.das" in probes.names()
    with pytest.raises(UnknownComponentError, match=r"robustness\.das"):
        probes.get("robustness.nope")
