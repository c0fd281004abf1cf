"""The store reads JSON columns with orjson and falls back to the standard library: every value
reads back exactly as ``json.loads`` reads it, including what only the standard library
accepts (NaN, Infinity, integers beyond 64 bits)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from medtrust.records import Case, Verdict
from medtrust.store import Store
from medtrust.store._store import json_loads

# integers around the 64-bit edges, where orjson and the standard library part ways
edges = st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19, -(10**19), 10**18]
)
scalars = st.none() | st.booleans() | st.integers() | edges | st.floats() | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(values, st.booleans())
def test_reads_what_the_standard_library_reads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(json_loads(text), json.loads(text))
    assert _same(json_loads(text.encode()), json.loads(text))


def test_big_integers_read_exactly_with_or_without_floats_beside_them() -> None:
    for text in (
        "[18446744073709551616]",
        '{"a": -9223372036854775809}',
        "[1.5, 2e3, 10000000000000000000000]",
        '{"n": 12345678901234567890123, "s": "1234567890123456789012"}',
        "[NaN, Infinity]",
    ):
        assert _same(json_loads(text), json.loads(text)), text
    big = json_loads("[18446744073709551616]")[0]
    assert type(big) is int and big == 2**64


def test_a_stored_run_reads_back_through_the_store(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'j.db'}", audit=False)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    gold = {"options": {"A": "ü 10⁹/L"}, "accept": ["A"], "big": 2**70, "ratio": 0.1}
    case = Case.make(axis="robustness", probe="p", operator="baseline", role="control",
                     messages=[{"role": "user", "content": "q"}], gold=gold)  # fmt: skip
    store.add_cases("r", [case])
    store.put_verdicts("r", [Verdict(case_id=case.id, judge="j", outcome="pass",
                                     detail={"score": float("nan")})])  # fmt: skip
    assert store.cases("r") == [case]
    (v,) = store.verdicts("r").values()
    assert v.detail is not None and math.isnan(v.detail["score"])
