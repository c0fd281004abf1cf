"""One patient fact, four carriers: a narrative note, a FHIR R4 record, a VCF table, an image.

Payloads are rendered by the cohort's own renderers from a *focused view* of the patient: the
record cut down to the facts the question is about. Cutting keeps prompts small enough for a
2k-token context, and keeps the answer out of every modality but the one being tested (a
patient on trastuzumab would give the HER2 question away through the medication list; the VCF
``THERAPY`` annotation would give it away outright, so it is removed).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal

from medtrust.cohort import KnowledgeBase, Patient, render_lesion_image, render_note, render_vcf
from medtrust.cohort._fhir import UCUM, bundle_dict

Modality = Literal["text", "fhir", "vcf", "image"]
MODALITIES: tuple[Modality, ...] = ("text", "fhir", "vcf", "image")
"""Every modality, in report order (modality pairs are keyed in this order: ``text|vcf``)."""

HEADERS: dict[str, str] = {
    "text": "Clinical note:",
    "fhir": "FHIR R4 record (JSON):",
    "vcf": "Tumour variant file (VCF):",
    "image": "Image: attached.",
}
LESION_KIND_TEXT = {
    "skin": "skin lesion",
    "ct_nodule": "pulmonary nodule on chest CT",
    "mammo_mass": "breast mass on mammography",
}


def oncology_view(p: Patient, kb: KnowledgeBase, cancer: str) -> Patient:
    """The cancer, its own labs and the tumour profile; no medications, vitals or lesion."""
    keep = set(kb.by_code[cancer].labs)
    return p.model_copy(update={
        "conditions": [cancer], "medications": [], "vitals": {}, "lesion": None,
        "labs": {k: v for k, v in p.labs.items() if k in keep}, "genomic_tested": True,
    })


def lesion_view(p: Patient) -> Patient:
    """Only the lesion: the diagnosis itself (a condition) would answer the question."""
    return p.model_copy(update={
        "conditions": [], "medications": [], "vitals": {}, "labs": {}, "variants": [],
        "genomic_tested": False,
    })


def note_text(view: Patient, kb: KnowledgeBase) -> str:
    """``render_note`` without the empty sections a focused view leaves (``Laboratory: .``)."""
    lines = [line for line in render_note(view, kb).splitlines() if not line.endswith(": .")]
    text = "\n".join(lines).strip()
    return text.removesuffix("Assessment and plan:").strip()


def lesion_observation(p: Patient) -> dict[str, Any]:
    """A FHIR Observation for the lesion (the cohort's Bundle has none): type, site, size,
    border irregularity, so that the record carries what the note and the image show."""
    les = p.lesion
    if les is None:
        raise ValueError(f"patient {p.record_id} has no lesion")
    return {
        "resourceType": "Observation", "id": f"{p.record_id}-lesion", "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "imaging"}]}],
        "code": {"text": "Lesion finding"},
        "subject": {"reference": f"Patient/{p.record_id}"},
        "effectiveDateTime": str(p.encounter_year),
        "bodySite": {"text": les.site},
        "component": [
            {"code": {"text": "Lesion type"}, "valueString": LESION_KIND_TEXT[les.kind]},
            {"code": {"text": "Greatest diameter"},
             "valueQuantity": {"value": les.diameter_mm, "unit": "mm", "system": UCUM,
                               "code": "mm"}},
            {"code": {"text": "Border irregularity (0 round, 1 very irregular)"},
             "valueQuantity": {"value": les.irregularity, "unit": "1", "system": UCUM,
                               "code": "1"}},
        ],
    }


def fhir_bundle(view: Patient, kb: KnowledgeBase) -> dict[str, Any]:
    """The cohort's FHIR R4 Bundle for the view, plus the lesion Observation when there is one."""
    bundle = bundle_dict(view, kb)
    if view.lesion is not None:
        obs = lesion_observation(view)
        bundle["entry"].append({"fullUrl": f"urn:medtrust:Observation/{obs['id']}",
                                "resource": obs})
    return bundle


def vcf_text(view: Patient, kb: KnowledgeBase) -> str:
    """``render_vcf`` minus the THERAPY annotation (the question asks for exactly that)."""
    out = []
    for line in render_vcf(view, kb).splitlines():
        if line.startswith("##INFO=<ID=THERAPY"):
            continue
        if not line.startswith("#"):
            cols = line.split("\t")
            cols[7] = ";".join(f for f in cols[7].split(";") if not f.startswith("THERAPY="))
            line = "\t".join(cols)
        out.append(line)
    return "\n".join(out) + "\n"


def image_data_url(view: Patient, size: int) -> str:
    """The lesion image as a ``data:image/png;base64,...`` URL (small: it is hashed and stored)."""
    png = render_lesion_image(view, size=size).image_png
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def payload(modality: Modality, view: Patient, kb: KnowledgeBase, *, image_size: int) -> str:
    """The block that carries the deciding fact: a header line and the rendered record (for an
    image, the data URL, which the prompt builder moves into an ``image_url`` part)."""
    if modality == "text":
        return f"{HEADERS['text']}\n{note_text(view, kb)}"
    if modality == "fhir":
        return f"{HEADERS['fhir']}\n{json.dumps(fhir_bundle(view, kb), separators=(',', ':'))}"
    if modality == "vcf":
        return f"{HEADERS['vcf']}\n{vcf_text(view, kb).rstrip()}"
    return image_data_url(view, image_size)
