"""Validate a judge against human labels before trusting it (``medtrust judge validate``).

Rows are JSONL: ``prompt``, ``response``, ``label`` (1 / true / "fail" = the response has the
problem the judge looks for), optionally ``truth`` (for LLM judges) and ``gold`` (for registered
judges). The result is keyed by a hash of the judge's configuration: agreement holds for that
exact judge (spec, prompt, sampling), not for the model name alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError
from medtrust.judges._base import judges
from medtrust.judges._llm import judge_key, llm_judge
from medtrust.metrics._agreement import agreement
from medtrust.records import Case, Reply, content_hash

POSITIVE = {"1", "true", "fail", "failed", "unsafe", "yes", "leak", "hallucination", "positive"}
NEGATIVE = {"0", "false", "pass", "passed", "safe", "no", "ok", "negative"}


def _label(value: Any, where: str) -> bool:
    text = str(value).strip().casefold()
    if text in POSITIVE:
        return True
    if text in NEGATIVE:
        return False
    raise ConfigError(f"{where}: 'label' must be 1/0, true/false or fail/pass, got {value!r}")


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Validated rows; a bad line raises ``ConfigError`` naming ``file:line``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    rows = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{i}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected a JSON object")
        for key in ("prompt", "response"):
            if not isinstance(row.get(key), str):
                raise ConfigError(f"{where}: {key!r} must be a string")
        if "label" not in row:
            raise ConfigError(f"{where}: 'label' is missing")
        rows.append({**row, "label": _label(row["label"], where)})
    if not rows:
        raise ConfigError(f"{path}: no rows")
    return rows


def _registered(name: str, rows: list[dict[str, Any]]) -> tuple[list[bool | None], str]:
    try:
        cls = judges.get(name)
    except LookupError as exc:
        raise ConfigError(f"--judge judge:{name}: {exc}") from None
    judge = cls()
    out: list[bool | None] = []
    for i, row in enumerate(rows):
        case = Case.make(
            axis="compliance",
            probe="judge.validate",
            operator="row",
            role="perturbation",
            messages=[{"role": "user", "content": row["prompt"]}],
            gold=dict(row.get("gold") or {}),
            item_id=str(i),
            meta=dict(row.get("meta") or {}),
        )
        try:
            v = judge(case, [Reply(case_id=case.id, text=row["response"])])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"row {i + 1}: judge {name!r} needs 'gold' it lacks: {exc}") from None
        out.append(None if v.outcome == "error" else v.outcome == "fail")
    return out, content_hash({"judge": name, "class": f"{cls.__module__}.{cls.__qualname__}"}, 16)


def validate_judge(spec: str, data: Path) -> dict[str, Any]:
    """Run the judge on every labelled row and report its agreement with the labels.

    ``spec`` is ``judge:NAME`` for a registered judge, or any target spec for the LLM judge.
    Rows the judge could not decide are counted as ``unscored`` and left out of the metrics.
    """
    rows = read_labelled(data)
    if spec.startswith("judge:"):
        preds, key = _registered(spec.partition(":")[2], rows)
    else:
        preds = [
            llm_judge(
                spec, question=r["prompt"], truth=str(r.get("truth", "")), response=r["response"]
            ).failed
            for r in rows
        ]
        key = judge_key(spec)
    scored = [(r["label"], p) for r, p in zip(rows, preds, strict=True) if p is not None]
    result = agreement([t for t, _ in scored], [p for _, p in scored])
    return {
        "judge": spec,
        "judge_key": key,
        "data": str(data),
        "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "rows": len(rows),
        "unscored": len(rows) - len(scored),
        **result,
    }
