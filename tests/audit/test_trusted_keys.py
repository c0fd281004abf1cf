"""Which signers ``medtrust audit verify`` believes: keys given with ``--public-key`` (hex, PEM,
or a file of keys), listed in ``$MEDTRUST_TRUSTED_KEYS``, and the verifying machine's own key;
never a key the store merely records. A store written by two machines verifies once both keys
are trusted; a trail rebuilt and re-signed with another key fails, with or without the owner's
key on the verifying machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.audit import public_key_hex, public_key_pem, trusted_keys, verify
from medtrust.audit.cli import audit_app
from medtrust.errors import MedtrustError
from medtrust.records import Reply, Verdict
from medtrust.store import Store

from ._fixtures import cases, populate

runner = CliRunner()


def _as(monkeypatch: pytest.MonkeyPatch, home: Path) -> str:
    """Act as the machine whose MEDTRUST_HOME is ``home``; returns its public key (hex)."""
    monkeypatch.setenv("MEDTRUST_HOME", str(home))
    return public_key_hex()


def _two_machines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """One store: machine A runs run-a and run-b, machine B adds run-c. (url, key A, key B)"""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    key_a = _as(monkeypatch, tmp_path / "a")
    populate(Store(url))
    key_b = _as(monkeypatch, tmp_path / "b")
    store = Store(url)
    store.create_run("run-c", suite="s", target="python:x:y", seed=1, config={})
    cs = cases("run-c", 2)
    store.add_cases("run-c", cs)
    store.add_replies("run-c", [Reply(case_id=c.id, text="A") for c in cs])
    store.put_verdicts("run-c", [Verdict(case_id=c.id, judge="mc", outcome="pass") for c in cs])
    store.set_status("run-c", "done")
    assert key_a != key_b
    return url, key_a, key_b


def test_a_store_written_by_two_machines_verifies_with_both_keys_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, key_a, key_b = _two_machines(tmp_path, monkeypatch)
    _as(monkeypatch, tmp_path / "a")  # on A: its own key is trusted, B's is not yet
    report = verify(Store(url))
    assert not report.ok and report.first is not None
    assert "run-c" in report.first.line() and "not a trusted key" in report.first.reason
    _as(monkeypatch, tmp_path / "b")
    pem_b = public_key_pem()
    keys = tmp_path / "trusted.keys"
    keys.write_text(f"# the lab's signers\n{key_a}  # machine A\n{pem_b}", encoding="utf-8")
    monkeypatch.setenv("MEDTRUST_HOME", str(tmp_path / "c"))  # a third machine, no key at all
    assert set(trusted_keys([str(keys)], env=False)) == {key_a, key_b}
    assert verify(Store(url), public_keys=[str(keys)]).ok
    ok = runner.invoke(audit_app, ["verify", "--db", url, "--public-key", str(keys), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    # the same list kept in a file named by $MEDTRUST_TRUSTED_KEYS
    monkeypatch.setenv("MEDTRUST_TRUSTED_KEYS", str(keys))
    assert runner.invoke(audit_app, ["verify", "--db", url]).exit_code == 0
    monkeypatch.delenv("MEDTRUST_TRUSTED_KEYS")
    # one key given as hex on the command line is not enough for the other machine's run
    only_a = runner.invoke(audit_app, ["verify", "--db", url, "--public-key", key_a])
    assert only_a.exit_code == 1
    assert "not a trusted key" in only_a.output and "run-c" in only_a.output


def test_a_trail_re_signed_with_an_untrusted_key_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forger rebuilds the whole store with a changed verdict (they hold its salt keys,
    so every commitment and hash recomputes) and signs it with their own key."""
    owner = _as(monkeypatch, tmp_path / "owner")
    populate(Store(f"sqlite:///{tmp_path / 'real.db'}"))
    forger = _as(monkeypatch, tmp_path / "forger")
    forged = f"sqlite:///{tmp_path / 'forged.db'}"
    populate(Store(forged))
    store = Store(forged)
    case = store.cases("run-a")[1].id
    store.put_verdicts("run-a", [Verdict(case_id=case, judge="mc", outcome="pass")])
    store.seal("run-a")
    assert forger != owner and verify(store).ok  # consistent under the forger's own key
    # a verifier without the owner's key on the machine: no key to believe, so no pass
    monkeypatch.setenv("MEDTRUST_HOME", str(tmp_path / "verifier"))
    report = verify(Store(forged))
    assert not report.ok and "no trusted public key" in report.breaks[0].reason
    cli = runner.invoke(audit_app, ["verify", "--db", forged])
    assert cli.exit_code == 1 and "no trusted public key" in " ".join(cli.output.split())
    # with the owner's key trusted, every forged root is refused
    report = verify(Store(forged), public_keys=[owner])
    roots = [b for b in report.breaks if b.kind == "root"]
    assert roots and all("not a trusted key" in b.reason for b in roots)
    assert verify(Store(f"sqlite:///{tmp_path / 'real.db'}"), public_keys=[owner]).ok


def test_a_bad_key_file_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    populate(Store(url))
    bad = tmp_path / "keys.txt"
    bad.write_text(f"{public_key_hex()}\nnot-a-key\n", encoding="utf-8")
    with pytest.raises(MedtrustError, match=r"keys\.txt:2: public key"):
        trusted_keys([str(bad)], env=False)
    for arg in (str(bad), str(tmp_path / "missing.keys")):
        r = runner.invoke(audit_app, ["verify", "--db", url, "--public-key", arg])
        assert r.exit_code == 2, r.output
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    monkeypatch.setenv("MEDTRUST_TRUSTED_KEYS", str(tmp_path / "missing.keys"))
    assert runner.invoke(audit_app, ["verify", "--db", url]).exit_code == 2
