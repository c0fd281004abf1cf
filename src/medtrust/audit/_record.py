"""Events that have no row of their own (report issued, gate decision), and what a report
publishes about the trail (its signed root and public key)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medtrust.audit._log import AuditLog


def record_report(
    store: AuditLog, run_id: str, *, fmt: str, summary: dict[str, Any], path: Path | None
) -> int | None:
    """Record that a report was issued (the summary it states) and re-sign the run's root."""
    content = {"format": fmt, "path": str(path) if path else None, "summary": summary}
    return store.record_event(run_id, "report", fmt, content, seal=True)


def record_gate(
    store: AuditLog,
    run_id: str,
    *,
    passed: bool,
    reasons: list[str],
    max_risk: float | None,
    max_failure: dict[str, float],
) -> int | None:
    """Record a release-gate decision with its thresholds and re-sign the run's root."""
    content = {
        "passed": passed,
        "reasons": reasons,
        "max_risk": max_risk,
        "max_failure": max_failure,
    }
    return store.record_event(run_id, "gate", "pass" if passed else "fail", content, seal=True)


def attestation(store: AuditLog, run_id: str) -> dict[str, Any] | None:
    """The newest signed root of a run and the public key that verifies it, for reports."""
    seals = store.audit_seals(run_id)
    if not seals:
        return None
    s = seals[-1]
    return {
        "public_key": s.public_key,
        "root": s.root,
        "tree_size": s.size,
        "upto_seq": s.upto_seq,
        "signature": s.signature,
        "signed_at": s.at,
    }
