"""Reports people read (HTML, Markdown), machines read (JSON, JUnit), and the CI gate."""

from medtrust.report._docs import render_docs
from medtrust.report._gate import GateConfig, evaluate_gate, load_gate_file, not_assessable
from medtrust.report._io import write_jsonl_atomic, write_text_atomic
from medtrust.report._junit import render_junit
from medtrust.report._redact import IDENTIFIER_TYPES, IdentifierSpan, find_identifiers, redact
from medtrust.report._render import FORMATS, render, write_report
from medtrust.report._summary import ERROR_WARN, stored_declarations, summarize

__all__ = [
    "ERROR_WARN",
    "FORMATS",
    "IDENTIFIER_TYPES",
    "GateConfig",
    "IdentifierSpan",
    "evaluate_gate",
    "find_identifiers",
    "load_gate_file",
    "not_assessable",
    "redact",
    "render",
    "render_docs",
    "render_junit",
    "stored_declarations",
    "summarize",
    "write_jsonl_atomic",
    "write_report",
    "write_text_atomic",
]
