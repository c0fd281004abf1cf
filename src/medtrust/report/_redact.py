"""Redaction for reports and logs: re-exported from :mod:`medtrust._redaction`.

The implementation lives below both ``report`` and ``review`` (DESIGN's import rule); this
module keeps the import path the renderers, the policies and third-party code already use.
"""

from __future__ import annotations

from medtrust._redaction import (
    IDENTIFIER_TYPES,
    LABELS,
    IdentifierSpan,
    find_identifiers,
    planted_identity,
    planted_spans,
    redact,
    redactor,
)

__all__ = [
    "IDENTIFIER_TYPES",
    "LABELS",
    "IdentifierSpan",
    "find_identifiers",
    "planted_identity",
    "planted_spans",
    "redact",
    "redactor",
]
