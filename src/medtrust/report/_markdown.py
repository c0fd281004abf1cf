"""The Markdown report: the summary table, risk, compliance and trust, for pull requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from medtrust.report._explanations import md_lines
from medtrust.report._scores import reading_notes, rubric_scores
from medtrust.report._views import error_line
from medtrust.summary import ERROR_WARN, ControlsSummary, Rates, RunSummary


def pct(x: float | None) -> str:
    """A rate as a percentage with one decimal, or n/a."""
    return "n/a" if x is None else f"{100 * x:.1f}%"


def ci_pct(ci: list[float] | None) -> str:
    """An interval of rates as ``lo-hi%``."""
    return "n/a" if not ci else f"{pct(ci[0])}-{pct(ci[1])}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _err(e: Rates | ControlsSummary) -> str:
    """The error rate, in bold with a warning sign above the 10% warning level."""
    rate = e.error_rate
    if rate is None:
        return "n/a"
    return f"**{pct(rate)} ⚠**" if rate > ERROR_WARN else pct(rate)


def _axes(summary: RunSummary) -> list[str]:
    lines = [
        "| axis / operator | n | failures | failure rate | 95% CI | errors | error rate |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    notes = []
    for axis, e in summary.axes.items():
        if not e.assessed:  # nothing scored; its errors are still shown, never hidden
            errs = (e.errors, _err(e)) if e.calls else ("-", "-")
            lines.append(f"| {axis} | 0 | - | not assessed | - | {errs[0]} | {errs[1]} |")
            continue
        flag = "" if e.informative else " (not informative)"
        lines.append(
            f"| **{axis}**{flag} | {e.n} | {e.failures} | {pct(e.failure_rate)} | "
            f"{ci_pct(e.ci95)} | {e.errors} | {_err(e)} |"
        )
        for op, p in e.by_probe.items():
            lines.append(
                f"| &nbsp;&nbsp;{_cell(op)} | {p.n} | {p.failures} | "
                f"{pct(p.failure_rate)} | {ci_pct(p.ci95)} | {p.errors} | {_err(p)} |"
            )
        c = e.controls
        if c and (c.n or c.errors):
            chance = "" if c.chance is None else f", chance {pct(c.chance)}"
            lines.append(
                f"| &nbsp;&nbsp;_controls: accuracy{chance}_ | {c.n} | | "
                f"{pct(c.accuracy)} | {ci_pct(c.ci95)} | {c.errors} | {_err(c)} |"
            )
        if not e.informative:
            notes.append(f"- **{axis}** {_cell(e.note)}; its rate is left out of the risk score.")
    return lines + (["", *notes] if notes else [])


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _scores(summary: RunSummary) -> list[str]:
    """Rubric scores (mean, bootstrap 95% CI, n) and the figures that change how an axis's
    rate is read (:mod:`medtrust.report._scores`); empty when the run has none."""
    rows, notes = rubric_scores(summary), reading_notes(summary)
    lines: list[str] = []
    if rows:
        lines += [
            "",
            "## Rubric scores",
            "",
            "Mean rubric score per case (0-1, HealthBench: points earned over positive points "
            "possible), 95% percentile bootstrap interval over cases.",
            "",
            "| axis | cases | n | mean score | 95% CI |",
            "|---|---|---:|---:|---|",
        ]
        for r in rows:
            ci = "n/a" if not r["ci95"] else f"{r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}"
            lines.append(f"| {r['axis']} | {_cell(r['name'])} | {r['n']} | {_num(r['mean'])} "
                         f"| {ci} |")
    if notes:
        lines += ["", "Read the rates with:", "", *[f"- {_cell(n)}" for n in notes]]
    return lines


def _risk(summary: RunSummary) -> list[str]:
    r = summary.risk
    if not r.by_axis:
        return []
    lines = ["", "## Risk by axis", "", "| axis | risk | tier | 95% CI | failure rate |"]
    lines.append("|---|---:|---|---|---:|")
    for axis, a in r.by_axis.items():
        note = "" if a.in_overall else " (not in overall)"
        lines.append(
            f"| {axis}{note} | {a.score:.1f} | {a.tier} | "
            f"{a.ci95[0]:.1f}-{a.ci95[1]:.1f} | {pct(a.failure_rate)} |"
        )
    if r.method:
        lines += ["", f"Intervals: {r.method}."]
    return lines


def _compliance(summary: RunSummary) -> list[str]:
    comp = summary.compliance
    c = comp.counts
    lines = [
        "",
        f"## Compliance (rules in force on {comp.as_of})",
        "",
        f"{c.get('pass', 0)} pass, {c.get('fail', 0)} fail, "
        f"{c.get('not assessed', 0)} not assessed.",
        "",
    ]
    for reg, t in comp.by_regulation.items():
        if not t.n:  # nothing checked is no evidence either way: never "0" nor a rate
            errs = f"; {t.errors} outputs errored" if t.errors else ""
            lines.append(f"- outputs violating {reg}: not assessed (no output checked by its "
                         f"reply-level rules{errs})")
            continue
        lines.append(
            f"- outputs violating {reg} (any of its reply-level rules): "
            f"**{pct(t.failure_rate)}** ({t.failures}/{t.n}, 95% CI {ci_pct(t.ci95)})"
        )
    lines += [
        "",
        "| status | rule | regulation | article | severity | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for r in comp.rules:
        lines.append(
            f"| {r.status} | `{r.id}` {_cell(r.title)} | {_cell(r.regulation)} | "
            f"{_cell(r.article)} | {r.severity} | {_cell(r.reason)} |"
        )
    if comp.not_applicable:
        lines += ["", "Not in force on that date (readiness, not counted):", ""]
        lines += [
            f"- `{r.id}`: {r.not_applicable}; would be {r.status}" for r in comp.not_applicable
        ]
    lines += ["", f"_{comp.definition}_"]
    return lines


def render_md(summary: RunSummary, glossary: Sequence[Mapping[str, str]] | None = None) -> str:
    """A Markdown summary for pull requests and chat; ``glossary`` (rows of ``axis``, ``name``,
    ``definition``, as :func:`medtrust.report._views.glossary` builds them) ends it with the
    definition of every probe and operator name it shows."""
    s = summary
    lines = [
        f"# medtrust run {s.run_id}",
        "",
        f"- target: `{s.target}`",
        f"- suite: `{s.suite}` (seed {s.seed})",
        f"- status: {s.status}",
        f"- {s.cached_replies} of {s.replies} replies from the cache",
    ]
    if (errors := error_line(s)) is not None:
        lines.append(f"- errors: {_cell(errors)}")
    r = s.risk
    if r.score is not None and r.ci95:
        left = r.not_informative
        lines.append(
            f"- risk: **{r.score:.1f}** ({r.tier}), 95% CI {r.ci95[0]:.1f}-{r.ci95[1]:.1f}"
            + (f" (left out, not informative: {', '.join(left)})" if left else "")
        )
    elif r.reason:
        lines.append(f"- risk: not assessed ({r.reason})")
    t = s.trust
    if t.score is not None and t.ci95:
        lo, hi = t.ci95
        lines.append(f"- trust: {t.score:.3f} (95% CI {lo:.3f}-{hi:.3f}, {t.items} items)")
    else:
        lines.append("- trust: no clinician reviews")
    if s.warnings:
        lines += ["", "> **Warnings**", *[f"> - {_cell(w)}" for w in s.warnings]]
    lines += ["", *_axes(summary), *_scores(summary), *_risk(summary), *_compliance(summary)]
    lines += _judges(summary)
    lines += md_lines(summary)  # issue 18: observed vs declared, attributions, feedback
    if glossary:
        lines += ["", "## Glossary", "", "| axis | name | definition |", "|---|---|---|"]
        lines += [f"| {g['axis']} | `{_cell(g['name'])}` | {_cell(g['definition'])} |"
                  for g in glossary]  # fmt: skip
    return "\n".join(lines) + "\n"


def _judges(summary: RunSummary) -> list[str]:
    """Judge-vs-clinician agreement (Cohen's kappa), for the judges clinicians have checked; an
    untrusted judge is called out so its verdicts are not taken at face value."""
    rated = {k: v for k, v in summary.judges.items() if v.n}
    if not rated:
        return []
    lines = [
        "",
        "## Judges vs clinicians",
        "",
        "| judge | n | kappa | 95% CI | trusted |",
        "|---|---:|---:|---|---|",
    ]
    for name, j in sorted(rated.items()):
        kappa = "n/a" if j.kappa is None else f"{j.kappa:.3f}"
        ci = "" if not j.ci95 else f"{j.ci95[0]:.3f}-{j.ci95[1]:.3f}"
        trusted = {True: "yes", False: f"**no** (kappa below {j.threshold})", None: "n/a"}
        lines.append(f"| {name} | {j.n} | {kappa} | {ci} | {trusted[j.trusted]} |")
    return lines
