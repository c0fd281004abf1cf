"""A small store with every kind of audited write, built through the public Store API."""

from __future__ import annotations

from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store


def cases(tag: str, n: int) -> list[Case]:
    return [
        Case.make(
            axis="robustness",
            probe="t",
            operator="baseline",
            role="control",
            messages=[{"role": "user", "content": f"{tag} question {i}: chest pain, 38.4°C?"}],
            gold={"options": {"A": "MI", "B": "GERD"}, "accept": ["A"]},
            meta={"weight": 0.5, "tiny": 1e-07},
        )
        for i in range(n)
    ]


def populate(store: Store) -> dict[str, list[Case]]:
    """Two interleaved runs: cases, replies (one errored, deleted and re-asked), verdicts (one
    re-judged), finished (sealed), a report and a gate decision."""
    out: dict[str, list[Case]] = {}
    sampling = {"temperature": 0.0, "max_tokens": 8, "top_p": 1.0, "seed": None}
    for run in ("run-a", "run-b"):
        store.create_run(
            run, suite="s", target="python:x:y", seed=0, config={"suite": {"sampling": sampling}}
        )
    for run in ("run-a", "run-b"):
        cs = out[run] = cases(run, 4)
        store.add_cases(run, cs)
        store.add_cases(run, cs[:2])  # idempotent: no new rows, no new events
    for run in ("run-a", "run-b"):
        cs = out[run]
        store.add_replies(
            run,
            [Reply(case_id=c.id, text="A. MI", latency_s=1.5e-05) for c in cs[:3]]
            + [Reply(case_id=cs[3].id, error="timeout after 5 s", latency_s=5.0)],
        )
    store.delete_error_replies("run-a")
    store.add_replies("run-a", [Reply(case_id=out["run-a"][3].id, text="B", latency_s=0.25)])
    detail = {"votes": ["A"], "entropy_bits": 0.0}
    for run in ("run-a", "run-b"):
        v = [
            Verdict(
                case_id=c.id,
                judge="mc",
                outcome="pass",
                score=1.0,
                answer="A",
                detail=detail,
            )
            for c in out[run]
        ]
        store.put_verdicts(run, v)
    store.put_verdicts(
        "run-a", [Verdict(case_id=out["run-a"][0].id, judge="mc", outcome="fail", answer="B")]
    )
    store.set_status("run-a", "done")
    store.record_event("run-a", "report", "html", {"format": "html", "risk": 12.5})
    store.record_event("run-a", "gate", "pass", {"passed": True, "reasons": []})
    store.set_status("run-b", "done")
    return out
