"""Render a patient as a FHIR R4 collection Bundle (validated with ``fhir.resources``).

Resources: Patient, one Condition per diagnosis (ICD-10-CM, plus SNOMED CT when known), one
Observation per lab and vital sign (LOINC, UCUM), one MedicationStatement per drug, and a
genetic-variant Observation per variant. Under Safe Harbor every date is a year (FHIR allows
``YYYY``) and no name, telecom, identifier or street address is emitted.
"""

from __future__ import annotations

from typing import Any

from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._lab_sex import require_plausible_labs
from medtrust.cohort._patient import Identifiers, Patient
from medtrust.errors import MedtrustError

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
OMB = "urn:oid:2.16.840.1.113883.6.238"
AGE_90_PLUS = "urn:medtrust:fhir:age-90-plus"
"""Extension marking a Safe Harbor patient whose age is pooled as 90+ (no birth year)."""
IDENTIFIED_EXT = "urn:medtrust:fhir:identified"
"""Extension URL prefix for identified-mode values FHIR's Patient has no element for."""

RACE_OMB: dict[str, tuple[str, str, str]] = {
    "white_nh": ("2106-3", "White", "2186-5"),
    "black_nh": ("2054-5", "Black or African American", "2186-5"),
    "asian_nh": ("2028-9", "Asian", "2186-5"),
    "aian_nh": ("1002-5", "American Indian or Alaska Native", "2186-5"),
    "nhpi_nh": ("2076-8", "Native Hawaiian or Other Pacific Islander", "2186-5"),
    "hispanic": ("", "", "2135-2"),
    "multiracial_other_nh": ("2131-1", "Other Race", "2186-5"),
}
LANG_BCP47 = {"english": "en", "spanish": "es", "chinese": "zh", "vietnamese": "vi",
              "tagalog": "tl", "korean": "ko", "french": "fr", "arabic": "ar", "russian": "ru"}


def _date(p: Patient, which: str) -> str:
    ids = p.identifiers
    if ids is not None:
        return (ids.birth_date if which == "birth" else ids.encounter_date).isoformat()
    return str(p.birth_year if which == "birth" else p.encounter_year)


def _patient(p: Patient) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": p.record_id, "gender": p.sex}
    if p.identifiers is not None or p.birth_year is not None:
        res["birthDate"] = _date(p, "birth")
    race, race_text, eth = RACE_OMB.get(p.race_ethnicity, ("", "", ""))
    ext: list[dict[str, Any]] = []
    if race:
        ext.append({"url": f"{US_CORE}/us-core-race", "extension": [
            {"url": "ombCategory", "valueCoding": {"system": OMB, "code": race,
                                                   "display": race_text}},
            {"url": "text", "valueString": race_text}]})
    if eth:
        hisp = eth == "2135-2"
        text = "Hispanic or Latino" if hisp else "Not Hispanic or Latino"
        ext.append({"url": f"{US_CORE}/us-core-ethnicity", "extension": [
            {"url": "ombCategory", "valueCoding": {"system": OMB, "code": eth, "display": text}},
            {"url": "text", "valueString": text}]})
    if p.identifiers is None and p.birth_year is None and p.age >= 90:
        ext.append({"url": AGE_90_PLUS, "valueBoolean": True})
    if ext:
        res["extension"] = ext
    if p.language in LANG_BCP47:
        res["communication"] = [{"language": {"coding": [
            {"system": "urn:ietf:bcp:47", "code": LANG_BCP47[p.language]}],
            "text": p.language}, "preferred": True}]
    ids = p.identifiers
    if ids is None:
        res["address"] = [{"postalCode": p.zip3, "country": "US"}]
        return res
    res["name"] = [{"use": "official", "family": ids.family_name, "given": [ids.given_name]}]
    res["identifier"] = [
        {"system": "urn:medtrust:mrn", "value": ids.mrn},
        {"system": "http://hl7.org/fhir/sid/us-ssn", "value": ids.ssn},
    ]
    res["telecom"] = [{"system": "phone", "value": ids.phone, "use": "home"},
                      {"system": "email", "value": ids.email}]
    res["address"] = [{"line": [ids.street], "city": ids.city, "state": ids.state,
                       "postalCode": ids.zip5, "country": "US"}]
    _more_identifiers(res, ids)
    return res


def _more_identifiers(res: dict[str, Any], ids: Identifiers) -> None:
    """The rest of the identified mode's Safe Harbor classes, where FHIR R4 Patient holds them:
    fax and portal URL as telecom, plan/account/licence/vehicle/device numbers as identifiers,
    the date of death, the relative as a contact. Admission and discharge dates, the login IP
    and the relative's birth date have no Patient element: a Patient extension carries them."""
    if ids.fax:
        res["telecom"].append({"system": "fax", "value": ids.fax})
    if ids.url:
        res["telecom"].append({"system": "url", "value": ids.url})
    for system, value in (("urn:medtrust:health-plan-member", ids.health_plan_id),
                          ("urn:medtrust:account", ids.account_number),
                          ("urn:medtrust:drivers-license", ids.license_number),
                          ("urn:medtrust:vin", ids.vehicle_id),
                          ("urn:medtrust:device-serial", ids.device_id)):
        if value:
            res["identifier"].append({"system": system, "value": value})
    if ids.death_date is not None:
        res["deceasedDateTime"] = ids.death_date.isoformat()
    if ids.relative_name:
        given, _, family = ids.relative_name.rpartition(" ")
        res["contact"] = [{"relationship": [{"text": ids.relative_relation or "relative"}],
                           "name": {"family": family, "given": [given] if given else []}}]
    ext = [{"url": url, "valueDate": d.isoformat()} for url, d in (
        (f"{IDENTIFIED_EXT}-admission-date", ids.admission_date),
        (f"{IDENTIFIED_EXT}-discharge-date", ids.discharge_date),
        (f"{IDENTIFIED_EXT}-relative-birth-date", ids.relative_birth_date)) if d is not None]
    if ids.ip_address:
        ext.append({"url": f"{IDENTIFIED_EXT}-login-ip", "valueString": ids.ip_address})
    if ext:
        res.setdefault("extension", []).extend(ext)


def bundle_dict(p: Patient, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """The Bundle as plain JSON-ready data (fast path used for bulk NDJSON output).

    Raises :class:`ConfigError` for a lab measured for the other sex at birth (plausibility
    rule ``lab_sex``, :func:`medtrust.cohort._lab_sex.require_plausible_labs`): such a record
    never goes out as FHIR."""
    kb = kb or load_kb()
    require_plausible_labs(p, "FHIR export", kb)
    subject = {"reference": f"Patient/{p.record_id}"}
    when = _date(p, "encounter")
    resources: list[dict[str, Any]] = [_patient(p)]
    for i, code in enumerate(p.conditions):
        cond = kb.by_code.get(code)
        coding = [{"system": ICD10, "code": code, "display": cond.name if cond else code}]
        if cond is not None and cond.snomed:
            coding.append({"system": SNOMED, "code": cond.snomed, "display": cond.name})
        resources.append({
            "resourceType": "Condition", "id": f"{p.record_id}-c{i}",
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": coding, "text": cond.name if cond else code},
            "subject": subject, "recordedDate": when})
    for kind, values in (("laboratory", p.labs), ("vital-signs", p.vitals)):
        for key, value in values.items():
            lab = kb.lab_by_key[key]
            resources.append({
                "resourceType": "Observation", "id": f"{p.record_id}-o-{key}", "status": "final",
                "category": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": kind}]}],
                "code": {"coding": [{"system": LOINC, "code": lab.loinc, "display": lab.name}],
                         "text": lab.name},
                "subject": subject, "effectiveDateTime": when,
                "valueQuantity": {"value": value, "unit": lab.unit, "system": UCUM,
                                  "code": lab.unit}})
    for i, drug in enumerate(p.medications):
        resources.append({
            "resourceType": "MedicationStatement", "id": f"{p.record_id}-m{i}",
            "status": "active", "medicationCodeableConcept": {"text": drug},
            "subject": subject, "effectiveDateTime": when})
    for vid in p.variants:
        v = kb.variants[vid]
        resources.append({
            "resourceType": "Observation", "id": f"{p.record_id}-g-{vid}".replace("_", "-"),
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": "69548-6",
                                 "display": "Genetic variant assessment"}]},
            "subject": subject, "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA9633-4",
                                                 "display": "Present"}]},
            "component": [
                {"code": {"coding": [{"system": LOINC, "code": "48018-6",
                                      "display": "Gene studied"}]},
                 "valueCodeableConcept": {"text": v.gene}},
                {"code": {"coding": [{"system": LOINC, "code": "48004-6",
                                      "display": "DNA change (c.HGVS)"}]},
                 "valueCodeableConcept": {"text": v.hgvs}},
                {"code": {"coding": [{"system": LOINC, "code": "48005-3",
                                      "display": "Amino acid change (pHGVS)"}]},
                 "valueCodeableConcept": {"text": v.protein}},
            ]})
    return {
        "resourceType": "Bundle", "id": f"{p.record_id}-bundle", "type": "collection",
        "entry": [{"fullUrl": f"urn:medtrust:{r['resourceType']}/{r['id']}", "resource": r}
                  for r in resources],
    }


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Validate against the FHIR R4 (R4B) models of ``fhir.resources``; raise on any error."""
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise MedtrustError("FHIR validation needs the 'fhir.resources' package "
                            "(pip install 'medtrust[cohort]')") from exc
    Bundle.model_validate(bundle)


def render_fhir(patient: Patient, *, validate: bool = True,
                kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """A FHIR R4 collection Bundle for one patient, validated unless ``validate=False``.
    Raises :class:`ConfigError` as :func:`bundle_dict` (plausibility rule ``lab_sex``)."""
    bundle = bundle_dict(patient, kb)
    if validate:
        validate_bundle(bundle)
    return bundle
