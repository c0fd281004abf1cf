"""Validate a judge against human labels before trusting it (``medtrust judge validate``).

Rows are JSONL: ``prompt``, ``response``, ``label`` (1 / true / "fail" = the response has the
problem the judge looks for), optionally ``truth`` (for LLM judges) and ``gold`` (for registered
judges). Rows with a ``rubric`` (or ``criterion``) string are criterion-level labels in
HealthBench's meta-evaluation shape, validated per criterion tag (``_rubric_validate``). The
result is keyed by a hash of the judge's configuration: agreement holds for that exact judge
(spec, prompt, sampling), not for the model name alone.

Rows the judge could not decide are counted apart and never scored as agreement or disagreement:
``judge_errors`` (an LLM judge's unreadable reply or failed call, by status),
``unreadable_responses`` (a labelled response nobody could read: an error, as in a run) and
``unscored`` (every row left out, both of those included). With fewer than :data:`MIN_SCORED`
scored rows the agreement figures are null with a ``reason``: a kappa from a handful of rows
is not evidence, and "kappa 0.000" from no rows at all is not a number.
"""

from __future__ import annotations

import hashlib
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError, MedtrustError, json_line, read_text
from medtrust.judges._base import free_text, judges
from medtrust.judges._llm import judge_key, llm_judge
from medtrust.judges._rubric_grade import STAND_IN, check_grader
from medtrust.metrics._agreement import agreement
from medtrust.records import Case, Reply, content_hash

MIN_SCORED = 10
"""Fewest scored rows for which agreement is reported (issue 12: "no scored row (or fewer than
10) reports the agreement figures as null"). Below it the Wald interval of kappa (Fleiss, Cohen
& Everitt 1969) is not trustworthy, and one row moves observed agreement by more than 0.1."""
FIGURES = ("precision", "recall", "f1", "kappa", "accuracy")
"""The agreement figures that are null, with their intervals, when too few rows were scored."""

UNREADABLE = frozenset({"unreadable reply", "target error"})
"""A verdict's ``reason`` when nobody could read the response (``readable_samples``): the row
is an error counted apart (``unreadable_responses``), neither agreement nor a judge failure."""

POSITIVE = {"1", "true", "fail", "failed", "unsafe", "yes", "leak", "hallucination", "positive"}
NEGATIVE = {"0", "false", "pass", "passed", "safe", "no", "ok", "negative"}


def _label(value: Any, where: str) -> bool:
    text = str(value).strip().casefold()
    if text in POSITIVE:
        return True
    if text in NEGATIVE:
        return False
    raise ConfigError(f"{where}: 'label' must be 1/0, true/false or fail/pass, got {value!r}")


def _numbered(path: Path, text: str) -> list[tuple[str, str]]:
    """(``file:line``, line) of every non-blank line of ``text``, the content of ``path``."""
    return [(f"{path}:{i}", line) for i, line in enumerate(text.splitlines(), 1)
            if line.strip()]


def _labelled(path: Path, text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The validated rows of ``text`` (the content of ``path``) and ``file:line`` of each."""
    rows, where = [], []
    for at, line in _numbered(path, text):
        row = json_line(line, at)
        if not isinstance(row, dict):
            raise ConfigError(f"{at}: expected a JSON object")
        for key in ("prompt", "response"):
            if not isinstance(row.get(key), str):
                raise ConfigError(f"{at}: {key!r} must be a string")
        if "label" not in row:
            raise ConfigError(f"{at}: 'label' is missing")
        rows.append({**row, "label": _label(row["label"], at)})
        where.append(at)
    if not rows:
        raise ConfigError(f"{path}: no rows")
    return rows, where


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Validated rows; a bad line raises ``ConfigError`` naming ``file:line`` (as does a file
    that is not UTF-8 text, a folder or a missing file)."""
    return _labelled(path, read_text(path))[0]


def _criterion_rows(text: str) -> bool:
    """Whether the first non-blank line of ``text`` is a criterion-level row (a ``rubric`` or
    ``criterion`` string); invalid JSON is not (the row reader reports it with its line)."""
    for line in text.splitlines():
        if line.strip():
            try:
                row = json_line(line, "first row")
            except ConfigError:
                return False
            return isinstance(row, dict) and (
                isinstance(row.get("rubric"), str) or isinstance(row.get("criterion"), str)
            )
    return False


def criterion_level(path: Path) -> bool:
    """Whether ``path`` holds criterion-level labels (HealthBench's meta-evaluation shape: a
    ``rubric`` or ``criterion`` string per row), judged by its first non-blank line."""
    return _criterion_rows(read_text(path))


def _missing_gold(exc: BaseException, gold: dict[str, Any]) -> str | None:
    """The gold key a judge looked up and the row lacks, or None when ``exc`` is anything else.

    Only a ``KeyError`` whose key is absent from the row's gold, raised by a line that
    subscripts a ``gold`` mapping with that key (``case.gold["options"]``), is a missing gold
    key; a judge's own ``KeyError("oops")`` or a ``TypeError`` on a gold value of the wrong
    type is the judge failing, reported as such."""
    if not isinstance(exc, KeyError) or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return None
    key = exc.args[0]
    frames = traceback.extract_tb(exc.__traceback__)
    line = (frames[-1].line or "") if frames else ""
    if key in gold or "gold" not in line or not any(f"[{q}{key}{q}]" in line for q in "\"'"):
        return None
    return key


def _registered(
    name: str, rows: list[dict[str, Any]], where: list[str]
) -> tuple[list[bool | None], list[bool], str]:
    """Predictions of a registered judge (None where its verdict is an error), whether each
    error was an unreadable response (the judge's own rule, e.g. ``phi_leak`` reads reasoning
    that the free-text judges drop), and the judge's key.

    ``where[i]`` is ``file:line`` of ``rows[i]``. Raises :class:`ConfigError` naming the line
    when a row lacks a gold key the judge reads, or when the judge raises anything else
    ("judge X failed on line N: TYPE: message"; a third-party judge's distribution is named).
    """
    try:
        cls = judges.get(name)
    except LookupError as exc:
        raise ConfigError(f"--judge judge:{name}: {exc}") from None
    with judges.building(name, "building it"):
        judge = cls()
    dist = judges.distribution(name)
    who = f"judge {name!r}" + (f" (distribution {dist!r})" if dist else "")
    out: list[bool | None] = []
    unread: list[bool] = []
    for i, row in enumerate(rows):
        gold = dict(row.get("gold") or {})
        case = Case.make(
            axis="compliance",
            probe="judge.validate",
            operator="row",
            role="control",  # a labelled row stands alone: nothing to compare it with
            messages=[{"role": "user", "content": row["prompt"]}],
            gold=gold,
            item_id=str(i),
            meta=dict(row.get("meta") or {}),
        )
        try:
            v = judge(case, [Reply(case_id=case.id, text=row["response"])])
        except MedtrustError:
            raise
        except Exception as exc:
            key = _missing_gold(exc, gold)
            if key is not None:
                raise ConfigError(
                    f"{where[i]}: {who} needs gold key {key!r}, which this row lacks "
                    f'(add "gold": {{"{key}": ...}})'
                ) from None
            file, _, line = where[i].rpartition(":")
            text = " ".join(str(exc).split()) or "(no message)"
            raise ConfigError(
                f"{who} failed on line {line} of {file}: {type(exc).__name__}: {text}"
            ) from exc
        out.append(None if v.outcome == "error" else v.outcome == "fail")
        unread.append(v.outcome == "error" and v.detail.get("reason") in UNREADABLE)
    qual = f"{cls.__module__}.{cls.__qualname__}"
    return out, unread, content_hash({"judge": name, "class": qual}, 16)


def text_sha256(text: str) -> str:
    """SHA-256 of the file ``text`` was read from: strict UTF-8 decoding (``read_text``)
    round-trips, so encoding it again gives the file's bytes without a second read."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def figures(scored: list[tuple[bool, bool]]) -> tuple[dict[str, Any], str | None]:
    """(the :func:`medtrust.metrics.agreement` figures of (label, prediction) pairs, why they
    are null or None): null below :data:`MIN_SCORED` pairs; kappa null (with
    ``kappa_reason``) when every label and prediction is one class."""
    result = agreement([t for t, _ in scored], [p for _, p in scored])
    reason = None
    if len(scored) < MIN_SCORED:
        reason = (
            f"{'no' if not scored else f'only {len(scored)}'} scored row"
            f"{'s' if len(scored) != 1 else ''} (at least {MIN_SCORED} needed)"
        )
        for name in FIGURES:
            result[name] = None
            if f"{name}_ci95" in result:
                result[f"{name}_ci95"] = None
        result["kappa_se"] = None
    elif len({t for t, _ in scored} | {p for _, p in scored}) == 1:
        # labels and verdicts all one class: chance agreement is 1 and kappa is 0/0 (scikit-learn
        # returns nan); precision, recall and F1 still say what happened
        result.update(kappa=None, kappa_se=None, kappa_ci95=None)
        result["kappa_reason"] = "undefined: every label and verdict is the same class"
    return result, reason


def validate_judge(spec: str, data: Path) -> dict[str, Any]:
    """Run the judge on every labelled row and report its agreement with the labels.

    ``spec`` is ``judge:NAME`` for a registered judge, or any target spec for the LLM judge.
    Returns ``rows``, ``scored``, ``unscored``, ``judge_errors`` ({status: count} of LLM judge
    replies that decided nothing), ``unreadable_responses`` (rows whose response nobody could
    read: only reasoning, blank, zero-width; errors as in a run, never judged), the
    :func:`medtrust.metrics.agreement` figures with 95% intervals, and ``reason``: None when
    the figures are assessable, else why they are null
    (fewer than :data:`MIN_SCORED` scored rows). Raises ``ConfigError`` on bad input.
    The file is read once: its shape, rows, lines and ``data_sha256`` all come from that read.
    """
    text = read_text(data)  # not UTF-8, a folder, missing: ConfigError naming file (and line)
    if _criterion_rows(text):
        from medtrust.judges._rubric_validate import validate_rubric

        return validate_rubric(spec, data, text=text)
    if not spec.startswith("judge:"):
        # resolved before any row is judged: a bad spec is one line, not N failed calls
        if spec == STAND_IN:
            raise ConfigError(
                f"--judge {STAND_IN}: the keyword stand-in grades rubric criteria; these rows "
                "are not criterion-level labels (no 'rubric' text): pass judge:NAME or a "
                "target spec"
            )
        check_grader(spec)
    rows, where = _labelled(data, text)
    errors: Counter[str] = Counter()
    unread = 0
    if spec.startswith("judge:"):
        preds, flags, key = _registered(spec.partition(":")[2], rows, where)
        unread = sum(flags)
        if preds.count(None) > unread:  # the registered judge's own error verdicts
            errors["error"] = preds.count(None) - unread
    else:
        preds = []
        for r in rows:
            # what a run's judge is shown: the answer without its reasoning; a response nobody
            # could read is an error before any judge is asked, as in a run
            answer, _ = free_text([Reply(case_id="row", text=r["response"])])
            if answer is None:
                unread += 1
                preds.append(None)
                continue
            lv = llm_judge(
                spec,
                question=r["prompt"],
                truth=str(r.get("truth", "")),
                response=str(answer.text),
            )
            if not lv.readable:
                errors[lv.status] += 1
            preds.append(lv.failed)
        key = judge_key(spec)
    scored = [(r["label"], p) for r, p in zip(rows, preds, strict=True) if p is not None]
    result, reason = figures(scored)
    return {
        "judge": spec,
        "judge_key": key,
        "data": str(data),
        "data_sha256": text_sha256(text),
        "rows": len(rows),
        "scored": len(scored),
        "unscored": len(rows) - len(scored),
        "judge_errors": dict(sorted(errors.items())),
        "unreadable_responses": unread,
        "min_scored": MIN_SCORED,
        "reason": reason,
        **result,
    }
