"""medtrust cases as an Inspect AI dataset (JSONL that ``inspect_ai.dataset.json_dataset`` reads).

One row per case: ``id`` (the case id), ``input``, ``choices``, ``target`` and ``metadata``.

- A multiple-choice case (gold ``options`` and ``accept``): ``input`` is the question stem,
  ``choices`` the option texts in letter order, ``target`` the correct letter (a list when
  several are right, as after the ``inverted`` operator), as Inspect's ``multiple_choice()``
  solver and ``choice()`` scorer expect.
- Any other case: ``input`` is the chat (a list of ``{"role", "content"}``), no ``choices``,
  and ``target`` the grading guidance a model-graded scorer (``model_graded_qa``) reads: a
  rubric rendered as criteria with points, or the gold as JSON.

``metadata`` carries ``operator``, ``case_id``, ``item_id`` (the original seed item),
``parent_id``, ``axis``, ``probe``, ``role``, ``stage``, ``medtrust_case`` (the whole case)
and ``medtrust_run`` (what the summary of the run needs beyond its cases: the ``seed``, the
``suite`` name and each probe's ``params``, e.g. the open-ended margin, pass mark and grader),
which is how ``medtrust import inspect`` turns the log back into the run a native run would be.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from medtrust.records import Case, message_text

__all__ = ["dataset_row", "run_metadata", "write_dataset"]


def _mc_stem(case: Case, options: Mapping[str, str]) -> str:
    """The question without the rendered option lines and instruction (the prompt format of
    ``probes.mcq_format``); the whole last user turn when it is not in that format."""
    text = message_text(case.messages[-1].get("content"))
    block = "\n".join(f"{k}. {v}" for k, v in options.items())
    head, sep, _ = text.rpartition(f"\n\n{block}")
    return head.strip() if sep else text


def _rubric_target(rubric: Iterable[Mapping[str, Any]]) -> str:
    lines = [f"[{float(c['points']):+g}] {c['criterion']}" for c in rubric]
    return (
        "Grade the answer against these rubric criteria (positive points are earned when the "
        "criterion is met; negative points describe harms):\n" + "\n".join(lines)
    )


def run_metadata(seed: int, suite: str, params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``metadata.medtrust_run`` of every sample: ``seed``, ``suite`` and ``probes`` ({probe
    name: its params as the suite gives them, after ``--judge``})."""
    return {"seed": seed, "suite": suite, "probes": {k: dict(v) for k, v in params.items()}}


def dataset_row(case: Case, run: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Inspect sample (as a JSON-ready dict) for one case; see the module docstring.
    ``run``: :func:`run_metadata` (omitted: no ``medtrust_run``, the import uses defaults)."""
    meta: dict[str, Any] = {
        "operator": case.operator,
        "case_id": case.id,
        "item_id": case.item_id,
        "parent_id": case.parent_id,
        "axis": case.axis,
        "probe": case.probe,
        "role": case.role,
        "stage": case.stage,
        "medtrust_case": case.model_dump(mode="json"),
    }
    if run is not None:
        meta["medtrust_run"] = dict(run)
    options = case.gold.get("options")
    accept = case.gold.get("accept")
    if isinstance(options, Mapping) and options and isinstance(accept, list) and accept:
        letters = sorted(options)
        return {
            "id": case.id,
            "input": _mc_stem(case, options),
            "choices": [str(options[k]) for k in letters],
            "target": accept[0] if len(accept) == 1 else sorted(accept),
            "metadata": meta,
        }
    rubric = case.gold.get("rubric")
    target = (
        _rubric_target(rubric)
        if isinstance(rubric, list)
        else json.dumps(case.gold, sort_keys=True, ensure_ascii=False)
    )
    messages = [
        {"role": str(m.get("role")), "content": message_text(m.get("content"))}
        for m in case.messages
    ]
    return {"id": case.id, "input": messages, "target": target, "metadata": meta}


def write_dataset(cases: Iterable[Case], path: Path, run: Mapping[str, Any] | None = None) -> int:
    """Write ``cases`` as an Inspect dataset (JSONL, atomically) at ``path``; returns how many.
    ``run``: :func:`run_metadata`, copied into every sample.

    Read it back with ``inspect_ai.dataset.json_dataset(str(path))``. Raises ``OSError`` when
    ``path`` cannot be written (nothing half-written is left behind).
    """
    from medtrust._atomic import write_text_atomic

    rows = [json.dumps(dataset_row(c, run), ensure_ascii=False) for c in cases]
    write_text_atomic(path, "".join(r + "\n" for r in rows))
    return len(rows)
