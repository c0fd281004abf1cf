"""Policy packs as versioned data: bundled packs, user overrides by id, dates, file:line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from medtrust.errors import ConfigError
from medtrust.policies import ENV_VAR, load_policies


def test_bundled_packs_cover_the_four_regulations() -> None:
    ps = load_policies([])
    assert set(ps.packs) == {"hipaa", "gdpr", "eu-ai-act", "fda"}
    kinds = {r.check.kind for r in ps.rules.values()}
    assert kinds == {"judge", "metric", "declared", "evidence", "output"}
    for r in ps.rules.values():
        assert r.id.startswith(r.pack + ".")
        assert r.article and r.requirement and r.jurisdiction and r.regulation
        assert r.severity in {"low", "medium", "high", "critical"}
        assert r.source.startswith("bundled:")
    arts = {r.article.split("(")[0] for r in ps.rules.values() if r.pack == "eu-ai-act"}
    assert {f"Art. {n}" for n in range(9, 16)} <= arts


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


USER_PACK = """\
pack: acme
title: ACME internal policy
version: "1"
regulation: ACME
jurisdiction: internal
effective: 2020-01-01
rules:
  - id: hipaa.164-502a-disclosure
    title: Stricter disclosure
    article: 45 CFR 164.502(a)
    severity: low
    requirement: overridden
    check: {kind: judge, judge: phi_disclosure, types: [SSN]}
  - id: hipaa.164-514b-safe-harbor
    title: Disabled
    article: x
    severity: low
    requirement: Disabled here
    check: {kind: judge, judge: identifiers_in_output}
    enabled: false
  - id: acme.future
    title: Future rule
    article: ACME 1
    severity: high
    requirement: later
    effective: 2030-01-01
    check: {kind: declared, control: acme_ok, question: "Is it ok"}
"""


def test_user_pack_overrides_by_id_disables_and_adds(tmp_path: Path) -> None:
    _write(tmp_path / "p", "acme.yaml", USER_PACK)
    ps = load_policies([tmp_path / "p"])
    r = ps.rules["hipaa.164-502a-disclosure"]
    assert (r.severity, r.requirement, r.pack, r.regulation) == (
        "low",
        "overridden",
        "acme",
        "ACME",
    )
    assert r.source.endswith("acme.yaml:8")
    assert "hipaa.164-514b-safe-harbor" not in ps.rules
    assert "acme" in ps.packs and "hipaa" in ps.packs
    assert ps.rules["acme.future"].applies_on(date(2026, 1, 1)) == (
        False,
        "takes effect 2030-01-01",
    )
    assert ps.rules["acme.future"].applies_on(date(2030, 1, 1)) == (True, "")


def test_env_var_supplies_user_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "p", "acme.yaml", USER_PACK)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "p"))
    assert "acme.future" in load_policies().rules
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="no such folder"):
        load_policies()


def test_effective_and_expiry_dates() -> None:
    ps = load_policies([])
    eu = ps.rules["eu-ai-act.art14-human-oversight"]
    assert eu.applies_on(date(2026, 8, 1))[0] is False
    assert eu.applies_on(date(2026, 8, 2))[0] is True
    # a rule-level date overrides its pack's: the PCCP guidance predates the AI-DSF draft
    assert ps.rules["fda.pccp.change-control"].effective == date(2024, 12, 4)
    assert ps.packs["fda"].effective == date(2025, 1, 7)
    assert ps.rules["hipaa.164-312b-audit-controls"].effective == date(2005, 4, 20)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (
            USER_PACK.replace(
                "severity: low\n    requirement: overridden",
                "severity: extreme\n    requirement: overridden",
            ),
            11,
            "severity",
        ),
        (USER_PACK.replace("types: [SSN]", "types: [SOCKS]"), 13, "types"),
        (USER_PACK.replace("kind: declared, control", "kind: vibes, control"), 27, "check"),
        (USER_PACK.replace('version: "1"\n', ""), 1, "version"),
        (
            USER_PACK.replace("id: acme.future", "id: hipaa.164-502a-disclosure"),
            21,
            "appears twice",
        ),
    ],
    ids=["severity", "identifier-type", "check-kind", "missing-version", "duplicate-id"],
)
def test_bad_packs_name_file_and_line(tmp_path: Path, text: str, line: int, field: str) -> None:
    path = _write(tmp_path / "p", "bad.yaml", text)
    with pytest.raises(ConfigError) as exc:
        load_policies([tmp_path / "p"])
    assert f"{path}:{line}" in str(exc.value) and field in str(exc.value)


def test_metric_check_needs_exactly_one_bound(tmp_path: Path) -> None:
    bad = USER_PACK.replace(
        'check: {kind: declared, control: acme_ok, question: "Is it ok"}',
        "check: {kind: metric, axis: fairness, max: 0.1, min: 0.0}",
    )
    _write(tmp_path / "p", "bad.yaml", bad)
    with pytest.raises(ConfigError, match="exactly one of max or min"):
        load_policies([tmp_path / "p"])
