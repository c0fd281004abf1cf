"""Verification of the concern trigger's review queue (``review_concerns``) against the run's
latest ``concern`` event: the event records the queue's size and SHA-256 digests (of the
sorted case ids and of the rows with their scores) instead of every case, so the queue is
recomputed into digests in one streaming pass and compared (``medtrust.store._concerns``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from medtrust.audit._verify import Break, _brk

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog


def concern_breaks(store: AuditLog, run_id: str, latest: AuditEvent | None) -> list[Break]:
    """Breaks between the run's concern queue and its latest ``concern`` event ``latest`` (None:
    the run has none), compared in one streaming pass over the queue (none when the
    queue's count and both digests are the event's, or when the run has neither). Queue rows
    with no ``concern`` event are rows written around the trail. An event from before the
    digests (every case listed in its content) has no queue to compare. The event's own
    content is checked against its commitment with the run's other payloads."""
    digest = store.concern_digest(run_id)
    if latest is None:
        if not digest.count:
            return []
        why = f"review_concerns holds {digest.count} rows but no concern event records them"
        return [Break(None, "concern", run_id, run_id, why + " (written around the trail)")]
    found, content = store.audit_payload(latest.seq)
    if not found or not isinstance(content, dict) or not isinstance(content.get("digest"), dict):
        return []
    want = (content.get("triggered"), content["digest"].get("ids"), content["digest"].get("rows"))
    got = (digest.count, digest.ids_sha256, digest.rows_sha256)
    what = [n for n, a, b in zip(("count", "ids digest", "rows digest"), want, got, strict=True)
            if a != b]  # fmt: skip
    if not what:
        return []
    return [_brk(latest, f"the review_concerns rows differ from this event ({', '.join(what)})")]
