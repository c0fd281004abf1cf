"""An audit of a model trained on a real table: lifelines' Rossi recidivism data.

The Rossi et al. (1980) data (432 released prisoners, arrest within a year) ship with lifelines,
so the example runs offline. A scikit-learn gradient-boosted classifier predicts ``arrest`` from
the other covariates, race included, which is what a careless pipeline does; the audit then shows
what that costs: counterfactual flips on ``race``, group metrics against the true outcome, a
worst-case shift of ``age``, and TreeExplainer attributions. ``pip install lifelines`` (in the
test extra) is needed; this is a demonstration, not part of the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medtrust.errors import MedtrustError

if TYPE_CHECKING:
    import pandas as pd

FEATURES = ("fin", "age", "race", "wexp", "mar", "paro", "prio")


def rossi_model(*, seed: int = 0) -> tuple[Any, pd.DataFrame]:
    """(fitted ``GradientBoostingClassifier``, the table with the ``arrest`` label)."""
    try:
        from lifelines.datasets import load_rossi
    except ImportError:
        raise MedtrustError("the Rossi example needs lifelines: pip install lifelines") from None
    from sklearn.ensemble import GradientBoostingClassifier

    table = load_rossi()[[*FEATURES, "arrest"]].astype("int64")
    model = GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=seed)
    model.fit(table[list(FEATURES)], table["arrest"])
    return model, table


def audit_rossi(*, seed: int = 0, shap_rows: int = 100, resamples: int = 300) -> dict[str, Any]:
    """The full audit of :func:`rossi_model` with race and age protected, against ``arrest``."""
    from medtrust.fairness._audit import AuditOptions, audit_model
    from medtrust.targets.tabular import TabularTarget

    model, table = rossi_model(seed=seed)
    target = TabularTarget(spec="tabular:rossi-gradient-boosting", model=model)
    options = AuditOptions(
        protected=["race", "age"],
        label="arrest",
        threshold=0.3,  # about 26% are arrested: a screening threshold below the base rate's odds
        min_group=20,
        resamples=resamples,
        shap_rows=shap_rows,
        seed=seed,
        proxies=(),
    )
    return audit_model(target, table, options)
