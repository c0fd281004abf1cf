"""Sentence- and attribute-level attributions of each explained case (the summaries'
``attributions``): occlusion and Shapley values (:mod:`medtrust.probes._attribution`) from the
target's own answers to the coalition and occlusion follow-ups of a flipped fairness variant
or a failed robustness mutation.

The value of a coalition is the share of its sampled answers equal to the explained answer (the
flipped or wrong one); the full prompt's value comes from the explained case's own verdict. A
row whose plan misses a coalition (its prompt errored or no reader could read the reply) gets
``shapley: null`` and counts the missing ones: no estimate rather than a biased one. The
attribute-level attribution is that of the sentence carrying the demographic attribute
(fairness); a robustness row names its mutation operator as its attribute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from medtrust.probes._attribution import (
    Coalition,
    occlusion_from,
    plan,
    shapley_from,
    share,
)
from medtrust.records import Case, Verdict


def _votes(v: Verdict | None) -> list[str]:
    return [] if v is None or v.outcome == "error" else v.votes()


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def explain_one(variant: Case, children: Sequence[Case],
                verdicts: Mapping[str, Verdict]) -> dict[str, Any] | None:
    """The attribution row of one flipped variant from its follow-ups (None: no coalition)."""
    coal = [c for c in children if c.operator.startswith("coalition:")]
    if not coal:
        return None
    answer = str(coal[0].meta["explains"])
    spec = coal[0].meta["shapley"]
    n = int(spec["n"])
    full = frozenset(range(n))
    values: dict[Coalition, float] = {}
    if (v := share(_votes(verdicts.get(variant.id)), answer)) is not None:
        values[full] = v
    for c in children:
        if c.operator.startswith("occlude:"):
            sub = full - {int(c.meta["occluded"])}
        elif c.operator.startswith("coalition:"):
            sub = frozenset(int(i) for i in c.meta["coalition"])
        else:
            continue
        if (v := share(_votes(verdicts.get(c.id)), answer)) is not None:
            values.setdefault(sub, v)
    p = plan(n, int(spec["budget"]), seed=variant.id)
    phi = shapley_from(p, values)
    occl = occlusion_from(n, values)
    sentences = list(coal[0].meta.get("sentences") or variant.meta["sentences"])
    demo = variant.meta.get("demographic")
    total = sum(abs(x) for x in phi) if phi else 0.0
    attr_level = None
    if demo is not None and demo < n:
        attr_level = {
            "attribute": variant.meta.get("attribute"),
            "value": variant.meta.get("value"),
            "sentence": demo,
            "shapley": _r(phi[demo]) if phi else None,
            "occlusion": _r(occl[demo]),
            "share_of_total": _r(abs(phi[demo]) / total) if phi and total > 0 else None,
        }
    empty = values.get(frozenset())
    return {
        "variant": variant.id,
        "item": variant.item_id,
        "attribute": variant.meta.get("attribute") or variant.operator,
        "value": variant.meta.get("value"),
        "answer": answer,
        "method": p.method,
        "budget": p.budget,
        "orderings": len(p.perms) if p.method == "permutation" else None,
        "coalitions": len(p.coalitions),
        "missing": sum(s not in values for s in p.coalitions),
        "value_full": _r(values.get(full)),
        "value_empty": _r(empty),
        "sentences": [
            {"index": i, "text": sentences[i], "occlusion": _r(occl[i]),
             "shapley": _r(phi[i]) if phi else None}
            for i in range(n)
        ],
        "attribute_level": attr_level,
    }


def attribution_summary(cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> dict[str, Any]:
    """``{definition, rows: [explain_one ...], n}`` over every variant with coalition cases."""
    children: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        if c.operator.startswith(("occlude:", "coalition:")):
            children[str(c.parent_id)].append(c)
    # a second pass keeps only the explained variants, never a dict of every case of the run
    by_id = {c.id: c for c in cases if c.id in children}
    rows = []
    for vid, kids in sorted(children.items()):
        if vid in by_id and (row := explain_one(by_id[vid], kids, verdicts)) is not None:
            rows.append(row)
    return {
        "definition": "value of a set of sentences = share of the target's answers, asked the "
        "vignette with only those sentences (and the question), equal to the flipped answer; "
        "shapley: exact over all coalitions when 2**n <= budget, else permutation sampling "
        "(Castro et al. 2009) with budget // n orderings; occlusion: v(all) - v(all but one); "
        "attribute_level: the demographic sentence's values",
        "n": len(rows),
        "rows": rows,
    }
