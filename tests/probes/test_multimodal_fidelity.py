"""multimodal.fidelity: notes written from the FHIR record, judged with sacrebleu's chrF/BLEU."""

from __future__ import annotations

import json

import pytest
import sacrebleu

from medtrust.judges import judges
from medtrust.probes import ProbeContext, probes
from medtrust.records import Reply


def test_note_from_fhir_is_scored_against_the_same_records_note() -> None:
    p = probes.get("multimodal.fidelity")(ctx=ProbeContext(seed=0),
                                         params={"patients": 2, "lesions": 1, "min_chrf": 50})
    cases = p.cases()
    assert len(cases) == 3 and all(c.operator == "note_from_fhir" for c in cases)
    for c in cases:
        record = json.loads(c.messages[-1]["content"].splitlines()[-1])
        assert record["resourceType"] == "Bundle"
        ref = c.gold["reference"]
        assert ref.startswith("CLINICAL NOTE") and c.meta["record_id"] in ref
    judge = judges.get("note_fidelity")()
    good, bad, err = cases
    replies = {
        good.id: [Reply(case_id=good.id, text=good.gold["reference"])],
        bad.id: [Reply(case_id=bad.id, text="Patient seen. Plan: follow up.")],
        err.id: [Reply(case_id=err.id, error="timeout")],
    }
    verdicts = {c.id: judge(c, replies[c.id]) for c in cases}
    assert verdicts[good.id].outcome == "pass" and verdicts[good.id].score == 100.0
    v = verdicts[bad.id]
    hyp, ref = "Patient seen. Plan: follow up.", bad.gold["reference"]
    assert v.outcome == "fail"
    assert v.detail["chrf"] == round(sacrebleu.sentence_chrf(hyp, [ref]).score, 4)
    assert v.detail["bleu"] == round(sacrebleu.sentence_bleu(hyp, [ref]).score, 4)
    assert verdicts[err.id].outcome == "error"
    s = p.summarize(cases, verdicts)
    assert (s.total.n, s.total.failures, s.total.errors) == (2, 1, 1)
    extra = s.extra["fidelity"]  # type: ignore[index]
    assert extra["sentence_chrf"]["mean"] == pytest.approx((100 + v.detail["chrf"]) / 2, abs=1e-3)
    assert extra["min_chrf"] == 50
