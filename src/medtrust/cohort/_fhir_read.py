"""Read FHIR R4 input strictly: validate each document, split Bundles into patients.

A document is a JSON object with a known ``resourceType`` (R4 and R4B names); anything else,
and any value of the wrong JSON type in the elements medtrust reads (dates, names, telecom,
addresses, references, quantities), is a ``ConfigError`` naming ``FILE:LINE``: a file that
cannot be read must never pass a privacy check as "no violations". A Bundle holding several
Patients is several patients: each resource goes to the Patient its ``subject`` / ``patient`` /
``beneficiary`` reference names (``Patient/ID``, the entry's ``fullUrl`` or ``urn:uuid:ID``);
resources naming no patient go to the only Patient when there is one, else stay unlinked.
"""

from __future__ import annotations

import re
from typing import Any

from medtrust.errors import ConfigError

RESOURCE_TYPES = frozenset(re.findall(r"\w+", """
Account ActivityDefinition AdministrableProductDefinition AdverseEvent AllergyIntolerance
Appointment AppointmentResponse AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure
Bundle CapabilityStatement CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Citation
Claim ClaimResponse ClinicalImpression ClinicalUseDefinition CodeSystem Communication
CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent Contract
Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
EpisodeOfCare EventDefinition Evidence EvidenceReport EvidenceVariable ExampleScenario
ExplanationOfBenefit FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse
HealthcareService ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation
ImplementationGuide Ingredient InsurancePlan Invoice Library Linkage List Location
ManufacturedItemDefinition Measure MeasureReport Media Medication MedicationAdministration
MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductDefinition
MedicinalProductIndication MedicinalProductIngredient MedicinalProductInteraction
MedicinalProductManufactured MedicinalProductPackaged MedicinalProductPharmaceutical
MedicinalProductUndesirableEffect MessageDefinition MessageHeader MolecularSequence NamingSystem
NutritionOrder NutritionProduct Observation ObservationDefinition OperationDefinition
OperationOutcome Organization OrganizationAffiliation PackagedProductDefinition Parameters Patient
PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole Procedure
Provenance Questionnaire QuestionnaireResponse RegulatedAuthorization RelatedPerson RequestGroup
ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment
RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
StructureDefinition StructureMap Subscription SubscriptionStatus SubscriptionTopic Substance
SubstanceDefinition SubstanceNucleicAcid SubstancePolymer SubstanceProtein
SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification SupplyDelivery
SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
VisionPrescription
"""))
"""Every FHIR R4 (4.0.1) and R4B resource type."""

FHIR_DATETIME = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)"
    r"(\.\d+)?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?)?)?)?$")
"""FHIR ``date``, ``dateTime`` and ``instant`` (https://hl7.org/fhir/R4/datatypes.html)."""
PERSON_TYPES = frozenset({"Patient", "RelatedPerson", "Person", "Practitioner"})
LINK_KEYS = ("subject", "patient", "beneficiary")
Group = tuple[dict[str, Any] | None, list[dict[str, Any]]]


_STRICT = frozenset({"id", "gender", "reference", "display", "family", "postalCode", "city"})
_OBJECTS = frozenset({"telecom", "address", "identifier", "contact"})
_DATE_NAMES = frozenset({"birthDate", "issued", "lastUpdated", "date", "authoredOn"})
_DATE_SUFFIXES = ("DateTime", "Date", "Instant")
_CHECKED = _STRICT | _OBJECTS | _DATE_NAMES | {"given", "line", "name", "value", "text", "start",
                                               "end"}


def _bad(where: str, path: str, what: str, value: Any) -> ConfigError:
    shown = repr(value)
    return ConfigError(f"{where}: {path}: {what}, got {shown[:60]}")


def _check_member(key: str, v: Any, path: str, parent_key: str, where: str, rtype: str) -> None:
    p = f"{path}.{key}"
    is_date = key in _DATE_NAMES or key.endswith(_DATE_SUFFIXES) or (
        key in ("start", "end") and parent_key.lower().endswith("period"))
    if is_date and not (isinstance(v, str) and FHIR_DATETIME.match(v)):
        raise _bad(where, p, "expected a FHIR date/dateTime/instant string", v)
    strict = key in _STRICT or (key == "text" and parent_key in ("name", "address"))
    if strict and not isinstance(v, str):
        raise _bad(where, p, "expected a string", v)
    if key in ("given", "line") and not (isinstance(v, list)
                                         and all(isinstance(x, str) for x in v)):
        raise _bad(where, p, "expected a list of strings", v)
    if key in _OBJECTS and not (isinstance(v, dict) or (isinstance(v, list)
                                                        and all(isinstance(x, dict) for x in v))):
        raise _bad(where, p, "expected an object or a list of objects", v)
    if key == "name" and rtype in PERSON_TYPES and path == rtype and not (
            isinstance(v, list) and all(isinstance(x, dict) for x in v)):
        raise _bad(where, p, "expected a list of HumanName objects", v)
    number = isinstance(v, int | float) and not isinstance(v, bool)
    if key == "value" and parent_key.endswith(("Quantity", "Age")) and not number:
        raise _bad(where, p, "expected a number", v)


def _check_types(root: dict[str, Any], where: str, rtype: str) -> None:
    """Raise on a wrong JSON type in an element medtrust reads (iterative walk)."""
    stack: list[tuple[Any, str, str]] = [(root, rtype, "")]
    while stack:
        node, path, parent_key = stack.pop()
        if isinstance(node, list):
            stack.extend((v, path, parent_key) for v in node if isinstance(v, dict | list))
            continue
        for key, v in node.items():
            if key in _CHECKED or key.endswith(_DATE_SUFFIXES):
                _check_member(key, v, path, parent_key, where, rtype)
            if isinstance(v, dict | list):
                stack.append((v, f"{path}.{key}", key))


def resource(doc: Any, where: str) -> dict[str, Any]:
    """``doc`` as a validated FHIR resource (not a Bundle's entries: see :func:`groups`)."""
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: not a FHIR resource: expected a JSON object, got "
                          f"{type(doc).__name__}")
    rtype = doc.get("resourceType")
    if not isinstance(rtype, str):
        raise ConfigError(f"{where}: not a FHIR resource (no resourceType)")
    if rtype not in RESOURCE_TYPES:
        raise ConfigError(f"{where}: unknown FHIR resourceType {rtype!r}")
    if rtype != "Bundle":
        _check_types(doc, where, rtype)
    return doc


def entries(doc: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """(fullUrl, resource) of each entry of a Bundle, every resource validated."""
    entry = doc.get("entry", [])
    if not isinstance(entry, list):
        raise ConfigError(f"{where}: Bundle.entry: expected a list")
    out = []
    for i, e in enumerate(entry):
        if not isinstance(e, dict) or ("resource" in e and not isinstance(e["resource"], dict)):
            raise ConfigError(f"{where}: Bundle.entry[{i}]: expected an object with a resource")
        if "resource" in e:
            url = e.get("fullUrl", "")
            out.append((url if isinstance(url, str) else "",
                        resource(e["resource"], f"{where}: Bundle.entry[{i}]")))
    return out


def link(res: dict[str, Any]) -> str | None:
    """The reference naming the patient a resource is about, if any."""
    if res.get("resourceType") == "Patient":
        return None
    for key in LINK_KEYS:
        ref = res.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


def groups(doc: Any, where: str) -> list[Group]:
    """One document as ``[(patient, its resources)]``; ``patient`` None for unlinked ones."""
    doc = resource(doc, where)
    if doc["resourceType"] != "Bundle":
        return [(doc, []) if doc["resourceType"] == "Patient" else (None, [doc])]
    items = entries(doc, where)
    patients = [r for _, r in items if r["resourceType"] == "Patient"]
    keys: dict[str, int] = {}
    for i, (url, r) in enumerate((u, r) for u, r in items if r["resourceType"] == "Patient"):
        for k in (f"Patient/{r.get('id')}", f"urn:uuid:{r.get('id')}", url):
            if k:
                keys.setdefault(k, i)
    out: list[Group] = [(p, []) for p in patients]
    loose: list[dict[str, Any]] = []
    for _, r in items:
        if r["resourceType"] == "Patient":
            continue
        ref = link(r)
        owner = keys.get(ref) if ref else None
        if owner is None and len(patients) == 1:
            owner = 0
        if owner is None:
            loose.append(r)
        else:
            out[owner][1].append(r)
    if loose:
        out.append((None, loose))
    return out
