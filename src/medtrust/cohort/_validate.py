"""``medtrust cohort validate``: clinically implausible records of a cohort file, by rule.

Reads generated cohorts and user tables (Parquet, CSV, JSONL: columns ``sex``, ``age``,
``conditions``, ``medications``, ``variants``, lists as arrays or ``;``-joined text) and FHIR R4
(``.ndjson``, a Bundle ``.json`` or a folder of them, through the FHIR importer). A record's
line is the CSV line (header = line 1) or the JSON line; FHIR records are numbered in file order.
Identical clinical content is checked once (a cohort has many identical healthy records), so a
million records take seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

from medtrust.cohort._io import format_of, read_tables
from medtrust.cohort._plausibility import FAMILIES, Issue, Record, Rules, load_rules, normalise_sex
from medtrust.errors import ConfigError, NotFoundError

REQUIRED = ("sex", "age")


class Finding(BaseModel):
    """One implausible fact of one record."""

    record: str
    line: int | None = None
    family: str
    rule: str
    detail: str


class ValidationReport(BaseModel):
    """Counts per family and per rule (every finding counted), and the first ``limit`` listed."""

    file: str
    records: int = 0
    records_flagged: int = 0
    total: int = 0
    counts: dict[str, int] = Field(default_factory=dict)
    rules: dict[str, int] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.total == 0

    @property
    def flagged_rate(self) -> float:
        return self.records_flagged / self.records if self.records else 0.0


def _codes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(";")
    else:
        items = list(value)
    return tuple(s for v in items if (s := str(v).strip()))


def _age(value: Any, where: str) -> int | None:
    if type(value) is int and 0 <= value <= 130:
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().rstrip("+")
    try:
        age = float(text)
    except ValueError:
        raise ConfigError(f"{where}: age {value!r} is not a number") from None
    if age != age or age < 0 or age > 130:
        raise ConfigError(f"{where}: age {value!r} outside 0-130")
    return int(age)


def table_records(table: pa.Table, *, where: str = "table", first_line: int = 1,
                  start: int = 0) -> Iterator[tuple[str, int | None, Record]]:
    """(record id, line, record) for each row of an Arrow table (a cohort chunk or file part).

    Raises :class:`ConfigError` naming ``where`` and the line for a missing column or a bad age.
    """
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise ConfigError(f"{where}: missing column {missing[0]!r} (needs sex and age; "
                          "conditions, medications, variants when present)")
    n = table.num_rows

    def col(name: str) -> list[Any]:
        return table.column(name).to_pylist() if name in table.column_names else [None] * n

    rids, sexes, ages = col("record_id"), col("sex"), col("age")
    conds, meds, vars_ = col("conditions"), col("medications"), col("variants")
    # Sex-specific lab columns the rules name (plausibility.yaml `labs`): which hold a value.
    labs = {c: col(c) for c in load_rules().lab_sex if c in table.column_names}
    for i in range(n):
        line = first_line + start + i
        yield (str(rids[i]) if rids[i] else str(start + i + 1)), line, Record(
            sex=normalise_sex(sexes[i]),
            age=_age(ages[i], f"{where}:{line}"),
            conditions=tuple(c.upper() for c in _codes(conds[i])),
            medications=tuple(m.lower() for m in _codes(meds[i])),
            variants=_codes(vars_[i]),
            labs=tuple(c for c, vals in labs.items() if _present(vals[i])),
        )


def _present(value: Any) -> bool:
    """A lab cell holds a measurement (not None, NaN or blank)."""
    if value is None or (isinstance(value, float) and value != value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _table_records(path: Path) -> Iterator[tuple[str, int | None, Record]]:
    first_line = 2 if format_of(path) == "csv" else 1
    n = 0
    for table in read_tables(path):
        yield from table_records(table, where=str(path), first_line=first_line, start=n)
        n += table.num_rows


def _fhir_records(path: Path) -> Iterator[tuple[str, int | None, Record]]:
    from medtrust.cohort._fhir_import import import_fhir
    from medtrust.cohort._lab_sex import patient_record

    for p in import_fhir(path, identified=True):  # labs included: the lab_sex rule applies
        yield p.record_id, None, patient_record(p)


def iter_records(path: Path) -> Iterator[tuple[str, int | None, Record]]:
    """(record id, line or None, record) for every record of a cohort file or FHIR input."""
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    if path.is_dir() or path.suffix.lower() in (".ndjson", ".json"):
        return _fhir_records(path)
    return _table_records(path)


def validate_records(records: Iterator[tuple[str, int | None, Record]], *, file: str = "",
                     limit: int = 1000, rules: Rules | None = None) -> ValidationReport:
    """Check every record; all findings are counted, the first ``limit`` are listed."""
    rules = rules or load_rules()
    report = ValidationReport(file=file)
    counts: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    cache: dict[Record, list[Issue]] = {}
    for rid, line, rec in records:
        report.records += 1
        issues = cache.get(rec)
        if issues is None:
            issues = cache[rec] = rules.check(rec) if (rec.conditions or rec.medications
                                                       or rec.variants or rec.labs) else []
        if not issues:
            continue
        report.records_flagged += 1
        for issue in issues:
            counts[issue.family] += 1
            by_rule[issue.rule] += 1
            if len(report.findings) < limit:
                report.findings.append(Finding(record=rid, line=line, family=issue.family,
                                               rule=issue.rule, detail=issue.detail))
    report.total = sum(counts.values())
    report.counts = {f: counts[f] for f in FAMILIES if counts[f]}
    report.rules = dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
    return report


def validate_file(path: Path, *, limit: int = 1000) -> ValidationReport:
    """Validate a cohort file (Parquet, CSV, JSONL) or FHIR input; see the module doc."""
    return validate_records(iter_records(path), file=str(path), limit=limit)
