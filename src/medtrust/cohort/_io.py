"""Cohort files: streaming writers (Parquet, CSV, JSONL, FHIR NDJSON), readers, atomic rename.

Writers take one Arrow table per chunk, so memory stays flat whatever the cohort size. Output
goes to a temporary file beside the target and is renamed into place only when complete: a
failed or interrupted run never leaves a half-written cohort.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from medtrust.cohort._fhir import bundle_dict
from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._patient import Patient
from medtrust.errors import ConfigError, MedtrustError, NotFoundError, json_line

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "fhir"}


def format_of(path: Path) -> str:
    """Output format from the file suffix; a clear error for anything else."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MedtrustError(f"{path}: unsupported cohort format {path.suffix or '(none)'!r}; "
                            "use .parquet, .csv, .jsonl or .ndjson (FHIR)")
    return fmt


def flatten_for_text(table: pa.Table) -> pa.Table:
    """CSV-ready: lists joined with ';', dictionaries decoded."""
    cols = []
    for name in table.column_names:
        col = table[name]
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, ";")
        elif pa.types.is_dictionary(col.type):
            col = pc.cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


class Sink(Protocol):
    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class _Parquet:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Csv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        flat = flatten_for_text(table)
        if self.writer is None:
            self.writer = pacsv.CSVWriter(self.path, flat.schema)
        self.writer.write_table(flat)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Lines:
    def __init__(self, path: Path, fhir: bool, kb: KnowledgeBase) -> None:
        self.fh = path.open("w", encoding="utf-8")
        self.fhir = fhir
        self.kb = kb

    def write(self, table: pa.Table) -> None:
        rows = table.to_pylist()
        if self.fhir:
            docs: list[Any] = [bundle_dict(Patient.from_row(r, self.kb), self.kb) for r in rows]
        else:
            docs = rows
        self.fh.write("".join(json.dumps(d, default=str, separators=(",", ":")) + "\n"
                              for d in docs))

    def close(self) -> None:
        self.fh.close()


def open_sink(path: Path, fmt: str, kb: KnowledgeBase | None = None) -> Sink:
    """A streaming writer for ``fmt`` at ``path``."""
    if fmt == "parquet":
        return _Parquet(path)
    if fmt == "csv":
        return _Csv(path)
    return _Lines(path, fmt == "fhir", kb or load_kb())


def read_tables(path: Path, batch_rows: int = 65536) -> Iterator[pa.Table]:
    """Stream a cohort file (Parquet, CSV, JSONL) as Arrow tables; CSV cells stay strings."""
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    fmt = format_of(path)
    if fmt == "parquet":
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ConfigError(f"{path}: not a readable Parquet file ({exc})") from None
        for batch in pf.iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([batch])
    elif fmt == "csv":
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") must not become part of the
        # first column's name, or that column is type-inferred and "036" turns into 36.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            cols = next(csv.reader(fh), [])
        if not cols:
            raise ConfigError(f"{path}:1: empty CSV file (no header)")
        try:
            reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(column_names=cols,
                                                                         skip_rows=1),
                                    convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in cols}, strings_can_be_null=False))
            for batch in reader:
                yield pa.Table.from_batches([batch])
        except pa.ArrowInvalid as exc:
            raise ConfigError(f"{path}: malformed CSV ({exc})") from None
    else:
        rows: list[dict[str, Any]] = []
        for lineno, row in _json_lines(path):
            if not isinstance(row, dict):
                raise ConfigError(f"{path}:{lineno}: expected a JSON object per line")
            rows.append(row)
            if len(rows) >= batch_rows:
                yield pa.Table.from_pylist(rows)
                rows = []
        if rows:
            yield pa.Table.from_pylist(rows)


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    # streamed, not read whole: a cohort file can hold millions of rows; each line's invalid
    # JSON (or nesting too deep for the parser) is ``errors.json_line``'s one line, file:line
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield lineno, json_line(line, f"{path}:{lineno}")


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for each non-blank line; a clear error on the first bad one."""
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    return _json_lines(path)


def read_patients(path: Path, kb: KnowledgeBase | None = None) -> Iterator[Patient]:
    """Patients from a cohort table file, or from FHIR bundles (``.ndjson``/``.json``/folder)."""
    from medtrust.cohort._fhir_import import import_fhir

    if path.is_dir() or path.suffix.lower() in (".ndjson", ".json"):
        yield from import_fhir(path, kb=kb)
        return
    kb = kb or load_kb()
    offset = 0
    for table in read_tables(path):
        for i, row in enumerate(table.to_pylist(), offset + 1):
            try:
                yield Patient.from_row(row, kb)
            except (ValueError, TypeError, KeyError) as exc:
                reason = str(exc).splitlines()[0]
                raise ConfigError(f"{path}: record {i}: not a cohort record ({reason})") from None
        offset += table.num_rows
