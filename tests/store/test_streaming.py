"""Streaming reads (``iter_*``, ``*_for``) page through a run in bounded windows and give
exactly what the whole reads give, in the same order."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store


def _case(i: int, probe: str) -> Case:
    return Case.make(
        axis="robustness", probe=probe, operator="baseline", role="control",
        messages=[{"role": "user", "content": f"q{i}"}], gold={}, item_id=f"i{i}", stage=i % 2,
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(0, 40), batch=st.integers(1, 9), samples=st.integers(1, 3))
def test_streams_equal_whole_reads(tmp_path: Path, n: int, batch: int, samples: int) -> None:
    store = Store(f"sqlite:///{tmp_path}/s{n}_{batch}_{samples}.db", audit=False)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = [_case(i, "a" if i % 3 else "b") for i in range(n)]
    for i in range(0, n, 7):  # several add_cases calls: seq continues across them
        store.add_cases("r", cases[i : i + 7])
    store.add_cases("r", cases[:5])  # repeats are ignored
    store.add_replies("r", [Reply(case_id=c.id, sample=s, text="A")
                            for c in cases for s in range(samples)])
    store.put_verdicts("r", [Verdict(case_id=c.id, judge="j", outcome="pass") for c in cases])

    assert [c.id for c in store.iter_cases("r", batch=batch)] == [c.id for c in cases]
    windows = list(store.iter_case_windows("r", batch=batch))
    assert all(0 < len(w) <= batch for w in windows)
    assert [c.id for c in store.iter_cases("r", batch=batch, probe="b")] == [
        c.id for c in cases if c.probe == "b"
    ]
    assert [c.id for c in store.iter_cases("r", batch=batch, stage=1)] == [
        c.id for c in cases if c.stage == 1
    ]
    assert store.count_cases("r") == n and store.count_cases("r", probe="b") == len(cases[::3])
    whole = store.replies("r")
    assert [(r.case_id, r.sample) for r in store.iter_replies("r", batch=batch)] == [
        (r.case_id, r.sample) for cid in sorted(whole) for r in whole[cid]
    ]
    some = [c.id for c in cases[::2]]
    assert store.replies_for("r", some) == {k: v for k, v in whole.items() if k in some}
    assert store.answered("r", some) == {(c, s) for c in some for s in range(samples)}
    assert store.has_replies("r") == (n > 0)
    verdicts = store.verdicts("r")
    assert [v.case_id for v in store.iter_verdicts("r", batch=batch)] == sorted(verdicts)
    assert store.verdicts_for("r", some) == {k: v for k, v in verdicts.items() if k in some}
    store.put_verdicts("r", [Verdict(case_id=c.id, judge="k", outcome="fail") for c in cases[:1]])
    assert store.verdict_judges("r") == ({v.judge for v in store.iter_verdicts("r")})
    assert store.verdict_judges("r") == ({"j", "k"} if n else set())


def test_run_counts_add_up_and_survive_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    store = Store(url)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    assert store.run_counts("r") == {}
    store.add_run_counts("r", {"lost_calls": 2, "other": 0})
    store.add_run_counts("r", {"lost_calls": 3})
    assert Store(url).run_counts("r") == {"lost_calls": 5}
