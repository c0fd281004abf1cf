"""The stage loop of a run: baseline cases, then attack rounds, each called, stored and judged.

The driver keeps this loop (and the store and audit chain); the engine's scheduler, or a pool of
Ray replicas standing in for the target, makes the calls. Judges read stored replies only, so a
stage can be re-judged without calling the target again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from medtrust.config import RunConfig
from medtrust.engine._retry import RetryPolicy
from medtrust.engine._scheduler import ExecStats, case_samples, execute
from medtrust.judges import judges
from medtrust.probes import Probe
from medtrust.records import Case, Verdict
from medtrust.store import Store
from medtrust.targets import ChatTarget

MAX_STAGES = 8
"""Attack rounds after the baseline; a probe stops earlier by returning no follow-ups."""

StageHook = Callable[[str, int], Callable[[int], None]]
"""``hook(stage_label, n_requests)`` -> a callback advanced by 1 per finished request."""


def judge_cases(
    cases: Sequence[Case], probe_by_name: dict[str, Probe], store: Store, run_id: str
) -> dict[str, Verdict]:
    """Judge cases from their stored replies (never calls the target) and persist verdicts."""
    replies = store.replies(run_id)
    out: dict[str, Verdict] = {}
    instances: dict[str, Any] = {}
    for case in cases:
        judge_name = probe_by_name[case.probe].judge
        judge = instances.get(judge_name) or instances.setdefault(
            judge_name, judges.get(judge_name)()
        )
        out[case.id] = judge(case, replies.get(case.id, []))
    store.put_verdicts(run_id, out.values())
    return out


def _in_focus(config: RunConfig, case: Case) -> bool:
    """Whether a stage-0 case is of a focused item (every case when its probe is unfocused)."""
    focus = config.focus.get(case.probe)
    return focus is None or case.item_id in focus


async def run_stages(
    config: RunConfig,
    run_id: str,
    target: ChatTarget,
    store: Store,
    plist: list[Probe],
    hook: StageHook | None,
    stats: ExecStats,
) -> None:
    by_name = {p.name: p for p in plist}
    retry = RetryPolicy(max_retries=config.max_retries)
    samples = config.effective_samples
    all_cases: list[Case] = []
    seen: set[str] = set()
    verdicts: dict[str, Verdict] = {}
    new = [c for p in plist for c in p.cases() if _in_focus(config, c)]
    stage = 0
    try:
        while new:
            new = [c for c in new if not (c.id in seen or seen.add(c.id))]  # type: ignore[func-returns-value]
            store.add_cases(run_id, new)
            all_cases += new
            answered = {(cid, r.sample) for cid, rs in store.replies(run_id).items() for r in rs}
            label = "baseline" if stage == 0 else f"attack round {stage}"
            todo = sum(
                1 for c in new for s in range(case_samples(c, samples)) if (c.id, s) not in answered
            )
            advance = hook(label, todo) if hook else None
            done_stage = await execute(
                target=target,
                cases=new,
                samples=samples,
                params=config.suite.sampling,
                store=store,
                run_id=run_id,
                concurrency=config.concurrency,
                timeout_s=config.timeout_s,
                retry=retry,
                use_cache=config.use_cache,
                done=answered,
                progress=advance,
                seed=config.seed,
            )
            stats.merge(done_stage)
            verdicts.update(judge_cases(new, by_name, store, run_id))
            stage += 1
            if stage > MAX_STAGES:
                break
            new = [c for p in plist for c in p.followups(stage, all_cases, verdicts)]
    finally:
        await target.aclose()
