"""Cohorts at scale: partitioned Parquet written in parallel by Ray tasks.

Partition ``p`` holds patients ``p * size .. (p + 1) * size - 1``. Every patient is a function
of (seed, patient index) alone (counter-based streams, see ``_rng``), so a partition's rows, and
hence its file's bytes, depend on the seed, the configuration, the partition size and ``p``, never
on which worker wrote it or how many ran: the output is byte-identical for a seed whatever the
number of workers. The partition size is fixed (default 1,048,576 patients, a multiple of the
sampling chunk) and does not follow the worker count.

Files appear as ``DIR/part-00000.parquet ...`` with ``DIR/_summary.json``; they are written into
``DIR.partial/`` and the folder is renamed when every partition is done, so a failed run leaves
no half-written cohort. On a multi-machine cluster ``DIR`` must be on storage every node sees.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from medtrust.cohort._config import CohortConfig
from medtrust.cohort._io import open_sink
from medtrust.cohort._plan import compile_plan
from medtrust.cohort._sample import solve_balance
from medtrust.cohort._summary import SummaryAccumulator
from medtrust.errors import ConfigError

PARTITION = 1 << 20
"""Patients per partition file (a multiple of the sampling chunk, ``4 * BLOCK``)."""


def _counts(acc: SummaryAccumulator) -> dict[str, Any]:
    return {k: v for k, v in vars(acc).items() if k != "plan"}


def write_partition(config: dict[str, Any], start: int, count: int, path: str) -> dict[str, Any]:
    """Write patients ``start .. start + count - 1`` to the Parquet file ``path``; returns the
    partition's summary counts (``SummaryAccumulator`` fields)."""
    from medtrust.cohort._generate import iter_chunks

    cfg = CohortConfig.model_validate(config)
    plan = compile_plan(cfg)
    solve_balance(plan)
    acc = SummaryAccumulator(plan)
    sink = open_sink(Path(path), "parquet", plan.kb)
    try:
        for chunk, table in iter_chunks(cfg, count, start=start, workers=1):
            sink.write(table)
            acc.add(chunk)
    finally:
        sink.close()
    return _counts(acc)


def _merge(acc: SummaryAccumulator, counts: dict[str, Any]) -> None:
    """Add one partition's counts (merged in partition order: float sums stay reproducible)."""
    for k, v in counts.items():
        cur = getattr(acc, k)
        if isinstance(cur, dict):
            for j, x in v.items():
                cur[j] += x
        elif isinstance(cur, np.ndarray):
            cur += v
        else:
            setattr(acc, k, cur + v)


def generate_partitioned(
    n: int,
    out: Path,
    *,
    config: CohortConfig,
    address: str | None = None,
    workers: int | None = None,
    partition_size: int = PARTITION,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write ``n`` patients as ``out/part-NNNNN.parquet`` with Ray tasks (``address`` as for
    ``run --ray``; None or ``"local"`` starts a local Ray) and return the summary, also written
    as ``out/_summary.json``. At most ``workers`` partitions are written at once (default: the
    cluster's CPUs). Raises ``ConfigError`` when ``out`` exists and is not an empty folder, or
    the partition size is not a positive multiple of the sampling chunk."""
    from medtrust._ray import connect
    from medtrust.cohort._generate import CHUNK

    if partition_size <= 0 or partition_size % CHUNK:
        raise ConfigError(f"--partition-size {partition_size}: must be a multiple of {CHUNK}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out}: exists and is not an empty folder")
    ray = connect(address)
    slots = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    task = ray.remote(num_cpus=1, max_retries=3)(write_partition)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    plan = compile_plan(config)
    solve_balance(plan)
    acc = SummaryAccumulator(plan)
    t0 = time.perf_counter()
    parts = [(p, s, min(partition_size, n - s)) for p, s in enumerate(range(0, n, partition_size))]
    cfg = config.model_dump(mode="json")
    pending: list[tuple[int, int, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    try:
        for p, start, count in parts:
            path = str((tmp / f"part-{p:05d}.parquet").resolve())
            pending.append((p, count, task.remote(cfg, start, count, path)))
            while len(pending) >= slots or (pending and p == parts[-1][0]):
                ready, _ = ray.wait([r for _, _, r in pending], num_returns=1)
                i = next(j for j, (_, _, r) in enumerate(pending) if r == ready[0])
                q, k, ref = pending.pop(i)
                results[q] = ray.get(ref)
                if progress is not None:
                    progress(k)
        for p in sorted(results):
            _merge(acc, results[p])
        summary = acc.result()
        elapsed = time.perf_counter() - t0
        summary.update(
            file=str(out), format="parquet", partitions=len(parts),
            partition_size=partition_size, workers=slots, seconds=round(elapsed, 3),
            patients_per_second=round(n / elapsed, 1) if elapsed > 0 else None,
        )
        (tmp / "_summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary
