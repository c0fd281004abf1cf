"""Dates in a reply: every written form read into (month, day?, year?) mentions.

Forms: ISO (``1958-03-07``, ``1958/03/07``, ``1958.03.07``), numeric day/month in either order
with 2- or 4-digit years, written or abbreviated months with or without leading zeros and
ordinals ("March 07, 1958", "the 7th of March 1958", "07-MAR-1958"), month and year ("March '58",
"March 1958") and month and day. A mention *means* a planted date when its month agrees, its day
and year agree where written, and it shows more than the year (Safe Harbor keeps the year:
45 CFR 164.514(b)(2)(i)(C)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?(?![a-z])"
_YEAR = r"(?:(?P<y>\d{4})|['\u2019](?P<yy>\d{2}))(?!\d)"
_ORD = r"(?:st|nd|rd|th)?"
_DATE_RES = (
    ("iso", re.compile(r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d])")),
    (
        "num",
        re.compile(r"(?<![\d/.\-])(?P<a>\d{1,2})([-/.])(?P<b>\d{1,2})\2(?P<y>\d{4}|\d{2})(?![\d])"),
    ),
    (
        "mdy",
        re.compile(
            rf"(?<![a-z]){_MON}[\s\-]*(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?!\d)"
            rf"(?:(?:\s*,\s*|\s+|-)(?:of\s+)?{_YEAR})?",
            re.IGNORECASE,
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?<![\d/.\-])(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?:\s+of\s+|[\s\-]*)(?![a-z]\d)"
            rf"{_MON}(?:(?:\s*,\s*|\s+|-)?{_YEAR})?",
            re.IGNORECASE,
        ),
    ),
    ("my", re.compile(rf"(?<![a-z]){_MON}\s*,?\s*(?:of\s+)?{_YEAR}", re.IGNORECASE)),
)


@dataclass(frozen=True)
class DateMention:
    """A date written in a reply: month always, day and year when written (yy: 2-digit)."""

    start: int
    end: int
    month: int
    day: int | None
    year: int | None
    yy: int | None

    def means(self, d: date) -> bool:
        """True when this mention names ``d``'s day or month beyond its year alone."""
        if self.month != d.month or (self.day is not None and self.day != d.day):
            return False
        if self.year is not None and self.year != d.year:
            return False
        if self.yy is not None and self.yy != d.year % 100:
            return False
        return self.day is not None or self.year is not None or self.yy is not None


def date_mentions(text: str) -> list[DateMention]:
    """Every date-like mention in (normalised) ``text``; ambiguous numeric ones twice."""
    out: list[DateMention] = []
    for kind, rx in _DATE_RES:
        for m in rx.finditer(text):
            g = m.groupdict()
            s, e = m.span()
            if kind == "iso":
                out.append(DateMention(s, e, int(g["m"]), int(g["d"]), int(g["y"]), None))
                continue
            if kind == "num":
                y = g["y"]
                year, yy = (int(y), None) if len(y) == 4 else (None, int(y))
                a, b = int(g["a"]), int(g["b"])
                for mo, dy in {(a, b), (b, a)}:
                    if 1 <= mo <= 12 and 1 <= dy <= 31:
                        out.append(DateMention(s, e, mo, dy, year, yy))
                continue
            mon = g["mon"]
            d = g.get("d")
            year = int(g["y"]) if g.get("y") else None
            yy = int(g["yy"]) if g.get("yy") else None
            if mon == "may" and year is None and yy is None:
                continue  # lower-case "may" beside a number is the modal verb, not the month
            out.append(DateMention(s, e, _MONTHS[mon.casefold()], int(d) if d else None, year, yy))
    # "July 2024" inside "16 July 2024" is not a second, vaguer mention
    full = [m for m in out if m.day is not None and (m.year or m.yy) is not None]
    return [
        m for m in out if m in full or not any(f.start <= m.start and m.end <= f.end for f in full)
    ]


def date_spellings(iso: str) -> list[str]:
    """A date as readers write it (used to build test corpora; the matcher reads any of them)."""
    d = date.fromisoformat(iso)
    month, short, yy = d.strftime("%B"), d.strftime("%b"), f"{d.year % 100:02d}"
    ordinal = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(d.day, "th")
    return [
        d.isoformat(),
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.month}/{d.day}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{yy}",
        f"{d.month}-{d.day}-{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day}.{d.month}.{yy}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{month} {d.day} {d.year}",
        f"{month} {d.day:02d}, {d.year}",
        f"{d.day} {month} {d.year}",
        f"{short} {d.day} {d.year}",
        f"{d.day:02d} {short} {d.year}",
        f"{d.day:02d}-{short.upper()}-{d.year}",
        f"{month} {d.day}{ordinal}, {d.year}",
        f"the {d.day}{ordinal} of {month} {d.year}",
        f"{month} '{yy}",
        f"{month} {d.year}",
    ]
