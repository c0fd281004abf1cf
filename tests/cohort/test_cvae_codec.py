"""The CVAE's mixed-type encoding (no torch needed): a perfect decoder gives the table back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.cohort._cvae_codec import CvaeColumn, decode, describe, encode, parse_value
from medtrust.errors import ConfigError

ints = st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), min_size=12, max_size=40)
cats = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c d", "É"])), min_size=12,
                max_size=40)


def _perfect(cols: list[CvaeColumn], x: np.ndarray) -> pd.DataFrame:
    """Decode ``x`` as a decoder that reproduced its input exactly would."""
    numeric, missing, choices = [], [], []
    at = 0
    for col in cols:
        block = x[:, at:at + col.width]
        at += col.width
        if col.kind in ("categorical", "boolean"):
            choices.append(block.argmax(axis=1).astype(np.int64))
        else:
            numeric.append(block[:, 0])
            missing.append(block[:, 1] if col.width == 2 else np.zeros(len(x), np.float32))
    num = np.column_stack(numeric) if numeric else np.zeros((len(x), 0), np.float32)
    return decode(cols, num, choices, missing)


@settings(max_examples=60, deadline=None)
@given(ints, cats, st.data())
def test_encode_then_perfect_decode_is_the_identity(iv: list[int | None], cv: list[str | None],
                                                    data: st.DataObject) -> None:
    n = min(len(iv), len(cv))
    iv, cv = iv[:n], cv[:n]
    floats = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    if all(v is None for v in iv) or all(v is None for v in cv):
        return
    df = pd.DataFrame({"i": pd.array(iv, dtype="Int64"), "c": pd.Series(cv, dtype=object),
                       "f": floats})
    cols = [describe(df, name) for name in df.columns]
    x = encode(cols, df)
    assert x.shape == (n, sum(c.width for c in cols)) and x.dtype == np.float32
    back = _perfect(cols, x)
    for row in range(n):
        assert back["c"][row] == df["c"][row]
        if df["i"].isna()[row]:
            assert pd.isna(back["i"][row])
        else:  # integer, or categorical when it holds at most two values
            assert back["i"][row] == df["i"][row]
    tol = 1e-3 * (np.std(floats) + 1)
    assert np.allclose(back["f"].astype(float), df["f"], rtol=1e-4, atol=tol)


@given(st.text(max_size=12))
def test_parse_value_accepts_a_known_value_or_says_which_are(text: str) -> None:
    col = CvaeColumn(name="race", kind="categorical", categories=["Asian", "Black", 3, None])
    try:
        value = parse_value(col, text)
    except ConfigError as exc:
        assert "race" in str(exc) and "known: Asian, Black, 3" in str(exc)
    else:
        assert value in col.categories and str(value) == text.strip()


def test_unseen_category_and_empty_column_name_the_cause() -> None:
    df = pd.DataFrame({"c": ["a", "b"] * 6, "e": [None] * 12})
    with pytest.raises(ConfigError, match="'e' is entirely empty"):
        describe(df, "e")
    col = describe(df, "c")
    with pytest.raises(ConfigError, match=r"x\.csv: row 2: c='z' was not seen"):
        encode([col], pd.DataFrame({"c": ["a", "z"]}), where="x.csv")
    many = pd.DataFrame({"c": [f"v{i}" for i in range(250)]})
    with pytest.raises(ConfigError, match="250 values"):
        describe(many, "c")
