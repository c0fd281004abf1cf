"""LIME beside SHAP (issue 18 item 1): LIME weights equal the ``lime`` package's, the rank
agreement equals ``scipy.stats.spearmanr`` with a bootstrap interval, and the spread of a
feature's attribution across groups comes with a permutation test that finds a planted
difference and not an absent one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import permutation_test, spearmanr
from sklearn.linear_model import LogisticRegression

from medtrust.fairness._explain import shap_values
from medtrust.fairness._explain_compare import (
    MIN_GROUP_ROWS,
    _spread,
    compare_explanations,
    group_spread,
    rank_agreement,
)
from medtrust.fairness._lime import lime_values
from medtrust.targets.tabular import TabularTarget


@pytest.fixture(scope="module")
def linear() -> tuple[TabularTarget, pd.DataFrame]:
    """A logistic model on three numbers: x0 matters most, x1 less, x2 not at all."""
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.normal(size=(400, 3)), columns=["x0", "x1", "x2"])
    y = (2 * x["x0"] + 0.7 * x["x1"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = LogisticRegression().fit(x[["x0", "x1"]].assign(x2=0.0), y)
    model.coef_[0, 2] = 0.0  # x2 is never read
    return TabularTarget(spec="tabular:test", model=model), x


def test_lime_weights_equal_the_lime_package(linear: tuple[TabularTarget, pd.DataFrame]) -> None:
    from lime.lime_tabular import LimeTabularExplainer

    target, x = linear
    out = lime_values(target, x, rows=5, seed=7, num_samples=300)
    used = ["x0", "x1"]  # x2 changes no prediction: left out, exactly 0
    ref = LimeTabularExplainer(x[used].to_numpy(), mode="classification", feature_names=used,
                               categorical_features=[], categorical_names={},
                               discretize_continuous=True, random_state=7)

    def predict(z: np.ndarray) -> np.ndarray:
        p = target.model.predict_proba(pd.DataFrame(z, columns=used).assign(x2=x["x2"].iloc[0]))
        return np.asarray(p)

    for k, i in enumerate(out["index"]):
        exp = ref.explain_instance(x[used].to_numpy()[i], predict, labels=(1,), num_features=2,
                                   num_samples=300)
        want = dict(exp.as_map()[1])
        np.testing.assert_allclose(out["values"][k, :2], [want[0], want[1]], atol=1e-9)
    assert (out["values"][:, 2] == 0).all()
    assert np.abs(out["values"][:, 0]).mean() > np.abs(out["values"][:, 1]).mean()


def test_rank_agreement_is_scipy_spearman_with_a_bootstrap_interval() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(80, 6)) * np.array([5, 4, 3, 2, 1, 0])
    b = a + rng.normal(scale=1.0, size=a.shape) * np.array([1, 1, 1, 1, 1, 0])
    got = rank_agreement(a, b, resamples=300, seed=1)
    keep = slice(0, 5)  # the last feature is 0 in both: left out
    want = spearmanr(np.abs(a).mean(0)[keep], np.abs(b).mean(0)[keep]).statistic
    assert got["features"] == 5 and got["spearman"] == pytest.approx(want, abs=1e-6)
    lo, hi = got["ci95"]
    assert -1 <= lo <= got["spearman"] <= hi <= 1
    with pytest.raises(ValueError):
        rank_agreement(a, b[:10])


def test_group_spread_p_value_is_scipy_permutation_test_and_finds_a_planted_gap() -> None:
    rng = np.random.default_rng(5)
    groups = pd.Series(np.repeat(["a", "b", "c"], 40))
    values = rng.normal(size=(120, 2))
    values[:40, 0] *= 3  # group a's feature-0 attributions are three times as large
    out = group_spread(values, ["planted", "null"], groups, permutations=499, seed=2)
    rows = {r["feature"]: r for r in out["features"]}
    samples = [np.abs(values[groups.to_numpy() == g, 0]) for g in "abc"]
    ref = permutation_test(samples, _spread, permutation_type="independent",
                           alternative="greater", n_resamples=499, vectorized=True,
                           rng=np.random.default_rng([2, 0]))
    assert rows["planted"]["p_value"] == pytest.approx(ref.pvalue, abs=1e-6)
    assert rows["planted"]["spread"] == pytest.approx(ref.statistic, abs=1e-6)
    assert rows["planted"]["p_value"] < 0.01 and rows["null"]["p_value"] > 0.05
    assert rows["planted"]["q_value"] >= rows["planted"]["p_value"]
    small = group_spread(values[: MIN_GROUP_ROWS + 1], ["planted", "null"],
                         groups[: MIN_GROUP_ROWS + 1], permutations=99)
    assert small["features"] == [] and "fewer than two groups" in small["note"]


def test_shap_and_lime_compared_on_the_same_rows(
    linear: tuple[TabularTarget, pd.DataFrame]
) -> None:
    lr, x = linear[0].model, linear[1]
    target = TabularTarget(spec="tabular:test",
                           model=lambda df: lr.predict_proba(df[["x0", "x1", "x2"]]))
    frame = x.assign(group=np.where(x["x0"] > 0, "hi", "lo"))
    s = shap_values(target, frame, rows=40, seed=0)
    lm = lime_values(target, frame, rows=40, seed=0, num_samples=300)
    c = compare_explanations({"shap": s, "lime": lm}, frame, ["group"], resamples=100,
                             permutations=99)
    assert c["agreement"]["methods"] == ["shap", "lime"]
    # both rank x0 over x1; x2 and the group column are never read (left out)
    for m in ("shap", "lime"):
        ranked = [r["feature"] for r in c["methods"][m]["importance"]]
        assert ranked[:2] == ["x0", "x1"]
    assert c["agreement"]["features"] == 2
