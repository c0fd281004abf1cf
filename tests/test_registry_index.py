"""The registries' start-up index (issue 15 item 7; rule in ``medtrust.registry``'s docstring).

A lookup imports only the named built-in's module while the package's sources are those the
index was built from; any added, removed or edited file makes it walk again (so issue 19's
"a broken built-in is a loud error" holds for every change inside the package); listings always
walk. The shipped index must equal what the full walk finds, so it can never go stale unnoticed.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from medtrust import _cli_index
from medtrust.errors import ComponentError
from medtrust.registry import INDEX_FILE, Registry

EMPTY_GROUP = "medtrust.tests.no_such_group"
REGENERATE = (
    "stale: run `python -m medtrust._cli_index` and commit src/medtrust/_registry_index.json"
)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package with two components (``alpha``; ``sub.beta`` in a sub-package) that
    imports a helper module *outside* itself, and an index file of its own (not written)."""
    pkg = f"indexed_{uuid.uuid4().hex[:10]}"
    root = tmp_path / pkg
    _write(root / "__init__.py", "")
    component = """
        import {helper}
        from {pkg}.reg import REG

        @REG.register
        class {cls}:
            name = {name!r}
    """
    _write(
        root / "reg.py",
        f"""
        from pathlib import Path
        from medtrust.registry import Registry
        REG = Registry("thing", group={EMPTY_GROUP!r}, package={pkg!r},
                       index=Path({str(tmp_path / "index.json")!r}))
    """,
    )
    _write(tmp_path / f"{pkg}_helper.py", "VALUE = 1\n")
    helper = f"{pkg}_helper"
    _write(root / "alpha.py", component.format(helper=helper, pkg=pkg, cls="Alpha", name="alpha"))
    _write(root / "sub" / "__init__.py", "")
    _write(root / "sub" / "beta.py",
           component.format(helper=helper, pkg=pkg, cls="Beta", name="sub.beta"))  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in [m for m in sys.modules if m.startswith(pkg)]:
        del sys.modules[name]


def _fresh(pkg: str) -> Registry[type]:
    """The package's registry in a state as after a new interpreter: its modules forgotten."""
    for name in [m for m in sys.modules if m.startswith(pkg)]:
        del sys.modules[name]
    reg: Registry[type] = importlib.import_module(f"{pkg}.reg").REG
    return reg


def _index(pkg: str, tmp_path: Path) -> dict[str, object]:
    """Build and write the package's index the way ``python -m medtrust._cli_index`` does."""
    entry = _fresh(pkg).index_entry()
    (tmp_path / "index.json").write_text(json.dumps({pkg: entry}), encoding="utf-8")
    return entry


def test_the_index_maps_each_name_to_its_module(package: str, tmp_path: Path) -> None:
    entry = _index(package, tmp_path)
    assert entry["modules"] == {"alpha": f"{package}.alpha", "sub.beta": f"{package}.sub.beta"}
    assert isinstance(entry["sha256"], str) and len(entry["sha256"]) == 64


def test_a_current_index_imports_only_the_named_module(package: str, tmp_path: Path) -> None:
    _index(package, tmp_path)
    reg = _fresh(package)
    assert "sub.beta" in reg and "gamma" not in reg  # membership imports nothing
    assert f"{package}.alpha" not in sys.modules
    assert reg.get("alpha").__name__ == "Alpha"
    assert f"{package}.alpha" in sys.modules
    assert f"{package}.sub.beta" not in sys.modules  # the other built-in was not imported
    assert reg.names() == ["alpha", "sub.beta"]  # a listing walks
    assert f"{package}.sub.beta" in sys.modules


def test_without_an_index_the_lookup_walks(package: str) -> None:
    reg = _fresh(package)  # index.json was never written
    assert reg.get("alpha").__name__ == "Alpha"
    assert f"{package}.sub.beta" in sys.modules


@pytest.mark.parametrize("change", ["add", "edit"])
def test_any_change_in_the_package_walks_so_a_broken_builtin_is_loud(
    package: str, tmp_path: Path, change: str
) -> None:
    _index(package, tmp_path)
    if change == "add":  # a new file, broken
        _write(tmp_path / package / "broken.py", "import math\n\nVALUE = math.nope\n")
        broken = f"{package}.broken"
    else:  # an indexed file edited so that it no longer imports
        beta = tmp_path / package / "sub" / "beta.py"
        beta.write_text(beta.read_text(encoding="utf-8") + "VALUE = 1 / 0\n", encoding="utf-8")
        broken = f"{package}.sub.beta"
    reg = _fresh(package)
    for _ in range(2):  # on every lookup, of any name
        with pytest.raises(ComponentError, match=f"module {broken} cannot be imported"):
            reg.get("alpha")


def test_a_new_builtin_is_found_although_the_index_does_not_list_it(
    package: str, tmp_path: Path
) -> None:
    _index(package, tmp_path)
    _write(
        tmp_path / package / "gamma.py",
        f"""
        from {package}.reg import REG

        @REG.register
        class Gamma:
            name = "gamma"
    """,
    )
    reg = _fresh(package)
    assert "gamma" in reg
    assert reg.get("gamma").__name__ == "Gamma"


def test_an_index_that_disagrees_with_the_code_falls_back_to_the_walk(
    package: str, tmp_path: Path
) -> None:
    entry = _index(package, tmp_path)
    entry["modules"] = {"alpha": f"{package}.sub.beta", "sub.beta": f"{package}.sub.beta"}
    (tmp_path / "index.json").write_text(json.dumps({package: entry}), encoding="utf-8")
    reg = _fresh(package)
    assert reg.get("alpha").__name__ == "Alpha"  # beta's module did not register it: walked


def test_what_the_index_cannot_see_fails_the_listing(package: str, tmp_path: Path) -> None:
    """The documented gap: a built-in broken by a change outside its package (here a helper
    module it imports) fails its own lookup and every listing, not a lookup of another name."""
    _index(package, tmp_path)
    reg = _fresh(package)
    assert reg.get("alpha").__name__ == "Alpha"
    (tmp_path / f"{package}_helper.py").write_text("raise RuntimeError('gone')\n")
    del sys.modules[f"{package}_helper"]
    with pytest.raises(ComponentError, match=rf"module {package}\.sub\.beta cannot be imported"):
        reg.get("sub.beta")
    with pytest.raises(ComponentError, match=rf"module {package}\.sub\.beta cannot be imported"):
        reg.names()
    assert reg.get("alpha").__name__ == "Alpha"


# --- the shipped index -----------------------------------------------------------------------


def test_the_shipped_index_is_what_the_walk_finds() -> None:
    """Fails whenever a file under probes/, judges/ or targets/ changed without regenerating
    the index (until then every lookup walks: correct, only slower)."""
    shipped = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
    assert shipped == _cli_index.current_index(), REGENERATE
    assert INDEX_FILE.read_text(encoding="utf-8") == _cli_index.render(shipped)


def test_the_index_command_checks_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "index.json"
    monkeypatch.setattr(_cli_index, "INDEX_FILE", target)
    assert _cli_index.main(["--check"]) == 1  # no file: stale
    assert _cli_index.main([]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == _cli_index.current_index()
    assert _cli_index.main(["--check"]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("medtrust.", "medtrusx."))
    assert _cli_index.main(["--check"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].endswith("stale")


def test_a_lookup_of_a_shipped_probe_imports_no_other_probe() -> None:
    code = (
        "import json, sys\n"
        "from medtrust.probes import probes\n"
        "from medtrust.judges import judges\n"
        "judges.get(probes.get('robustness.das').judge)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    loaded = set(json.loads(out.stdout))
    assert "medtrust.probes.robustness.das" in loaded
    others = sorted(m for m in loaded if m.startswith(("medtrust.probes.", "medtrust.judges."))
                    and m.rpartition(".")[2] in {"biasmedqa", "consistency", "phi_leak",
                                                 "note_fidelity", "disclosure"})  # fmt: skip
    assert others == [], REGENERATE
