"""Which counterfactual rows are clinically possible: the rest are "not applicable".

A counterfactual that changes sex at birth (or age) can make a record impossible: a man with
benign prostatic hyperplasia has no female twin. Such rows are skipped and counted as not
applicable, never scored. Only rules the change itself breaks count: a row that was already
implausible in the user's data is judged by what the counterfactual adds, not by its own faults.
Columns the rules do not read (race, insurance, language, ZIP) are always applicable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from medtrust.cohort._plausibility import Record, Rules, load_rules, normalise_sex

if TYPE_CHECKING:
    import pandas as pd

Mask = npt.NDArray[np.bool_]
CLINICAL = ("conditions", "medications", "variants")
RULE_COLUMNS = {"sex": "sex", "gender": "sex", "age": "age"}
"""Frame columns the plausibility rules read, and the record field each one fills."""


def _codes(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    items = value.split(";") if isinstance(value, str) else list(value)
    return tuple(s for v in items if (s := str(v).strip()))


def _age(value: Any) -> int | None:
    try:
        age = float(str(value).rstrip("+"))
    except (TypeError, ValueError):
        return None
    return None if age != age else int(age)


def field_of(frame: pd.DataFrame, column: str) -> str | None:
    """The record field (``sex`` or ``age``) a change to ``column`` touches, or None."""
    # sex-specific lab columns (rule lab_sex: a PSA on a woman) are clinical content too
    if not any(c in frame.columns for c in (*CLINICAL, *load_rules().lab_sex)):
        return None  # no clinical content: nothing a change could contradict
    return RULE_COLUMNS.get(column.lower())


def _records(frame: pd.DataFrame, rules: Rules) -> list[Record]:
    sex_col = "sex" if "sex" in frame.columns else ("gender" if "gender" in frame.columns
                                                    else None)
    n = len(frame)

    def col(name: str | None) -> list[Any]:
        return frame[name].tolist() if name is not None and name in frame.columns else [None] * n

    sexes, ages = col(sex_col), col("age")
    conds, meds, vars_ = col("conditions"), col("medications"), col("variants")
    # sex-specific labs holding a value (as the validator reads a table: not missing or blank)
    held = {c: (frame[c].notna() & (frame[c].astype(str).str.strip() != "")).tolist()
            for c in rules.lab_sex if c in frame.columns}
    return [Record(sex=normalise_sex(sexes[i]), age=_age(ages[i]),
                   conditions=tuple(c.upper() for c in _codes(conds[i])),
                   medications=tuple(m.lower() for m in _codes(meds[i])),
                   variants=_codes(vars_[i]),
                   labs=tuple(c for c, has in held.items() if has[i])) for i in range(n)]


class Applicability:
    """Answers "is the counterfactual of each row with ``column = value`` possible?"."""

    def __init__(self, frame: pd.DataFrame, rules: Rules | None = None) -> None:
        self.frame = frame
        self.rules = rules or load_rules()
        self._base: list[Record] | None = None
        self._cache: dict[Record, frozenset[str]] = {}

    def _rules_of(self, rec: Record) -> frozenset[str]:
        got = self._cache.get(rec)
        if got is None:
            got = self._cache[rec] = frozenset(i.rule for i in self.rules.check(rec))
        return got

    def mask(self, column: str, value: Any) -> Mask:
        """True for rows whose counterfactual adds no implausibility (all rows if irrelevant)."""
        return self.mask_rows(column, [value] * len(self.frame))

    def mask_rows(self, column: str, values: Any, rows: Any = None) -> Mask:
        """Like :meth:`mask` with one new value per row (``rows``: positions in the frame)."""
        idx = np.arange(len(self.frame)) if rows is None else np.asarray(rows)
        out = np.ones(len(idx), dtype=bool)
        which = field_of(self.frame, column)
        if which is None:
            return out
        if self._base is None:
            self._base = _records(self.frame, self.rules)
        for k, (i, value) in enumerate(zip(idx.tolist(), values, strict=True)):
            rec = self._base[i]
            if not (rec.conditions or rec.medications or rec.variants or rec.labs):
                continue
            new = normalise_sex(value) if which == "sex" else _age(value)
            cf = Record(sex=new if which == "sex" else rec.sex,  # type: ignore[arg-type]
                        age=new if which == "age" else rec.age,  # type: ignore[arg-type]
                        conditions=rec.conditions, medications=rec.medications,
                        variants=rec.variants, labs=rec.labs)
            if cf != rec and self._rules_of(cf) - self._rules_of(rec):
                out[k] = False
        return out

    def joint_mask(self, assignment: dict[str, Any]) -> Mask:
        """Rows still possible when every ``column = value`` of ``assignment`` is applied."""
        out = np.ones(len(self.frame), dtype=bool)
        for column, value in assignment.items():
            out &= self.mask(column, value)
        return out
