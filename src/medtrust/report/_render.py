"""Renderers: self-contained HTML (no CDN), JSON per the contract, Markdown, JUnit XML."""

from __future__ import annotations

import contextlib
import functools
import json
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket

from medtrust.errors import MedtrustError
from medtrust.records import Case, RunInfo
from medtrust.report._explanations import feedback_notes
from medtrust.report._io import replace_dir_atomic, write_text_atomic
from medtrust.report._junit import render_junit
from medtrust.report._markdown import render_md
from medtrust.report._scores import reading_notes, rubric_scores
from medtrust.report._views import (
    MAX_EXAMPLES,
    bars,
    error_line,
    failing_examples,
    fairness_view,
    glossary,
    risk_bars,
)
from medtrust.store import Store
from medtrust.summary import ERROR_WARN, RunSummary

FORMATS = ("html", "json", "md", "junit")

__all__ = [
    "FORMATS",
    "MAX_EXAMPLES",
    "failing_examples",
    "render",
    "render_html",
    "render_md",
    "write_report",
]


def _json(summary: RunSummary) -> str:
    return json.dumps(summary.to_json(), indent=2)


class _BytecodeCache(FileSystemBytecodeCache):
    """Jinja's compiled-template cache in its default folder (the system temporary folder,
    ``_jinja2-cache-UID``, which Jinja checks is the user's own with mode 0700), keyed by the
    template's name and checked against its source's checksum, so an edited template is
    compiled again. Compiling the report template took ~0.08 s of every run (issue 15 item 7).
    A cache that cannot be read or written is skipped: the template is compiled as before."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):  # unreadable or truncated
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        return _BytecodeCache()
    except (OSError, RuntimeError):  # no usable temporary folder, or an unsafe one
        return None


@functools.cache
def _environment() -> Environment:
    """The report templates' environment, made once per process."""
    return Environment(
        loader=PackageLoader("medtrust", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )


def render_html(store: Store, info: RunInfo, summary: RunSummary, *, redact: bool) -> str:
    """One HTML file with inline CSS and SVG charts; no script, no external resource.

    The template reads the run JSON (``summary.to_json()``), the same object users read. The
    run is read once, for the failing examples, which also collects the glossary's names."""
    names: dict[tuple[str, str, str], Case] = {}  # one case per (axis, probe, operator)

    def name(c: Case) -> None:
        names.setdefault((c.axis, c.probe, c.operator), c)

    examples = failing_examples(store, info, redact=redact, summary=summary, each=name)
    assessed = {a: e for a, e in summary.axes.items() if e.assessed}
    charts = {a: bars(e.by_probe) for a, e in assessed.items()}
    overview = bars(assessed)
    groups, disparity = fairness_view(summary.axis("fairness"))
    data = summary.to_json()
    return _environment().get_template("report.html.j2").render(
        s=data,
        axes=list(summary.axes),
        charts=charts,
        overview=overview,
        risk_rows=risk_bars(summary.risk),
        rubric_rows=rubric_scores(summary),
        reading=reading_notes(summary),
        comp=data["compliance"],
        reg_rows=bars(summary.compliance.by_regulation),
        groups=groups,
        disparity=disparity,
        redacted=redact,
        examples=examples,
        feedback=feedback_notes(summary),
        glossary=glossary(summary, names.values()),
        error_warn=ERROR_WARN,
        errors_text=error_line(summary),
        summary_json=json.dumps(data, indent=2),
    )


def render(store: Store, info: RunInfo, summary: RunSummary, fmt: str, *, redact: bool) -> str:
    """The report as text in ``fmt`` (one of :data:`FORMATS`; another raises MedtrustError)."""
    if fmt == "json":
        return _json(summary) + "\n"
    if fmt == "md":
        return render_md(summary, glossary(summary, store.iter_cases(info.id)))
    if fmt == "junit":
        return render_junit(summary)
    if fmt == "html":
        return render_html(store, info, summary, redact=redact)
    raise MedtrustError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")


def write_report(
    store: Store,
    info: RunInfo,
    summary: RunSummary,
    out: Path,
    *,
    fmt: str,
    redact: bool = True,
) -> Path:
    """Write the report atomically. For HTML, ``out`` is a folder (``index.html`` inside) unless
    it ends in ``.html``; for the other formats it is the file."""
    text = render(store, info, summary, fmt, redact=redact)
    try:
        if fmt == "html" and out.suffix.lower() != ".html":
            out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
            (staging / "index.html").write_text(text, encoding="utf-8")
            (staging / "summary.json").write_text(_json(summary) + "\n", encoding="utf-8")
            replace_dir_atomic(staging, out)
            return out / "index.html"
        write_text_atomic(out, text)
    except OSError as exc:
        raise MedtrustError(f"{out}: cannot write report: {exc.strerror or exc}") from None
    return out
