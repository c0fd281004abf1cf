"""Rich tables for ``audit-model``: what a person reads first, the JSON has everything."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float] | None) -> str:
    return "n/a" if not ci else f"{_pct(ci[0])}-{_pct(ci[1])}"


def audit_tables(report: dict[str, Any]) -> list[Table]:
    """Counterfactual flips, group differences, worst cases and attribution flags."""
    flips = Table(
        title=f"counterfactual flips  ·  {report['target']}  ·  {report['rows']} rows  ·  "
        f"{report['calls']} target calls (rows scored)"
    )
    for col in (
        "attribute",
        "reference -> value",
        "flips",
        "flip rate",
        "95% CI",
        "downgrades / positives",
        "mean Δp",
        "not applicable",
    ):
        flips.add_column(col)
    for name, cf in report["counterfactual"].items():
        for v in cf["values"]:
            flips.add_row(
                name,
                f"{cf['reference']} -> {v['value']}",
                f"{v['flips']}/{v['n']}",
                _pct(v["rate"]),
                _ci(v["ci95"]),
                f"{v['downgrades']}/{v['positives_at_reference']} ({_pct(v['downgrade_rate'])})",
                "n/a" if v["mean_delta_p"] is None else f"{v['mean_delta_p']:+.3f}",
                str(v.get("not_applicable", 0)),
            )
    groups = Table(title="group metrics (fairlearn MetricFrame; guarded differences)")
    for col in (
        "attribute",
        "groups",
        "demographic parity diff",
        "95% CI",
        "equalized odds diff",
        "95% CI",
        "excluded",
    ):
        groups.add_column(col)
    sections = dict(report["groups"])
    if "intersectional" in report:
        sections[" x ".join(report["intersectional"]["columns"])] = report["intersectional"]
    for name, g in sections.items():
        dp, eo = g["differences"]["demographic_parity"], g["differences"]["equalized_odds"]
        groups.add_row(
            name,
            str(len(g["groups"])),
            _pct(dp["value"]),
            _ci(dp["ci95"]),
            _pct(eo["value"]) if eo["assessed"] else "no --label",
            _ci(eo["ci95"]) if eo["assessed"] else "",
            str(len(g["excluded"])),
        )
    out = [flips, groups]
    if report["worst_case"]:
        worst = Table(title="worst-case search")
        for col in (
            "attribute",
            "method",
            "worst value / shift",
            "mean |Δp|",
            "flip rate",
            "calls",
        ):
            worst.add_column(col)
        for name, w in report["worst_case"].items():
            worst.add_row(
                name,
                w["method"],
                str(w["value"]),
                f"{w['mean_abs_delta_p']:.3f}",
                _pct(w["flip_rate"]),
                str(w["calls"]),
            )
        out.append(worst)
    joint = report.get("joint_search")
    if joint:
        jt = Table(title=f"joint search ({joint['method']}): worst plausible counterfactual")
        for col in ("assignment", "mean |Δp|", "flip rate", "applicable rows", "calls"):
            jt.add_column(col)
        jt.add_row(", ".join(f"{k}={v}" for k, v in joint["worst"].items()),
                   f"{joint['mean_abs_delta_p']:.3f}", _pct(joint["flip_rate"]),
                   _pct(joint["applicable_share"]), str(joint["calls"]))
        out.append(jt)
    attr = report.get("attribution")
    if attr:
        shap = Table(title=f"SHAP ({attr['explainer']}, {attr['rows']} rows): top features")
        for col in ("rank", "feature", "mean |attribution|", "flag"):
            shap.add_column(col)
        flagged = {f["feature"]: f["kind"] for f in attr["flags"]}
        for i, r in enumerate(attr["ranking"][: attr["top_k"]], 1):
            mark = Text(flagged[r["feature"]], style="red") if r["feature"] in flagged else ""
            shap.add_row(str(i), r["feature"], f"{r['mean_abs']:.4f}", mark)
        out.append(shap)
    if report.get("explanations"):
        out.extend(explanation_tables(report["explanations"]))
    return out


def explanation_tables(section: dict[str, Any]) -> list[Table]:
    """Methods side by side: importance, rank agreement, group spread (``--explain``)."""
    methods = section["methods"]
    agree = section.get("agreement")
    title = "explanations: mean |attribution| per method"
    if agree and agree.get("spearman") is not None:
        lo, hi = agree["ci95"] or (None, None)
        title += (f"  ·  Spearman rho {agree['spearman']:.3f} (95% CI {lo:.3f} to {hi:.3f}, "
                  f"bootstrap over {agree['rows']} rows, {agree['features']} features)")
    imp = Table(title=title)
    imp.add_column("feature")
    for m in methods:
        imp.add_column(f"{m} (variance)")
    ranks = {m: {r["feature"]: r for r in e["importance"]} for m, e in methods.items()}
    first = next(iter(methods.values()))
    for r in first["importance"][:10]:
        got = [ranks[m].get(r["feature"]) for m in methods]
        cells = [f"{g['mean_abs']:.4f} ({g['variance']:.2g})" if g else "n/a" for g in got]
        imp.add_row(r["feature"], *cells)
    spread = Table(title="attribution spread across protected groups (permutation test, "
                         "BH q-values)")
    for col in ("method", "attribute", "feature", "spread", "p", "q"):
        spread.add_column(col)
    for m, e in methods.items():
        for attr, sp in e["spread"].items():
            for f in sp["features"][:3]:
                sig = Text(f"{f['q_value']:.3f}", style="red") if f["q_value"] < 0.05 else (
                    f"{f['q_value']:.3f}")
                spread.add_row(m, attr, f["feature"], f"{f['spread']:.4f}",
                               f"{f['p_value']:.3f}", sig)
    return [imp, spread]
