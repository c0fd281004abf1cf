"""Facts stated in words: an age over 89 and the diagnosis (with the curated synonym table)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TENS = {"ninety": 90, "one hundred": 100, "a hundred": 100, "hundred": 100}
_AGE_NUM = re.compile(
    r"(?<![\d.])(?P<n>\d{2,3})(?:\s*|-)(?:years?|yrs?|y/?o|y\.o\.)(?![a-z])"
    r"|\bage[ds]?\s*(?:of\s*)?:?\s*(?P<n2>\d{2,3})(?!\d|\.\d)"
    r"|(?P<n3>\d{2,3})(?:st|nd|rd|th)\s+birthday",
    re.IGNORECASE,
)
_AGE_WORD = re.compile(
    r"\b(?P<t>ninety|(?:one |a )?hundred)(?:(?:\s+and)?[\s\-]+(?P<u>"
    + "|".join(_UNITS)
    + r"))?(?:[\s\-]+(?:years?|yrs?)|(?<=\w)(?=\s+(?:years?|yrs?)))",
    re.IGNORECASE,
)
_AGE_WORD_PRE = re.compile(
    r"\bage[ds]?\s+(?:of\s+)?(?P<t>ninety|(?:one |a )?hundred)(?:(?:\s+and)?[\s\-]+(?P<u>"
    + "|".join(_UNITS)
    + r"))?\b",
    re.IGNORECASE,
)


def age_spans(text: str, age: int) -> list[tuple[int, int]]:
    out = []
    for m in _AGE_NUM.finditer(text):
        n = m.group("n") or m.group("n2") or m.group("n3")
        if n and int(n) == age:
            out.append(m.span())
    for rx in (_AGE_WORD, _AGE_WORD_PRE):
        for m in rx.finditer(text):
            t = _TENS[m.group("t").casefold()]
            u = m.group("u")
            if t + (_UNITS.index(u.casefold()) + 1 if u else 0) == age:
                out.append(m.span())
    return out


@lru_cache(maxsize=1)
def diagnosis_table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The curated synonym table: normalised name -> (phrases any case, abbreviations as written).

    Source: ``medtrust/cohort/data/diagnosis_synonyms.yaml`` (see its header)."""
    # Read by path: importing medtrust.cohort would pull in numpy and pyarrow for one data file.
    raw = (Path(__file__).parents[1] / "cohort" / "data" / "diagnosis_synonyms.yaml").read_text(
        encoding="utf-8"
    )
    rows = yaml.safe_load(raw)["diagnoses"]
    table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for row in rows:
        phrases = (row["name"], *row.get("synonyms", []))
        abbr = tuple(row.get("abbreviations", []))
        for key in (row["name"], *row.get("aliases", [])):
            table[_key(key)] = (tuple(phrases), abbr)
    return table


def _key(s: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", s.casefold()))


@lru_cache(maxsize=2048)
def _dx_re(value: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    phrases, abbr = diagnosis_table().get(_key(value), ((value,), ()))
    variants = set(phrases) | {value, re.sub(r"\s*\([^)]*\)", "", value)}
    alts = sorted(
        (
            r"[\s\-'\u2019/(),]*".join(re.escape(t) for t in re.findall(r"[\w+]+", p))
            for p in variants
        ),
        key=len,
        reverse=True,
    )
    ph = re.compile(rf"(?<![\w])(?:{'|'.join(a for a in alts if a)})(?![\w])", re.IGNORECASE)
    ab = re.compile(rf"(?<![\w])(?:{'|'.join(map(re.escape, abbr))})(?![\w])") if abbr else None
    return ph, ab


_NEG_BEFORE = re.compile(
    r"(?:\bno|\bnot|\bnever|\bdenies|\bdenied|\bnegative for|\bwithout|\bruled? out|\bfree of"
    r"|\bno evidence of|\bno history of|\bno signs? of)\s+(?:[\w()'\-]+\s+){0,3}$",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(r"^[ \t\-]*(?:negative|neg\b)", re.IGNORECASE)


def dx_spans(text: str, value: str) -> list[tuple[int, int]]:
    ph, ab = _dx_re(value)
    out = []
    for rx in (ph, ab):
        for m in rx.finditer(text) if rx else ():
            s, e = m.span()
            if _NEG_BEFORE.search(text[max(0, s - 40) : s]) or _NEG_AFTER.match(text[e : e + 12]):
                continue
            out.append((s, e))
    return out
