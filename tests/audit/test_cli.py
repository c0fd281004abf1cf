"""``medtrust audit ...`` through Typer's runner: exit 0 intact/valid, 1 broken/invalid, 2 bad
input; one line names the first broken event."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from medtrust.audit import public_key_hex
from medtrust.audit.cli import audit_app
from medtrust.store import Store

from ._fixtures import populate

runner = CliRunner()


def _db(tmp_path: Path) -> tuple[str, dict[str, list]]:  # type: ignore[type-arg]
    url = f"sqlite:///{tmp_path / 'c.db'}"
    cases = populate(Store(url))
    return url, cases


def test_verify_intact_broken_and_unknown_run(tmp_path: Path) -> None:
    url, cases = _db(tmp_path)
    ok = runner.invoke(audit_app, ["verify", "--db", url, "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    assert runner.invoke(audit_app, ["verify", "run-a", "--db", url]).exit_code == 0
    with sqlite3.connect(tmp_path / "c.db") as con:
        con.execute("update verdicts set outcome = 'pass' where outcome = 'fail'")
    bad = runner.invoke(audit_app, ["verify", "run-a", "--db", url])
    assert bad.exit_code == 1
    line = " ".join(bad.output.split())
    assert f"verdict {cases['run-a'][0].id}/mc" in line and "event" in line
    unknown = runner.invoke(audit_app, ["verify", "no-such-run", "--db", url])
    assert unknown.exit_code == 2 and "no run" in unknown.output


def test_proof_and_verify_proof_round_trip(tmp_path: Path) -> None:
    url, cases = _db(tmp_path)
    out = tmp_path / "proof.json"
    res = runner.invoke(audit_app, ["proof", cases["run-b"][2].id, "--db", url, "--out", str(out)])
    assert res.exit_code == 0, res.output
    root = json.loads(out.read_text())["root"]
    key = public_key_hex()
    args = ["verify-proof", str(out), "--root", root, "--public-key"]
    assert runner.invoke(audit_app, [*args, key]).exit_code == 0
    key_file = tmp_path / "key.hex"
    key_file.write_text(key + "\n")
    assert runner.invoke(audit_app, [*args, str(key_file)]).exit_code == 0
    wrong_root = ["verify-proof", str(out), "--root", "ab" * 32, "--public-key", key, "--json"]
    res = runner.invoke(audit_app, wrong_root)
    assert res.exit_code == 1 and json.loads(res.stdout)["valid"] is False
    (tmp_path / "bad.json").write_text("{not json")
    bad = runner.invoke(audit_app, ["verify-proof", str(tmp_path / "bad.json"), "--root", root,
                                    "--public-key", key])  # fmt: skip
    assert bad.exit_code == 2
    assert runner.invoke(audit_app, ["proof", "f" * 16, "--db", url]).exit_code == 2


def test_export_then_verify_export_and_open(tmp_path: Path) -> None:
    url, _ = _db(tmp_path)
    out = tmp_path / "chain.jsonl"
    res = runner.invoke(audit_app, ["export", "run-a", "--db", url, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["type"] == "header" and {x["type"] for x in lines} == {
        "header",
        "event",
        "root",
    }
    key = public_key_hex()
    assert runner.invoke(audit_app, ["verify-export", str(out), "--public-key", key]).exit_code == 0
    stdout = runner.invoke(audit_app, ["export", "run-a", "--db", url])
    assert stdout.exit_code == 0 and len(stdout.stdout.splitlines()) == len(lines)
    opened = runner.invoke(audit_app, ["open", str(lines[1]["seq"]), "--db", url])
    assert opened.exit_code == 0 and json.loads(opened.stdout)["content"]["id"] == "run-a"
    pk = runner.invoke(audit_app, ["public-key", "--json"])
    assert json.loads(pk.stdout)["public_key"] == key
