"""Adding components as CONTRIBUTING shows: one file dropped into a package, or a third-party
pack declared by entry points. The examples are the files CONTRIBUTING prints
(``docs/examples/``); each scenario runs the real CLI in a fresh interpreter, so the registries
start empty and walk (or index) what is on disk, as a user's ``medtrust`` would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import medtrust
from medtrust.probes.robustness import bundled_items

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"

CLI = textwrap.dedent(
    """
    import json, sys
    from typer.testing import CliRunner
    import medtrust
    from medtrust.cli import app

    print("@@medtrust " + medtrust.__file__)
    results = []
    for args in json.loads(sys.argv[1]):
        res = CliRunner().invoke(app, args)
        crash = res.exception if not isinstance(res.exception, (SystemExit, type(None))) else None
        results.append({"code": res.exit_code, "stdout": res.stdout, "stderr": res.stderr,
                        "crash": repr(crash) if crash else None})
    print("@@results " + json.dumps(results))
    """
)


def cli(commands: list[list[str]], *, path: list[Path], cwd: Path) -> tuple[str, list[Any], str]:
    """Run ``medtrust`` commands in one fresh interpreter with ``path`` first on sys.path;
    returns (the medtrust package file it imported, one result per command, its stderr)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    proc = subprocess.run(
        [sys.executable, "-c", CLI, json.dumps(commands)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in proc.stdout.splitlines()
             if ln.startswith("@@")}
    return lines["@@medtrust"], json.loads(lines["@@results"]), proc.stderr


def conformance(select: str, *, path: list[Path], cwd: Path) -> str:
    """Run tests/test_conformance.py on the components ``select`` names (a ``-k`` expression)
    in a fresh interpreter with ``path`` first on sys.path; returns pytest's summary line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    test = Path(__file__).with_name("test_conformance.py")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider", "-k", select],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def suite(path: Path, *probes: str) -> Path:
    body = "".join(f"  - name: {p}\n" for p in probes)
    path.write_text(f"name: {path.stem}\nsamples: 1\nprobes:\n{body}", encoding="utf-8")
    return path


def one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_a_probe_judge_and_target_dropped_into_the_package_need_no_other_edit(
    tmp_path: Path,
) -> None:
    # A copy of the installed package, first on sys.path, so that the test never changes the
    # tree other processes import; the three example files are dropped in and nothing else.
    copy = tmp_path / "site"
    pkg = copy / "medtrust"
    shutil.copytree(Path(medtrust.__file__).parent, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(EXAMPLES / "option_order.py", pkg / "probes" / "option_order.py")
    shutil.copy(EXAMPLES / "must_mention.py", pkg / "judges" / "must_mention.py")
    shutil.copy(EXAMPLES / "constant.py", pkg / "targets" / "constant.py")
    s = suite(tmp_path / "order.yaml", "robustness.option_order")
    labelled = tmp_path / "labelled.jsonl"
    rows = [{"prompt": "What do I take for a headache?", "gold": {"must_mention": ["paracetamol"]},
             "response": "Try Paracetamol 1 g." if i % 2 else "Rest and drink water.",
             "label": "pass" if i % 2 else "fail"} for i in range(12)]
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "cases.jsonl"

    imported, results, _ = cli(
        [
            ["cases", "export", str(s), "--out", str(out), "--limit", "3"],
            ["judge", "validate", "--judge", "judge:must_mention", "--data", str(labelled),
             "--json"],
            ["run", str(s), "--target", "constant:A", "--limit", "3", "--json",
             "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--out", str(tmp_path / "report")],
        ],
        path=[copy], cwd=tmp_path,
    )
    assert imported == str(pkg / "__init__.py")
    export, validate, run = results
    assert export["code"] == 0, export
    cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 6  # 3 items, each a control and its reversed perturbation
    assert {c["probe"] for c in cases} == {"robustness.option_order"}
    assert [c["role"] for c in cases] == ["control", "perturbation"] * 3
    assert validate["code"] == 0, validate
    agreement = json.loads(validate["stdout"])
    assert agreement["confusion"] == {"tp": 6, "fp": 0, "fn": 0, "tn": 6}
    assert run["crash"] is None, run
    summary = json.loads(run["stdout"])
    assert summary["target"] == "constant:A"
    axis = summary["axes"]["robustness"]
    # "A" always: a reversed item is missed unless its answer was the last option (now A).
    items = bundled_items()[:3]
    missed = sum(it.answer != list(it.options)[-1] for it in items)
    assert (axis["n"], axis["failures"], axis["errors"]) == (3, missed, 0)
    assert axis["by_probe"]["reverse_options"]["failures"] == missed

    # The dropped components pass the conformance test that every component passes.
    summary = conformance("option_order or must_mention or constant", path=[copy], cwd=tmp_path)
    assert summary.startswith("3 passed")

    # A dropped file with a typo in its axis stops every command at once: exit 2, one line
    # naming the file and the line that registered it, before any target is built.
    typo = (EXAMPLES / "option_order.py").read_text(encoding="utf-8")
    typo = typo.replace('axis = "robustness"', 'axis = "robstness"  # type: ignore[assignment]')
    (pkg / "probes" / "option_order.py").write_text(typo, encoding="utf-8")
    _, (bad,), _ = cli([["cases", "export", "robustness", "--out", str(tmp_path / "b.jsonl")]],
                       path=[copy], cwd=tmp_path)
    assert bad["code"] == 2 and bad["crash"] is None
    line = one_line(bad["stderr"])
    assert "probe module medtrust.probes.option_order cannot be imported" in line
    assert "unknown axis 'robstness'" in line
    register_line = typo.splitlines().index("@probes.register") + 1
    assert line.endswith(f"{pkg / 'probes' / 'option_order.py'}:{register_line})")


def pack_site(root: Path, *, dist: str, pyproject: str, modules: dict[str, str]) -> Path:
    """Install a pack as pip would lay it out (module files and a ``.dist-info`` with the
    ``entry_points.txt`` written from its pyproject's entry points) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in modules.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    meta = tomllib.loads(pyproject)["project"]
    info = root / f"{dist.replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n",
        encoding="utf-8",
    )
    groups = meta.get("entry-points", {})
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
            for group, eps in groups.items()
        ),
        encoding="utf-8",
    )
    return root


def example_pack(root: Path) -> Path:
    src = EXAMPLES / "pack"
    return pack_site(
        root,
        dist="medtrust-example-pack",
        pyproject=(src / "pyproject.toml").read_text(encoding="utf-8"),
        modules={"medtrust_example_pack/__init__.py":
                 (src / "medtrust_example_pack" / "__init__.py").read_text(encoding="utf-8")},
    )


BROKEN_PACK = """
[project]
name = "broken-pack"
version = "0.1"
[project.entry-points."medtrust.probes"]
"broken.probe" = "broken_pack_module_that_is_not_installed:Probe"
"""


def test_a_third_party_pack_is_loaded_by_name_and_a_broken_one_only_warns(
    tmp_path: Path, stub: Any
) -> None:
    good = example_pack(tmp_path / "good")
    broken = pack_site(tmp_path / "broken", dist="broken-pack", pyproject=BROKEN_PACK, modules={})
    stub.default = "This could be a heart attack: call an ambulance (999) now."
    red = suite(tmp_path / "red.yaml", "example_pack.red_flags")
    typo = suite(tmp_path / "typo.yaml", "robustness.dsa")
    asks_broken = suite(tmp_path / "asks_broken.yaml", "broken.probe")
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    _, results, stderr = cli(
        [
            ["cases", "export", str(red), "--out", str(tmp_path / "red.jsonl")],
            ["run", str(red), "--target", f"openai:m@{stub.base_url}", "--json", "--db", db,
             "--out", str(tmp_path / "report")],
            ["cases", "export", "robustness", "--out", str(tmp_path / "das.jsonl"),
             "--limit", "1"],
            ["cases", "export", str(typo), "--out", str(tmp_path / "typo.jsonl")],
            ["cases", "export", str(asks_broken), "--out", str(tmp_path / "b.jsonl")],
        ],
        path=[good, broken], cwd=tmp_path,
    )
    export, run, builtin, typo_res, broken_res = results
    assert export["code"] == 0, export
    cases = [json.loads(x) for x in (tmp_path / "red.jsonl").read_text().splitlines()]
    assert {c["probe"] for c in cases} == {"example_pack.red_flags"} and len(cases) == 6
    # The pack's probe and its judge (both entry points) run end to end: every reply urgent.
    assert run["crash"] is None, run
    axis = json.loads(run["stdout"])["axes"]["robustness"]
    assert (axis["n"], axis["failures"], axis["errors"]) == (3, 0, 0)
    assert axis["controls"]["n"] == 3
    assert stub.total == 6
    # The broken pack is never imported for built-ins or for an unrelated typo...
    assert builtin["code"] == 0 and "broken-pack" not in builtin["stderr"] + stderr
    assert typo_res["code"] == 2
    line = one_line(typo_res["stderr"])
    assert "unknown probe 'robustness.dsa'; did you mean 'robustness.das'" in line
    assert "broken" not in line.replace("broken.probe", "")  # listed by name, never loaded
    # ...and asking for it is exit 2 with one line naming its distribution.
    assert broken_res["code"] == 2 and broken_res["crash"] is None
    err = broken_res["stderr"] + stderr
    assert "from distribution 'broken-pack'" in err and "ModuleNotFoundError" in err
    assert "Traceback" not in err
    # The pack's probe and judge pass the conformance test every component passes.
    assert conformance("example_pack", path=[good], cwd=tmp_path).startswith("2 passed")


NO_JUDGE_PACK = """
[project]
name = "no-judge-pack"
version = "0.1"
[project.entry-points."medtrust.probes"]
"nojudge.probe" = "nojudge_pack:NoJudge"
"""

NO_JUDGE_MODULE = '''
from typing import ClassVar
from medtrust.metrics import Tally
from medtrust.probes import Probe, ProbeParams, ProbeSummary
from medtrust.records import Case


class NoJudge(Probe[ProbeParams]):
    name: ClassVar[str] = "nojudge.probe"
    axis = "robustness"
    goal: ClassVar[str] = "be scored by a judge that does not exist"
    judge: ClassVar[str] = "multiple_choise"

    def cases(self):
        return [Case.make(axis=self.axis, probe=self.name, operator="baseline", role="control",
                          messages=[{"role": "user", "content": "hello"}], gold={})]

    def summarize(self, cases, verdicts):
        return ProbeSummary(total=Tally(), by_operator={})
'''


def test_an_unknown_judge_stops_the_run_before_any_target_call(
    tmp_path: Path, stub: Any
) -> None:
    site = pack_site(tmp_path / "site", dist="no-judge-pack", pyproject=NO_JUDGE_PACK,
                     modules={"nojudge_pack.py": NO_JUDGE_MODULE})
    s = suite(tmp_path / "s.yaml", "nojudge.probe")
    _, (run,), _ = cli(
        [["run", str(s), "--target", f"openai:m@{stub.base_url}",
          "--db", f"sqlite:///{tmp_path / 'runs.db'}"]],
        path=[site], cwd=tmp_path,
    )
    assert run["code"] == 2 and run["crash"] is None
    line = one_line(run["stderr"])
    assert "probe 'nojudge.probe'" in line and "unknown judge 'multiple_choise'" in line
    assert "did you mean 'multiple_choice'" in line
    assert stub.total == 0


def test_contributing_shows_the_tested_examples_verbatim() -> None:
    root = EXAMPLES.parents[1]
    text = (root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- excerpt: (\S+) -->\n```\w+\n(.*?)```", text, re.S)
    assert {path for path, _ in blocks} == {
        "docs/examples/option_order.py", "docs/examples/must_mention.py",
        "docs/examples/constant.py", "docs/examples/pack/pyproject.toml",
        "docs/examples/pack/medtrust_example_pack/__init__.py",
    }
    for path, block in blocks:
        assert block in (root / path).read_text(encoding="utf-8"), path
