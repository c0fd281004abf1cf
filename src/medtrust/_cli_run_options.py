"""The options of ``medtrust run``, one ``Annotated`` alias each, so that the command's
signature (:func:`medtrust._cli_run.run`) reads as a list of flags with their help."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medtrust.config import bundled_suites

RAY_LOCAL = "local"
"""``--ray`` given without an address: start a local Ray (``ray.init()``)."""

SuiteArg = Annotated[
    str,
    typer.Argument(
        help="Bundled suite name or path to a suite YAML. Bundled: " + ", ".join(bundled_suites())
    ),
]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="System under test: local:smollm2 (default), local:PATH.gguf, "
        "openai:MODEL@BASE_URL, python:MODULE:ATTR. Repeat to compare targets: every "
        "target is asked the same cases, one run each, grouped under a comparison id.",
    ),
]
SeedOpt = Annotated[
    int,
    typer.Option(help="Seed for item sampling and mutations (0 to 2^63-1)."),
]
LimitOpt = Annotated[int | None, typer.Option(help="At most this many seed items per probe.")]
SamplesOpt = Annotated[
    int | None,
    typer.Option(
        help="Replies per case; default from the suite. Every readable reply counts: "
        "multiple choice and hallucination take a majority vote, rubric cases the mean score "
        "(a harm when most replies do it), note fidelity the mean chrF."
    ),
]
TemperatureOpt = Annotated[
    float | None, typer.Option(help="Sampling temperature (default 0: greedy).")
]
MaxTokensOpt = Annotated[int | None, typer.Option(help="Maximum reply length in tokens.")]
ConcurrencyOpt = Annotated[int, typer.Option(help="Requests in flight at once.")]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds per call before it counts as a timeout.")]
RetriesOpt = Annotated[
    int, typer.Option(help="Retries per call on 429/5xx/timeouts (exponential backoff).")
]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        help="Your own multiple-choice seed items: MedQA-style JSONL (question, options, "
        "answer_idx). They REPLACE the bundled items: only your items are asked by the "
        "multiple-choice probes (robustness, cognitive bias); add --with-bundled to ask "
        "the bundled ones too."
    ),
]
WithBundledOpt = Annotated[
    bool,
    typer.Option(
        "--with-bundled",
        help="With --data: ask the bundled seed items as well as yours (ids must differ).",
    ),
]
ResumeOpt = Annotated[
    str | None,
    typer.Option(
        metavar="RUN_ID",
        help="Finish an interrupted run (its stored configuration is used; the suite, target "
        "and run settings given here are ignored).",
    ),
]
OutOpt = Annotated[
    Path,
    typer.Option(
        help="Folder for the HTML reports: each run writes OUT/RUN_ID/index.html and "
        "OUT/latest points to the newest (a symlink, or a text file holding the run id "
        "where the OS allows no symlinks). An OUT ending in .html is that one file."
    ),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Always call the target, ignoring cached replies.")
]
NoRedactOpt = Annotated[
    bool, typer.Option("--no-redact", help="Show identifiers in the report (redacted by default).")
]
DeclareOpt = Annotated[
    Path | None,
    typer.Option(
        "--declare",
        help="Declared controls YAML (intended purpose, human oversight, ...) for compliance.",
    ),
]
PoliciesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--policies",
        help="Folder of extra/overriding policy packs (repeatable; also $MEDTRUST_POLICIES).",
    ),
]
FromFeedbackOpt = Annotated[
    str | None,
    typer.Option(
        "--from-feedback",
        metavar="RUN_ID",
        help="Seed a new run from the cases clinicians flagged in this reviewed run "
        "(same target and settings; flagged items only, with more attack budget).",
    ),
]
AttackerOpt = Annotated[
    str | None,
    typer.Option(
        "--attacker",
        help="Target spec of a model that writes the adaptive attacks' free text "
        "(distractors, bias sentences, new options); default: knowledge-base templates.",
    ),
]
JudgeOpt = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="Target spec of an LLM judge for open hallucination answers (DAS code "
        "taxonomy); default: deterministic detectors only. Validate it first with "
        "`medtrust judge validate`.",
    ),
]
RayOpt = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="[ADDRESS]",
        help="Scale out on Ray: each replica of the target is a Ray actor; the store, the "
        "attack loop and the audit chain stay here. ADDRESS as ray.init takes it: 'auto' "
        "joins an existing cluster, ray://HOST:PORT or HOST:PORT a given one; --ray alone "
        "(or --ray local) starts a local Ray. Needs medtrust\\[ray].",
        rich_help_panel="Scale-out (Ray)",
    ),
]
ReplicasOpt = Annotated[
    int,
    typer.Option(
        "--replicas",
        min=1,
        help="Ray actors, each with its own instance of the target (a model loaded once per "
        "actor). Needs --ray.",
        rich_help_panel="Scale-out (Ray)",
    ),
]
ReplicaCpusOpt = Annotated[
    float,
    typer.Option(
        "--replica-cpus",
        min=0.0,
        help="CPUs reserved per replica. Needs --ray.",
        rich_help_panel="Scale-out (Ray)",
    ),
]
ReplicaGpusOpt = Annotated[
    float,
    typer.Option(
        "--replica-gpus",
        min=0.0,
        help="GPUs reserved per replica (fractions share a GPU). Needs --ray.",
        rich_help_panel="Scale-out (Ray)",
    ),
]
ConcernOpt = Annotated[
    float | None,
    typer.Option(
        "--concern-threshold",
        help="Queue for review every case whose concern score exceeds this \\[default: the "
        "suite's review.concern_threshold, else 0.7].",
        rich_help_panel="Clinician review",
    ),
]
TrustWeightsOpt = Annotated[
    str | None,
    typer.Option(
        "--trust-weights",
        help="ALPHA,BETA of the trust score (accuracy, compliance; sum 1) \\[default: the "
        "suite's trust:, else 0.5,0.5].",
        rich_help_panel="Clinician review",
    ),
]
