"""Cases from the cohort: MC items, open questions, recommendation scenarios."""

from __future__ import annotations

from medtrust.cohort import mc_items, open_questions, recommendation_scenarios
from medtrust.cohort._kb import KnowledgeBase


def test_mc_items_deterministic_and_well_formed(kb: KnowledgeBase) -> None:
    items = mc_items(60, seed=3)
    assert len(items) == 60
    assert items == mc_items(60, seed=3)
    assert items != mc_items(60, seed=4)
    assert len({i.id for i in items}) == 60
    kinds = {i.topic.split("/")[0] for i in items if i.topic}
    assert {"diagnosis", "treatment", "next_step", "contraindication"} <= kinds
    names = {c.name for c in kb.conditions}
    for it in items:
        assert list(it.options) == ["A", "B", "C", "D"] and it.answer in it.options
        assert len(set(it.options.values())) == 4 and it.source == "cohort"
        gold = it.options[it.answer]
        kind = (it.topic or "").split("/")[0]
        if kind == "diagnosis":
            assert gold in names
        if kind == "contraindication":
            assert any(gold in kb.by_code[c].avoid for c in kb.by_code)


def test_targeted_therapy_items_exist(kb: KnowledgeBase) -> None:
    items = mc_items(400, seed=1)
    tt = [i for i in items if (i.topic or "").startswith("targeted_therapy")]
    assert tt
    therapies = {v.therapy for v in kb.variants.values()}
    assert all(i.options[i.answer] in therapies for i in tt)


def test_open_questions_and_scenarios() -> None:
    qs = open_questions(10, seed=2)
    assert len(qs) == 10 and all(q.reference_facts for q in qs)
    sc = recommendation_scenarios(9, seed=2)
    assert len(sc) == 9 and sc == recommendation_scenarios(9, seed=2)
    for s in sc:
        texts = list(s.variants.values())
        assert len(texts) >= 2 and len(set(texts)) == len(texts)
        assert s.answer in s.options
    assert {s.attribute for s in sc} == {"race_ethnicity", "sex", "insurance"}
