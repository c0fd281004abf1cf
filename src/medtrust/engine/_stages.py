"""The stage loop of a run: baseline cases, then attack rounds, each called, stored and judged.

The driver keeps this loop (and the store and audit chain); the engine's scheduler, or a pool of
Ray replicas standing in for the target, makes the calls. Judges read stored replies only, so a
stage can be re-judged without calling the target again.

Memory stays flat whatever the run's size: a stage's cases go through in windows of
:data:`WINDOW` (stored, called, judged, then dropped), judges read the replies of their window
only, and a probe plans its next round from store-backed views of its own cases and verdicts
(``_views``). What stays in memory per case is one 64-bit hash of its id, so that a case met
twice in one invocation is asked and judged once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

from medtrust._prefetch import Prefetch
from medtrust.config import RunConfig
from medtrust.engine._retry import RetryPolicy
from medtrust.engine._scheduler import ExecStats, Scheduler, Window, case_samples
from medtrust.engine._storeio import StoreWorker
from medtrust.engine._views import probe_views
from medtrust.judges import judges
from medtrust.probes import Probe, probes
from medtrust.probes._guard import component_code, followups_of
from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store
from medtrust.targets import ChatTarget

MAX_STAGES = 8
"""Attack rounds after the baseline; a probe stops earlier by returning no follow-ups."""
WINDOW = 512
"""Cases stored, called and judged together (a stage's first window is smaller: see
:func:`_stage`). Windows are pipelined, so the pool does not drain at a window's end; a small
window means that little is left to judge after the last reply, at a few queries per window
(``bench/README.md``, 15.7)."""

StageHook = Callable[[str, int], Callable[[int], None]]
"""``hook(stage_label, n_requests)`` -> a callback advanced by 1 per finished request."""


def judge_cases(
    cases: Sequence[Case], probe_by_name: dict[str, Probe], store: Store, run_id: str
) -> dict[str, Verdict]:
    """Judge cases from their stored replies (never calls the target) and persist verdicts."""
    replies = store.replies_for(run_id, (c.id for c in cases))
    out = dict(_judgements(cases, probe_by_name, replies))
    store.put_verdicts(run_id, out.values())
    return out


STOP_WAIT_S = 5.0
"""Longest a stopped run waits for the store thread to finish the work handed over to it."""
JUDGE_SLICE_S = 0.02
"""Longest the stage loop judges inline (an in-memory store: no store thread) before it lets
the event loop serve the calls in flight."""


async def _judge_window(
    cases: Sequence[Case], probe_by_name: dict[str, Probe], store: Store, run_id: str,
    io: StoreWorker,
) -> None:
    """:func:`judge_cases` while the next window's calls are in flight, in the store thread
    (``_storeio``: the event loop keeps reading replies). Inline, the event loop gets a turn at
    least every :data:`JUDGE_SLICE_S` (and after each case of a slow judge, e.g. an LLM judge),
    so that no call times out waiting for the judges."""
    if io.threaded:
        await io.run(judge_cases, cases, probe_by_name, store, run_id)
        return
    replies = store.replies_for(run_id, (c.id for c in cases))
    out: dict[str, Verdict] = {}
    turn = time.monotonic()
    for case_id, verdict in _judgements(cases, probe_by_name, replies):
        out[case_id] = verdict
        if time.monotonic() - turn > JUDGE_SLICE_S:
            # a short sleep, not sleep(0): the replies that arrived meanwhile are read and their
            # workers resumed (one more loop iteration) before the judges go on
            await asyncio.sleep(0.001)
            turn = time.monotonic()
    store.put_verdicts(run_id, out.values())


def _store_window(store: Store, run_id: str, window: list[Case]) -> set[tuple[str, int]]:
    """Store a window's cases; (case id, sample) of those already answered (a resume)."""
    store.add_cases(run_id, window)
    return store.answered(run_id, (c.id for c in window))


def _judgements(
    cases: Sequence[Case], probe_by_name: dict[str, Probe], replies: dict[str, list[Reply]]
) -> Iterator[tuple[str, Verdict]]:
    """(case id, verdict) of each case, judged from ``replies`` in order."""
    instances: dict[str, Any] = {}
    for case in cases:
        judge_name = probe_by_name[case.probe].judge
        # a judge that crashes is one line naming it and the case, never a traceback
        with component_code(judges, judge_name, f"judging case {case.id}"):
            judge = instances.get(judge_name) or instances.setdefault(
                judge_name, judges.get(judge_name)()
            )
            verdict = judge(case, replies.get(case.id, []))
        yield case.id, verdict


def _in_focus(config: RunConfig, case: Case) -> bool:
    """Whether a stage-0 case is of a focused item (every case when its probe is unfocused)."""
    focus = config.focus.get(case.probe)
    return focus is None or case.item_id in focus


def _windows(cases: Iterable[Case], seen: set[int], first: int = WINDOW) -> Iterator[list[Case]]:
    """``cases`` in windows of :data:`WINDOW` (the first of at most ``first``), without those
    already met in this invocation."""
    it = iter(cases)
    size = max(1, min(first, WINDOW))
    while window := list(islice(it, size)):
        size = WINDOW
        fresh = []
        for c in window:
            h = hash(c.id)
            if h not in seen:
                seen.add(h)
                fresh.append(c)
        if fresh:
            yield fresh


def _followups(plist: list[Probe], stage: int, store: Store, run_id: str) -> Iterator[Case]:
    """Every probe's cases for ``stage``, each probe reading only its own cases and verdicts
    (probes that never follow up are not asked)."""
    for p in plist:
        if type(p).followups is Probe.followups:
            continue
        cases, verdicts = probe_views(store, run_id, p.name)
        yield from followups_of(p, stage, cases, verdicts)  # a crash: one line, exit 2


class _Baseline:
    """Stage 0 when a probe streams its cases (``Probe.cases`` returned a lazy sequence): every
    probe's cases in turn, focus applied, generated as they are consumed."""

    def __init__(
        self, names: list[str], parts: list[Sequence[Case]], config: RunConfig
    ) -> None:
        self._names, self._parts, self._config = names, parts, config

    def __len__(self) -> int:
        n = 0
        for name, part in zip(self._names, self._parts, strict=True):
            with component_code(probes, name, "counting its cases"):
                n += len(part)
        return n

    def __iter__(self) -> Iterator[Case]:
        for name, part in zip(self._names, self._parts, strict=True):
            with component_code(probes, name, "making its cases"):
                yield from (c for c in part if _in_focus(self._config, c))


def _baseline(
    plist: list[Probe], config: RunConfig, built: Sequence[Sequence[Case] | None] | None
) -> Iterable[Case]:
    """Stage 0: one list (as always) unless a probe streams its cases. ``built[i]``, when not
    None, is probe ``i``'s stage-0 cases already made (by the up-front check), used as they are
    rather than made again."""
    parts: list[Sequence[Case]] = []
    for p, b in zip(plist, built or [None] * len(plist), strict=True):
        with component_code(probes, p.name, "making its cases"):
            parts.append(b if b is not None else p.cases())
    if all(isinstance(part, list) for part in parts):
        return [c for part in parts for c in part if _in_focus(config, c)]
    return _Baseline([p.name for p in plist], parts, config)


def _settle(cases: Iterator[Case], cap: int = 16 * WINDOW) -> Iterable[Case]:
    """A round's follow-ups as a list when there are at most ``cap`` (its progress total is
    then exact), else the first ``cap`` followed by the rest as they are generated."""
    head = list(islice(cases, cap))
    if len(head) < cap:
        return head
    return chain(head, cases)


def _todo(cases: Iterable[Case], samples: int, store: Store, run_id: str) -> int | None:
    """Requests a stage will send (answered ones left out) when the stage's cases are a list;
    for a streamed baseline its size times ``samples`` (it is not walked twice); None for
    follow-ups, whose number is known only at their end."""
    if isinstance(cases, _Baseline):
        return len(cases) * samples
    if not isinstance(cases, list):
        return None
    want = sum(case_samples(c, samples) for c in cases)
    if not store.has_replies(run_id):
        return want
    done = 0
    for i in range(0, len(cases), WINDOW):
        done += len(store.answered(run_id, (c.id for c in cases[i : i + WINDOW])))
    return want - done


async def _stage(
    cases: Iterable[Case],
    *,
    label: str,
    config: RunConfig,
    run_id: str,
    target: ChatTarget,
    store: Store,
    by_name: dict[str, Probe],
    hook: StageHook | None,
    stats: ExecStats,
    seen: set[int],
    prefetch: Prefetch | None,
    io: StoreWorker,
) -> int:
    """Store, call and judge one stage's cases window by window; returns how many there were.

    Pipelined: window ``k + 1`` is stored and queued while window ``k`` is being answered, and
    window ``k`` is judged while ``k + 1`` is, so the calls in flight cover the store and the
    judges; the first window is small (:func:`_windows`) so that the first call goes out as
    soon as its cases are stored. At most two windows are held."""
    samples = config.effective_samples
    todo = _todo(cases, samples, store, run_id)
    advance = hook(label, todo if todo is not None else 0) if hook else None
    n = 0
    inflight: deque[tuple[list[Case], Window]] = deque()
    pool = Scheduler(
        target=target, samples=samples, params=config.suite.sampling, store=store,
        run_id=run_id, concurrency=config.concurrency, timeout_s=config.timeout_s,
        retry=RetryPolicy(max_retries=config.max_retries), use_cache=config.use_cache,
        progress=advance, seed=config.seed, io=io,
    )  # fmt: skip

    async def judge_oldest() -> None:
        window, handle = inflight.popleft()
        await pool.wait(handle)
        await _judge_window(window, by_name, store, run_id, io)

    try:
        for window in _windows(cases, seen, first=2 * config.concurrency):
            n += len(window)
            done = await io.run(_store_window, store, run_id, window)
            handle = await pool.submit(window, done)
            inflight.append((window, handle))
            await pool.answering(handle)  # its calls go out before the next window is stored
            if len(inflight) > 1:
                await judge_oldest()
        while inflight:
            if len(inflight) == 1 and prefetch is not None:
                # every call left is in flight: the idle wait readies what comes next (imports
                # of the summary and report, in a thread), done before anything else runs here
                prefetch.start()
                try:
                    await pool.wait(inflight[0][1])
                finally:  # also when the calls failed: nothing else runs beside the thread
                    prefetch.join()
            await judge_oldest()
    except BaseException:
        await pool.aclose(STOP_WAIT_S)  # stopped: a stuck store job does not hold the stop up
        raise
    else:
        await pool.aclose()
    finally:
        stats.merge(pool.stats)
    return n


async def run_stages(
    config: RunConfig,
    run_id: str,
    target: ChatTarget,
    store: Store,
    plist: list[Probe],
    hook: StageHook | None,
    stats: ExecStats,
    baseline: Sequence[Sequence[Case] | None] | None = None,
    prefetch: Prefetch | None = None,
) -> None:
    """Run the baseline and up to :data:`MAX_STAGES` attack rounds of ``plist`` into ``run_id``,
    adding what the engine did to ``stats``; calls lost with a Ray replica are also stored as
    the run's ``lost_calls`` counter. Closes ``target`` at the end, whatever happens.

    ``baseline`` (one entry per probe of ``plist``): stage-0 cases the caller already made,
    so that they are not made twice (None entries are made here, from ``Probe.cases``).
    ``prefetch``: started while the first stage waits for its last calls (and joined before
    anything else runs), so what the caller needs after the run is imported during that idle
    wait rather than after the last reply."""
    by_name = {p.name: p for p in plist}
    seen: set[int] = set()
    io = StoreWorker(store)  # the stages' store work, beside the event loop
    lost_before = stats.lost_calls
    stage = 0
    try:
        cases = _baseline(plist, config, baseline)
        while True:
            label = "baseline" if stage == 0 else f"attack round {stage}"
            n = await _stage(
                cases, label=label, config=config, run_id=run_id, target=target, store=store,
                by_name=by_name, hook=hook, stats=stats, seen=seen,
                prefetch=prefetch if stage == 0 else None, io=io,
            )
            stage += 1
            if not n or stage > MAX_STAGES:
                break
            cases = _settle(_followups(plist, stage, store, run_id))
    except BaseException:
        # stopped (Ctrl-C, a failure): the writes handed over are kept, but a job stuck in
        # the store thread (an LLM judge waiting for its model) does not hold the stop up
        io.close(STOP_WAIT_S)
        raise
    else:
        io.close()  # every write handed over is done before the store is used here again
    finally:
        store.add_run_counts(run_id, {"lost_calls": stats.lost_calls - lost_before})
        await target.aclose()
