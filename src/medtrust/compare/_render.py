"""Render a comparison (:class:`medtrust.summary.Comparison`): JSON, Markdown and one offline
HTML leaderboard page (inline CSS and SVG, no script, no external resource). Renderers only
read the comparison; they compute nothing but chart coordinates."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from medtrust.errors import MedtrustError
from medtrust.summary import AxisComparison, Comparison, Drift, RankEntry, RateEntry

FORMATS = ("table", "json", "html", "md")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float] | None) -> str:
    """A rate's interval in percent."""
    return "n/a" if not ci else f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}%"


def _dci(ci: list[float] | None) -> str:
    """A difference's interval in percentage points."""
    return "n/a" if not ci else f"{100 * ci[0]:+.1f} to {100 * ci[1]:+.1f}"


def _nci(ci: list[float] | None) -> str:
    """A rank's or tau's interval as plain numbers."""
    return "n/a" if not ci else f"{ci[0]:.3g} to {ci[1]:.3g}"


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.1f}"


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def by_rank(sec: AxisComparison) -> list[RateEntry]:
    """An axis's rates, best rank first (runs without a rank last)."""
    ranks = {r.run_id: r.rank for r in sec.ranks}
    return sorted(sec.rates, key=lambda e: ranks.get(e.run_id) or float("inf"))


SCORE_NOTE = (
    "open-ended: the mean HealthBench rubric score (0-1) of the controls, ranked highest first "
    "(score rank); the failure-rate rank counts attacks that lowered a control's score, so two "
    "targets may tie there and not here. Score interval: percentile bootstrap with plus-four "
    "smoothing at the bounds; rank interval: seeded bootstrap over seed conversations."
)


def score_rows(sec: AxisComparison) -> list[dict[str, Any]]:
    """The open-ended axis's rubric score per run, best score rank first: ``run_id``,
    ``rank`` (None when the run scored no control), ``rank_ci``, ``mean``, ``ci95``, ``n``
    (``[]`` for an axis without rubric scores)."""
    ranks = {r["run_id"]: r for r in (sec.model_extra or {}).get("score_ranks") or []}
    rows = []
    for e in sec.rates:
        score = (e.model_extra or {}).get("rubric_score") or {}
        rk = ranks.get(e.run_id) or {}
        rows.append({"run_id": e.run_id, "rank": rk.get("rank"), "rank_ci": rk.get("ci95"),
                     "mean": score.get("mean"), "ci95": score.get("ci95"),
                     "n": score.get("n") or 0})
    if not ranks:
        return []
    return sorted(rows, key=lambda r: r["rank"] if r["rank"] is not None else float("inf"))


def _score_ci(ci: list[float] | None) -> str:
    return "n/a" if not ci else f"{ci[0]:.3f}-{ci[1]:.3f}"


def rank_chart(c: Comparison, axis: str) -> dict[str, Any]:
    """Rows (best rank first) for the rank chart: x in 0-1 along ranks 1..M."""
    ranked = [(r, r.rank) for r in c.axes[axis].ranks if r.rank is not None]
    m = max(len(c.runs), 2)
    names = c.labels()

    def x(rank: float) -> float:
        return (rank - 1) / (m - 1)

    rows = [
        {
            "name": names[r.run_id],
            "rank": rank,
            "x": x(rank),
            "lo": x(r.ci95[0]) if r.ci95 else x(rank),
            "hi": x(r.ci95[1]) if r.ci95 else x(rank),
            "ci": r.ci95,
        }
        for r, rank in sorted(ranked, key=lambda rr: rr[1])
    ]
    return {"rows": rows, "ticks": [{"x": x(k), "label": k} for k in range(1, m + 1)]}


def scatter(c: Comparison) -> list[dict[str, Any]]:
    """Points of the static-versus-dynamic scatter, coordinates in 0-1; ``stack`` counts the
    earlier points close by, so that their labels are set one under another, never on top."""
    names = c.labels()
    points: list[dict[str, Any]] = [
        {
            "name": names[m.run_id],
            "x": m.static_accuracy,
            "y": m.dynamic_failure_rate,
            "x_ci": m.static_ci95 or [m.static_accuracy] * 2,
            "y_ci": m.dynamic_ci95 or [m.dynamic_failure_rate] * 2,
            "static_rank": m.static_rank,
            "dynamic_rank": m.dynamic_rank,
            "informative": m.informative,
        }
        for m in c.static_vs_dynamic.models
        if m.static_accuracy is not None and m.dynamic_failure_rate is not None
    ]
    for i, p in enumerate(points):
        p["stack"] = sum(
            1 for q in points[:i] if abs(q["x"] - p["x"]) < 0.2 and abs(q["y"] - p["y"]) < 0.04
        )
    return points


def render_html(c: Comparison) -> str:
    """The leaderboard page (the template reads the comparison JSON, ``c.to_json()``)."""
    env = Environment(
        loader=PackageLoader("medtrust", "compare/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(sci=_score_ci, pct=_pct, ci=_ci, dci=_dci, nci=_nci, signed=_signed, p=_p)
    return env.get_template("leaderboard.html.j2").render(
        c=c.to_json(),
        names=c.labels(),
        rank_charts={a: rank_chart(c, a) for a in c.axes},
        ordered={a: [e.model_dump(mode="json") for e in by_rank(sec)] for a, sec in c.axes.items()},
        scores={a: score_rows(sec) for a, sec in c.axes.items()},
        score_note=SCORE_NOTE,
        points=scatter(c),
    )


def num(x: float | None) -> str:
    """A rank or tau for text: ``n/a`` when absent (never the word None)."""
    return "n/a" if x is None else f"{x:g}"


def _rank_cell(rk: RankEntry | None) -> str:
    return "n/a" if rk is None or rk.rank is None else f"{rk.rank:g} ({_nci(rk.ci95)})"


def _md_axis(c: Comparison, axis: str, sec: AxisComparison) -> list[str]:
    names = c.labels()
    ranks = {r.run_id: r for r in sec.ranks}
    flag = "" if sec.informative else " (not informative for some runs)"
    lines = [
        "",
        f"## {axis}{flag}",
        "",
        "| rank (95% CI) | target | failure rate | 95% CI | n | errors |",
        "|---|---|---:|---|---:|---:|",
    ]
    for e in by_rank(sec):
        note = "" if e.informative else " (not informative)"
        lines.append(
            f"| {_rank_cell(ranks.get(e.run_id))} | {names[e.run_id]}{note} | "
            f"{_pct(e.failure_rate)} | {_ci(e.ci95)} | {e.n} | {e.errors} |"
        )
    if rows := score_rows(sec):
        lines += ["", "| score rank (95% CI) | target | mean rubric score | 95% CI | n |",
                  "|---|---|---:|---|---:|"]
        lines += [
            f"| {num(r['rank'])} ({_nci(r['rank_ci'])}) | {names[r['run_id']]} | "
            f"{'n/a' if r['mean'] is None else format(r['mean'], '.3f')} | "
            f"{_score_ci(r['ci95'])} | {r['n']} |"
            for r in rows
        ]
        lines += ["", SCORE_NOTE]
    sig = [p for p in sec.pairwise if p.significant]
    lines += [
        "",
        f"Paired tests: {len(sig)} of {len(sec.pairwise)} pairs differ "
        f"(exact McNemar, Holm, alpha {c.alpha}).",
    ]
    lines += [
        f"- {names[p.b]} vs {names[p.a]}: {_signed(p.difference)} points "
        f"({_dci(p.ci95)}), p_holm {_p(p.p_holm)}, n={p.n}"
        for p in sig
    ]
    return lines


def _md_gap(c: Comparison) -> list[str]:
    names = c.labels()
    g = c.static_vs_dynamic
    lines = [
        "",
        "## static versus dynamic",
        "",
        f"Kendall's tau between the static ranking ({g.static}) and the dynamic one "
        f"({g.dynamic or 'none'}): {num(g.kendall_tau)} (95% CI {_nci(g.ci95)}).",
        "",
        "| target | static | static rank | dynamic failure | dynamic rank |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {names[m.run_id]}{'' if m.informative is not False else ' (not informative)'} | "
        f"{_pct(m.static_accuracy)} | {num(m.static_rank)} | "
        f"{_pct(m.dynamic_failure_rate)} | {num(m.dynamic_rank)} |"
        for m in g.models
    ]
    return lines


def _md_drift(d: Drift) -> list[str]:
    lines = [
        "",
        f"## drift: {d.run} against baseline {d.baseline}",
        "",
        "| axis | before | after | change (points) | 95% CI | p | p_holm |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    lines += [
        f"| {axis} | {_pct(e.rate_before)} | {_pct(e.rate_after)} | "
        f"{_signed(e.change)} | {_dci(e.ci95)} | {_p(e.p_value)} | {_p(e.p_holm)} |"
        for axis, e in d.axes.items()
    ]
    lines += ["", f"{len(d.changed)} of {d.shared_units} shared units changed outcome."]
    lines += [
        f"- `{x['unit']}` {x['axis']}: {x['before']} -> {x['after']}" for x in d.changed
    ]
    return lines


def render_md(c: Comparison) -> str:
    """A Markdown leaderboard: per axis, rates and ranks, then the significant pairs; the
    static-versus-dynamic gap; drift against a baseline."""
    lines = ["# medtrust comparison", ""]
    lines += [f"- `{r.run_id}` {r.label} (suite {r.suite}, seed {r.seed})" for r in c.runs]
    lines += [f"\n> warning: {w}" for w in c.warnings]
    for axis, sec in c.axes.items():
        lines += _md_axis(c, axis, sec)
    lines += _md_gap(c)
    for d in c.drift or []:
        lines += _md_drift(d)
    return "\n".join(lines) + "\n"


def render_comparison(c: Comparison, fmt: str) -> str:
    """The comparison as text in ``fmt`` (json, md or html; ``table`` is the terminal's)."""
    if fmt == "json":
        return json.dumps(c.to_json(), indent=2) + "\n"
    if fmt == "md":
        return render_md(c)
    if fmt == "html":
        return render_html(c)
    raise MedtrustError(f"--format {fmt!r}: one of json, md, html (or table on the terminal)")
