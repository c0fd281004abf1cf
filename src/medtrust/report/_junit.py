"""JUnit XML so that CI systems list failures: one testsuite per axis, one testcase per probe
or operator (failed when any case failed), one per compliance rule.

Mapping: a failure rate above 0 is a ``<failure>`` (counts and interval in the message); a
probe, operator or axis with only errored cases is an ``<error>`` (checked first: errors are
never shown as skipped); an axis or rule that was not assessed is ``<skipped>``, so a CI
dashboard never shows missing evidence as green. A probe or operator of an axis that is not
informative (controls at chance) is ``<skipped>`` with the note: its rate is no evidence either
way. The JUnit ``errors`` attributes count testcases; each testsuite's ``<properties>`` carry
the run summary's own figures (``medtrust.errors``, ``medtrust.calls``, one
``medtrust.error_reason:WHY`` per reason), never recounted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from medtrust.report._markdown import ci_pct, pct
from medtrust.summary import AxisSummary, ProbeEntry, RuleResult, RunSummary


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")


def _tally_case(suite: ET.Element, axis: str, name: str, t: ProbeEntry | AxisSummary) -> str:
    tc = _case(suite, f"medtrust.{axis}", name)
    if t.n == 0 and t.errors:  # before "not informative": errors are never shown as skipped
        ET.SubElement(tc, "error", message=f"no scored cases; {t.errors} errors", type="error")
        return "error"
    if not t.informative:
        ET.SubElement(tc, "skipped", message=f"not assessable: {t.note}")
        return "skipped"
    if t.n == 0:
        ET.SubElement(tc, "skipped", message="no scored cases")
        return "skipped"
    if t.failures:
        msg = (
            f"{t.failures}/{t.n} failed ({pct(t.failure_rate)}), "
            f"95% CI {ci_pct(t.ci95)}, {t.errors} errors"
        )
        ET.SubElement(tc, "failure", message=msg, type="failure_rate").text = msg
        return "failure"
    return "pass"


def _rule_case(suite: ET.Element, r: RuleResult) -> str:
    tc = _case(suite, f"medtrust.compliance.{r.pack}", r.id)
    msg = f"{r.regulation} {r.article} [{r.severity}]: {r.reason}"
    if r.status == "fail":
        ET.SubElement(
            tc, "failure", message=msg, type=f"severity:{r.severity}"
        ).text = f"{r.requirement}\n\n{msg}"
        return "failure"
    if r.status == "not assessed":
        ET.SubElement(tc, "skipped", message=msg)
        return "skipped"
    ET.SubElement(tc, "system-out").text = msg
    return "pass"


def _properties(suite: ET.Element, e: AxisSummary) -> None:
    """The summary's own figures for the axis (testcase counts are not error counts): scored
    units, failures, and errors over calls with why (``error_reasons``), never recounted."""
    props = ET.SubElement(suite, "properties")
    figures = {"assessed": str(e.assessed).lower(), "n": e.n, "failures": e.failures,
               "errors": e.errors, "calls": e.calls}  # fmt: skip
    figures |= {f"error_reason:{k}": v for k, v in (e.error_reasons or {}).items()}
    for name, value in figures.items():
        ET.SubElement(props, "property", name=f"medtrust.{name}", value=str(value))


def render_junit(summary: RunSummary) -> str:
    """The run as a JUnit XML document (``<testsuites>``)."""
    root = ET.Element("testsuites", name=f"medtrust {summary.run_id}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for axis, e in summary.axes.items():
        suite = ET.SubElement(root, "testsuite", name=axis)
        outcomes: list[str] = []
        if axis == "compliance":
            outcomes = [_rule_case(suite, r) for r in summary.compliance.rules]
        elif e.by_probe:
            outcomes = [_tally_case(suite, axis, k, t) for k, t in e.by_probe.items()]
        if "error" not in outcomes and e.errors and not e.n:  # e.g. every output unreadable
            outcomes.append(_tally_case(suite, axis, axis, e))
        elif not outcomes and e.assessed:
            outcomes = [_tally_case(suite, axis, axis, e)]
        _properties(suite, e)
        if not outcomes:
            tc = _case(suite, f"medtrust.{axis}", axis)
            ET.SubElement(tc, "skipped", message="not assessed in this run")
            outcomes = ["skipped"]
        counts = {
            "tests": len(outcomes),
            "failures": outcomes.count("failure"),
            "errors": outcomes.count("error"),
            "skipped": outcomes.count("skipped"),
        }
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", "0")
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
