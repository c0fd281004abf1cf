"""The drop of the open-ended controls' mean rubric score between a baseline run and a later one.

A failure rate under attack cannot see a target that got uniformly worse: halving every answer's
rubric score leaves every attacked score as far from its (lower) control as before. So the
regression gate on ``open_ended`` also compares the controls' rubric scores (HealthBench's score,
0-1) on the seed conversations both runs scored: the mean paired drop, its percentile bootstrap
interval (``metrics.bootstrap_mean_ci`` without bounds: the plain percentile bootstrap of the
paired differences, order-invariant and seeded) and a one-sided Wilcoxon
signed-rank test (``scipy.stats.wilcoxon``: paired, no normality assumed, as fits bounded
scores); errors are left out on either side, never counted as a 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from medtrust.metrics import bootstrap_mean_ci
from medtrust.records import Case, Verdict
from medtrust.store import Store


def judged(
    store: Store, run_id: str, *, window: int = 2000
) -> Iterator[tuple[Case, Verdict | None]]:
    """A stored run's cases in generation order with their verdicts, read ``window`` cases at
    a time (the memory bound is the window, not the run)."""
    for cases in store.iter_case_windows(run_id, batch=window):
        verdicts = store.verdicts_for(run_id, [c.id for c in cases])
        for c in cases:
            yield c, verdicts.get(c.id)


def last_verdicts(store: Store, run_id: str) -> Iterator[Verdict]:
    """A stored run's verdicts, one per case (the last judge in name order, as
    ``Store.verdicts`` keeps), streamed in case id order."""
    held: Verdict | None = None
    for v in store.iter_verdicts(run_id):
        if held is not None and held.case_id != v.case_id:
            yield held
        held = v
    if held is not None:
        yield held


def control_scores(pairs: Iterable[tuple[Case, Verdict | None]]) -> dict[str, float]:
    """``{probe|item: mean rubric score}`` of the scored open-ended controls (``gold`` with a
    ``pass_mark`` and a ``rubric``) among (case, verdict) pairs (a stored run: :func:`judged`);
    errored verdicts and verdicts without a score are left out; several samples of one item
    are averaged. The result holds one number per open-ended control item."""
    seen: dict[str, list[float]] = {}
    for c, v in pairs:
        if (
            c.role != "control"
            or "pass_mark" not in c.gold
            or not isinstance(c.gold.get("rubric"), list)
        ):
            continue
        if v is None or v.outcome == "error" or v.score is None:
            continue
        key = f"{c.probe}|{c.item_id if c.item_id is not None else c.id}"
        seen.setdefault(key, []).append(float(v.score))
    return {k: sum(s) / len(s) for k, s in seen.items()}


def graders(verdicts: Mapping[str, Verdict] | Iterable[Verdict]) -> dict[str, str]:
    """``{grader_key: grader spec}`` of the graders behind a run's open-ended verdicts, as the
    rubric judge records them in ``detail`` (the key hashes spec, prompt, sampling and grammar,
    so one spec with another prompt version is another grader); empty for a run without any."""
    out: dict[str, str] = {}
    for v in verdicts.values() if isinstance(verdicts, Mapping) else verdicts:
        spec = v.detail.get("grader")
        if spec:
            out[str(v.detail.get("grader_key") or spec)] = str(spec)
    return dict(sorted(out.items()))


def grader_names(found: Mapping[str, str]) -> str:
    """The graders for a message: each spec, with its key when one spec has several keys."""
    specs = list(found.values())
    return ", ".join(f"{s} ({k})" if specs.count(s) > 1 else s for k, s in found.items())


def grader_mismatch(
    before: Mapping[str, Verdict] | Iterable[Verdict],
    after: Mapping[str, Verdict] | Iterable[Verdict],
    a: str,
    b: str,
) -> str | None:
    """One line naming the graders when runs ``a`` and ``b`` both graded open-ended cases but
    not with the same grader(s); None otherwise. A rubric score or failure rate then changes
    with the grader, so a drop between the runs is no evidence about the target."""
    return mismatch_of(graders(before), graders(after), a, b)


def mismatch_of(ga: Mapping[str, str], gb: Mapping[str, str], a: str, b: str) -> str | None:
    """:func:`grader_mismatch` from each run's :func:`graders`."""
    if not ga or not gb or set(ga) == set(gb):
        return None
    return (f"open_ended: run {a} was graded by {grader_names(ga)} and run {b} by "
            f"{grader_names(gb)}: their rubric scores and failure rates are not comparable "
            "(grade both runs with the same --judge)")


def score_drop(
    before: Mapping[str, float], after: Mapping[str, float], *, seed: int = 0
) -> dict[str, Any] | None:
    """The paired drop ``before - after`` of the mean control score on the shared items:
    ``n``, ``mean_before``, ``mean_after``, ``drop`` (positive: worse), ``ci95`` of the drop
    (plain percentile bootstrap of the paired differences, unsmoothed: zero-width when every
    pair moved by the same amount, which is what the pairs show) and ``p_value``
    (one-sided Wilcoxon signed-rank, H1: scores dropped; 1.0 when no pair changed). None when
    no item was scored by both runs."""
    from scipy.stats import wilcoxon  # heavy; only for a gate with a baseline

    shared = sorted(set(before) & set(after))
    if not shared:
        return None
    diffs = [before[k] - after[k] for k in shared]
    # plain percentile bootstrap of the paired differences: no plus-four pseudo-values, which
    # would pull a uniform drop toward 0 (40 pairs all 0.1 lower gave a CI containing 0)
    ci = bootstrap_mean_ci(diffs, seed=seed)
    p = 1.0
    if any(abs(d) > 1e-12 for d in diffs):
        p = float(wilcoxon(diffs, alternative="greater", zero_method="wilcox").pvalue)
    n = len(shared)
    return {
        "n": n,
        "mean_before": round(sum(before[k] for k in shared) / n, 6),
        "mean_after": round(sum(after[k] for k in shared) / n, 6),
        "drop": round(sum(diffs) / n, 6),
        "ci95": None if ci is None else [round(ci[0], 6), round(ci[1], 6)],
        "p_value": p,
    }
