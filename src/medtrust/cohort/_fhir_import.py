"""FHIR R4 import: a user's bundles (e.g. Synthea output) become patient seeds.

Conditions are matched to the knowledge base by ICD-10-CM code, then SNOMED CT code, then name;
observations by LOINC; medications by generic name inside the medication text. The result is
de-identified (Safe Harbor) unless ``identified=True``: source ids are replaced by ``fhir-N``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from medtrust.cohort._fhir import AGE_90_PLUS, ICD10, LANG_BCP47, RACE_OMB, SNOMED
from medtrust.cohort._fhir_read import groups, link
from medtrust.cohort._io import json_lines
from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._patient import Identifiers, Patient
from medtrust.cohort._sh_rules import zip3_allowed
from medtrust.errors import ConfigError, NotFoundError

_OMB_TO_RACE = {code: key for key, (code, _, eth) in RACE_OMB.items() if code}
_LANG = {v: k for k, v in LANG_BCP47.items()}


def _docs(path: Path) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".ndjson"))
        if not files:
            raise NotFoundError(f"{path}: no .json or .ndjson FHIR files in this folder")
        for f in files:
            yield from _docs(f)
    elif path.suffix.lower() == ".ndjson":
        for lineno, doc in json_lines(path):
            yield f"{path}:{lineno}", doc
    else:
        if not path.exists():
            raise NotFoundError(f"{path}: no such file")
        try:
            yield str(path), json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def _bundles(path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Group resources per patient: each Patient of a Bundle with the resources that name it
    (:func:`._fhir_read.groups`), loose resources by subject. Malformed input: ConfigError."""
    loose: list[dict[str, Any]] = []
    for where, doc in _docs(path):
        for patient, resources in groups(doc, where):
            if patient is not None and (isinstance(doc, dict)
                                        and doc.get("resourceType") == "Bundle"):
                yield where, [patient, *resources]
            else:
                loose += [patient] if patient is not None else resources
    patients = [r for r in loose if r["resourceType"] == "Patient"]
    for pat in patients:
        ref = f"Patient/{pat.get('id')}"
        yield str(path), [pat, *[r for r in loose if r is not pat and link(r) == ref]]


def _when(res: dict[str, Any]) -> str:
    for key in ("effectiveDateTime", "onsetDateTime", "recordedDate", "authoredOn", "issued"):
        if isinstance(res.get(key), str):
            return str(res[key])
    return ""


def _patient(i: int, where: str, resources: list[dict[str, Any]], kb: KnowledgeBase,
             identified: bool, reference_year: int) -> Patient:
    pat = next((r for r in resources if r.get("resourceType") == "Patient"), None)
    if pat is None:
        raise ConfigError(f"{where}: bundle has no Patient resource")
    sex = pat.get("gender")
    if sex not in ("female", "male"):
        raise ConfigError(f"{where}: Patient.gender {sex!r} is not 'female' or 'male'")
    birth = str(pat.get("birthDate", ""))
    dates = sorted(d for r in resources if (d := _when(r)))
    enc_year = int(dates[-1][:4]) if dates else reference_year
    pooled = any(e.get("url") == AGE_90_PLUS for e in pat.get("extension", []))
    if len(birth) < 4 and not pooled:
        raise ConfigError(f"{where}: Patient.birthDate is missing")
    age = 90 if len(birth) < 4 else max(0, enc_year - int(birth[:4]))
    race, eth = "multiracial_other_nh", "2186-5"
    for ext in pat.get("extension", []):
        for sub in ext.get("extension", []):
            code = sub.get("valueCoding", {}).get("code")
            if ext.get("url", "").endswith("us-core-race") and code in _OMB_TO_RACE:
                race = _OMB_TO_RACE[code]
            if ext.get("url", "").endswith("us-core-ethnicity") and code:
                eth = code
    if eth == "2135-2":
        race = "hispanic"
    lang = "english"
    for comm in pat.get("communication", []):
        for c in comm.get("language", {}).get("coding", []):
            lang = _LANG.get(str(c.get("code", "")).split("-")[0], lang)
    addr = (pat.get("address") or [{}])[0]
    zip3 = str(addr.get("postalCode", "000"))[:3] or "000"
    by_snomed = {c.snomed: c.code for c in kb.conditions if c.snomed}
    by_name = {c.name.lower(): c.code for c in kb.conditions}
    conditions: list[str] = []
    labs: dict[str, float] = {}
    vitals: dict[str, float] = {}
    meds: list[str] = []
    by_loinc = {lab.loinc: lab for lab in kb.labs}
    for res in sorted(resources, key=_when):
        kind = res.get("resourceType")
        codings = res.get("code", {}).get("coding", [])
        if kind == "Condition":
            for c in codings:
                code = (c.get("code") if c.get("system") == ICD10 and c.get("code") in kb.by_code
                        else by_snomed.get(str(c.get("code"))) if c.get("system") == SNOMED
                        else None) or by_name.get(str(c.get("display", "")).lower())
                if code and code not in conditions:
                    conditions.append(code)
        elif kind == "Observation":
            qty = res.get("valueQuantity", {})
            for c in codings:
                lab = by_loinc.get(str(c.get("code")))
                if lab is not None and isinstance(qty.get("value"), int | float):
                    (labs if lab.kind == "lab" else vitals)[lab.key] = float(qty["value"])
        elif kind in ("MedicationRequest", "MedicationStatement"):
            concept = res.get("medicationCodeableConcept", {})
            text = " ".join([concept.get("text", "")] +
                            [c.get("display", "") for c in concept.get("coding", [])]).lower()
            for d in sorted(kb.drugs, key=len, reverse=True):  # longest name first
                pattern = rf"(?<![\w-]){re.escape(d)}(?![\w-])"
                if re.search(pattern, text):
                    text = re.sub(pattern, " ", text)
                    if d not in meds:
                        meds.append(d)
    ids = None
    if identified:
        name = (pat.get("name") or [{}])[0]
        tele = {t.get("system"): t.get("value", "") for t in pat.get("telecom", [])}
        ident = [x.get("value", "") for x in pat.get("identifier", [])]
        b = (date.fromisoformat(birth[:10]) if len(birth) >= 10
             else date(int(birth[:4]) if birth else enc_year - age, 1, 1))
        e = date.fromisoformat(dates[-1][:10]) if dates else date(enc_year, 1, 1)
        ids = Identifiers(
            given_name=" ".join(name.get("given", [])) or "", family_name=name.get("family", ""),
            birth_date=b, encounter_date=e, mrn=ident[0] if ident else "",
            ssn=ident[1] if len(ident) > 1 else "", phone=tele.get("phone", ""),
            email=tele.get("email", ""), street=" ".join(addr.get("line", [])),
            city=addr.get("city", ""), state=addr.get("state", ""),
            zip5=str(addr.get("postalCode", "")))
    elif not zip3_allowed(zip3, kb.restricted_zip3):
        zip3 = "000"  # restricted or unpopulated prefix (164.514(b)(2)(i)(B))
    top = not identified and age >= 90
    return Patient(record_id=f"fhir-{i}", index=i, sex=sex, age=min(age, 90) if top else age,
                   birth_year=None if top or len(birth) < 4 else int(birth[:4]),
                   encounter_year=enc_year,
                   race_ethnicity=race, insurance="unknown", language=lang, zip3=zip3,
                   conditions=conditions, medications=meds, labs=labs, vitals=vitals,
                   identifiers=ids)


def import_fhir(path: Path, *, identified: bool = False, reference_year: int = 2024,
                kb: KnowledgeBase | None = None) -> Iterator[Patient]:
    """Patients from FHIR Bundles (a .json file, an .ndjson file, or a folder of them)."""
    kb = kb or load_kb()
    for i, (where, resources) in enumerate(_bundles(Path(path))):
        yield _patient(i, where, resources, kb, identified, reference_year)
