"""Comparison ids, and turning ``RUN_OR_COMPARISON_ID ...`` into stored runs.

A comparison id groups the runs of one ``medtrust run --target A --target B ...``. It lives in
each member run's stored configuration (``RunInfo.config["comparison_id"]``), so grouping needs
no column of its own and older stores need no migration.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.records import RunInfo
from medtrust.store import Store

PREFIX = "cmp-"


def new_comparison_id() -> str:
    """Sortable and unique, like a run id, and told apart from one by its ``cmp-`` prefix."""
    return f"{PREFIX}{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def comparison_of(info: RunInfo) -> str | None:
    """The comparison a run belongs to (None: it was run alone)."""
    value = (info.config or {}).get("comparison_id")
    return str(value) if value else None


def members(store: Store, comparison_id: str) -> list[RunInfo]:
    """The runs of a comparison (a unique prefix of its id is enough), oldest first.

    Raises :class:`NotFoundError` when no run carries that id, and when the prefix matches
    runs of several comparisons.
    """
    found: dict[str, list[RunInfo]] = {}
    for info in store.list_runs():
        cid = comparison_of(info)
        if cid and cid.startswith(comparison_id):
            found.setdefault(cid, []).append(info)
    if not found:
        raise NotFoundError(f"no comparison {comparison_id!r} in {store.url}")
    if len(found) > 1:
        raise NotFoundError(f"comparison id prefix {comparison_id!r} is ambiguous in {store.url}")
    (runs,) = found.values()
    return sorted(runs, key=lambda r: r.created_at)


def resolve(store: Store, refs: Sequence[str]) -> list[RunInfo]:
    """Runs named by run ids and comparison ids, in the order given, each once.

    Raises :class:`MedtrustError` for an unknown id, with the id in the message.
    """
    out: list[RunInfo] = []
    for ref in refs:
        if ref.startswith(PREFIX):
            found = members(store, ref)
        else:
            try:
                found = [store.get_run(ref)]
            except NotFoundError:
                try:
                    found = members(store, ref)
                except NotFoundError:
                    raise MedtrustError(f"no run or comparison {ref!r} in {store.url}") from None
        out += [r for r in found if all(r.id != o.id for o in out)]
    return out
