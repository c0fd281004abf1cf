"""Safe Harbor checker: find HIPAA identifiers (45 CFR 164.514(b)(2)(i)(A)-(R)) in a file.

Tables (Parquet, CSV, JSONL) are scanned column by column with Arrow compute; FHIR NDJSON is
walked resource by resource (:mod:`._safe_harbor_fhir`). Four kinds of evidence, each counted
once per record, column and rule:

- a column whose *name* says it holds an identifier and is filled in (a date column only when
  its value is more precise than a year; a ZIP column only when its value is not a permitted
  three-digit prefix);
- a *value* shaped like an identifier in any text cell (SSN, phone, e-mail, URL, IP, MRN, any
  spelling of a date more precise than a year, an age over 90 stated in words);
- ages: any column named like an age (``age``, ``age_at_visit``, ``AgeYears``) holding a value
  over 90 in any form ("95", "95 years", "95 y/o", "91-94"); 90 is the top code "90 or older";
  a birth year beside a top-coded age, or beside an encounter year or date at least 91 years
  later (the birth year then reveals an age over 89 on any reading of the two dates); a birth
  year with no event year on its row is read the same way against the reference year: the
  latest event year in the table (one read batch), else the current year, so ``birth_year``
  1930 alone is a violation (164.514(b)(2)(i)(C) removes "all elements of dates (including
  year) indicative of such age"). Ages are read in any form: "95", "90.5", "1e2",
  "ninety-five", "one hundred and two"; exactly 90 is the permitted aggregate code "90 or
  older" and is not a violation;
- ZIP3: restricted prefixes (the union of the 2000- and 2010-census lists,
  ``data/restricted_zip3.yaml``) and prefixes with no residents in the 2020 Census.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medtrust.cohort._io import format_of, read_tables
from medtrust.cohort._kb import load_kb
from medtrust.cohort._sh_rules import (
    AGE_TEXT_PATTERN,
    AGE_VALUE_PATTERN,
    BIRTH_DATE_COLUMNS,
    BIRTH_YEAR_COLUMNS,
    COLUMN_RULES,
    PATTERNS,
    RULES,
    ZIP_COLUMNS,
    CheckReport,
    Violation,
    is_age_column,
    is_event_column,
    norm_name,
    zip3_allowed,
)

__all__ = ["RULES", "CheckReport", "Violation", "check_file", "table_hits"]

Mask = npt.NDArray[np.bool_]
Hits = dict[tuple[str, str], tuple[str, Mask]]


class _Text:
    """The text of one column, matched once per distinct value (dictionaries, lists, repeats)."""

    def __init__(self, col: pa.ChunkedArray, n: int) -> None:
        arr = col.combine_chunks()
        self.n = n
        self.parents: npt.NDArray[np.int64] | None = None
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            self.parents = np.asarray(pc.list_parent_indices(arr))
            arr = pc.list_flatten(arr)
        self.index: npt.NDArray[np.int64] | None = None
        if pa.types.is_dictionary(arr.type):
            self.values = pc.cast(arr.dictionary, pa.string())
            self.index = np.asarray(arr.indices.fill_null(-1), dtype=np.int64)
        else:
            arr = pc.cast(arr, pa.string())
            uniq = pc.unique(arr)
            if len(uniq) * 4 < len(arr):
                self.values = uniq
                self.index = np.asarray(pc.index_in(arr, value_set=uniq).fill_null(-1),
                                        dtype=np.int64)
            else:
                self.values = arr

    def _rows(self, hit: Mask) -> Mask:
        if self.index is not None:
            ok = self.index >= 0
            full = np.zeros(self.index.size, dtype=bool)
            full[ok] = hit[self.index[ok]]
            hit = full
        if self.parents is not None:
            rows = np.zeros(self.n, dtype=bool)
            rows[self.parents[hit]] = True
            return rows
        return hit

    def match(self, regex: str) -> Mask:
        return self._rows(np.asarray(pc.fill_null(pc.match_substring_regex(self.values, regex),
                                                  False), dtype=bool))

    def where(self, fn: Callable[[str], bool]) -> Mask:
        """Rows whose value satisfies ``fn`` (evaluated once per distinct value)."""
        distinct = pc.unique(self.values).to_pylist()
        bad = pa.array([v for v in distinct if v is not None and fn(v)], type=pa.string())
        return self._rows(np.asarray(pc.is_in(self.values, value_set=bad).fill_null(False),
                                     dtype=bool))


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        t = t.value_type
    if pa.types.is_dictionary(t):
        t = t.value_type
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _filled(col: pa.ChunkedArray) -> Mask:
    valid = pc.is_valid(col)
    if _is_text(col.type) and not pa.types.is_list(col.type):
        valid = pc.and_(valid, pc.not_equal(pc.utf8_trim_whitespace(pc.cast(col, pa.string())),
                                            ""))
    return np.asarray(pc.fill_null(valid, False).combine_chunks()
                      if isinstance(valid, pa.ChunkedArray) else valid, dtype=bool)


def _numbers(col: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    arr = col.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = pc.cast(arr, pa.string())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        # decimal and scientific forms ("90.0", "90.5", "1e2"): compared as numbers
        ok = pc.match_substring_regex(arr, r"^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
        arr = pc.cast(pc.utf8_trim_whitespace(pc.if_else(ok, arr, None)), pa.float64())
    elif pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        arr = pc.cast(arr, pa.float64())
    else:
        return np.full(len(arr), np.nan)
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)


def _years(col: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    """The (first) four-digit year of each value, NaN where none."""
    arr = col.combine_chunks()
    if pa.types.is_temporal(arr.type) and not pa.types.is_time(arr.type):
        out = pc.cast(pc.year(arr), pa.float64())
        return np.asarray(out.to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return _numbers(col)
    if not _is_text(arr.type) or pa.types.is_list(arr.type):
        return np.full(len(arr), np.nan)
    got = pc.extract_regex(pc.cast(arr, pa.string()), r"(?P<y>(?:1[89]|20)\d{2})")
    years = pc.cast(pc.struct_field(got, [0]), pa.float64())
    return np.asarray(years.to_numpy(zero_copy_only=False), dtype=np.float64)


def _zip_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """ZIP values as text; integers get their leading zeros back (36 -> 036, 2139 -> 02139)."""
    if pa.types.is_integer(col.type):
        s = pc.cast(col, pa.string())
        short = pc.less_equal(pc.utf8_length(s), 3)
        return pc.if_else(short, pc.utf8_lpad(s, 3, "0"), pc.utf8_lpad(s, 5, "0"))
    return col


def table_hits(table: pa.Table, restricted: frozenset[str] | None = None,
               reference_year: int | None = None) -> Hits:
    """``{(column, rule): (detail, rows)}`` for one table; ``rows`` is a boolean row mask.

    ``reference_year`` is the year a birth year with no event year beside it is read against
    when the table has no event year at all (default: the current year)."""
    restricted = load_kb().restricted_zip3 if restricted is None else restricted
    n = table.num_rows
    hits: Hits = {}

    def add(column: str, rule: str, detail: str, mask: Mask) -> None:
        if not mask.any():
            return
        old = hits.get((column, rule))
        hits[(column, rule)] = (old[0], old[1] | mask) if old else (detail, mask)

    births: list[tuple[str, npt.NDArray[np.float64]]] = []
    events: list[tuple[str, npt.NDArray[np.float64]]] = []
    ages: list[npt.NDArray[np.float64]] = []
    for name in table.column_names:
        col, key = table[name], norm_name(name)
        text = _Text(col, n) if _is_text(col.type) else None
        rule = COLUMN_RULES.get(key)
        if key in ZIP_COLUMNS:
            zt = _Text(_zip_text(col), n) if text is None else text
            add(name, "geography", f"column {name!r} holds a ZIP code that is not a permitted "
                "3-digit prefix (restricted, unpopulated or longer prefixes must be 000)",
                zt.where(lambda v: not zip3_allowed(v.strip(), restricted)))
        elif rule == "dates":
            if text is not None:
                add(name, rule, f"column {name!r} holds a date more precise than a year",
                    _filled(col) & ~text.match(r"^\s*\d{4}\s*$"))
        elif rule is not None:
            add(name, rule, f"column {name!r} holds {RULES[rule]}", _filled(col))
        if pa.types.is_temporal(col.type):
            add(name, "dates", "date more precise than a year", _filled(col))
        if text is not None:
            for prule, regex in PATTERNS.items():
                add(name, prule, f"value looks like {RULES[prule]}", text.match(regex))
            add(name, "dates", "age over 89 stated in text", text.match(AGE_TEXT_PATTERN))
        if is_age_column(key):
            values = _numbers(col)
            ages.append(values)
            over = np.nan_to_num(values, nan=0.0) > 90
            if text is not None:
                over |= text.match(AGE_VALUE_PATTERN)
            add(name, "dates", "age over 90 (only 90, the aggregate code '90 or older', is "
                "permitted)", over)
        if key in BIRTH_YEAR_COLUMNS or key in BIRTH_DATE_COLUMNS:
            births.append((name, _years(col)))
        elif is_event_column(key):
            events.append((name, _years(col)))
    # A birth year with no event year on its row is read against the reference year: the latest
    # event year in the table, else this year (the data describe living people today).
    seen = [e for _, e in events if (~np.isnan(e)).any()]
    ref = float(max(np.nanmax(e) for e in seen)) if seen else float(
        date.today().year if reference_year is None else reference_year)
    no_event = np.ones(n, dtype=bool)
    for _, eyear in events:
        no_event &= np.isnan(eyear)
    for bname, byear in births:
        known = ~np.isnan(byear)
        add(bname, "dates", f"birth year reveals an age over 89 in {int(ref)} (the latest "
            "event year in the file, else the current year)",
            known & no_event & (np.nan_to_num(ref - byear, nan=0.0) >= 91))
        for a in ages:
            add(bname, "dates", "birth year beside an age of 90 or older",
                known & (np.nan_to_num(a, nan=0.0) >= 90))
        for ename, eyear in events:
            add(bname, "dates", f"birth year and {ename!r} reveal an age over 89",
                known & (np.nan_to_num(eyear - byear, nan=0.0) >= 91))
    return hits


def check_file(path: Path, *, limit: int = 10_000) -> CheckReport:
    """Check a cohort file against Safe Harbor; ``violations`` holds the first ``limit``.

    Raises ``MedtrustError``/``ConfigError`` (exit 2) for unreadable or malformed input,
    including FHIR that is not a JSON object, has an unknown resourceType or a value of the
    wrong type: a file that cannot be read is never reported as clean."""
    counts: Counter[str] = Counter()
    columns: Counter[str] = Counter()
    kept: list[Violation] = []
    records = flagged = 0
    kb = load_kb()
    if format_of(path) == "fhir":
        from medtrust.cohort._safe_harbor_fhir import check_fhir

        records, flagged, counts, kept, columns = check_fhir(path, kb.restricted_zip3, limit)
    else:
        for table in read_tables(path):
            hits = table_hits(table, kb.restricted_zip3)
            any_row = np.zeros(table.num_rows, dtype=bool)
            by_column: dict[str, Mask] = {}
            chunk: list[Violation] = []
            for (column, rule), (detail, mask) in hits.items():
                counts[rule] += int(mask.sum())
                any_row |= mask
                by_column[column] = by_column.get(column, mask) | mask
                if len(kept) < limit:
                    chunk += [Violation(record=records + int(r) + 1, column=column, rule=rule,
                                        detail=detail) for r in np.flatnonzero(mask)[:limit]]
            chunk.sort(key=lambda v: (v.record, v.column, v.rule))
            kept += chunk[: limit - len(kept)]
            flagged += int(any_row.sum())
            columns.update({c: int(m.sum()) for c, m in by_column.items()})
            records += table.num_rows
    kept.sort(key=lambda v: (v.record, v.column, v.rule))
    total = sum(counts.values())
    return CheckReport(file=str(path), records=records, violations=kept, counts=dict(counts),
                       total=total, truncated=total > len(kept),
                       restricted_zip3=kb.restricted_zip3_version, records_flagged=flagged,
                       columns=dict(columns))
