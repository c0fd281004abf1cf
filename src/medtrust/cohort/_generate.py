"""The generator's public entry points: tables by chunk, patients in memory, cohorts on disk."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from medtrust._atomic import atomic_path
from medtrust.cohort._config import CohortConfig
from medtrust.cohort._io import format_of, open_sink
from medtrust.cohort._patient import Patient
from medtrust.cohort._plan import Plan, compile_plan
from medtrust.cohort._rng import BLOCK
from medtrust.cohort._sample import Chunk, sample_chunk, solve_balance
from medtrust.cohort._summary import SummaryAccumulator
from medtrust.cohort._table import build_table
from medtrust.errors import MedtrustError

CHUNK = 4 * BLOCK


def _plan(config: CohortConfig) -> Plan:
    plan = compile_plan(config)
    solve_balance(plan)
    return plan


def iter_chunks(config: CohortConfig, n: int, *, start: int = 0, chunk_size: int = CHUNK,
                workers: int = 1) -> Iterator[tuple[Chunk, pa.Table]]:
    """Sampled chunks with their tables, in order, for patients ``start .. start+n-1``.

    ``workers`` > 1 samples chunks on a thread pool (numpy and Arrow release the GIL for most
    of the work); at most two chunks per worker are in flight, so memory stays flat.
    """
    if n < 0 or start < 0:
        raise MedtrustError("the number of patients and the start index must be non-negative")
    plan = _plan(config)
    bounds = []
    pos, stop = start, start + n
    while pos < stop:
        end = min(stop, (pos // chunk_size + 1) * chunk_size)
        bounds.append((pos, end))
        pos = end

    def work(b: tuple[int, int]) -> tuple[Chunk, pa.Table]:
        chunk = sample_chunk(plan, *b)
        return chunk, build_table(plan, chunk)

    if workers <= 1:
        yield from (work(b) for b in bounds)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[tuple[Chunk, pa.Table]]] = deque()
        for b in bounds:
            pending.append(pool.submit(work, b))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def generate_table(n: int, *, seed: int = 0, config: CohortConfig | None = None) -> pa.Table:
    """A cohort of ``n`` patients as one Arrow table (for modest ``n``; stream large ones)."""
    cfg = config or CohortConfig(seed=seed)
    tables = [t for _, t in iter_chunks(cfg, n)]
    return pa.concat_tables(tables) if tables else build_empty(cfg)


def build_empty(config: CohortConfig) -> pa.Table:
    """A zero-row table with the cohort schema."""
    _, table = next(iter_chunks(config, 1))
    return table.slice(0, 0)


def generate_patients(n: int, *, seed: int = 0, config: CohortConfig | None = None,
                      start: int = 0) -> list[Patient]:
    """``n`` patients as records, from index ``start`` (each reproducible from seed and index)."""
    cfg = config or CohortConfig(seed=seed)
    out: list[Patient] = []
    for _, table in iter_chunks(cfg, n, start=start):
        out.extend(Patient.from_row(r) for r in table.to_pylist())
    return out


def patient_at(index: int, *, seed: int = 0, config: CohortConfig | None = None) -> Patient:
    """The patient at ``index`` of the cohort with this seed/config, generated on its own."""
    return generate_patients(1, seed=seed, config=config, start=index)[0]


def default_workers() -> int:
    """Sampling threads: the usable cores, at most 4 (the writer needs one too)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))


def generate_cohort(n: int, out: Path, *, config: CohortConfig | None = None,
                    chunk_size: int = CHUNK, workers: int | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Stream ``n`` patients to ``out`` (format from the suffix) and return the summary.

    The file appears only when complete; the summary is also written beside it as
    ``<out>.summary.json``.
    """
    import json

    cfg = config or CohortConfig()
    fmt = format_of(out)
    plan = _plan(cfg)
    acc = SummaryAccumulator(plan)
    t0 = time.perf_counter()
    with atomic_path(out) as tmp:
        sink = open_sink(tmp, fmt, plan.kb)
        try:
            nthreads = default_workers() if workers is None else workers
            for chunk, table in iter_chunks(cfg, n, chunk_size=chunk_size, workers=nthreads):
                sink.write(table)
                acc.add(chunk)
                if progress is not None:
                    progress(chunk.index.size)
        finally:
            sink.close()
    elapsed = time.perf_counter() - t0
    summary = acc.result()
    summary.update(file=str(out), format=fmt, seconds=round(elapsed, 3),
                   workers=default_workers() if workers is None else workers,
                   patients_per_second=round(n / elapsed, 1) if elapsed > 0 else None)
    side = out.with_name(out.name + ".summary.json")
    with atomic_path(side) as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
