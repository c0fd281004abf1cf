"""The stage loop streams: with windows of a few cases (instead of thousands) a run stores,
asks and judges exactly the same cases, verdicts and follow-up rounds, and resumes the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from medtrust.api import make_config, run
from medtrust.engine import _stages, _views
from medtrust.store import Store

SUITE = """\
name: staged
probes:
  - name: robustness.das
    limit: 9
    params:
      operators: [distraction, bias, add_nota]
  - name: robustness.adaptive
    limit: 4
  - name: cognitive_bias.biasmedqa
    limit: 4
"""


def outcome(store: Store, run_id: str) -> tuple[list[Any], dict[str, Any]]:
    cases = [(c.id, c.probe, c.stage, c.operator) for c in store.cases(run_id)]
    verdicts = {k: (v.outcome, v.answer, v.score) for k, v in store.verdicts(run_id).items()}
    return cases, verdicts


@pytest.fixture
def staged(oracle_dir: Path) -> Path:
    (oracle_dir / "staged.yaml").write_text(SUITE)
    return oracle_dir


def test_small_windows_give_the_same_run(staged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no cache: with small windows a repeated request (same messages, temperature 0) can hit
    # the reply an earlier window cached, which is the cache working, not a different run
    config = make_config("staged.yaml", target="python:oracle:answer", seed=5, use_cache=False)
    big = Store("sqlite:///big.db")
    whole = run(config, store=big)
    monkeypatch.setattr(_stages, "WINDOW", 3)
    monkeypatch.setattr(_views, "WINDOW", 2)
    small = Store("sqlite:///small.db")
    windowed = run(config, store=small)
    cases, verdicts = outcome(big, whole.run.id)
    assert max(stage for _, _, stage, _ in cases) >= 2  # adaptive attack rounds took place
    assert len(cases) > 3 * 3
    assert outcome(small, windowed.run.id) == (cases, verdicts)
    assert whole.summary.model_dump(exclude={"run_id", "created_at", "finished_at"}) == (
        windowed.summary.model_dump(exclude={"run_id", "created_at", "finished_at"})
    )


ITEM = (
    '{{"id": "s{i}", "question": "Which option is number {i}?", '
    '"options": {{"A": "one {i}", "B": "two {i}", "C": "three {i}"}}, "answer_idx": "B"}}\n'
)
FLAT = """\
name: flat
probes:
  - name: robustness.das
    params: {operators: [distraction], bundled: false}
"""


def test_large_data_file_is_streamed_with_the_same_result(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medtrust.probes.robustness import _stream

    (oracle_dir / "flat.yaml").write_text(FLAT)
    data = oracle_dir / "items.jsonl"
    data.write_text("".join(ITEM.format(i=i) for i in range(30)))
    config = make_config("flat.yaml", target="python:oracle:answer", data=str(data),
                         use_cache=False)
    whole = Store("sqlite:///whole.db")
    first = run(config, store=whole)
    monkeypatch.setattr(_stream, "STREAM_FROM", 10)
    monkeypatch.setattr(_stages, "WINDOW", 4)
    streamed = Store("sqlite:///streamed.db")
    second = run(config, store=streamed)
    assert outcome(streamed, second.run.id) == outcome(whole, first.run.id)
    assert len(whole.cases(first.run.id)) == 30  # 30 controls (the oracle misses them all)


def test_streamed_file_reports_a_duplicate_id_with_both_lines(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medtrust.errors import ConfigError
    from medtrust.probes.robustness import _stream

    (oracle_dir / "flat.yaml").write_text(FLAT)
    data = oracle_dir / "items.jsonl"
    data.write_text("".join(ITEM.format(i=i) for i in [*range(12), 3]))
    monkeypatch.setattr(_stream, "STREAM_FROM", 10)
    config = make_config("flat.yaml", target="python:oracle:answer", data=str(data))
    with pytest.raises(ConfigError, match=r"items.jsonl:13: duplicate id 's3' \(first at line 4\)"):
        run(config, store=Store("sqlite:///dup.db"))
