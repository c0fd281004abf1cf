"""Safe Harbor checks on FHIR R4 NDJSON: one record per Patient, whatever the Bundle holds.

What counts, in any resource (45 CFR 164.514(b)(2)(i) covers identifiers "of the individual or
of relatives, employers, or household members of the individual"):

- names: every ``HumanName`` (an object with ``family`` or ``given``: Patient.name,
  Patient.contact.name, RelatedPerson.name, Person.name, ...), FamilyMemberHistory.name (a
  relative's name as text) and every ``Reference.display``,
  except references to, and the resources of, care providers (Practitioner, PractitionerRole,
  Organization, Location, HealthcareService, Endpoint). Decision: a clinician's or a hospital's
  name is not an identifier of the individual or of a relative, employer or household member,
  so Safe Harbor does not require its removal; a display inside ``Patient.contact`` (relatives,
  employers) is always flagged, and a display with no typed reference is flagged (it cannot be
  told apart from a person's);
- every date element except the year: any string that is a FHIR ``date``, ``dateTime`` or
  ``instant`` more precise than ``YYYY`` (with or without time and zone), and any date written
  in free text;
- ages over 89: ``Age`` values and age Observations (LOINC 30525-0, 21612-7) over 90, text
  such as "95-year-old", and a Patient's ``birthDate`` against the dates of its encounters and
  other events (exact age >= 90 when both are full dates, else year difference >= 91), or, for
  a Patient with no dated event, against the file's latest event date, else today (so
  ``birthDate: "1930"`` alone is flagged: 164.514(b)(2)(i)(C) removes "all elements of dates
  (including year) indicative of such age"); any Observation whose ``valueQuantity`` is in
  years (``a``, ``yr``, "years") over 90 is an age; exactly 90 is the permitted aggregate
  code "90 or older";
- not flagged: ``meta.*`` dates (``meta.lastUpdated``): they date the record's metadata, not
  an event of the individual, so they are not a date element of 164.514(b)(2)(i)(C);
- contacts and numbers: ``telecom`` (by system), ``identifier`` (SSN, MRN, member, account,
  licence, other), street, city, district and ZIP beyond a permitted ZIP3, ``photo``, and
  identifier-shaped text (SSN, phone, e-mail, URL, IP, MRN patterns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from medtrust.cohort._fhir_read import FHIR_DATETIME, groups, link
from medtrust.cohort._io import json_lines
from medtrust.cohort._sh_rules import AGE_TEXT, COMPILED, MAYBE, RULES, Violation, zip3_allowed

PROVIDERS = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location",
                       "HealthcareService", "Endpoint"})
SKIP_KEYS = frozenset({"system", "url", "fullUrl", "reference", "profile", "id", "code",
                       "resourceType", "div"})
TELECOM = {"phone": "phone", "fax": "fax", "email": "email", "url": "url", "sms": "phone",
           "pager": "phone"}
AGE_LOINC = frozenset({"30525-0", "21612-7"})
YEAR_UNITS = frozenset({"a", "yr", "yrs", "y", "year", "years", "a_j", "a_g"})
AGE_UNITS = {"": 1.0, "mo": 12.0, "month": 12.0, "months": 12.0, "wk": 365.25 / 7,
             "week": 365.25 / 7, "weeks": 365.25 / 7, "d": 365.25, "day": 365.25,
             "days": 365.25}
"""Units per year (UCUM codes and their words); an age with no unit is read as years."""
EVENT_KEYS = frozenset({"start", "end", "effectiveDateTime", "onsetDateTime", "recordedDate",
                        "issued", "authoredOn", "performedDateTime", "occurrenceDateTime",
                        "abatementDateTime", "dateAsserted", "date", "created"})

Found = tuple[str, str, str]  # column, rule, detail
AGE_COLUMN = "Patient.birthDate (age)"


def _codes(concept: Any) -> set[str]:
    """The codes of a CodeableConcept, whatever shape the input gave it."""
    coding = concept.get("coding") if isinstance(concept, dict) else None
    return {str(c.get("code")) for c in coding if isinstance(c, dict)} \
        if isinstance(coding, list) else set()


def _id_rule(ident: dict[str, Any]) -> str:
    system = str(ident.get("system", "")).lower()
    codes = _codes(ident.get("type"))
    if "ssn" in system or "SS" in codes:
        return "ssn"
    if "mrn" in system or "MR" in codes:
        return "mrn"
    if codes & {"MB", "SN", "MA", "MC"} or any(
            w in system for w in ("health-plan", "member", "beneficiary", "insurance")):
        return "health_plan"
    if "AN" in codes or "account" in system:
        return "account"
    if codes & {"DL", "LN"} or "licen" in system or "certificate" in system:
        return "license"
    if any(w in system for w in ("vehicle", "vin", "plate")):
        return "vehicle"
    if any(w in system for w in ("device", "serial", "udi")):
        return "device"
    return "other_id"


def _in_years(qty: dict[str, Any], is_age: bool) -> float | None:
    """A Quantity's value in years: any quantity in years (UCUM ``a``, ``yr``, "years"); for an
    age (an ``Age`` or an age Observation) also months, weeks and days, and no unit (years)."""
    value = qty.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    unit = str(qty.get("code") or qty.get("unit") or "").strip().lower()
    if unit in YEAR_UNITS:
        return float(value)
    if not is_age:
        return None
    return float(value) / AGE_UNITS[unit] if unit in AGE_UNITS else None


def _walk(root: Any, path: str) -> list[tuple[str, str, Any, bool]]:
    """(path, key, value, inside Patient.contact) for every member of every object, and for
    every object inside a list (a HumanName or Reference in a list); iterative, no recursion."""
    out: list[tuple[str, str, Any, bool]] = []
    stack: list[tuple[Any, str, bool]] = [(root, path, False)]
    while stack:
        node, here, contact = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((here, k, v, contact))
                if isinstance(v, list):
                    out.extend((here, k, x, contact) for x in v if isinstance(x, dict))
                    stack.append((v, f"{here}.{k}", contact or k == "contact"))
                elif isinstance(v, dict):
                    stack.append((v, f"{here}.{k}", contact or k == "contact"))
        elif isinstance(node, list):
            stack.extend((v, here, contact) for v in node if isinstance(v, dict | list))
    return out


class _Member(NamedTuple):
    """One member of a resource as :func:`_walk` yields it."""

    path: str
    key: str
    value: Any
    in_contact: bool

    @property
    def where(self) -> str:
        return f"{self.path}.{self.key}"


def _over_90(value: Any, unit: Any) -> str:
    return f"age {value} {unit} over 89 (90 is the permitted code '90 or older')"


def _object(m: _Member) -> Iterator[Found]:
    """A complex element: a HumanName, a Reference's display, an ``...Age`` over 90."""
    value, where = m.value, m.where
    if "family" in value or "given" in value:
        yield where, "names", "FHIR HumanName"
    if isinstance(value.get("display"), str) and "code" not in value and "system" not in value:
        ref = str(value.get("reference", ""))
        target = str(value.get("type") or (ref.split("/")[0] if "/" in ref else ""))
        if m.in_contact or target not in PROVIDERS:
            yield f"{where}.display", "names", "name in Reference.display"
    if m.key.endswith("Age") and (years := _in_years(value, True)) is not None and years > 90:
        yield where, "dates", _over_90(value.get("value"), value.get("unit", ""))


def _telecom(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if isinstance(m.value, list):
        for t in m.value:
            if t.get("value"):
                rule = TELECOM.get(str(t.get("system")), "other_id")
                yield m.where, rule, f"FHIR telecom ({t.get('system')})"


def _identifier(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if isinstance(m.value, list):
        for ident in m.value:
            if ident.get("value"):
                yield m.where, _id_rule(ident), "FHIR identifier"


def _relative_name(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if isinstance(m.value, str) and m.value and m.path == rtype == "FamilyMemberHistory":
        yield m.where, "names", "a relative's name (FamilyMemberHistory.name)"


def _photo(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if m.value:
        yield m.where, "photo", "FHIR photo"


def _address_part(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if "address" in m.path.lower() and m.value:
        yield m.where, "geography", f"address {m.key} present"


def _address_text(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if m.path.lower().endswith("address") and m.value:
        yield m.where, "geography", "address text present"


def _postal_code(m: _Member, rtype: str, restricted: frozenset[str]) -> Iterator[Found]:
    if isinstance(m.value, str) and not zip3_allowed(m.value.strip(), restricted):
        yield m.where, "geography", f"postal code {m.value!r} is not a permitted zip3"


_ELEMENTS: dict[str, Callable[[_Member, str, frozenset[str]], Iterator[Found]]] = {
    "telecom": _telecom,
    "identifier": _identifier,
    "name": _relative_name,
    "photo": _photo,
    "line": _address_part,
    "city": _address_part,
    "district": _address_part,
    "text": _address_text,
    "postalCode": _postal_code,
}
"""Element name -> its check, for elements that are not objects (a list or a primitive)."""


def _text(m: _Member) -> Iterator[Found]:
    """A string element: a date more precise than a year, identifier-shaped text, an age over
    89 in words."""
    value = m.value
    if not isinstance(value, str) or m.key in SKIP_KEYS or not MAYBE.search(value):
        return
    if FHIR_DATETIME.match(value):
        # meta.* (lastUpdated, ...) dates the record, not the individual: not a (C) date
        if len(value) > 4 and "meta" not in m.path.split(".")[1:]:
            yield m.where, "dates", f"{m.key} more precise than a year"
        return
    for prule, regex in COMPILED.items():
        if regex.search(value):
            yield m.where, prule, f"value looks like {RULES[prule]}"
    if AGE_TEXT.search(value):
        yield m.where, "dates", "age over 89 stated in text"


def _observation_age(res: dict[str, Any]) -> Iterator[Found]:
    """An Observation's value in years over 90 (any unit for an age Observation)."""
    qty = res.get("valueQuantity")
    if not isinstance(qty, dict):
        return
    years = _in_years(qty, bool(_codes(res.get("code")) & AGE_LOINC))
    if years is not None and years > 90:
        yield "Observation.valueQuantity", "dates", _over_90(qty["value"], qty.get("unit", ""))


def _resource(res: dict[str, Any], restricted: frozenset[str],
              events: list[str] | None = None) -> Iterator[Found]:
    """Violations in one resource; its encounter and event dates are appended to ``events``."""
    rtype = str(res["resourceType"])
    if rtype in PROVIDERS:
        return
    for m in map(_Member._make, _walk(res, rtype)):
        if events is not None and m.key in EVENT_KEYS and isinstance(m.value, str) \
                and FHIR_DATETIME.match(m.value):
            events.append(m.value)
        if isinstance(m.value, dict):
            yield from _object(m)
        elif (check := _ELEMENTS.get(m.key)) is not None:
            yield from check(m, rtype, restricted)
        yield from _text(m)
    if rtype == "Observation":
        yield from _observation_age(res)


def _when(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else None
    except ValueError:
        return None


def _age(birth: Any, latest: str | None, reference: bool = False) -> Found | None:
    """A birth date against the latest encounter or event date (``reference``: the file's
    latest date, or today, for a Patient with no dated event): an age over 89?"""
    if not isinstance(birth, str) or len(birth) < 4 or latest is None:
        return None
    b, e = _when(birth), _when(latest)
    if b is not None and e is not None:
        age = e.year - b.year - ((e.month, e.day) < (b.month, b.day))
        old = age >= 90
    else:
        age = int(latest[:4]) - int(birth[:4])
        old = age >= 91
    if not old:
        return None
    against = "reference date (the file's latest date, else today)" if reference \
        else "event date"
    return (AGE_COLUMN, "dates",
            f"birth date {birth} and {against} {latest} reveal an age over 89 ({age})")


class _Tally:
    """Counts and the first ``limit`` violations, one per (record, column, rule)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.records = self.flagged = 0
        self.counts: Counter[str] = Counter()
        self.columns: Counter[str] = Counter()
        self.kept: list[Violation] = []
        self.seen: dict[int, set[tuple[str, str]]] = {}

    def emit(self, record: int, line: int, pid: str | None, found: dict[tuple[str, str], str],
             seen: set[tuple[str, str]] | None = None) -> None:
        new = {k: d for k, d in found.items() if seen is None or k not in seen}
        if not new:
            return
        if not seen:
            self.flagged += 1
        if seen is not None:
            seen.update(new)
        self.columns.update(sorted({c for c, _ in new}))  # sorted: stable JSON key order
        for (column, rule), detail in sorted(new.items()):
            self.counts[rule] += 1
            if len(self.kept) < self.limit:
                self.kept.append(Violation(record=record, column=column, rule=rule,
                                           detail=detail, line=line, patient=pid))


def _found(resources: list[dict[str, Any]], restricted: frozenset[str], latest: str | None = None
           ) -> tuple[dict[tuple[str, str], str], str | None]:
    """Violations of ``resources`` by (column, rule), and their latest event date (or
    ``latest``, whichever is later)."""
    found: dict[tuple[str, str], str] = {}
    events: list[str] = [latest] if latest else []
    for res in resources:
        for column, rule, detail in _resource(res, restricted, events):
            found.setdefault((column, rule), detail)
    return found, max(events) if events else None


def check_fhir(path: Path, restricted: frozenset[str], limit: int
               ) -> tuple[int, int, Counter[str], list[Violation], Counter[str]]:
    """(records, records flagged, counts per rule, first ``limit`` violations, records flagged
    per element path) of an NDJSON file.

    A Bundle's resources belong to the Patient they name (:func:`._fhir_read.groups`). In a file
    of loose resources, one per line, a resource that names a Patient seen on an earlier line
    belongs to that Patient's record (its dates count towards the age check); any other loose
    resource is a record of its own. Raises ``ConfigError`` naming ``FILE:LINE`` on a malformed
    document."""
    t = _Tally(limit)
    loose: dict[str, int] = {}  # "Patient/ID" of a Patient on its own line -> its record
    who: dict[int, tuple[str, int, Any, str | None]] = {}  # record -> (pid, line, birth, latest)
    # Bundle Patients with no dated event: read against the file's latest date once it is known
    pending: list[tuple[int, int, str | None, Any, set[tuple[str, str]]]] = []
    dates: list[str] = []
    for lineno, doc in json_lines(path):
        bundle = isinstance(doc, dict) and doc.get("resourceType") == "Bundle"
        for patient, resources in groups(doc, f"{path}:{lineno}"):
            owner = None if bundle or patient is not None else loose.get(
                next((r for r in map(link, resources) if r), ""))
            if owner is not None:  # a loose resource of a Patient seen before
                opid, line, birth, latest = who[owner]
                found, latest = _found(resources, restricted, latest)
                dates += [latest] if latest else []
                who[owner] = (opid, line, birth, latest)
                t.emit(owner, lineno, opid, found, t.seen[owner])
                continue
            t.records += 1
            found, latest = _found(([patient] if patient else []) + resources, restricted)
            dates += [latest] if latest else []
            pid = str(patient.get("id")) if patient else None
            if patient is not None and not bundle:
                for key in (f"Patient/{pid}", f"urn:uuid:{pid}"):
                    loose[key] = t.records
                who[t.records] = (str(pid), lineno, patient.get("birthDate"), None)
                t.emit(t.records, lineno, pid, found, t.seen.setdefault(t.records, set()))
                continue
            if patient is not None and latest is None:
                pending.append((t.records, lineno, pid, patient.get("birthDate"), set(found)))
            elif patient is not None and (age := _age(patient.get("birthDate"),
                                                      latest)) is not None:
                found.setdefault(age[:2], age[2])
            t.emit(t.records, lineno, pid, found)
    reference = max(dates) if dates else date.today().isoformat()
    for rec, at, ppid, born, seen in pending:
        if (age := _age(born, reference, True)) is not None:
            t.emit(rec, at, ppid, {age[:2]: age[2]}, seen)
    for record, (opid, line, birth, latest) in who.items():
        if (age := _age(birth, latest or reference, latest is None)) is not None:
            t.emit(record, line, opid, {age[:2]: age[2]}, t.seen[record])
    return t.records, t.flagged, t.counts, t.kept, t.columns
