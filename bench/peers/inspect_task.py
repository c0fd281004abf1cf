"""Inspect AI task for the harness-throughput benchmark (issue 2).

The same multiple-choice items medtrust runs (``bench/data/mcq_1000.jsonl``), one model call per
item: the ``multiple_choice()`` solver formats the question and options, the ``choice()`` scorer
parses the letter.  Run through ``bench/peers/inspect_driver.py`` or directly::

    STUB_API_KEY=x inspect eval bench/peers/inspect_task.py@mcq_throughput \
        -T data=bench/data/mcq_1000.jsonl -T n=1000 \
        --model openai-api/stub/stub --model-base-url http://127.0.0.1:PORT/v1 \
        --max-connections 64 --max-samples 64 --display none

This file is imported by Inspect inside ``bench/.venvs/inspect`` only.
"""

from __future__ import annotations

import json
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "data" / "mcq_1000.jsonl"


def load_samples(path: Path, n: int) -> list[Sample]:
    samples: list[Sample] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if len(samples) >= n:
                break
            item = json.loads(line)
            options: dict[str, str] = item["options"]
            samples.append(
                Sample(
                    id=item["id"],
                    input=item["question"],
                    choices=[options[k] for k in sorted(options)],
                    target=item["answer_idx"],
                )
            )
    return samples


@task
def mcq_throughput(data: str = str(DEFAULT_DATA), n: int = 1000) -> Task:
    return Task(
        dataset=MemoryDataset(load_samples(Path(data), int(n)), name="mcq_throughput"),
        solver=multiple_choice(),
        scorer=choice(),
    )
