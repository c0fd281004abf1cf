"""``medtrust run``: its options, turned into one :class:`RunRequest`, handed to the API.

The command function only declares options (Typer reads them from its signature) and passes
them on; :func:`config_of` turns them into a :class:`~medtrust.config.RunConfig` through
:func:`medtrust.api.make_config`, and :func:`execute` calls :func:`medtrust.api.run` or
:func:`medtrust.api.resume` under a progress display and prints the result.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from medtrust import _cli_run_outcome as outcome
from medtrust._cli_run_options import (
    RAY_LOCAL,
    AttackerOpt,
    ConcernOpt,
    ConcurrencyOpt,
    DataOpt,
    DeclareOpt,
    FromFeedbackOpt,
    JudgeOpt,
    LimitOpt,
    MaxTokensOpt,
    NoCacheOpt,
    NoRedactOpt,
    OutOpt,
    PoliciesOpt,
    RayOpt,
    ReplicaCpusOpt,
    ReplicaGpusOpt,
    ReplicasOpt,
    ResumeOpt,
    RetriesOpt,
    SamplesOpt,
    SeedOpt,
    SuiteArg,
    TargetOpt,
    TemperatureOpt,
    TimeoutOpt,
    TrustWeightsOpt,
    WithBundledOpt,
)
from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.config import DEFAULT_SUITE, DEFAULT_TARGET, RunConfig
from medtrust.errors import ConfigError, MedtrustError

POLICIES_ENV = "MEDTRUST_POLICIES"
"""Extra policy folders (``os.pathsep``-separated), as for ``--policies``."""


@dataclass(kw_only=True)
class RunRequest:
    """Everything ``medtrust run`` was told, as typed values; its defaults are the command
    line's (``run``'s signature reads them from here)."""

    suite: str = DEFAULT_SUITE
    targets: list[str] = field(default_factory=list)
    db: str | None = None
    seed: int = 0
    limit: int | None = None
    samples: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    concurrency: int = 8
    timeout: float = 120.0
    retries: int = 5
    data: Path | None = None
    with_bundled: bool = False
    resume: str | None = None
    out: Path = Path("medtrust-report")
    no_cache: bool = False
    no_redact: bool = False
    declare: Path | None = None
    policies: list[Path] | None = None
    from_feedback: str | None = None
    attacker: str | None = None
    judge: str | None = None
    ray: str | None = None
    replicas: int = 1
    replica_cpus: float = 1.0
    replica_gpus: float = 0.0
    concern_threshold: float | None = None
    trust_weights: str | None = None
    json_out: bool = False


_D = RunRequest()
"""The defaults, which ``run``'s signature shows (``--help``) and takes: written once, here."""


def _check_combination(req: RunRequest) -> None:
    """Options that contradict each other: one line each, before anything is opened."""
    if req.from_feedback and req.resume:
        raise MedtrustError("--from-feedback starts a new run; it cannot be used with --resume")
    if req.from_feedback and (
        req.attacker or req.judge or req.targets or req.suite != DEFAULT_SUITE
    ):
        raise MedtrustError(
            "--from-feedback reuses the reviewed run's suite, target and settings; drop "
            "the suite argument and --target/--attacker/--judge"
        )
    if req.resume and len(req.targets) > 1:
        raise MedtrustError(
            "--resume takes one target: resume each member of a comparison by its run id "
            "(`medtrust runs` lists them)"
        )
    if req.ray is None and (req.replicas, req.replica_cpus, req.replica_gpus) != (
        _D.replicas, _D.replica_cpus, _D.replica_gpus,
    ):
        raise ConfigError("--replicas, --replica-cpus and --replica-gpus need --ray [ADDRESS]")


def ray_settings(req: RunRequest) -> dict[str, Any]:
    """The RunConfig fields of ``--ray`` / ``--replicas`` / ``--replica-cpus`` /
    ``--replica-gpus`` (``ray`` None: no Ray)."""
    return {
        "ray": req.ray,
        "replicas": req.replicas,
        "replica_cpus": req.replica_cpus,
        "replica_gpus": req.replica_gpus,
    }


def config_of(req: RunRequest, store: Any) -> RunConfig:
    """The configuration of a new run (``--from-feedback``: the reviewed run's, seeded from
    its flagged cases); raises :class:`ConfigError` naming the flag on bad values."""
    from medtrust import api

    weights = None
    if req.trust_weights is not None:
        try:
            a, b = (float(x) for x in req.trust_weights.split(","))
        except ValueError:
            raise ConfigError(
                f"--trust-weights {req.trust_weights!r}: expected ALPHA,BETA, e.g. 0.7,0.3"
            ) from None
        weights = (a, b)
    if req.from_feedback:
        config = api.feedback_config(store, req.from_feedback)
    else:
        config = _new_config(req)
    if req.concern_threshold is None and weights is None:
        return config  # the review stage is imported only when its settings are given
    from medtrust.review._concern import with_run_settings

    return with_run_settings(config, concern_threshold=req.concern_threshold,
                             trust_weights=weights)


def _new_config(req: RunRequest) -> RunConfig:
    """A new run's configuration from the command line (:func:`config_of` without feedback)."""
    from medtrust import api

    return api.make_config(
        req.suite,
        target=(req.targets or [DEFAULT_TARGET])[0],
        attacker=req.attacker,
        judge=req.judge,
        temperature=req.temperature,
        max_tokens=req.max_tokens,
        declare=req.declare,
        seed=req.seed,
        limit=req.limit,
        samples=req.samples,
        concurrency=req.concurrency,
        timeout_s=req.timeout,
        max_retries=req.retries,
        data=req.data,
        with_bundled=req.with_bundled,
        use_cache=not req.no_cache,
        **ray_settings(req),
    )


def note_missing_detectors(config: RunConfig) -> None:
    """Say so when the privacy axis runs without Presidio, rather than degrade silently."""
    if not any(p.name.startswith("privacy.") for p in config.suite.probes):
        return
    from medtrust.judges._presidio import available

    if not available():
        console.print(
            "[yellow]note:[/] Presidio is not installed (pip install 'medtrust[redteam]'): "
            "privacy leaks are detected by matching the planted identifiers only"
        )


def execute(req: RunRequest) -> None:
    """Run, resume or compare as ``req`` says, print the summary (``--json``: on stdout)."""
    from medtrust import api

    _check_combination(req)
    if req.policies or os.environ.get(POLICIES_ENV):
        # Policy packs are read only when the run is scored: a user's bad pack must stop it
        # before the first call, not after the last one. (The bundled packs are tested, so a
        # run without user packs does not pay for loading them twice.)
        from medtrust.policies import load_policies

        load_policies(req.policies)
    store = open_store(req.db)
    per_run = req.out.suffix.lower() != ".html"  # --out FILE.html: exactly that file
    output: dict[str, Any] = {
        "store": store,
        "out_dir": req.out,
        "per_run": per_run,
        "redact": not req.no_redact,
        "policy_dirs": req.policies,
    }
    since = outcome.now()
    try:
        if req.resume:
            result = _with_progress(lambda hook: api.resume(req.resume or "", hook=hook, **output))
        else:
            config = config_of(req, store)
            note_missing_detectors(config)
            if len(req.targets) > 1:  # a comparison: medtrust.compare runs the members
                _compare(config, req, store)
                return
            result = _with_progress(lambda hook: api.run(config, hook=hook, **output))
    except KeyboardInterrupt:  # what to do next depends on where the run stands now
        advice = outcome.interrupt_advice(
            store, since=since, run_id=req.resume,
            report_dir=lambda rid: req.out / rid if per_run else req.out,
        )  # fmt: skip
        console.print(advice, soft_wrap=True, highlight=False)
        raise typer.Exit(outcome.EXIT_INTERRUPTED) from None
    _print_result(result, req.json_out)
    if (line := outcome.nothing_measured(result.summary, result.stats)) is not None:
        raise _nothing_measured(line)


def _nothing_measured(line: str) -> typer.Exit:
    """``error: <line>`` on stderr (printed literally, on one line) and exit code 1."""
    from rich.text import Text

    console.print(Text.assemble(("error:", "bold red"), " ", line), soft_wrap=True)
    return typer.Exit(outcome.EXIT_NOTHING_MEASURED)


def _compare(config: RunConfig, req: RunRequest, store: Any) -> None:
    """Several ``--target``s: each member in turn; exit 1 naming the members that measured
    nothing (:func:`medtrust._cli_run_outcome.members_unmeasured`)."""
    from medtrust._cli_report import summary_table
    from medtrust.compare.cli import run_members

    summaries: list[Any] = []

    def table(summary: Any) -> Any:  # called once per finished member, with its summary
        summaries.append(summary)
        return summary_table(summary)

    run_members(
        config, req.targets, store=store, out=req.out, redact=not req.no_redact,
        policy_dirs=req.policies, table=table, json_out=req.json_out,
    )  # fmt: skip
    if (line := outcome.members_unmeasured(summaries)) is not None:
        raise _nothing_measured(line)


def _with_progress(call: Callable[[Any], Any]) -> Any:
    """``call(hook)`` under a progress bar per stage (stopped on any exception, Ctrl-C
    included: :func:`execute` then says what to do next)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )

    def hook(label: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(label, total=total)
        return lambda n: progress.advance(task, n)

    with progress:
        return call(hook)


def _print_result(result: Any, json_out: bool) -> None:
    from medtrust._cli_report import summary_table

    console.print(summary_table(result.summary))
    if result.stats is not None:
        console.print(outcome.stats_line(result.stats))
    if result.report_path:
        console.print(f"report: {result.report_path}", markup=False, highlight=False)
    if json_out:
        print_json(result.summary.to_json())


@handle_errors
def run(
    suite: SuiteArg = _D.suite,
    target: TargetOpt = None,
    db: DbOpt = _D.db,
    seed: SeedOpt = _D.seed,
    limit: LimitOpt = _D.limit,
    samples: SamplesOpt = _D.samples,
    temperature: TemperatureOpt = _D.temperature,
    max_tokens: MaxTokensOpt = _D.max_tokens,
    concurrency: ConcurrencyOpt = _D.concurrency,
    timeout: TimeoutOpt = _D.timeout,
    retries: RetriesOpt = _D.retries,
    data: DataOpt = _D.data,
    with_bundled: WithBundledOpt = _D.with_bundled,
    resume: ResumeOpt = _D.resume,
    out: OutOpt = _D.out,
    no_cache: NoCacheOpt = _D.no_cache,
    no_redact: NoRedactOpt = _D.no_redact,
    declare: DeclareOpt = _D.declare,
    policies: PoliciesOpt = _D.policies,
    from_feedback: FromFeedbackOpt = _D.from_feedback,
    attacker: AttackerOpt = _D.attacker,
    judge: JudgeOpt = _D.judge,
    ray: RayOpt = _D.ray,
    replicas: ReplicasOpt = _D.replicas,
    replica_cpus: ReplicaCpusOpt = _D.replica_cpus,
    replica_gpus: ReplicaGpusOpt = _D.replica_gpus,
    concern_threshold: ConcernOpt = _D.concern_threshold,
    trust_weights: TrustWeightsOpt = _D.trust_weights,
    json_out: JsonOpt = _D.json_out,
) -> None:
    """Run a suite against a target, store every reply, score it and write a report.

    Examples:

      medtrust run                                   # quickstart vs the embedded SmolLM2

      medtrust run robustness -t openai:gpt-4o-mini@https://api.openai.com/v1 --concurrency 16

      medtrust run --data my_medqa.jsonl --limit 200 --json   # only your items

      medtrust run --data my_medqa.jsonl --with-bundled      # yours plus the bundled ones

      medtrust run clinical-safety -t local:model.gguf --ray --replicas 4   # local Ray

      medtrust run -t local:model.gguf --ray auto --replicas 8 --replica-gpus 1 --db URL

    Exit codes: 0 measured, also when some calls failed (the summary counts them apart;
    `medtrust gate --max-errors` is the check for CI); 1 nothing was measured on the run, or
    on an axis it asked, or on a --target of several (every judged case errored; the run and
    its report are stored all the same); 2 bad input; 130 interrupted (Ctrl-C).
    """
    options = dict(locals())  # every option, by name (nothing else is defined yet)
    options["targets"] = list(options.pop("target") or [])
    request = RunRequest(**options)
    execute(request)


def with_ray_default(argv: list[str]) -> list[str]:
    """``argv`` with ``local`` inserted after a ``--ray`` that has no address.

    ``--ray`` takes an optional value, which Click cannot express: ``--ray`` last, or followed
    by an option (``-...``) or by a word that is no Ray address (``auto``, ``local``, or
    anything with a ``:`` such as ``ray://head:10001`` or ``10.0.0.5:6379``), means a local
    Ray. So ``medtrust run --ray robustness`` runs the suite ``robustness`` on a local Ray.
    ``--ray=ADDRESS`` is passed through unchanged.
    """
    out: list[str] = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg != "--ray":
            continue
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if nxt is None or nxt.startswith("-") or not _is_ray_address(nxt):
            out.append(RAY_LOCAL)
    return out


def _is_ray_address(word: str) -> bool:
    return word in ("auto", RAY_LOCAL) or ":" in word


def register(app: typer.Typer) -> None:
    """Mount ``run`` on the top-level app."""
    app.command("run")(run)
