"""The embedded SmolLM2 GGUF through llama-cpp-python, for real (``-m slow``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from medtrust.records import SamplingParams
from medtrust.targets import load_chat_target

pytestmark = pytest.mark.slow


def test_smollm2_answers_deterministically() -> None:
    target = load_chat_target("local:smollm2")
    msgs = [{"role": "user", "content": "What is 2 + 2? Answer with a number."}]
    other = [{"role": "user", "content": "Name one symptom of influenza."}]

    async def interleaved() -> tuple[str, str, str]:
        try:
            await target.preflight()
            p = SamplingParams(max_tokens=8)
            a = await target.complete(msgs, p)
            b = await target.complete(other, p)
            return a, b, await target.complete(msgs, p)
        finally:
            await target.aclose()

    a, b, a2 = asyncio.run(interleaved())
    assert a and b and a == a2  # greedy decoding: same prompt, same answer, whatever came before


def test_default_run_end_to_end(tmp_path: Path) -> None:
    """``medtrust run`` on its defaults (limited to 8 items to keep CI short)."""
    res = subprocess.run(
        [sys.executable, "-m", "medtrust", "run", "--limit", "8", "--json"],
        cwd=tmp_path,
        text=True,
        capture_output=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    s = json.loads(res.stdout)
    assert s["target"] == "local:smollm2" and s["suite"] == "quickstart"
    rob = s["axes"]["robustness"]
    assert rob["controls"]["n"] + rob["controls"]["errors"] == 8
    # issue 12: 8 items cannot give 10 correct controls, and SmolLM2 answers near chance: the
    # quickstart must say plainly that its robustness numbers are not informative
    assert rob["informative"] is False and rob["note"].startswith("not informative")
    assert "not informative" in " ".join(res.stderr.split())
    assert (tmp_path / "medtrust.db").exists()
    assert (tmp_path / "medtrust-report" / s["run_id"] / "index.html").exists()
    assert (tmp_path / "medtrust-report" / "latest" / "index.html").exists()
    assert "baseline" in res.stderr  # the progress bar was drawn
