"""FHIR R4 import: a user's bundles (e.g. Synthea output) become patient seeds.

Conditions are matched to the knowledge base by ICD-10-CM code, then SNOMED CT code, then name;
observations by LOINC; medications by generic name inside the medication text. The result is
de-identified (Safe Harbor) unless ``identified=True``: source ids are replaced by ``fhir-N``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from medtrust.cohort._fhir import AGE_90_PLUS, ICD10, LANG_BCP47, RACE_OMB, SNOMED
from medtrust.cohort._fhir_read import groups, link
from medtrust.cohort._io import json_lines
from medtrust.cohort._kb import KnowledgeBase, LabDef, load_kb
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


@dataclass(frozen=True)
class _Lookup:
    """The knowledge base indexed the ways FHIR codes resources: conditions by SNOMED CT code
    and by lower-case name, labs and vitals by LOINC, drugs longest name first."""

    kb: KnowledgeBase
    by_snomed: dict[str, str]
    by_name: dict[str, str]
    by_loinc: dict[str, LabDef]
    drugs: list[str]

    @classmethod
    def of(cls, kb: KnowledgeBase) -> _Lookup:
        return cls(kb=kb,
                   by_snomed={c.snomed: c.code for c in kb.conditions if c.snomed},
                   by_name={c.name.lower(): c.code for c in kb.conditions},
                   by_loinc={lab.loinc: lab for lab in kb.labs},
                   drugs=sorted(kb.drugs, key=len, reverse=True))


@dataclass(frozen=True)
class _Person:
    """What the Patient resource says: sex, birth date as written, age at the last dated
    resource (90 for a pooled "90 or older" record), race/ethnicity, language, address."""

    sex: str
    birth: str
    dates: list[str]
    encounter_year: int
    age: int
    race: str
    language: str
    address: dict[str, Any]


@dataclass
class _Clinical:
    """What the other resources say, in date order: knowledge-base condition codes, lab and
    vital values by key (the latest wins), and drugs by generic name."""

    conditions: list[str] = field(default_factory=list)
    labs: dict[str, float] = field(default_factory=dict)
    vitals: dict[str, float] = field(default_factory=dict)
    meds: list[str] = field(default_factory=list)


def _race(pat: dict[str, Any]) -> str:
    """US Core race (OMB code) and ethnicity extensions; Hispanic ethnicity takes precedence."""
    race, eth = "multiracial_other_nh", "2186-5"
    for ext in pat.get("extension", []):
        for sub in ext.get("extension", []):
            code = sub.get("valueCoding", {}).get("code")
            if ext.get("url", "").endswith("us-core-race") and code in _OMB_TO_RACE:
                race = _OMB_TO_RACE[code]
            if ext.get("url", "").endswith("us-core-ethnicity") and code:
                eth = code
    return "hispanic" if eth == "2135-2" else race


def _language(pat: dict[str, Any]) -> str:
    lang = "english"
    for comm in pat.get("communication", []):
        for c in comm.get("language", {}).get("coding", []):
            lang = _LANG.get(str(c.get("code", "")).split("-")[0], lang)
    return lang


def _person(pat: dict[str, Any], resources: list[dict[str, Any]], where: str,
            reference_year: int) -> _Person:
    """Read the Patient resource; ConfigError for a sex other than female/male or a missing
    birth date (unless the record is pooled as 90 or older)."""
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
    return _Person(sex=str(sex), birth=birth, dates=dates, encounter_year=enc_year, age=age,
                   race=_race(pat), language=_language(pat),
                   address=(pat.get("address") or [{}])[0])


def _condition(res: dict[str, Any], lookup: _Lookup, out: _Clinical) -> None:
    """Match by ICD-10-CM code, then SNOMED CT code, then display name."""
    for c in res.get("code", {}).get("coding", []):
        code = (c.get("code") if c.get("system") == ICD10 and c.get("code") in lookup.kb.by_code
                else lookup.by_snomed.get(str(c.get("code"))) if c.get("system") == SNOMED
                else None) or lookup.by_name.get(str(c.get("display", "")).lower())
        if code and code not in out.conditions:
            out.conditions.append(code)


def _observation(res: dict[str, Any], lookup: _Lookup, out: _Clinical) -> None:
    qty = res.get("valueQuantity", {})
    for c in res.get("code", {}).get("coding", []):
        lab = lookup.by_loinc.get(str(c.get("code")))
        if lab is not None and isinstance(qty.get("value"), int | float):
            (out.labs if lab.kind == "lab" else out.vitals)[lab.key] = float(qty["value"])


def _medication(res: dict[str, Any], lookup: _Lookup, out: _Clinical) -> None:
    """Generic names inside the medication text, longest first, so that a combination's
    name is not also read as its parts."""
    concept = res.get("medicationCodeableConcept", {})
    text = " ".join([concept.get("text", "")] +
                    [c.get("display", "") for c in concept.get("coding", [])]).lower()
    for d in lookup.drugs:
        pattern = rf"(?<![\w-]){re.escape(d)}(?![\w-])"
        if re.search(pattern, text):
            text = re.sub(pattern, " ", text)
            if d not in out.meds:
                out.meds.append(d)


_READERS: dict[str, Callable[[dict[str, Any], _Lookup, _Clinical], None]] = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication,
    "MedicationStatement": _medication,
}


def _clinical(resources: list[dict[str, Any]], lookup: _Lookup) -> _Clinical:
    out = _Clinical()
    for res in sorted(resources, key=_when):
        reader = _READERS.get(str(res.get("resourceType")))
        if reader is not None:
            reader(res, lookup, out)
    return out


def _identifiers(pat: dict[str, Any], person: _Person) -> Identifiers:
    """The direct identifiers as written (identified mode only); a partial birth or encounter
    date (a Safe Harbor export writes years only) is read as 1 January of its year."""
    birth, addr = person.birth, person.address
    name = (pat.get("name") or [{}])[0]
    tele = {t.get("system"): t.get("value", "") for t in pat.get("telecom", [])}
    ident = [x.get("value", "") for x in pat.get("identifier", [])]
    b = (date.fromisoformat(birth[:10]) if len(birth) >= 10
         else date(int(birth[:4]) if birth else person.encounter_year - person.age, 1, 1))
    last = person.dates[-1] if person.dates else ""
    e = (date.fromisoformat(last[:10]) if len(last) >= 10
         else date(int(last[:4]) if len(last) >= 4 else person.encounter_year, 1, 1))
    return Identifiers(
        given_name=" ".join(name.get("given", [])) or "", family_name=name.get("family", ""),
        birth_date=b, encounter_date=e, mrn=ident[0] if ident else "",
        ssn=ident[1] if len(ident) > 1 else "", phone=tele.get("phone", ""),
        email=tele.get("email", ""), street=" ".join(addr.get("line", [])),
        city=addr.get("city", ""), state=addr.get("state", ""),
        zip5=str(addr.get("postalCode", "")))


def _patient(i: int, where: str, resources: list[dict[str, Any]], lookup: _Lookup,
             identified: bool, reference_year: int) -> Patient:
    """One Patient and its resources as a seed record, de-identified unless ``identified``:
    ages 90 and over pooled, restricted 3-digit ZIPs as ``000`` (45 CFR 164.514(b)(2)(i))."""
    pat = next((r for r in resources if r.get("resourceType") == "Patient"), None)
    if pat is None:
        raise ConfigError(f"{where}: bundle has no Patient resource")
    person = _person(pat, resources, where, reference_year)
    zip3 = str(person.address.get("postalCode", "000"))[:3] or "000"
    clinical = _clinical(resources, lookup)
    ids = _identifiers(pat, person) if identified else None
    if not identified and not zip3_allowed(zip3, lookup.kb.restricted_zip3):
        zip3 = "000"  # restricted or unpopulated prefix (164.514(b)(2)(i)(B))
    age, birth = person.age, person.birth
    top = not identified and age >= 90
    return Patient(record_id=f"fhir-{i}", index=i, sex=person.sex,
                   age=min(age, 90) if top else age,
                   birth_year=None if top or len(birth) < 4 else int(birth[:4]),
                   encounter_year=person.encounter_year,
                   race_ethnicity=person.race, insurance="unknown", language=person.language,
                   zip3=zip3, conditions=clinical.conditions, medications=clinical.meds,
                   labs=clinical.labs, vitals=clinical.vitals, identifiers=ids)


def import_fhir(path: Path, *, identified: bool = False, reference_year: int = 2024,
                kb: KnowledgeBase | None = None) -> Iterator[Patient]:
    """Patients from FHIR Bundles (a .json file, an .ndjson file, or a folder of them)."""
    lookup = _Lookup.of(kb or load_kb())
    for i, (where, resources) in enumerate(_bundles(Path(path))):
        yield _patient(i, where, resources, lookup, identified, reference_year)
