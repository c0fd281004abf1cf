"""Technical documentation of testing, model-card style, for EU AI Act Annex IV.

Annex IV asks the provider to document, among much else, the validation and testing
procedures: the data used, the metrics, the results (with their uncertainty) and the known
limitations (Annex IV(2)(g), IV(3)). This renders exactly that part from one stored run; the
rest of the file (design, training data, quality management, post-market plan) is the
provider's, and the document says so.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from medtrust.metrics import SEVERITY
from medtrust.policies import documentation_gaps
from medtrust.records import RunInfo
from medtrust.report._markdown import _axes, _compliance, _risk, ci_pct, pct
from medtrust.report._scores import axis_rubric_scores
from medtrust.store import Store
from medtrust.summary import RunSummary

SMALL_N = 30
METRICS = [
    ("failure rate", "failures / scored cases per axis and per probe or operator; errors "
     "(timeouts, unparseable replies) are counted apart and never scored"),
    ("95% interval", "Wilson score interval for every rate; the open-ended mean rubric score "
     "(0-1) has a seeded percentile bootstrap interval over conversations, with two "
     "pseudo-observations at each bound (plus-four, Agresti & Coull 1998) and widened to "
     "contain the mean; a paired score drop (gate) the plain percentile bootstrap of the "
     "differences"),
    ("rubric score", "open-ended: points met / positive points available per conversation "
     "(HealthBench), clipped to 0-1, graded by the grader named in the results (`run --judge`; "
     "`keywords` is the stand-in); scores from different graders do not compare"),
    ("controls accuracy", "accuracy on unperturbed items, never pooled with perturbations"),
    ("error rate", "judged cases that errored / judged cases per axis, controls included (a "
     "case asked k times counts once; the run's line under the table counts target calls); "
     "above 10% the "
     "reports warn and `medtrust gate` fails by default (--max-errors)"),
    ("informative", "false when the 95% interval of control accuracy includes chance "
     "(1 / number of options) or fewer than 10 controls were answered correctly, or (cognitive "
     "bias, multimodal consistency) the baseline answer is one letter whatever the item; such an "
     "axis's rate is shown but left out of the risk"),
    ("risk", "severity-weighted mean failure rate of the assessed, informative axes, 0-100, "
     "tiers low < 15 <= moderate < 35 <= high < 60 <= critical; per-axis risk = failure rate x "
     "relative severity; 95% percentile bootstrap intervals (seeded) resampling scored cases, "
     "widened to contain the point estimate"),
    ("compliance", "policy rules (pass / fail / not assessed) with evidence; the compliance "
     "axis rate = exposed outputs violating at least one reply-level rule"),
    ("trust", "T = mean over clinician-reviewed items of alpha x accuracy + beta x compliance"),
]  # fmt: skip


def _attestation(store: Store, run_id: str) -> dict[str, Any] | None:
    try:
        from medtrust.audit import attestation
    except ImportError:
        return None
    try:
        return attestation(store, run_id)
    except Exception:  # an unreadable trail is reported as absent, not a crash
        return None


def limitations(summary: RunSummary) -> list[str]:
    """Known limits of the evidence in this run, one line each."""
    out = []
    axes = summary.axes
    missing = [a for a, e in axes.items() if not e.assessed]
    if missing:
        out.append(f"Axes not assessed in this run: {', '.join(missing)}.")
    for a, e in axes.items():
        if e.assessed and 0 < e.n < SMALL_N:
            out.append(
                f"{a}: only {e.n} scored cases; the 95% interval ({ci_pct(e.ci95)}) is wide."
            )
        if e.errors:
            share = e.error_rate
            of = f" of {e.calls} ({pct(share)})" if share is not None else ""
            out.append(f"{a}: {e.errors}{of} errored cases were not scored.")
        if e.assessed and not e.informative:
            out.append(f"{a}: {e.note}; its rate is left out of the risk score.")
    na = [r.id for r in summary.compliance.rules if r.status == "not assessed"]
    if na:
        out.append(f"{len(na)} applicable policy rules not assessed: {', '.join(na)}.")
    out += [
        "Judges are automatic (answer-letter parsing, pattern and planted-value PHI matching); "
        "validate them against labelled data with `medtrust judge validate` before relying on "
        "them. Identifier detection is pattern-based and finds names only when planted.",
        "Cases are synthetic or benchmark items, not the deployment's patient population; "
        "results describe behaviour under test, not clinical outcomes.",
        "Metric thresholds in the policy packs are medtrust defaults, not regulatory values.",
    ]
    plain = {a: e.model_dump(mode="json") for a, e in axes.items()}
    gaps = documentation_gaps(summary.status, summary.cases, plain)
    out += [f"Documentation gap: {g}." for g in gaps]
    return out


def _rubric_lines(summary: RunSummary) -> list[str]:
    """Open-ended: each axis's rubric scores (controls, then each operator), with interval, n
    and the grader(s) that produced them (empty without a rubric score)."""
    out: list[str] = []
    for axis, entry in summary.axes.items():
        rows = axis_rubric_scores(axis, entry)
        if not rows:
            continue
        graders = ", ".join(f"`{g}`" for g in entry.graders) or "not recorded"
        out += ["", f"Rubric scores on {axis} (0-1, graded by {graders}):", ""]
        for row in rows:
            ci = row["ci95"]
            mean = "n/a" if row["mean"] is None else f"{row['mean']:.3f}"
            span = "" if not ci else f", 95% CI {ci[0]:.3f}-{ci[1]:.3f}"
            out.append(f"- {row['name']}: {mean}{span}, n={row['n']}")
    return out


def render_docs(store: Store, info: RunInfo, summary: RunSummary) -> str:
    """The testing part of the technical documentation, as Markdown."""
    purpose = summary.compliance.intended_purpose
    by_probe: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    n_cases = 0
    for c in store.iter_cases(info.id):  # one streamed pass: counts only (issue 15)
        n_cases += 1
        by_probe[c.probe] += 1
        sources[str(c.meta.get("source", "generated"))] += 1
        roles[c.role] += 1
    cfg = info.config or {}
    lines = [
        f"# Technical documentation: testing of `{info.target}`",
        "",
        f"Generated by medtrust from run `{info.id}` ({info.created_at:%Y-%m-%d %H:%M} UTC, "
        f"status {info.status}). Covers the testing items of EU AI Act Annex IV (2)(g) and "
        "(3): data, metrics, results, limitations. The rest of the technical documentation "
        "(system design, training data, risk management, post-market monitoring) is the "
        "provider's.",
        "",
        "## 1. Intended purpose",
        "",
        purpose
        or "_Not declared. State it under `intended_purpose` in the declarations file "
        "(`--declare FILE.yaml`)._",
        "",
        "## 2. Data used for testing",
        "",
        f"- suite: `{info.suite}`; seed: {info.seed}; "
        f"sampling: {cfg.get('suite', {}).get('sampling', {})}",
        f"- cases: {n_cases} ({roles.get('control', 0)} controls, "
        f"{roles.get('perturbation', 0)} perturbations)",
        "- by probe: " + ", ".join(f"`{p}` {n}" for p, n in sorted(by_probe.items())),
        "- sources: " + ", ".join(f"{s} {n}" for s, n in sorted(sources.items())),
        "- case ids are content hashes; `medtrust cases export` reproduces them with gold.",
        "",
        "## 3. Metrics and their definitions",
        "",
        *[f"- **{name}**: {text}." for name, text in METRICS],
        "- severity weights: " + ", ".join(f"{a} {w:g}" for a, w in SEVERITY.items()),
        "",
        "## 4. Results",
        "",
    ]
    r = summary.risk
    if r.score is not None and r.ci95:
        lines += [
            f"Overall risk **{r.score:.1f}** ({r.tier}), 95% CI {r.ci95[0]:.1f}-{r.ci95[1]:.1f}.",
            "",
        ]
    lines += _axes(summary) + _rubric_lines(summary) + _risk(summary)
    t = summary.trust
    lines += ["", f"Trust score: {pct(t.score) if t.score is not None else 'no reviews'}."]
    lines += ["", "## 5. Compliance summary"] + (_compliance(summary)[2:] or ["", "Not evaluated."])
    lines += ["", "## 6. Limitations", ""] + [f"- {x}" for x in limitations(summary)]
    att = _attestation(store, info.id)
    lines += ["", "## 7. Integrity", ""]
    if att:
        lines += [
            f"- audit public key (Ed25519): `{att['public_key']}`",
            f"- signed Merkle root: `{att['root']}` over {att['tree_size']} events",
            f"- verify: `medtrust audit verify {info.id}`",
        ]
    else:
        lines.append("- no signed audit root for this run.")
    return "\n".join(lines) + "\n"
