"""Reads the audit logic needs: events, head, seals, secrets, payloads and the current state
of a run's rows as the content their latest events must commit to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from medtrust.records import Case
from medtrust.store import schema
from medtrust.store._audit_rows import RowCheck, count_live, iter_row_checks, rowless_events
from medtrust.store._concerns import _row as concern_row
from medtrust.store._keyset import keyset_batches
from medtrust.store._ledger import (
    AuditEvent,
    Seal,
    case_content,
    reply_content,
    reply_ref,
    run_content,
    sampling_of,
    seal_content,
    status_content,
    verdict_content,
    verdict_ref,
)
from medtrust.store._light_cases import iter_light_cases
from medtrust.store._review_rows import (
    ACCOUNTS_RUN,
    account_content,
    assignment_content,
    redaction_content,
    review_content,
    review_ref,
    session_content,
    token_content,
)

IN_CHUNK = 500
"""Ids per ``IN (...)`` query."""


def _event(r: Any) -> AuditEvent:
    return AuditEvent(
        seq=r.seq,
        run_id=r.run_id,
        kind=r.kind,
        ref=r.ref,
        commitment=r.commitment,
        prev_hash=r.prev_hash,
        hash=r.hash,
        at=r.at,
    )


class AuditReadsMixin:
    """Read-only audit methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    def audit_events(self, run_id: str | None = None) -> list[AuditEvent]:
        """Events in chain order: all of them, or one run's."""
        t = schema.audit_events
        q = select(t).order_by(t.c.seq)
        if run_id is not None:
            q = q.where(t.c.run_id == run_id)
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(q)]

    def iter_audit_events(
        self, run_id: str | None = None, *, batch: int = 5000
    ) -> Iterator[AuditEvent]:
        """One run's events (every event: ``run_id`` None) in chain order, ``batch`` rows per
        query (keyset on the sequence number): memory bounded by ``batch`` whatever the run's
        size."""
        t = schema.audit_events
        q = select(t) if run_id is None else select(t).where(t.c.run_id == run_id)
        for rows in keyset_batches(self.engine, q, (t.c.seq,), batch):
            yield from (_event(r) for r in rows)

    def iter_light_cases(self, run_id: str, *, batch: int = 2000) -> Iterator[list[Case]]:
        """The run's cases in generation order, ``batch`` per window, without their messages
        and gold (``medtrust.store._light_cases``): for passes that classify cases (the review
        queue), which would otherwise decode every prompt."""
        return iter_light_cases(self.engine, run_id, batch)

    def concerns_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """These cases' rows of the run's concern queue (``review_concerns``, the audited queue
        a ``concern`` event binds), by case id, as :meth:`iter_concerns` gives them: what a
        window of the review queue needs, never the whole queue."""
        t, ids = schema.review_concerns, sorted(set(case_ids))
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), IN_CHUNK):
                q = select(t).where(t.c.run_id == run_id, t.c.case_id.in_(ids[i : i + IN_CHUNK]))
                out.update((r.case_id, concern_row(r)) for r in conn.execute(q))
        return out

    def audit_run_extent(self, run_id: str) -> tuple[int, int, int]:
        """(events, last sequence number, last sequence number of an event other than a
        ``seal``) of the run; 0 for what it does not have."""
        t = schema.audit_events
        q = select(func.count(), func.max(t.c.seq)).where(t.c.run_id == run_id)
        unsealed = select(func.max(t.c.seq)).where(t.c.run_id == run_id, t.c.kind != "seal")
        with self.engine.connect() as conn:
            n, last = conn.execute(q).one()
            last_unsealed = conn.execute(unsealed).scalar()
        return int(n), int(last or 0), int(last_unsealed or 0)

    def audit_events_at(self, seqs: Iterable[int]) -> dict[int, AuditEvent]:
        """The events with these sequence numbers (absent ones left out), by sequence number."""
        t = schema.audit_events
        wanted = sorted(set(seqs))
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.seq.in_(wanted))).all() if wanted else []
        return {int(r.seq): _event(r) for r in rows}

    def audit_event_runs(self) -> set[str]:
        """Every run id that has at least one event."""
        e = schema.audit_events
        with self.engine.connect() as conn:
            return set(conn.execute(select(e.c.run_id).distinct()).scalars())

    def iter_audit_row_checks(self, run_id: str, family: str) -> Iterator[RowCheck]:
        """Each case, reply or verdict row (``family``) of the run with the latest event of its
        ref, streamed (``medtrust.store._audit_rows``)."""
        r = schema.runs
        with self.engine.connect() as conn:
            config = conn.execute(select(r.c.config).where(r.c.id == run_id)).scalar()
        sampling = sampling_of(config) if config is not None else None
        yield from iter_row_checks(self.engine, run_id, family, sampling)

    def audit_live_refs(self, run_id: str, family: str) -> int:
        """How many case, reply or verdict refs of the run must have a row (their latest event
        is not a deletion)."""
        return count_live(self.engine, run_id, family)

    def audit_rowless_events(self, run_id: str, family: str) -> list[AuditEvent]:
        """Latest case, reply or verdict events whose row is missing, in chain order."""
        return rowless_events(self.engine, run_id, family)

    def audit_events_for(self, case_id: str, run_id: str | None = None) -> list[AuditEvent]:
        """Events about one case (generated, replies, verdicts), in chain order."""
        t = schema.audit_events
        q = select(t).where(
            (t.c.ref == case_id) | t.c.ref.startswith(f"{case_id}/", autoescape=True)
        )
        if run_id is not None:
            q = q.where(t.c.run_id == run_id)
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(q.order_by(t.c.seq))]

    def audit_head(self) -> tuple[int, str]:
        """(seq, hash) of the chain head as recorded."""
        h = schema.audit_head
        with self.engine.connect() as conn:
            row = conn.execute(select(h.c.seq, h.c.hash).where(h.c.id == 1)).first()
        return (int(row.seq), str(row.hash)) if row else (-1, "")

    def audit_seals(self, run_id: str) -> list[Seal]:
        """Signed roots of a run, smallest tree first."""
        t = schema.audit_seals
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.size)).all()
        return [Seal(**r._asdict()) for r in rows]

    def audit_secret(self, run_id: str) -> bytes | None:
        """The run's salt key (owner-side secret), or ``None`` if it is gone."""
        t = schema.audit_secrets
        with self.engine.connect() as conn:
            hexed = conn.execute(select(t.c.secret).where(t.c.run_id == run_id)).scalar()
        try:
            return None if hexed is None else bytes.fromhex(hexed)
        except ValueError:
            return None

    def audit_payload(self, seq: int) -> tuple[bool, Any]:
        """(found, content) of a free-standing event's stored content.

        A ``review`` event's content is its row in ``reviews`` (found by the event's sequence
        number), so editing or deleting a review breaks verification like any other row.
        """
        t = schema.audit_payloads
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.content).where(t.c.seq == seq)).first()
            if row is not None:
                return True, row.content
            rv = schema.reviews
            review = conn.execute(select(rv).where(rv.c.audit_seq == seq)).first()
        return (False, None) if review is None else (True, review_content(review._mapping))

    def audit_run_ids(self) -> list[str]:
        """Every run that has events or a row."""
        e, r = schema.audit_events, schema.runs
        with self.engine.connect() as conn:
            ids = set(conn.execute(select(e.c.run_id).distinct()).scalars())
            ids.update(conn.execute(select(r.c.id)).scalars())
            for t in (schema.review_users, schema.review_tokens, schema.review_sessions):
                if conn.execute(select(t).limit(1)).first() is not None:
                    ids.add(ACCOUNTS_RUN)  # account rows written around the trail show too
                    break
        return sorted(ids)

    def audit_state(
        self, run_id: str, case_commitments: dict[str, str], *, rows: bool = True
    ) -> dict[tuple[str, str], Any]:
        """What the run's rows say now, as the content their latest events must commit to.

        Keys are ``(family, ref)``; replies cite their case's commitment from
        ``case_commitments`` (the latest ``case`` events). ``rows=False`` leaves out the cases,
        replies and verdicts (the families that grow with the run, which the verifier streams
        with :meth:`iter_audit_row_checks`).
        """
        out: dict[tuple[str, str], Any] = {}
        t = schema
        with self.engine.connect() as conn:
            run = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).first()
            sampling = None
            if run is not None:
                out[("run", run_id)] = run_content(run._mapping)
                out[("status", run_id)] = status_content(run.status)
                sampling = sampling_of(run.config)
            if rows:
                out.update(self._row_state(conn, run_id, case_commitments, sampling))
            q = select(t.audit_seals).where(t.audit_seals.c.run_id == run_id)
            for r in conn.execute(q):
                out[("seal", str(r.size))] = seal_content(r._mapping)
            out.update(self._orphan_reviews(conn, run_id))
            ra, rr = t.review_assignments, t.review_runs
            for r in conn.execute(select(ra).where(ra.c.run_id == run_id)):
                out[("assignment", r.user)] = assignment_content(r._mapping)
            for r in conn.execute(select(rr).where(rr.c.run_id == run_id)):
                out[("redaction", r.run_id)] = redaction_content(r._mapping)
            if run_id == ACCOUNTS_RUN:
                for r in conn.execute(select(t.review_users)):
                    out[("account", r.name)] = account_content(r._mapping)
                for r in conn.execute(select(t.review_tokens)):
                    out[("token", r.token_hash)] = token_content(r._mapping)
                for r in conn.execute(select(t.review_sessions)):
                    out[("session", r.sid_hash)] = session_content(r._mapping)
        return out

    @staticmethod
    def _row_state(
        conn: Connection, run_id: str, case_commitments: dict[str, str], sampling: Any
    ) -> dict[tuple[str, str], Any]:
        t, out = schema, {}
        for r in conn.execute(select(t.cases).where(t.cases.c.run_id == run_id)):
            out[("case", r.case_id)] = case_content(r._mapping)
        for r in conn.execute(select(t.replies).where(t.replies.c.run_id == run_id)):
            out[("reply", reply_ref(r.case_id, r.sample))] = reply_content(
                r._mapping, case_commitments.get(r.case_id), sampling
            )
        for r in conn.execute(select(t.verdicts).where(t.verdicts.c.run_id == run_id)):
            out[("verdict", verdict_ref(r.case_id, r.judge))] = verdict_content(r._mapping)
        return out

    def iter_audit_cache_rows(self, *, batch: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """The response cache's entries as :meth:`audit_cache_rows` gives them, in key order,
        one list of at most ``batch`` per query (keyset on the key)."""
        c = schema.cache
        cols = [c.c[n] for n in ("key", "text", "digest", "audit_seq") if n in c.c]
        for rows in keyset_batches(self.engine, select(*cols), (c.c.key,), batch):
            yield [dict(r._mapping) for r in rows]

    def audit_cache_rows(self) -> list[dict[str, Any]]:
        """Every response-cache entry as (key, text, digest, audit_seq): what verification
        checks against the digests the ``cache`` events committed to."""
        c = schema.cache
        cols = [c.c[n] for n in ("key", "text", "digest", "audit_seq") if n in c.c]
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(c.c.key))]

    @staticmethod
    def _orphan_reviews(conn: Connection, run_id: str) -> dict[tuple[str, str], Any]:
        """Review rows with no ``review`` event of their own (written around the trail).

        A review's content is checked through its event (:meth:`audit_payload`); a row that no
        event names is returned here, where the verifier reports a row without an event.
        """
        rv, ev = schema.reviews, schema.audit_events
        q = select(rv).where(rv.c.run_id == run_id)
        named = {
            (r.seq, r.ref)
            for r in conn.execute(
                select(ev.c.seq, ev.c.ref).where(ev.c.run_id == run_id, ev.c.kind == "review")
            )
        }
        return {
            ("review", review_ref(r.case_id, r.id)): review_content(r._mapping)
            for r in conn.execute(q)
            if (r.audit_seq, review_ref(r.case_id, r.id)) not in named
        }
