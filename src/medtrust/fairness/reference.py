"""A reference clinical-trial recommender with a known, documented planted bias.

Use it as ``--target tabular:medtrust.fairness.reference:model`` on any cohort table from
``medtrust cohort generate``. It exists so that the audit has a ground truth: a demo that must
find something, and tests that check the audit finds exactly what was planted.

The clinical score (the only thing a fair model should use) is

    z = 0.5 + 0.35 * min(#conditions, 6) - 0.045 * (age - 55) - 1.0 * [creatinine > 1.5]

and ``P(recommend trial) = sigmoid(z)`` (x 0.1 under 18: trials recruit adults). Planted on top:

* **Insurance** (``PLANTED_INSURANCE_RATE`` = 0.23, EthicalSim-Bench's figure): for patients on
  Medicaid or uninsured, a pseudo-random 23% slice, chosen by a hash of the *clinical* columns
  only (so it is the same slice under every counterfactual), has its probability multiplied by
  0.4 (the hash also reads ``record_id`` when there is one). Every recommendation in that slice
  is withdrawn, so moving a cohort from private to
  Medicaid withdraws 23% of its recommendations in expectation, and changes nothing else.
* **ZIP proxy**: a logit penalty that peaks at zip3 ``104`` (the Bronx, depth 2.5, width 12
  prefixes) with a shallower dip at ``387`` (the Mississippi Delta, depth 1.5, width 6). ZIP
  prefixes are assigned geographically, which is why a model that learnt area income from zip3
  shows bumps like these. ``WORST_ZIP3`` is the value a worst-case search must find.

Race, sex and language are not used at all: their flip rates must come out at zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

PLANTED_INSURANCE_RATE = 0.23
PENALISED_INSURANCE = frozenset({"medicaid", "uninsured"})
INSURANCE_FACTOR = 0.4
ZIP_DIPS: tuple[tuple[int, float, float], ...] = ((104, 2.5, 12.0), (387, 1.5, 6.0))
"""(zip3, depth in logits, width in prefixes) of each planted ZIP penalty."""
WORST_ZIP3 = "104"
CLINICAL_COLUMNS = ("age", "conditions", "lab_cr")
"""The only columns the clinical score reads; the planted slice is a hash of these."""

FloatArray = npt.NDArray[np.float64]


def _column(frame: pd.DataFrame, name: str, default: Any) -> Any:
    return frame[name] if name in frame.columns else default


def _joined(value: Any) -> str:
    """A list cell (Parquet, in-memory Arrow) or a ``;``-joined CSV cell, as the CSV text."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return ";".join(str(v) for v in value)


def _conditions(frame: pd.DataFrame) -> pd.Series[str]:
    import pandas as pd

    if "conditions" not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index)
    return frame["conditions"].map(_joined)


def _n_conditions(frame: pd.DataFrame) -> FloatArray:
    counts = _conditions(frame).map(lambda s: len([c for c in s.split(";") if c]))
    return np.asarray(counts, dtype=np.float64)


def clinical_logit(frame: pd.DataFrame) -> FloatArray:
    """The unbiased clinical score z (see the module docstring)."""
    age = np.asarray(frame["age"], dtype=np.float64)
    cr = np.asarray(_column(frame, "lab_cr", np.zeros(len(frame))), dtype=np.float64)
    cr = np.nan_to_num(cr, nan=0.0)
    z = 0.5 + 0.35 * np.minimum(_n_conditions(frame), 6) - 0.045 * (age - 55) - 1.0 * (cr > 1.5)
    return np.asarray(z, dtype=np.float64)


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def clinical_probability(frame: pd.DataFrame) -> FloatArray:
    """P(recommend trial) from the clinical score alone: what an unbiased model would say."""
    p = _sigmoid(clinical_logit(frame))
    age = np.asarray(frame["age"], dtype=np.float64)
    return np.where(age < 18, 0.1 * p, p)


def planted_slice(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows in the 23% slice that the insurance bias hits: a hash of the clinical columns and
    ``record_id`` when present (so look-alike patients are still independent draws)."""
    import pandas as pd

    key = pd.DataFrame(
        {
            "age": pd.to_numeric(frame["age"]).astype("int64").astype(str),
            "conditions": _conditions(frame).to_numpy(),
            "lab_cr": pd.to_numeric(_column(frame, "lab_cr", 0.0)).round(3).astype(str),
            "record_id": np.asarray(_column(frame, "record_id", ""), dtype=str),
        }
    )
    h = pd.util.hash_pandas_object(key, index=False).to_numpy(np.uint64)
    u = (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.asarray(u < PLANTED_INSURANCE_RATE, dtype=np.bool_)


def zip_penalty(zip3: Any) -> FloatArray:
    """The planted logit penalty for each zip3 (strings like ``"104"`` or numbers)."""
    import pandas as pd

    z = pd.to_numeric(pd.Series(np.asarray(zip3)).astype(str).str[:3], errors="coerce")
    x = np.asarray(z.fillna(-1000).to_numpy(), dtype=np.float64)
    pen = np.zeros_like(x)
    for centre, depth, width in ZIP_DIPS:
        pen += depth * np.exp(-(((x - centre) / width) ** 2))
    return np.where(x <= 0, 0.0, pen)


class ReferenceRecommender:
    """``predict_proba(frame)`` -> ``[[P(no trial), P(trial)], ...]`` with the planted bias."""

    classes_ = np.array([0, 1])

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        """Needs ``age`` and ``insurance``; ``zip3``, ``conditions``, ``lab_cr`` are optional."""
        z = clinical_logit(frame)
        if "zip3" in frame.columns:
            z = z - zip_penalty(frame["zip3"])
        p = _sigmoid(z)
        age = np.asarray(frame["age"], dtype=np.float64)
        p = np.where(age < 18, 0.1 * p, p)
        insurance = frame["insurance"].astype(str).str.lower().to_numpy()
        hit = np.isin(insurance, list(PENALISED_INSURANCE)) & planted_slice(frame)
        p = np.where(hit, INSURANCE_FACTOR * p, p)
        return np.column_stack([1.0 - p, p])


model = ReferenceRecommender()
"""The instance ``tabular:medtrust.fairness.reference:model`` loads."""


def eligible_label(frame: pd.DataFrame, *, seed: int = 0) -> npt.NDArray[np.int64]:
    """A ground-truth label for group metrics: eligibility drawn from the *clinical* probability
    (so TPR/FPR gaps between groups are the model's bias, not the label's)."""
    rng = np.random.default_rng(seed)
    p = clinical_probability(frame)
    return np.asarray(rng.random(len(frame)) < p, dtype=np.int64)


def demo_table(n: int = 2000, *, seed: int = 0) -> pd.DataFrame:
    """A synthetic cohort (Safe Harbor) with a ``trial_eligible`` label, for demos and tests."""
    from medtrust.cohort import CohortConfig, generate_table

    table = generate_table(n, config=CohortConfig(seed=seed))
    frame = table.to_pandas()
    for col in ("conditions", "medications", "variants"):  # as in a CSV cohort file
        frame[col] = frame[col].map(_joined)
    frame["zip3"] = frame["zip3"].astype(str)
    frame["trial_eligible"] = eligible_label(frame, seed=seed)
    return frame
