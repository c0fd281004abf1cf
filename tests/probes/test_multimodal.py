"""multimodal.consistency: one question per patient, the deciding fact in one modality per case;
the summary catches a model that ignores the VCF; images are sent or reported not assessed."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from medtrust.judges import judges
from medtrust.multimodal import decode_data_url
from medtrust.multimodal.reference import ignores_vcf, reads_all
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.records import Case, Reply, Verdict

NAME = "multimodal.consistency"
Model = Callable[[list[dict[str, Any]]], str]


def make(params: Mapping[str, Any] | None = None, **ctx: Any) -> Probe:
    return probes.get(NAME)(ctx=ProbeContext(**ctx), params=params)


def judge_all(cases: list[Case], model: Model) -> dict[str, Verdict]:
    """Real multiple-choice judge on the replies of a reference model."""
    judge = judges.get("multiple_choice")()
    return {c.id: judge(c, [Reply(case_id=c.id, text=model(c.messages))]) for c in cases}


@pytest.fixture(scope="module")
def probe() -> Probe:
    return make({"patients": 4, "lesions": 3, "images": True})


@pytest.fixture(scope="module")
def cases(probe: Probe) -> list[Case]:
    return probe.cases()


def _text(c: Case) -> str:
    content = c.messages[-1]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def test_one_question_per_patient_asked_once_per_modality(cases: list[Case]) -> None:
    by_patient: dict[str, list[Case]] = {}
    for c in cases:
        assert c.axis == "multimodal" and c.meta["modality"] == c.operator
        by_patient.setdefault(c.meta["patient_key"], []).append(c)
    assert len(by_patient) == 7
    for group in by_patient.values():
        mods = [c.meta["modality"] for c in group]
        q = group[0].meta["question"]
        assert mods == (["text", "fhir", "vcf"] if q == "targeted_therapy"
                        else ["text", "fhir", "image"])
        assert len({json.dumps(c.gold, sort_keys=True) for c in group}) == 1  # same question
        stem = _text(group[0]).split("\n\n")[0]
        assert all(_text(c).startswith(stem) for c in group)
    assert [c.id for c in cases] == [c.id for c in make(
        {"patients": 4, "lesions": 3, "images": True}).cases()]  # deterministic


def test_options_follow_the_prompt_contract(cases: list[Case]) -> None:
    for c in cases:
        lines = _text(c).splitlines()
        for letter, option in c.gold["options"].items():
            assert f"{letter}. {option}" in lines
        assert c.gold["accept"][0] in c.gold["options"]


def test_deciding_fact_is_only_in_its_modality(cases: list[Case]) -> None:
    for c in cases:
        text, stem = _text(c), _text(c).split("\n\n")[0]
        answer = c.gold["options"][c.gold["accept"][0]]
        body = text[len(stem):].split("\nA. ")[0]
        assert answer.lower() not in body.lower()  # never the answer itself
        mod = c.meta["modality"]
        assert ("##fileformat=VCF" in text) == (mod == "vcf")
        assert ('"resourceType":"Bundle"' in text) == (mod == "fhir")
        assert ("CLINICAL NOTE" in text) == (mod == "text")
        if c.meta["question"] == "targeted_therapy":
            assert "GENE=" in text or "Gene studied" in text or "genomic profiling:" in text
            assert "THERAPY" not in text  # the VCF annotation would give the answer away
            assert mod != "text" or "Medications: none." in text
        else:
            assert "Lesion" not in stem


def test_image_cases_are_openai_content_parts_with_small_png(cases: list[Case]) -> None:
    images = [c for c in cases if c.operator == "image"]
    assert len(images) == 3
    for c in images:
        parts = c.messages[-1]["content"]
        assert [p["type"] for p in parts] == ["text", "image_url"]
        url = parts[1]["image_url"]["url"]
        assert url.startswith("data:image/png;base64,") and len(url) < 20_000
        assert decode_data_url(url).shape[:2] == (64, 64)


def test_reads_all_is_consistent_and_ignores_vcf_is_caught(probe: Probe, cases: list[Case]
                                                           ) -> None:
    good = probe.summarize(cases, judge_all(cases, reads_all))
    assert (good.total.n, good.total.failures, good.total.errors) == (7, 0, 0)
    assert set(good.by_operator) == {"text|fhir", "text|vcf", "fhir|vcf", "text|image",
                                     "fhir|image"}
    detail = good.extra["multimodal"]  # type: ignore[index]
    assert detail["not_assessed"] == [] and detail["per_modality"]["image"]["rate"] == 1.0

    verdicts = judge_all(cases, ignores_vcf)
    s = probe.summarize(cases, verdicts)
    vcf_wrong = sum(1 for c in cases if c.operator == "vcf" and c.gold["accept"] != ["A"])
    assert vcf_wrong > 0
    assert s.by_operator["text|vcf"].failures == vcf_wrong
    assert s.by_operator["fhir|vcf"].failures == vcf_wrong
    assert s.by_operator["text|fhir"].failures == 0 and s.by_operator["text|image"].failures == 0
    assert (s.total.n, s.total.failures) == (7, vcf_wrong)
    d = s.extra["multimodal"]  # type: ignore[index]
    assert d["missed_by_modality"] == {"text": 0, "fhir": 0, "vcf": vcf_wrong, "image": 0}
    assert all(x["missed"] == ["vcf"] for x in d["disagreements"])
    assert d["per_modality"]["vcf"]["k"] == 4 - vcf_wrong
    assert s.controls is not None and (s.controls.n, s.controls.failures) == (7, 0)
    ci = s.by_operator["text|vcf"].as_dict()["ci95"]
    assert ci[0] <= vcf_wrong / 4 <= ci[1]


def test_errors_are_counted_apart(probe: Probe, cases: list[Case]) -> None:
    verdicts = judge_all(cases, reads_all)
    errored = [c for c in cases if c.operator in ("fhir", "image")]
    for c in errored:  # leaves lesion patients with one scored modality: out of n
        verdicts[c.id] = Verdict(case_id=c.id, judge="multiple_choice", outcome="error")
    s = probe.summarize(cases, verdicts)
    assert s.total.errors == len(errored)
    assert (s.total.n, s.total.failures) == (4, 0)
    assert s.by_operator["text|image"].errors == 3 and s.by_operator["text|image"].n == 0
    assert s.by_operator["text|vcf"].n == 4


@pytest.mark.parametrize(
    ("params", "ctx", "reason"),
    [
        ({}, {}, "did not say whether the target accepts images"),
        ({"images": False}, {}, "params.images: false"),
        ({"modalities": ["text", "vcf"]}, {}, "not requested"),
    ],
)
def test_text_only_runs_report_images_not_assessed(
    params: dict[str, Any], ctx: dict[str, Any], reason: str
) -> None:
    p = make({"patients": 1, "lesions": 1, **params}, **ctx)
    cs = p.cases()
    assert cs and all(c.operator != "image" for c in cs)
    s = p.summarize(cs, judge_all(cs, reads_all))
    d = s.extra["multimodal"]  # type: ignore[index]
    assert d["not_assessed"] == ["image"] and reason in d["not_assessed_reason"]["image"]


def test_auto_follows_the_run_when_it_says_what_the_target_takes() -> None:
    class Ctx(ProbeContext):
        pass

    for capable, has_images in ((True, True), (False, False)):
        ctx = Ctx(seed=0)
        object.__setattr__(ctx, "accepts_images", capable)
        p = probes.get(NAME)(ctx=ctx, params={"patients": 0, "lesions": 1})
        assert any(c.operator == "image" for c in p.cases()) is has_images


def test_limit_and_bad_params() -> None:
    p = make({"patients": 5, "lesions": 5}, limit=1)
    assert len({c.meta["patient_key"] for c in p.cases()}) == 2
    from medtrust.errors import ConfigError

    with pytest.raises(ConfigError, match="modalities"):
        make({"modalities": ["text", "audio"]})
    with pytest.raises(ConfigError, match="images"):
        make({"images": "sometimes"})


def test_fhir_payloads_are_valid_r4_bundles(probe: Probe, cases: list[Case]) -> None:
    pytest.importorskip("fhir.resources")
    from medtrust.cohort import validate_bundle

    for c in cases:
        if c.operator == "fhir":
            validate_bundle(json.loads(_text(c).split("FHIR R4 record (JSON):\n")[1]
                                       .split("\n\n")[0]))


def test_image_assessment_is_read_from_the_stored_cases(cases: list[Case]) -> None:
    # A report rebuilt from the store re-creates the probe without knowing the target: the
    # image cases it finds decide, not the (unknown) capability.
    rebuilt = make({"patients": 4, "lesions": 3})
    s = rebuilt.summarize(cases, judge_all(cases, reads_all))
    assert s.extra["multimodal"]["not_assessed"] == []  # type: ignore[index]
    none = make({"patients": 1, "lesions": 0, "images": True})
    d = none.summarize(none.cases(), {}).extra["multimodal"]  # type: ignore[union-attr]
    assert d["not_assessed"] == ["image"] and "no lesion" in d["not_assessed_reason"]["image"]
