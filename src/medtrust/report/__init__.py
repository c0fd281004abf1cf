"""Reports people read (HTML, Markdown), machines read (JSON, JUnit), and the CI gate.

Renderers read the typed :class:`medtrust.summary.RunSummary` and compute nothing;
:func:`summarize_run` is the summary of a stored run with its clinician reviews, judges' track
record and audit status fetched from the store."""

from medtrust.report._docs import render_docs
from medtrust.report._gate import GateConfig, evaluate_gate, load_gate_file, not_assessable
from medtrust.report._inputs import audit_status, summarize_run, summary_inputs
from medtrust.report._io import write_jsonl_atomic, write_text_atomic
from medtrust.report._junit import render_junit
from medtrust.report._redact import IDENTIFIER_TYPES, IdentifierSpan, find_identifiers, redact
from medtrust.report._render import FORMATS, render, write_report

__all__ = [
    "FORMATS",
    "IDENTIFIER_TYPES",
    "GateConfig",
    "IdentifierSpan",
    "audit_status",
    "evaluate_gate",
    "find_identifiers",
    "load_gate_file",
    "not_assessable",
    "redact",
    "render",
    "render_docs",
    "render_junit",
    "summarize_run",
    "summary_inputs",
    "write_jsonl_atomic",
    "write_report",
    "write_text_atomic",
]
