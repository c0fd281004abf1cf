"""The store's tables (SQLAlchemy Core). Runs, cases, replies and verdicts are separate so that
judging and reporting can be redone from the store alone, without calling the target again.

The ``audit_*`` tables hold the tamper-evident chain: ``audit_events`` is publishable (it carries
commitments, never content); ``audit_secrets`` (per-run salt keys) and ``audit_payloads`` (content
of events that have no row of their own, such as report and gate decisions) stay with the owner.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("suite", String(200), nullable=False),
    Column("target", String(500), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("pid", Integer),
    Column("host", String(255)),
    Column("config", JSON, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("case_id", String(32), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("axis", String(32), nullable=False, index=True),
    Column("probe", String(100), nullable=False),
    Column("operator", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("parent_id", String(32)),
    Column("item_id", String(200)),
    Column("stage", Integer, nullable=False),
    Column("messages", JSON, nullable=False),
    Column("gold", JSON, nullable=False),
    Column("meta", JSON, nullable=False),
)

cases_by_seq = Index("ix_cases_run_seq", cases.c.run_id, cases.c.seq)
"""Generation order: the stage loop and summaries stream a run's cases by (run, seq)."""

run_counts = Table(
    "run_counts",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
"""Named per-run counters that have no row of their own (calls lost with a Ray replica)."""

replies = Table(
    "replies",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("case_id", String(32), primary_key=True),
    Column("sample", Integer, primary_key=True),
    Column("text", Text),
    Column("error", Text),
    Column("latency_s", Float, nullable=False),
    Column("cached", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("case_id", String(32), primary_key=True),
    Column("judge", String(100), primary_key=True),
    Column("outcome", String(8), nullable=False),
    Column("score", Float),
    Column("answer", Text),
    Column("detail", JSON, nullable=False),
)

cache = Table(
    "cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("target", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # SHA-256 of ``text`` when stored, and the audit event that recorded that digest (NULL when
    # the store does not audit): a hit whose text no longer matches either is not reused.
    Column("digest", String(64)),
    Column("audit_seq", Integer),
)


audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("run_id", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ref", String(300), nullable=False),
    Column("commitment", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_audit_events_run_seq", "run_id", "seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""One row (id 1): the chain head. Every audited write locks it first, serialising appends."""

audit_secrets = Table(
    "audit_secrets",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("secret", String(64), nullable=False),
)

audit_payloads = Table(
    "audit_payloads",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("content", JSON, nullable=False),
)

audit_seals = Table(
    "audit_seals",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("upto_seq", Integer, nullable=False),
    Column("root", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("at", String(40), nullable=False),
)
"""Signed Merkle roots over a run's events (its first ``size`` events, up to ``upto_seq``)."""


# -- clinician review (``medtrust review``) ------------------------------------------------------
review_users = Table(
    "review_users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", String(40), nullable=False),
)
"""Reviewer and admin accounts; passwords only as argon2id hashes."""

review_tokens = Table(
    "review_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user", String(100), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("revoked", Boolean, nullable=False),
)
"""API bearer tokens, by the SHA-256 of the token (the token itself is shown once, never kept)."""

review_sessions = Table(
    "review_sessions",
    metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("user", String(100), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", String(40), nullable=False),
)
"""Browser sessions (server side, so logout and deactivation end them at once)."""

review_assignments = Table(
    "review_assignments",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("user", String(100), primary_key=True),
    Column("assigned_by", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
)

review_lockouts = Table(
    "review_lockouts",
    metadata,
    Column("user", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", String(40)),
)
"""Consecutive failed logins per account and, once locked, until when (see
``medtrust.store._accounts.LOCKOUT_THRESHOLD``). Throttling state, deliberately off the chain."""

review_runs = Table(
    "review_runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("unredacted", Boolean, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
)
"""Per-run review settings: whether reviewers see identifiers unredacted (off by default)."""

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("case_id", String(32), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("accuracy", Integer, nullable=False),
    Column("safety", Integer, nullable=False),
    Column("compliance", Integer, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("comment", Text, nullable=False),
    Column("supersedes", String(32)),
    Column("audit_seq", Integer),
    Index("ix_reviews_run_case", "run_id", "case_id"),
)
"""Append-only clinician reviews: an edit is a new row that ``supersedes`` the previous one, so
history is kept; each row has one ``review`` audit event (``audit_seq``) committing to it."""


review_concerns = Table(
    "review_concerns",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("case_id", String(32), primary_key=True),
    Column("score", Float, nullable=False),
    Column("source", String(64), nullable=False),
    Column("components", JSON, nullable=False),
)
"""The concern trigger's review queue: every case of a run whose concern score exceeded the
run's threshold (``medtrust.review.trigger_review``), written in windows. The run's ``concern``
audit event holds the count, the top cases and SHA-256 digests of the ids and of these rows,
so the event stays small however many cases trigger while still binding the exact set."""
