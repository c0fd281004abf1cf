"""An Inspect AI ``.eval`` log read back as a medtrust run (``medtrust import inspect LOG``).

Each sample of a dataset written by :func:`~medtrust.interop.write_dataset` carries its whole
medtrust case in ``metadata.medtrust_case``; the sample's output is the reply (sample ``epoch``
k is reply sample k-1; a sample that errored is a reply error, never scored). The target is not
called: the cases, replies and verdicts of the registered judges are written to the store as a
run (suite ``inspect:TASK``, target ``inspect:MODEL``), sealed in the audit chain like any run,
so ``report``, ``gate``, ``review`` and ``audit verify`` work on it. Samples are streamed
(``read_eval_log_samples``), so memory does not grow with the log.

Cases are judged stage by stage like a run's: an attacked case exported before its control was
judged (an open-ended attack, whose failure is a drop from its control's rubric score) is first
completed from its control's verdict (the probe's ``rebase``). An attacked case a run would
not have sent (a multiple-choice attack on a control the target got wrong, an open-ended attack
on a control with no score) is left out, never judged or counted: the export lists every
attack because it cannot know the answers, and counting them would make an imported run's
rates differ from a native run's. (A cognitive-bias run also primes an item answered wrong,
pushed away from that wrong answer too: a prompt that a listing made before the answers cannot
hold, so those are left out as well.) The count left out is the run's ``imported_not_sent``
counter (a summary warning). Once the run is done, the concern trigger a run applies
(``review.trigger_review``) queues its concerning cases for review.

The samples' ``metadata.medtrust_run`` (written by ``cases export``) gives the run's seed and
each probe's params: the probes are rebuilt with them (``ProbeContext(seed=...)``) and the run
config records them, so the imported run's summary (pass mark, margin, bootstrap and risk
intervals) is the native run's. A log without it (an older export) uses the defaults. ``judge``
(``import inspect --judge``) replaces the grader the export recorded.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from medtrust.config import ProbeSpec, RunConfig, Suite
from medtrust.engine import judge_cases
from medtrust.errors import ConfigError, MedtrustError
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.records import Case, Reply, RunInfo, Verdict
from medtrust.store import Store

__all__ = ["import_log"]


def _case(sample: Any, where: str) -> Case:
    raw = (sample.metadata or {}).get("medtrust_case")
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where}: no 'medtrust_case' in the sample's metadata; only datasets written by "
            "`medtrust cases export --format inspect` can be imported"
        )
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{where}: metadata.medtrust_case.{'.'.join(map(str, err['loc']))}: "
                          f"{err['msg']}") from None  # fmt: skip
    again = Case.make(
        axis=case.axis,
        probe=case.probe,
        operator=case.operator,
        role=case.role,
        messages=case.messages,
        gold=case.gold,
        parent_id=case.parent_id,
    )
    if again.id != case.id:  # the id is a content hash: an edited case is another case
        raise ConfigError(f"{where}: metadata.medtrust_case does not match its id {case.id!r}")
    return case


def _run_meta(sample: Any, where: str, seen: dict[str, Any] | None) -> dict[str, Any] | None:
    """The sample's ``medtrust_run`` ({seed, suite, probes}); every sample must agree."""
    raw = (sample.metadata or {}).get("medtrust_run")
    if raw is None:
        return seen
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("seed"), int)
        or not isinstance(raw.get("probes", {}), dict)
    ):
        raise ConfigError(f"{where}: metadata.medtrust_run must be {{seed: int, probes: {{...}}}}")
    if seen is not None and raw != seen:
        raise ConfigError(
            f"{where}: metadata.medtrust_run differs from the first sample's (samples of two "
            "exports with other seeds or params mixed in one log)"
        )
    return dict(raw)


def _with_judge(case: Case, judge: str | None) -> Case:
    """The case graded by ``judge`` instead of its recorded grader (meta is not in the id)."""
    if judge is None or "grader" not in case.meta:
        return case
    return case.model_copy(update={"meta": {**case.meta, "grader": judge}})


def _gradable(case: Case, where: str) -> None:
    """The stand-in grader needs every criterion's keywords (as ``run`` checks up front)."""
    from medtrust.judges._stand_in import require_keywords

    require_keywords(str(case.meta.get("grader") or ""), case.gold.get("rubric") or [], where)


def _reply(sample: Any, case_id: str) -> Reply:
    index = max(0, int(getattr(sample, "epoch", 1) or 1) - 1)
    if sample.error is not None:
        return Reply(case_id=case_id, sample=index, error=f"inspect: {sample.error.message}")
    text = sample.output.completion if sample.output is not None else ""
    if not text:
        return Reply(case_id=case_id, sample=index, error="inspect: empty output")
    return Reply(case_id=case_id, sample=index, text=text)


def _samples(path: Path) -> Iterator[Any]:
    from inspect_ai.log import read_eval_log_samples

    try:
        yield from read_eval_log_samples(str(path), all_samples_required=False)
    except MedtrustError:
        raise
    except Exception as exc:  # Inspect raises several kinds for a damaged log
        raise ConfigError(f"{path}: cannot read the log's samples: {exc}") from None


def _header(path: Path) -> Any:
    from inspect_ai.log import read_eval_log

    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        return read_eval_log(str(path), header_only=True)
    except Exception as exc:  # not a zip, not JSON, an unknown version...
        raise ConfigError(f"{path}: not an Inspect AI log ({type(exc).__name__}: {exc})") from None


def _params(
    run: dict[str, Any] | None, names: list[str], judge: str | None
) -> dict[str, dict[str, Any]]:
    """Each probe's params: the export's, with ``judge`` where the probe declares one."""
    given = (run or {}).get("probes") or {}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        p = dict(given.get(name) or {})
        if judge is not None:
            try:
                declares = "judge" in probes.get(name).Params.model_fields
            except LookupError:  # an unknown probe is reported with the log's name below
                declares = False
            if declares:
                p["judge"] = judge
        out[name] = p
    return out


def import_log(path: Path, store: Store, *, judge: str | None = None) -> RunInfo:
    """Load the Inspect log at ``path`` into ``store`` as a finished, judged run; return it.

    ``judge`` (a grader spec, as ``run --judge``) replaces the grader the export recorded.

    Raises ``ConfigError`` (one line naming the log, and the sample where one is at fault) for
    a file that is not an Inspect log, a sample without medtrust metadata or whose case was
    edited, a probe medtrust does not know, or a log with no samples. Nothing is written to
    the store unless every sample was read.
    """
    header = _header(path)
    cases: dict[str, Case] = {}
    replies: list[Reply] = []
    run: dict[str, Any] | None = None
    for sample in _samples(path):
        where = f"{path}: sample {sample.id!r}"
        case = _with_judge(_case(sample, where), judge)
        _gradable(case, where)
        run = _run_meta(sample, where, run)
        cases.setdefault(case.id, case)
        replies.append(_reply(sample, case.id))
    if not cases:
        raise ConfigError(f"{path}: the log has no samples")
    seed = int(run["seed"]) if run else 0
    params = _params(run, sorted({c.probe for c in cases.values()}), judge)
    plist: dict[str, Probe[Any]] = {}
    for name, p in params.items():
        try:
            plist[name] = probes.get(name)(ctx=ProbeContext(seed=seed), params=p)
        except LookupError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except ConfigError as exc:  # params the probe rejects: name the log
            raise ConfigError(f"{path}: metadata.medtrust_run: {exc}") from None
    if judge is not None:
        from medtrust.plan import check_judge_specs

        check_judge_specs(list(plist.values()))  # resolves the spec, calls nothing
    spec = header.eval
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    suite = Suite(
        name=f"inspect:{spec.task}",
        description=f"Imported from Inspect log {path.name} (sha256 {digest}, eval "
        f"{spec.eval_id}, task {spec.task}, model {spec.model}); replies from the log.",
        probes=[ProbeSpec(name=n, params=params[n]) for n in plist],
    )
    config = RunConfig(suite=suite, target=f"inspect:{spec.model}", seed=seed)
    run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    store.create_run(
        run_id,
        suite=suite.name,
        target=config.target,
        seed=config.seed,
        config=config.model_dump(mode="json"),
    )
    try:
        left_out = _judge_by_stage(sorted(cases.values(), key=lambda c: (c.stage, c.id)),
                                   replies, plist, store, run_id)  # fmt: skip
        store.add_run_counts(run_id, {"imported_not_sent": left_out})
    except BaseException:
        store.set_status(run_id, "failed")
        raise
    store.set_status(run_id, "done")
    # what a run does once its last verdict is in (api's run): the concern trigger (issue 18)
    # queues the concerning cases for review, assigns reviewers and records it in the audit
    from medtrust.review import trigger_review

    trigger_review(store, run_id)
    return store.get_run(run_id)


@runtime_checkable
class _Rebases(Protocol):
    """A probe whose attacked cases are exported before their control is judged and completed
    from its verdict (``probes.open_ended.rubric``: the control's rubric score)."""

    def rebase(self, case: Case, control: Verdict | None) -> Case: ...


def _judge_by_stage(
    ordered: list[Case], replies: list[Reply], plist: dict[str, Probe[Any]], store: Store,
    run_id: str,
) -> int:
    """Store and judge the cases stage by stage, as a run does: a later stage's case is first
    completed from its parent's verdict (``rebase``), so that it is the case a run would have
    sent, its reply moved to the completed case's id; a case whose parent a run would not have
    followed up (the probe's ``follows_up``) is left out. Returns how many were left out."""
    verdicts: dict[str, Verdict] = {}
    left_out = 0
    by_case: dict[str, list[Reply]] = {}
    for r in replies:
        by_case.setdefault(r.case_id, []).append(r)
    for _, group in groupby(ordered, key=lambda c: c.stage):
        stage: list[Case] = []
        for case in group:
            p = plist[case.probe]
            if case.parent_id is not None and not p.follows_up(verdicts.get(case.parent_id)):
                left_out += 1  # e.g. an attack on a control the target got wrong
                continue
            done = case
            if case.parent_id is not None and isinstance(p, _Rebases):
                done = p.rebase(case, verdicts.get(case.parent_id))
            if done.id != case.id:
                by_case[done.id] = [r.model_copy(update={"case_id": done.id})
                                    for r in by_case.pop(case.id, [])]
            stage.append(done)
        store.add_cases(run_id, stage)
        store.add_replies(run_id, [r for c in stage for r in by_case.get(c.id, [])])
        verdicts.update(judge_cases(stage, plist, store, run_id))
    return left_out
