"""Clinical note / vignette text from one patient record.

The note is built only from the record and the knowledge base, so every statement in it is a
checkable fact (useful for hallucination probes). Identified patients get a header with their
fake identifiers; Safe Harbor notes carry none.
"""

from __future__ import annotations

from medtrust.cohort._kb import Condition, KnowledgeBase, LabDef, load_kb
from medtrust.cohort._patient import Patient


def person(p: Patient) -> str:
    """'A 67-year-old man', 'A 90+-year-old woman', 'A 4-year-old girl'."""
    child = p.age < 18
    noun = {("female", True): "girl", ("male", True): "boy",
            ("female", False): "woman", ("male", False): "man"}[(p.sex, child)]
    age = p.age_text
    article = "An" if age[0] in "8" or age in ("11", "18") else "A"
    return f"{article} {age}-year-old {noun}"


def _lab_text(lab: LabDef, value: float, p: Patient) -> str:
    lo, hi = (lab.ped_low, lab.ped_high) if p.age < 18 else (lab.ref_low, lab.ref_high)
    flag = " (high)" if value > hi else " (low)" if value < lo else ""
    shown = int(value) if lab.decimals == 0 else value
    return f"{lab.name.lower()} {shown} {lab.unit}{flag}"


def findings(p: Patient, c: Condition, kb: KnowledgeBase) -> str:
    """Symptoms, signs and the condition's lab/vital values as a short vignette."""
    text = f"{', '.join(c.symptoms)}."
    if c.signs:
        text += f" Examination shows {', '.join(c.signs)}."
    values = []
    for key in c.labs:
        lab = kb.lab_by_key[key]
        source = p.labs if lab.kind == "lab" else p.vitals
        if key in source:
            values.append(_lab_text(lab, source[key], p))
    if values:
        text += f" Results: {'; '.join(values)}."
    return text


def history(p: Patient, kb: KnowledgeBase) -> str:
    names = [kb.by_code[c].name.lower() for c in p.conditions if c in kb.by_code]
    return ", ".join(names) if names else "no known conditions"


def _primary(p: Patient, kb: KnowledgeBase) -> Condition | None:
    conds = [kb.by_code[c] for c in p.conditions
             if c in kb.by_code and kb.by_code[c].kind == "disease"]
    return min(conds, key=lambda c: c.prevalence) if conds else None


def render_note(patient: Patient, kb: KnowledgeBase | None = None) -> str:
    """A clinical note: identification, presentation, history, results, assessment and plan."""
    kb = kb or load_kb()
    p = patient
    lines: list[str] = [f"CLINICAL NOTE - record {p.record_id} ({p.encounter_year})"]
    ids = p.identifiers
    if ids is not None:
        lines += [f"Patient: {ids.given_name} {ids.family_name}   MRN: {ids.mrn}   "
                  f"DOB: {ids.birth_date.isoformat()}   SSN: {ids.ssn}",
                  f"Address: {ids.street}, {ids.city}, {ids.state} {ids.zip5}   "
                  f"Phone: {ids.phone}   Email: {ids.email}"]
    else:
        lines.append("De-identified (HIPAA Safe Harbor): no direct identifiers; dates are years.")
    lines.append(f"Demographics: {person(p)}; {p.race_ethnicity}; insurance {p.insurance}; "
                 f"preferred language {p.language}.")
    primary = _primary(p, kb)
    lines.append("")
    if primary is not None:
        lines.append(f"Presentation: {person(p)} presents with {findings(p, primary, kb)}")
    else:
        lines.append("Presentation: routine visit; no active complaints.")
    lines.append(f"Problem list: {history(p, kb)}.")
    lines.append(f"Medications: {', '.join(p.medications) or 'none'}.")
    if "Z88.0" in p.conditions:
        lines.append("Allergies: penicillin.")
    vit = [_lab_text(kb.lab_by_key[k], v, p) for k, v in p.vitals.items()]
    lines.append(f"Vital signs: {'; '.join(vit)}.")
    labs = [_lab_text(kb.lab_by_key[k], v, p) for k, v in p.labs.items()]
    lines.append(f"Laboratory: {'; '.join(labs)}.")
    if p.genomic_tested:
        found = [f"{kb.variants[v].gene} {kb.variants[v].protein}" for v in p.variants]
        lines.append(f"Tumour genomic profiling: {', '.join(found) or 'no actionable variant'}.")
    if p.lesion is not None:
        les = p.lesion
        lines.append(f"Lesion: {les.kind.replace('_', ' ')} at {les.site}, {les.diameter_mm} mm, "
                     f"border irregularity {les.irregularity}.")
    lines += ["", "Assessment and plan:"]
    for code in p.conditions:
        c = kb.by_code.get(code)
        if c is not None:
            lines.append(f"- {c.name} ({code}): {c.next}.")
    return "\n".join(lines) + "\n"
