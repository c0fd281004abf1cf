"""The knowledge base ships what issue 3 requires and is internally consistent."""

from __future__ import annotations

from medtrust.cohort._kb import KnowledgeBase


def test_size_and_rare(kb: KnowledgeBase) -> None:
    assert len(kb.conditions) >= 80
    rare = [c for c in kb.conditions if c.rare]
    assert len(rare) >= 10
    assert "G10" in {c.code for c in rare}  # Huntington disease
    assert len({c.specialty for c in kb.conditions}) >= 15


def test_hierarchy(kb: KnowledgeBase) -> None:
    h = kb.hierarchy("E11.9")
    assert (h.chapter, h.block, h.category) == (4, "E08-E13", "E11")
    assert kb.hierarchy("C34.90").chapter_title == "Neoplasms"
    for c in kb.conditions:
        assert kb.hierarchy(c.code).category == c.code[:3]


def test_content_fields(kb: KnowledgeBase) -> None:
    for c in kb.conditions:
        assert c.symptoms and c.next and c.src
        for key, (lo, hi) in c.labs.items():
            lab = kb.lab_by_key[key]
            assert lab.phys_min <= lo < hi <= lab.phys_max
    for lab in kb.labs:
        assert lab.unit and lab.loinc and lab.phys_min <= lab.ref_low < lab.ref_high


def test_genomics(kb: KnowledgeBase) -> None:
    genes = {v.gene for v in kb.variants.values()}
    assert {"BRCA1", "BRCA2", "EGFR", "KRAS", "BRAF", "ALK", "ERBB2"} <= genes
    assert kb.variants["KRAS_G12C"].therapy == "sotorasib"
    assert kb.variants["BRAF_V600E"].protein == "p.V600E"


def test_restricted_zip3_versioned(kb: KnowledgeBase) -> None:
    # the union of the 2000- and 2010-census lists (issue 13): 17 + 6 added in 2010
    assert len(kb.restricted_zip3) == 23 and {"036", "205", "369"} <= kb.restricted_zip3
    assert kb.restricted_zip3_version == "census-2000+2010"


def test_conflicts_helper(kb: KnowledgeBase) -> None:
    assert kb.conflicts(["sildenafil", "nitroglycerin"], [])
    assert kb.conflicts(["metformin"], ["N18.4"])
    assert not kb.conflicts(["metformin"], ["E11.9"])
