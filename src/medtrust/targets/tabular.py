"""``tabular:MODULE:ATTR``: a clinical model scoring rows of a table.

The object has scikit-learn's ``predict_proba(DataFrame)``, or is a callable ``DataFrame -> array``
of class probabilities. Fairness audits call it on counterfactual copies of the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from medtrust.errors import TargetSpecError
from medtrust.targets._base import targets
from medtrust.targets._importing import import_attr

if TYPE_CHECKING:
    import pandas as pd


class TabularTarget:
    """A model that maps a DataFrame to an (n_rows, n_classes) probability array."""

    def __init__(self, *, spec: str, model: Any) -> None:
        self.spec = spec
        self.model = model
        self.calls = 0  # rows scored, so audits can report their cost

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, always 2-D (a 1-D output is read as P(class 1))."""
        fn = getattr(self.model, "predict_proba", None) or self.model
        out = np.asarray(fn(frame), dtype=float)
        self.calls += len(frame)
        if out.ndim == 1:
            out = np.column_stack([1.0 - out, out])
        if out.shape[0] != len(frame):
            raise TargetSpecError(
                f"target {self.spec!r} returned {out.shape[0]} rows for {len(frame)} inputs"
            )
        return out


@targets.register("tabular")
def _tabular(spec: str, rest: str) -> TabularTarget:
    model = import_attr(spec, rest)
    if not (hasattr(model, "predict_proba") or callable(model)):
        raise TargetSpecError(f"target {spec!r}: needs predict_proba(DataFrame) or a callable")
    return TabularTarget(spec=spec, model=model)
