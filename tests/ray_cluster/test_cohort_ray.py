"""``cohort generate --ray``: partitioned Parquet written by Ray tasks on the real cluster,
byte-identical for a seed whatever the number of workers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.cohort import generate_table
from ray_cluster._cluster import Cluster

runner = CliRunner()
N, PART = 40_000, 16_384  # three partitions, the last one short


def generate(out: Path, cluster: Cluster, workers: int) -> dict[str, str]:
    res = runner.invoke(app, [
        "cohort", "generate", "-n", str(N), "--seed", "11", "--ray", cluster.address,
        "--workers", str(workers), "--partition-size", str(PART), "--out", str(out), "--json",
    ])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout[res.stdout.index("{"):])["n"] == N
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("part-*")}


def test_one_and_two_workers_write_identical_bytes(tmp_path: Path, ray_cluster: Cluster) -> None:
    one = generate(tmp_path / "one", ray_cluster, 1)
    two = generate(tmp_path / "two", ray_cluster, 2)
    assert sorted(one) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert one == two
    # the partitions, in order, are exactly the single-process cohort of this seed
    parts = [pq.read_table(tmp_path / "two" / name) for name in sorted(two)]
    assert [t.num_rows for t in parts] == [PART, PART, N - 2 * PART]
    whole = generate_table(N, seed=11)
    assert all(
        p.equals(whole.slice(i * PART, p.num_rows).cast(p.schema)) for i, p in enumerate(parts)
    )
    assert not (tmp_path / "two.partial").exists()


def test_non_empty_output_folder_is_refused(tmp_path: Path, ray_cluster: Cluster) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    res = runner.invoke(app, ["cohort", "generate", "-n", "10", "--ray", ray_cluster.address,
                              "--out", str(out)])
    assert res.exit_code == 2
    assert "exists and is not an empty folder" in res.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
