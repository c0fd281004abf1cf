"""How a third-party component's faults and an unknown name reach the user (issue 19, tester's
findings 1-4): one line, exit 2, naming the distribution, the component and the pack's own file;
a near name suggested wherever a name can be mistyped. Packs are laid out as pip installs them
(a ``.dist-info`` with ``entry_points.txt``) and the shipped registries read them for real."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.errors import did_you_mean
from medtrust.judges import judges
from medtrust.probes import probes
from medtrust.targets import targets

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
REGISTRIES: tuple[Any, ...] = (probes, judges, targets)


def one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


class Pack:
    """A distribution installed under ``root`` (on sys.path while the test runs)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.module = f"pack_{uuid.uuid4().hex[:10]}"
        self.dist = f"pack-{self.module[5:]}"

    def install(self, source: str, entries: dict[str, dict[str, str]]) -> Path:
        """Write the module and the ``.dist-info`` declaring ``{group: {name: attr}}``."""
        path = self.root / f"{self.module}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        info = self.root / f"{self.dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {self.dist}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            "".join(
                f"[{group}]\n" + "".join(f"{k} = {self.module}:{v}\n" for k, v in eps.items())
                for group, eps in entries.items()
            ),
            encoding="utf-8",
        )
        return path


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pack]:
    """A pack the shipped registries see; their state is restored afterwards."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    for r in REGISTRIES:
        r._walk()  # built-ins first, so that what is saved is the whole registry
    saved = [(r, dict(r._items), dict(r._broken), dict(r._dists)) for r in REGISTRIES]
    for r in REGISTRIES:
        r._eps = None  # re-read entry points with the pack installed
    made = Pack(root)
    yield made
    for r, items, broken, dists in saved:
        r._items, r._broken, r._dists, r._eps = items, broken, dists, None
    sys.modules.pop(made.module, None)


# --- 1. a pack that raises while being built ----------------------------------------------

FACTORY = """
    def factory(spec, rest):
        raise ValueError("boom in factory")
"""


def test_a_pack_target_factory_that_raises_is_one_line_and_exit_2(
    pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDTRUST_DEBUG", raising=False)
    source = pack.install(FACTORY, {"medtrust.targets": {"tpk": "factory"}})
    db = tmp_path / "r.db"
    res = CliRunner().invoke(
        app, ["run", "quickstart", "--target", "tpk:x", "--limit", "1", "--db", f"sqlite:///{db}"]
    )
    assert res.exit_code == 2, res.output
    line = one_line(res.stderr)
    assert line == (
        f"error: target 'tpk' from distribution '{pack.dist}' failed while building 'tpk:x': "
        f"ValueError: boom in factory ({source}:3)"
    )
    assert not db.exists()  # nothing half-written


def test_medtrust_debug_shows_the_traceback_above_the_line(
    pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack.install(FACTORY, {"medtrust.targets": {"tpk": "factory"}})
    monkeypatch.setenv("MEDTRUST_DEBUG", "1")
    res = CliRunner().invoke(
        app, ["run", "quickstart", "--target", "tpk:x", "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    )
    assert res.exit_code == 2
    assert "Traceback" in res.stderr and 'raise ValueError("boom in factory")' in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("error: target 'tpk' from distribution")


def test_a_built_in_factory_bug_is_not_dressed_as_a_pack_fault() -> None:
    def broken(spec: str, rest: str) -> object:
        raise ValueError("a medtrust bug")

    targets.register("x3broken")(broken)
    try:
        with pytest.raises(ValueError, match="a medtrust bug"):
            from medtrust.targets import load_target

            load_target("x3broken:y")
    finally:
        del targets._items["x3broken"]


# --- 2. a pack probe refused at registration points at the pack ------------------------------

PROBES = """
    from typing import ClassVar
    from medtrust.probes import Probe, ProbeParams, ProbeSummary
    from medtrust.metrics import Tally

    class P(ProbeParams):
        pass

    class BadAxis(Probe[P]):
        name: ClassVar[str] = "evil.bad_axis"
        axis = "robustnes"
        goal: ClassVar[str] = "g"
        judge: ClassVar[str] = "multiple_choice"
        def cases(self):
            return []
        def summarize(self, cases, verdicts):
            return ProbeSummary(total=Tally())

    class Misnamed(BadAxis):
        name: ClassVar[str] = "evil.other_name"
        axis = "robustness"
"""


def _line(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` that contains ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if text in ln)


def _suite(path: Path, probe: str, params: str = "") -> Path:
    extra = f"\n    params: {params}" if params else ""
    path.write_text(f"name: s\nsamples: 1\nprobes:\n  - name: {probe}{extra}\n", encoding="utf-8")
    return path


def test_a_pack_probe_with_a_bad_axis_names_the_packs_file(pack: Pack, tmp_path: Path) -> None:
    source = pack.install(PROBES, {"medtrust.probes": {"evil.bad_axis": "BadAxis"}})
    suite = _suite(tmp_path / "s.yaml", "evil.bad_axis")
    res = CliRunner().invoke(app, ["cases", "export", str(suite), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("error:"))
    assert "unknown axis 'robustnes'; did you mean 'robustness'?" in line
    assert f"distribution '{pack.dist}'" in line
    # the class statement in the pack's own file
    assert line.endswith(f"({source}:{_line(source, 'class BadAxis')})")
    assert "/medtrust/" not in line.replace(str(source), "")


def test_a_misnamed_entry_point_gets_advice_that_fits_entry_points(
    pack: Pack, tmp_path: Path
) -> None:
    source = pack.install(PROBES, {"medtrust.probes": {"evil.misnamed": "Misnamed"}})
    suite = _suite(tmp_path / "s.yaml", "evil.misnamed")
    res = CliRunner().invoke(app, ["cases", "export", str(suite), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("error:"))
    assert (
        f"is named 'evil.other_name' but its entry point in 'medtrust.probes' of distribution "
        f"'{pack.dist}' is 'evil.misnamed': name the entry point 'evil.other_name'"
    ) in line
    assert "@register" not in line
    assert line.endswith(f"({source}:{_line(source, 'class Misnamed')})")


# --- 3. judge validate: a missing gold key, and any other judge failure -----------------------

RAISER = """
    class Raiser:
        name = "x3.raiser"
        def __call__(self, case, replies):
            raise KeyError("oops")
"""


def _rows(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_judge_raising_is_reported_as_its_failure_with_the_line(
    pack: Pack, tmp_path: Path
) -> None:
    pack.install(RAISER, {"medtrust.judges": {"x3.raiser": "Raiser"}})
    data = _rows(tmp_path / "l.jsonl", "", '{"prompt": "q", "response": "r", "label": 1}')
    res = CliRunner().invoke(app, ["judge", "validate", "--judge", "judge:x3.raiser",
                                   "--data", str(data)])
    assert res.exit_code == 2
    assert one_line(res.stderr) == (
        f"error: judge 'x3.raiser' (distribution '{pack.dist}') failed on line 2 of {data}: "
        "KeyError: 'oops'"
    )


def test_gold_of_the_wrong_type_is_not_called_missing(pack: Pack, tmp_path: Path) -> None:
    # The CONTRIBUTING example judge, installed as a pack: must_mention must be a list.
    pack.install((EXAMPLES / "must_mention.py").read_text(encoding="utf-8"),
                 {"medtrust.judges": {"must_mention": "MustMentionJudge"}})
    data = _rows(tmp_path / "l.jsonl",
                 '{"prompt": "q", "response": "r", "label": 1, "gold": {"must_mention": 5}}')
    res = CliRunner().invoke(app, ["judge", "validate", "--judge", "judge:must_mention",
                                   "--data", str(data)])
    assert res.exit_code == 2
    line = one_line(res.stderr)
    assert "failed on line 1" in line and "TypeError: 'int' object is not iterable" in line
    assert "lacks" not in line


@pytest.mark.parametrize(("judge", "key"), [
    ("multiple_choice", "options"), ("note_fidelity", "reference"), ("phi_leak", "identity"),
    ("hallucination", "options"), ("rubric", "rubric"),
])
def test_a_real_missing_gold_key_is_named(judge: str, key: str, tmp_path: Path) -> None:
    data = _rows(tmp_path / "l.jsonl", '{"prompt": "q", "response": "A", "label": 1}')
    res = CliRunner().invoke(app, ["judge", "validate", "--judge", f"judge:{judge}",
                                   "--data", str(data)])
    assert res.exit_code == 2
    assert one_line(res.stderr) == (
        f"error: {data}:1: judge {judge!r} needs gold key {key!r}, which this row lacks "
        f'(add "gold": {{"{key}": ...}})'
    )


# --- 4. an unknown name anywhere suggests near ones ------------------------------------------


def test_did_you_mean_suggests_near_names_and_lists_all() -> None:
    assert did_you_mean("robustnes", ["privacy", "robustness"]) == (
        "; did you mean 'robustness'? (known: privacy, robustness)"
    )
    assert did_you_mean("zzz", ["b", "a", "a"], what="one of") == " (one of: a, b)"
    assert did_you_mean("x", []) == " (known: none)"


@pytest.mark.parametrize(("args", "expected"), [
    (["cases", "export", "robustnes"],
     "error: unknown suite 'robustnes'; did you mean 'robustness'? (bundled: "),
    (["gate", "r", "--max-failure", "robustnes=0.3"],
     "error: --max-failure 'robustnes=0.3': unknown axis 'robustnes'; did you mean "
     "'robustness'? (one of: "),
    (["gate", "r", "--max-ci-upper", "privcy=0.3"],
     "error: --max-ci-upper 'privcy=0.3': unknown axis 'privcy'; did you mean 'privacy'?"),
    (["run", "quickstart", "--target", "python:pytarget:answr"],
     "error: target 'python:pytarget:answr': 'pytarget' has no attribute 'answr'; did you "
     "mean 'answer'? (it has: answer, boom)"),
])
def test_an_unknown_name_suggests_the_near_one(
    args: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pytarget.py").write_text(
        "def answer(messages, **kw):\n    return 'A'\n\n"
        "def boom(messages, **kw):\n    raise RuntimeError('down')\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    res = CliRunner().invoke(app, [*args, "--db", f"sqlite:///{tmp_path / 'x.db'}"]
                             if args[0] != "cases" else [*args, "--out", str(tmp_path / "c")])
    assert res.exit_code == 2, res.output
    assert one_line(res.stderr).startswith(expected)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(("probe", "params", "expected"), [
    ("privacy.disclosure", "{patient: 2}",
     "probes.0.params.patient: Extra inputs are not permitted; did you mean 'patients'? "
     "(privacy.disclosure parameters: attempts, chain,"),
    ("robustness.das", "{itemz: 3}",
     "probes.0.params.itemz: Extra inputs are not permitted (robustness.das parameters: "
     "bundled, combos,"),
    ("robustness.das", "{operators: [typoo]}", "unknown operator 'typoo'"),
])
def test_a_mistyped_suite_parameter_lists_the_probes_parameters(
    probe: str, params: str, expected: str, tmp_path: Path
) -> None:
    suite = _suite(tmp_path / "s.yaml", probe, params)
    res = CliRunner().invoke(app, ["cases", "export", str(suite), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    line = one_line(res.stderr)
    assert line.startswith(f"error: {suite}:5: probes.0.params.")
    assert expected in line


@pytest.mark.parametrize(("text", "expected"), [
    ("name: s\nsamplng: {temperature: 0}\nprobes:\n  - name: robustness.das\n",
     ":2: samplng: Extra inputs are not permitted; did you mean 'sampling' or 'samples'? (known "),
    ("name: s\nsampling: {temprature: 0}\nprobes:\n  - name: robustness.das\n",
     ":2: sampling.temprature: Extra inputs are not permitted; did you mean 'temperature'?"),
    ("name: s\nprobes:\n  - name: robustness.das\n    lmit: 3\n",
     ":4: probes.0.lmit: Extra inputs are not permitted; did you mean 'limit'? "
     "(known keys: limit, name, params)"),
])
def test_a_mistyped_suite_key_suggests_the_near_key(
    text: str, expected: str, tmp_path: Path
) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["cases", "export", str(suite), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert one_line(res.stderr).startswith(f"error: {suite}{expected}")
