"""Validate a rubric grader against criterion-level labels (``medtrust judge validate``).

Rows follow HealthBench's meta-evaluation shape (Arora et al. 2025, the ``oss_meta_eval``
JSONL): ``prompt`` (a list of chat messages, or text), ``completion`` (or ``response``), the
criterion text as ``rubric`` (or ``criterion``), ``category`` (a tag) and ``binary_labels``
(one bool per physician: did the completion meet the criterion?). medtrust also reads
``label`` (one label: 1 / true / met), ``points`` (its sign says whether the criterion is a
harm; default 1), ``tags`` (a list) and ``keywords`` (for the stand-in grader).

The label is the physicians' majority; a tie is no label (counted as ``no_majority``, never
scored). Positive = met. A grader reply that could not be read is a judge error, counted apart;
a completion nobody could read (``free_text``) is an error row, counted apart, never graded.
Agreement is reported overall and per tag (``category`` and each of ``tags``), each with the
:data:`~._validate.MIN_SCORED` rule: below it the figures are null with a reason.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError, json_line, read_text
from medtrust.judges._base import free_text
from medtrust.judges._rubric_grade import STAND_IN, check_grader, grade, grader_key
from medtrust.judges._stand_in import require_keywords
from medtrust.judges._validate import MIN_SCORED, figures, text_sha256
from medtrust.judges.rubric import ROLES, chat_text, check_points
from medtrust.records import Reply

MET = {"1", "true", "met", "yes"}
NOT_MET = {"0", "false", "not met", "not_met", "unmet", "no"}


def _majority(row: dict[str, Any], where: str) -> bool | None:
    """The label: the physicians' majority (None on a tie) or the one ``label``."""
    if "binary_labels" in row:
        labels = row["binary_labels"]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, bool) for x in labels)
        ):
            raise ConfigError(f"{where}: 'binary_labels' must be a non-empty list of true/false")
        yes = sum(labels)
        return None if 2 * yes == len(labels) else 2 * yes > len(labels)
    if "label" not in row:
        raise ConfigError(f"{where}: 'binary_labels' or 'label' is missing")
    text = str(row["label"]).strip().casefold()
    if text in MET:
        return True
    if text in NOT_MET:
        return False
    raise ConfigError(
        f"{where}: 'label' must be 1/0, true/false or met/not met, got {row['label']!r}"
    )


def _prompt(row: dict[str, Any], where: str) -> list[dict[str, Any]]:
    prompt = row.get("prompt")
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt or not all(isinstance(m, dict) for m in prompt):
        raise ConfigError(f"{where}: 'prompt' must be text or a list of chat messages")
    out = []
    for i, m in enumerate(prompt, 1):
        if m.get("role") not in ROLES:
            raise ConfigError(
                f"{where}: prompt[{i}].role {m.get('role')!r} is not one of "
                f"{', '.join(sorted(ROLES))}"
            )
        # text or OpenAI text parts, as the open-ended --data reader takes them
        text = chat_text(m.get("content"), f"{where}: prompt[{i}]")
        out.append({"role": m["role"], "content": text})
    return out


def _str_list(row: dict[str, Any], key: str, where: str) -> list[str]:
    value = row.get(key) or []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings")
    return value


def _row(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    completion = row.get("completion", row.get("response"))
    if not isinstance(completion, str):
        raise ConfigError(f"{where}: 'completion' must be a string")
    text = row.get("rubric", row.get("criterion"))
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: 'rubric' must be the criterion's text")
    points = row.get("points", 1)
    check_points(points, where)  # NaN, infinite or absurd points: the same rule as the items
    category = row.get("category")
    if category is not None and not isinstance(category, str):
        raise ConfigError(f"{where}: 'category' must be a string")
    keywords = _str_list(row, "keywords", where)
    tags = set(_str_list(row, "tags", where)) | ({category} if category else set())
    return {
        "prompt": _prompt(row, where),
        "completion": completion,
        "criterion": {"id": "c1", "criterion": text, "points": points, "keywords": keywords},
        "tags": sorted(tags),
        "label": _majority(row, where),
    }


def read_criterion_labels(path: Path, *, text: str | None = None) -> list[dict[str, Any]]:
    """Validated rows of ``path`` (of ``text``, its content when the caller already read it);
    a bad line raises ``ConfigError`` naming ``file:line``."""
    rows = []
    for i, line in enumerate((read_text(path) if text is None else text).splitlines(), 1):
        if not line.strip():
            continue
        raw = json_line(line, f"{path}:{i}")
        rows.append({**_row(raw, f"{path}:{i}"), "where": f"{path}:{i}"})
    if not rows:
        raise ConfigError(f"{path}: no rows")
    return rows


def _entry(pairs: list[tuple[bool, bool]], rows: int) -> dict[str, Any]:
    result, reason = figures(pairs)
    return {"rows": rows, "scored": len(pairs), "reason": reason, **result}


def validate_rubric(spec: str, data: Path, *, text: str | None = None) -> dict[str, Any]:
    """Grade every labelled (completion, criterion) row with the grader ``spec`` (``keywords``
    or a target spec) and report agreement with the labels, overall and ``by_tag``.

    Returns the keys of :func:`~._validate.validate_judge` plus ``level: "criterion"``,
    ``no_majority`` (tied physician labels), ``unreadable_responses`` (completions nobody
    could read: only reasoning, blank, zero-width; errors as in a run, never graded) and
    ``by_tag`` ({tag: rows, scored, reason and the agreement figures}). Raises ``ConfigError``
    on bad input: a bad row, a ``judge:NAME`` or unresolvable grader spec, or (for the
    stand-in) a row without ``keywords``. ``text``: the file's content when the caller already
    read it (``validate_judge``), so it is not read again.
    """
    if spec.startswith("judge:"):
        raise ConfigError(
            f"--judge {spec}: criterion-level labels are graded by a rubric grader: "
            f"{STAND_IN!r} or a target spec (openai:..., local:..., python:MODULE:ATTR)"
        )
    check_grader(spec)
    text = read_text(data) if text is None else text  # the file is read once
    rows = read_criterion_labels(data, text=text)
    for r in rows:  # as `run` does: a criterion the stand-in cannot grade is bad input
        require_keywords(spec, [r["criterion"]], r["where"], named=False)
    errors: Counter[str] = Counter()
    unread = 0
    pairs: list[tuple[bool, bool]] = []
    by_tag: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    tag_rows: Counter[str] = Counter()
    for r in rows:
        tag_rows.update(r["tags"])
        if r["label"] is None:
            continue
        # graded as a run grades it: the answer without its reasoning; a completion nobody
        # could read is an error before any grader is asked (``free_text``)
        answer, _ = free_text([Reply(case_id="row", text=r["completion"])])
        if answer is None:
            unread += 1
            continue
        g = grade(spec, r["prompt"], str(answer.text), r["criterion"])
        if g.met is None:
            errors[g.status] += 1
            continue
        pairs.append((r["label"], g.met))
        for t in r["tags"]:
            by_tag[t].append((r["label"], g.met))
    result, reason = figures(pairs)
    return {
        "judge": spec,
        "judge_key": grader_key(spec),
        "level": "criterion",
        "data": str(data),
        "data_sha256": text_sha256(text),
        "rows": len(rows),
        "scored": len(pairs),
        "unscored": len(rows) - len(pairs),
        "no_majority": sum(r["label"] is None for r in rows),
        "judge_errors": dict(sorted(errors.items())),
        "unreadable_responses": unread,
        "min_scored": MIN_SCORED,
        "reason": reason,
        **result,
        "by_tag": {t: _entry(by_tag.get(t, []), n) for t, n in sorted(tag_rows.items())},
    }
