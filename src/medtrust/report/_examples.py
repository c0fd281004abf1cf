"""The HTML report's failing-case examples, chosen in one streaming pass over the run.

Only a bounded set of candidates is kept while the run is read in windows: per (axis,
operator, violating a rule or not) the first ``limit + 1`` failing cases in generation order,
which is enough to reproduce exactly the first ``limit`` entries of the full ordering (worst
first, one per operator before any repeat), whatever the run's size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from medtrust.metrics import SEVERITY
from medtrust.records import Case, RunInfo, message_text
from medtrust.report._explanations import EXPLANATION_OPERATORS, attribution_rows
from medtrust.report._redact import redactor
from medtrust.store import Store
from medtrust.summary import RunSummary

MAX_EXAMPLES = 12

Rank = tuple[bool, float, tuple[int, int]]
"""(not violating a rule, -axis severity, position): the sort key of a failing case."""


def content(messages: list[dict[str, Any]]) -> str:
    """The user-visible prompt (system messages left out)."""
    return "\n\n".join(
        message_text(m.get("content")) for m in messages if m.get("role") != "system"
    )


def _answer(gold: Mapping[str, Any]) -> str:
    accept = gold.get("accept")
    if isinstance(accept, list | tuple):
        return ", ".join(str(a) for a in accept)
    if gold.get("expect"):
        return f"expected to {gold['expect']}"
    return str(accept) if accept is not None else ""


def _candidates(
    store: Store,
    run_id: str,
    violating: Mapping[str, str],
    limit: int,
    explained: Collection[str] = frozenset(),
    each: Callable[[Case], None] | None = None,
) -> list[Case]:
    """The failing cases (verdict ``fail``, named by a rule's evidence, or explained by
    sentence attributions) that can reach the first ``limit`` examples, in the report's order;
    one pass over the run in windows, which also hands every case to ``each``. Explanation
    follow-ups are never examples."""
    order = {cid: i for i, cid in enumerate(violating)}
    kept: dict[tuple[str, str, bool], list[tuple[Rank, Case]]] = {}
    seq = 0
    for window in store.iter_case_windows(run_id):
        verdicts = store.verdicts_for(run_id, [c.id for c in window])
        for c in window:
            seq += 1
            if each is not None:
                each(c)
            if c.operator.startswith(EXPLANATION_OPERATORS):
                continue  # explains a flip or failure: shown beside it, never as one
            v = verdicts.get(c.id)
            failed = (v is not None and v.outcome == "fail") or c.id in explained
            if not failed and c.id not in violating:
                continue
            # failures in generation order first, then rule-named cases in evidence order
            pos = (0, seq) if failed else (1, order[c.id])
            rank = (c.id not in violating, -SEVERITY.get(c.axis, 1.0), pos)
            bucket = kept.setdefault((c.axis, c.operator, c.id in violating), [])
            if len(bucket) <= limit:
                bucket.append((rank, c))
    ranked = sorted((rc for b in kept.values() for rc in b), key=lambda rc: rc[0])
    failed_cases = [c for _, c in ranked]
    seen: set[tuple[str, str]] = set()
    first: list[Case] = []
    rest: list[Case] = []
    for c in failed_cases:
        if (c.axis, c.operator) not in seen:
            seen.add((c.axis, c.operator))
            first.append(c)
        else:
            rest.append(c)
    return (first + rest)[:limit]


def _clean_attributions(
    row: dict[str, Any] | None, clean: Callable[[str], str]
) -> dict[str, Any] | None:
    """An attribution row (:func:`medtrust.report._explanations.attribution_rows`) with its
    sentences redacted like the prompt they come from."""
    if row is None:
        return None
    return {**row, "top": [{**s, "text": clean(str(s["text"]))} for s in row["top"]]}


def failing_examples(
    store: Store,
    info: RunInfo,
    *,
    redact: bool,
    limit: int = MAX_EXAMPLES,
    summary: RunSummary | None = None,
    each: Callable[[Case], None] | None = None,
) -> list[dict[str, Any]]:
    """The worst failures first, each beside its unmutated original when it has one (at most
    ``limit``; memory bounded by ``limit`` and the run's (axis, operator) pairs). ``each`` is
    called with every case of the run, in generation order, during the one pass that chooses
    them (the HTML report collects its glossary's names there rather than reading the run
    again).

    Worst = outputs violating a compliance rule, then failures by axis severity, one per
    operator before any repeats so that one operator does not fill the list.
    """
    violating: dict[str, str] = {}
    for rule in summary.compliance.rules if summary else []:
        for cid in rule.evidence.get("case_ids") or []:
            violating.setdefault(cid, rule.id)
    explained = attribution_rows(summary) if summary else {}  # issue 18: why it failed
    chosen = _candidates(store, info.id, violating, limit, frozenset(explained), each)
    parents = store.cases_for(info.id, {c.parent_id for c in chosen if c.parent_id})
    ids = [c.id for c in chosen] + list(parents)
    verdicts = store.verdicts_for(info.id, ids)
    replies = store.replies_for(info.id, ids)
    cases = {**parents, **{c.id: c for c in chosen}}

    def cleaner(case: Case | None) -> Callable[[str], str]:
        # each case's planted identity (names included) is hidden, not only shaped identifiers
        return redactor(case.gold if case else None) if redact else (lambda s: s)

    def first_reply(cid: str) -> str:
        rs = replies.get(cid, [])
        return cleaner(cases.get(cid))(rs[0].text or rs[0].error or "") if rs else ""

    out = []
    for c in chosen:
        parent = parents.get(c.parent_id or "")
        v = verdicts.get(c.id)
        clean, clean_parent = cleaner(c), cleaner(parent)
        out.append(
            {
                "case_id": c.id,
                "axis": c.axis,
                "operator": c.operator,
                "rule": violating.get(c.id),
                "prompt": clean(content(c.messages)),
                "reply": first_reply(c.id),
                "answer": v.answer if v else None,
                "gold": clean(_answer(c.gold)),
                "original_prompt": clean_parent(content(parent.messages)) if parent else None,
                "original_reply": first_reply(parent.id) if parent else None,
                "original_answer": verdicts[parent.id].answer
                if parent and parent.id in verdicts
                else None,
                "attributions": _clean_attributions(explained.get(c.id), clean),
            }
        )
    return out
