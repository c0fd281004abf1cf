"""The shipped registries: what registration refuses (one line, before anything runs), where
components may live, and built-ins found by the walk alone (``note_fidelity``)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

import medtrust
from medtrust.cli import app
from medtrust.errors import ComponentError
from medtrust.judges import judges
from medtrust.metrics import Tally
from medtrust.probes import Probe, ProbeParams, ProbeSummary, probes
from medtrust.records import Case

runner = CliRunner()
PACKAGE = Path(medtrust.__file__).parent


class _Params(ProbeParams):
    n: int = 1


def _probe_class(**attrs: object) -> type[Probe[_Params]]:
    """A complete probe class with ``attrs`` overriding its declarations (not registered)."""

    class Candidate(Probe[_Params]):
        name: ClassVar[str] = "tests.candidate"
        axis = "robustness"
        goal: ClassVar[str] = "exercise registration"
        judge: ClassVar[str] = "multiple_choice"

        def cases(self) -> list[Case]:
            return []

        def summarize(self, cases: object, verdicts: object) -> ProbeSummary:
            return ProbeSummary(total=Tally(), by_operator={})

    for key, value in attrs.items():
        setattr(Candidate, key, value)
    return Candidate


def test_an_unknown_axis_is_refused_when_registered() -> None:
    cls = _probe_class(axis="robustnes")
    with pytest.raises(ComponentError) as info:
        probes.register(cls)
    msg = str(info.value)
    assert "probe 'tests.candidate'" in msg and "unknown axis 'robustnes'" in msg
    assert "\n" not in msg
    assert "tests.candidate" not in probes.names()


def test_a_name_given_twice_must_agree() -> None:
    with pytest.raises(ComponentError, match=r"registered as 'tests\.other'"):
        probes.register("tests.other")(_probe_class())
    assert "tests.other" not in probes.names()


def test_parameters_are_declared_once() -> None:
    assert _probe_class().Params is _Params
    with pytest.raises(ComponentError, match=r"Params is set by hand beside Probe\[_Params\]"):

        class Twice(Probe[_Params]):
            Params = _Params


def _register_calls(path: Path) -> list[int]:
    """Lines of ``@probes.register`` / ``@judges.register`` / ``@targets.register`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr == "register":
                    out.append(deco.lineno)
    return out


def test_components_live_in_public_modules_where_the_walk_finds_them() -> None:
    """The walk skips private modules (``_x.py``) and ``cli.py``: a component there would be
    registered only by accident of import order."""
    hidden = []
    for kind in ("probes", "judges", "targets"):
        for path in sorted((PACKAGE / kind).rglob("*.py")):
            parts = path.relative_to(PACKAGE / kind).with_suffix("").parts
            walked = not any(p.startswith("_") for p in parts) and parts[-1] != "cli"
            if not walked and (lines := _register_calls(path)):
                hidden.append(f"{path.relative_to(PACKAGE)}:{lines[0]}")
    assert hidden == []


def test_judge_validate_finds_note_fidelity_by_the_walk(tmp_path: Path) -> None:
    reference = ("Demographics: 64-year-old woman. Presentation: cough for six weeks. "
                 "Medications: osimertinib 80 mg daily. Assessment and plan: repeat CT.")
    rows = [
        {"prompt": "Write the note", "gold": {"reference": reference, "min_chrf": 60.0},
         "response": reference if i % 2 else "The patient is well. No problems.",
         "label": "pass" if i % 2 else "fail"}
        for i in range(12)
    ]
    data = tmp_path / "notes.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = runner.invoke(
        app, ["judge", "validate", "--judge", "judge:note_fidelity", "--data", str(data), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["confusion"] == {"tp": 6, "fp": 0, "fn": 0, "tn": 6}
    assert judges.get("note_fidelity").__module__ == "medtrust.judges.note_fidelity"


def test_an_unknown_judge_name_suggests_the_near_one(tmp_path: Path) -> None:
    data = tmp_path / "x.jsonl"
    data.write_text(json.dumps({"prompt": "p", "response": "r", "label": 1}) + "\n")
    res = runner.invoke(
        app, ["judge", "validate", "--judge", "judge:note_fidelty", "--data", str(data)]
    )
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "did you mean 'note_fidelity'" in lines[0]
