"""Safe Harbor scrubbing of free text does not depend on how pandas stores text.

pandas 3 reads and builds text columns with the ``str`` dtype, not ``object``; a scrubber that
looked only at ``dtype == object`` would pass dates and ages over 89 in free text straight
through (found running the tests on pandas 3, the version a fresh install resolves to).
``string`` (pandas 2's opt-in text dtype) behaves the same way, so this runs on either.
"""

from __future__ import annotations

import pandas as pd
import pytest

from medtrust.cohort._deid import safe_harbor_frame

NOTES = ["seen March 7, 1958", "a 95-year-old", "stable"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_free_text_is_scrubbed_whatever_the_text_dtype(dtype: object) -> None:
    try:
        frame = pd.DataFrame({"note": pd.Series(NOTES, dtype=dtype)})  # type: ignore[call-overload]
    except TypeError:  # "str" is a dtype from pandas 3 on
        pytest.skip(f"this pandas has no {dtype!r} dtype")
    notes = list(safe_harbor_frame(frame)["note"])
    assert "March 7" not in notes[0] and "1958" in notes[0]
    assert notes[2] == "stable"


@pytest.mark.parametrize("dtype", [object, "string"])
def test_text_ages_over_89_are_top_coded_whatever_the_text_dtype(dtype: object) -> None:
    frame = pd.DataFrame({"age": pd.Series(["95", "40"], dtype=dtype)})  # type: ignore[call-overload]
    ages = [str(a) for a in safe_harbor_frame(frame)["age"]]
    assert ages == ["90", "40"]
