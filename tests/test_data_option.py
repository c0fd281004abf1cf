"""``--data FILE`` replaces the bundled seed items for every probe that reads them;
``--with-bundled`` adds the bundled ones; bad files name the file and both lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.probes.robustness import bundled_items
from medtrust.store import Store

runner = CliRunner()

# Every bundled suite whose probes read the multiple-choice seed items.
MC_SUITES = ("robustness", "cognitive_bias", "quickstart", "clinical-safety")


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"mine-{i}",
            "question": f"Which number is {i} (a test of the user's data)?",
            "options": {"A": str(i), "B": str(i + 1), "C": str(i + 2)},
            "answer_idx": "A",
        }
        for i in range(n)
    ]


def write(path: str, items: list[Any]) -> Path:
    p = Path(path)
    p.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in items) + "\n")
    return p


def export(*args: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["cases", "export", *args, "--out", "x.jsonl"])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in Path("x.jsonl").read_text().splitlines()]


MC_PROBES = ("robustness.das", "robustness.adaptive", "cognitive_bias.biasmedqa")


@pytest.mark.parametrize("suite", MC_SUITES)
def test_data_replaces_the_bundled_items_in_every_multiple_choice_probe(
    oracle_dir: Path, suite: str
) -> None:
    write("mine.jsonl", rows(3))
    cases = [c for c in export(suite, "--data", "mine.jsonl") if c["probe"] in MC_PROBES]
    assert cases, f"{suite} has no multiple-choice probe"
    assert {c["meta"]["source"] for c in cases} == {"mine.jsonl"}
    assert {c["item_id"] for c in cases} <= {"mine-0", "mine-1", "mine-2"}

    both = [
        c
        for c in export(suite, "--data", "mine.jsonl", "--with-bundled")
        if c["probe"] in MC_PROBES
    ]
    assert {c["meta"]["source"] for c in both} >= {"mine.jsonl"}
    if suite in ("robustness", "cognitive_bias"):  # no item limit: every item is asked
        assert {c["meta"]["source"] for c in both} == {"bundled", "mine.jsonl"}
        bundled_ids = {it.id for it in bundled_items()}
        assert bundled_ids <= {c["item_id"] for c in both}


def test_run_with_data_asks_only_the_users_items(oracle_dir: Path) -> None:
    write("mine.jsonl", rows(4))
    res = runner.invoke(
        app,
        ["run", "robustness", "--target", "python:oracle:answer", "--data", "mine.jsonl",
         "--db", "sqlite:///d.db", "--json"],
    )  # fmt: skip
    assert res.exit_code == 1, res.output  # nothing measured: every reply unreadable (below)
    summary = json.loads(res.stdout)
    controls = summary["axes"]["robustness"]["controls"]
    # the oracle knows only the bundled items, so it cannot answer these: 4 asked, 4 errors
    assert controls["n"] + controls["errors"] == 4
    store = Store("sqlite:///d.db")
    (info,) = store.list_runs()
    assert {c.item_id for c in store.cases(info.id)} == {f"mine-{i}" for i in range(4)}
    # the oracle logs one line per call: 4 controls, and nothing from the bundled set
    assert len(Path("oracle_calls.log").read_text().splitlines()) == 4


def test_duplicate_id_names_both_lines(oracle_dir: Path) -> None:
    items: list[Any] = rows(2)
    write("dup.jsonl", [items[0], "", items[1], {**items[0], "question": "Another question?"}])
    res = runner.invoke(app, ["cases", "export", "robustness", "--data", "dup.jsonl",
                              "--out", "x.jsonl"])  # fmt: skip
    assert res.exit_code == 2
    assert "dup.jsonl:4: duplicate id 'mine-0' (first at line 1)" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not Path("x.jsonl").exists()


def test_the_same_question_under_two_ids_names_both_lines(oracle_dir: Path) -> None:
    """Case ids hash what is asked, so a repeat under another id would count once, silently."""
    items: list[Any] = rows(2)
    write("same.jsonl", [items[0], items[1], {**items[0], "id": "again"}])
    res = runner.invoke(app, ["run", "robustness", "--target", "python:oracle:answer",
                              "--data", "same.jsonl", "--db", "sqlite:///s.db"])  # fmt: skip
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert ("same.jsonl:3: item 'again' repeats the question and options of item 'mine-0' "
            "(line 1)") in out  # fmt: skip
    assert len(res.output.strip().splitlines()) <= 2  # one line (wrapped by the console)
    assert Store("sqlite:///s.db").list_runs() == []


def test_a_streamed_file_rejects_the_same_question_under_two_ids(
    oracle_dir: Path,
) -> None:
    from medtrust.errors import ConfigError
    from medtrust.probes.robustness._stream import iter_items

    path = write("big.jsonl", [*rows(12), {**rows(4)[3], "id": "again"}])
    with pytest.raises(ConfigError, match=r"big.jsonl:13: item 'again' repeats .* 'mine-3' "
                                          r"\(line 4\)"):  # fmt: skip
        list(iter_items(path))


def test_a_deeply_nested_line_is_one_line_naming_it(oracle_dir: Path) -> None:
    write("deep.jsonl", [rows(1)[0], "[" * 100_000 + "]" * 100_000])
    res = runner.invoke(app, ["cases", "export", "robustness", "--data", "deep.jsonl",
                              "--out", "x.jsonl"])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "deep.jsonl:2: invalid JSON: nested too deeply" in res.output
    assert "RecursionError" not in res.output and not Path("x.jsonl").exists()


def test_with_bundled_id_clash_names_both_sources(oracle_dir: Path) -> None:
    first = bundled_items()[0]
    write("clash.jsonl", [rows(1)[0], {**rows(2)[1], "id": first.id}])
    res = runner.invoke(
        app,
        [
            "run",
            "robustness",
            "--target",
            "python:oracle:answer",
            "--data",
            "clash.jsonl",
            "--with-bundled",
            "--db",
            "sqlite:///c.db",
        ],
    )
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert f"clash.jsonl:2: id '{first.id}' is also a bundled item's id" in out
    assert "mcq_seed.jsonl:1)" in out
    assert Store("sqlite:///c.db").list_runs() == []
    # without --with-bundled the user's id is simply theirs
    assert len(export("robustness", "--data", "clash.jsonl")) >= 2


def test_with_bundled_needs_data(oracle_dir: Path) -> None:
    res = runner.invoke(app, ["run", "--target", "python:oracle:answer", "--with-bundled",
                              "--db", "sqlite:///w.db"])  # fmt: skip
    assert res.exit_code == 2
    assert "--with-bundled" in res.output and "--data" in res.output


def test_help_says_data_replaces_the_bundled_items() -> None:
    res = runner.invoke(app, ["run", "--help"])
    text = " ".join(res.output.replace("│", " ").split())  # rich wraps help in a box
    assert "REPLACE the bundled items" in text
    assert "--with-bundled" in text
