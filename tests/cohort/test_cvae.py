"""Conditional VAE on a real clinical table (ACTG 320, scikit-survival's bundled AIDS data).

Fitted once per module at few epochs (the properties tested do not need a converged model):
types and ranges survive, a seed fixes everything, a twin keeps its patient's latent code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from medtrust.cohort._cvae import CvaeModel, fit_cvae, sample_cvae, twins  # noqa: E402
from medtrust.cohort._cvae_codec import encode  # noqa: E402
from medtrust.cohort._cvae_twins import parse_counterfactual  # noqa: E402
from medtrust.cohort._fidelity import fidelity  # noqa: E402
from medtrust.errors import ConfigError  # noqa: E402

CONDITION = ["raceth", "sex"]


@pytest.fixture(scope="module")
def aids() -> pd.DataFrame:
    from sksurv.datasets import load_aids

    x, y = load_aids()
    df = x.copy()
    df["time"] = y["time"]
    df["censor"] = y["censor"]
    return df


@pytest.fixture(scope="module")
def model(aids: pd.DataFrame) -> CvaeModel:
    return fit_cvae(aids, CONDITION, seed=0, epochs=30)


def test_sample_keeps_types_ranges_and_condition_values(aids: pd.DataFrame,
                                                        model: CvaeModel) -> None:
    synth = sample_cvae(model, 800, seed=1)
    assert list(synth.columns) == list(aids.columns) and len(synth) == 800
    for col in model.meta.columns + model.meta.conditions:
        real, fake = aids[col.name], synth[col.name]
        if col.kind in ("categorical", "boolean"):
            assert {str(v) for v in fake.dropna()} <= {str(v) for v in real.dropna()}, col.name
        else:
            assert fake.min() >= real.min() and fake.max() <= real.max(), col.name
    assert (synth["age"] % 1 == 0).all()  # integer column stays integer
    # condition values follow the real joint frequencies (a 3-sigma binomial band)
    p = (aids["raceth"].astype(str) == "1").mean()
    share = (synth["raceth"].astype(str) == "1").mean()
    assert abs(share - p) < 3 * np.sqrt(p * (1 - p) / 800)
    kinds = {c.name: ("categorical" if c.kind in ("categorical", "boolean") else "numeric")
             for c in model.meta.columns}
    shapes = fidelity(aids[list(kinds)], synth[list(kinds)], kinds)["column_shapes"]
    # An untrained decoder (all-zero output) is the floor the fitted model must beat.
    blank = CvaeModel(model.meta, type(model.net)(*_dims(model)))
    for prm in blank.net.parameters():
        torch.nn.init.zeros_(prm)
    floor = fidelity(aids[list(kinds)], sample_cvae(blank, 800, seed=1)[list(kinds)],
                     kinds)["column_shapes"]
    assert shapes > floor


def _dims(model: CvaeModel) -> tuple[int, int, int, int, int]:
    meta = model.meta
    n_num = sum(c.kind not in ("categorical", "boolean") for c in meta.columns)
    return (sum(c.width for c in meta.columns), sum(c.width for c in meta.conditions), n_num,
            meta.latent, meta.hidden)


def test_same_seed_same_model_and_samples(aids: pd.DataFrame, tmp_path: Path) -> None:
    small = aids.iloc[:300]
    a = fit_cvae(small, CONDITION, seed=3, epochs=4)
    b = fit_cvae(small, CONDITION, seed=3, epochs=4)
    c = fit_cvae(small, CONDITION, seed=4, epochs=4)
    for key, value in a.net.state_dict().items():
        assert torch.equal(value, b.net.state_dict()[key]), key
    assert not all(torch.equal(v, c.net.state_dict()[k]) for k, v in a.net.state_dict().items())
    pd.testing.assert_frame_equal(sample_cvae(a, 200, seed=9), sample_cvae(b, 200, seed=9))
    assert not sample_cvae(a, 200, seed=9).equals(sample_cvae(a, 200, seed=10))
    a.save(tmp_path / "cvae.pt")
    loaded = CvaeModel.load(tmp_path / "cvae.pt")
    assert loaded.meta == a.meta
    pd.testing.assert_frame_equal(sample_cvae(loaded, 200, seed=9), sample_cvae(a, 200, seed=9))


def test_twin_keeps_the_patient_closer_than_a_random_pair(aids: pd.DataFrame,
                                                          model: CvaeModel) -> None:
    source = aids[aids["raceth"].astype(str) == "1"].reset_index(drop=True)
    change = parse_counterfactual(model, "raceth=2")
    twin = twins(model, source, change)
    assert len(twin) == len(source) and twin["source_row"].tolist() == list(
        range(1, len(source) + 1))
    assert (twin["raceth"].astype(str) == "2").all()  # the requested value, every row
    assert (twin["sex"].astype(str) == source["sex"].astype(str)).all()  # the other one kept
    cols = model.meta.columns
    x_src = encode(cols, source)
    x_twin = encode(cols, twin.drop(columns=["source_row"]))
    d_own = np.linalg.norm(x_twin - x_src, axis=1)
    rng = np.random.default_rng(0)
    d_rand = np.linalg.norm(x_twin - x_src[rng.permutation(len(source))], axis=1)
    # Measured: keeping z keeps the patient; a random real patient is further away.
    assert np.median(d_own) < np.median(d_rand)
    assert np.mean(d_own < d_rand) > 0.5


def test_bad_counterfactual_and_data_are_one_line_errors(aids: pd.DataFrame,
                                                         model: CvaeModel) -> None:
    with pytest.raises(ConfigError, match="not a value of raceth"):
        parse_counterfactual(model, "raceth=9")
    with pytest.raises(ConfigError, match="one of the model's conditions"):
        parse_counterfactual(model, "age=40")
    with pytest.raises(ConfigError, match="missing column 'cd4'"):
        twins(model, aids.drop(columns=["cd4"]), {"raceth": 2})
    bad = aids.iloc[:3].copy()
    bad["karnof"] = ["100", "90", "55"]
    with pytest.raises(ConfigError, match="row 3: karnof='55' was not seen"):
        twins(model, bad, {"raceth": 2})
    with pytest.raises(ConfigError, match="no column 'race'"):
        fit_cvae(aids, ["race"], epochs=1)
