"""End to end: ``medtrust run multimodal`` against the reference targets, through the CLI and
the real engine, store, judges and report; images travel to a python: target as content parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

runner = CliRunner()
IMAGE_SUITE = """\
name: multimodal-images
sampling: {temperature: 0, max_tokens: 16}
probes:
  - name: multimodal.consistency
    params: {patients: 2, lesions: 3, images: true}
"""


def run_json(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["run", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_multimodal_suite_catches_a_model_that_ignores_the_vcf(workdir: Path) -> None:
    s = run_json("multimodal", "--target", "python:medtrust.multimodal.reference:ignores_vcf",
                 "--db", "sqlite:///t.db", "--limit", "4")
    mm = s["axes"]["multimodal"]
    assert mm["assessed"] and mm["errors"] == 0
    pairs = {k.split(":", 1)[1]: v for k, v in mm["by_probe"].items()
             if k.startswith("multimodal.consistency:")}
    assert set(pairs) == {"text|fhir", "text|vcf", "fhir|vcf"}
    assert pairs["text|fhir"]["failures"] == 0 and pairs["text|fhir"]["n"] == 8
    assert pairs["text|vcf"]["failures"] > 0 and pairs["text|vcf"]["n"] == 4
    assert pairs["text|vcf"]["failures"] == mm["multimodal"]["missed_by_modality"]["vcf"]
    lo, hi = pairs["text|vcf"]["ci95"]
    assert lo <= pairs["text|vcf"]["failure_rate"] <= hi
    assert mm["multimodal"]["not_assessed"] == ["image"]
    assert "image" in mm["multimodal"]["not_assessed_reason"]
    fid = mm["by_probe"]["multimodal.fidelity:note_from_fhir"]
    assert fid["n"] == 3 and fid["failures"] == 3  # "A" is not a note
    assert mm["fidelity"]["sentence_chrf"]["mean"] < 5
    assert mm["controls"]["accuracy"] == 1.0  # the text modality, read correctly
    assert (workdir / "medtrust-report" / s["run_id"] / "index.html").exists()


def test_images_reach_an_image_capable_python_target(workdir: Path) -> None:
    (workdir / "suite.yaml").write_text(IMAGE_SUITE)
    s = run_json(str(workdir / "suite.yaml"), "--target",
                 "python:medtrust.multimodal.reference:reads_all", "--db", "sqlite:///t.db")
    mm = s["axes"]["multimodal"]
    assert (mm["n"], mm["failures"], mm["errors"]) == (5, 0, 0)
    assert mm["by_probe"]["text|image"]["n"] == 3 and mm["by_probe"]["fhir|image"]["n"] == 3
    assert mm["multimodal"]["per_modality"]["image"] == {
        "n": 3, "k": 3, "rate": 1.0, "ci95": mm["multimodal"]["per_modality"]["image"]["ci95"],
        "errors": 0}
    assert mm["multimodal"]["not_assessed"] == []
    report = runner.invoke(app, ["report", s["run_id"], "--format", "json", "--db",
                                 "sqlite:///t.db"], catch_exceptions=False)
    assert report.exit_code == 0
    html = (workdir / "medtrust-report" / "latest" / "index.html").read_text()
    assert "multimodal" in html
