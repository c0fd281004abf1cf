"""Pattern-based redaction of identifier-shaped spans in reports and logs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.report import find_identifiers, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789.", "SSN [SSN]."),
        ("Call (555) 123-4567 today", "Call [PHONE] today"),
        ("phone 555-123-4567", "phone [PHONE]"),
        ("phone 555.123.4567", "phone [PHONE]"),
        ("phone 555 123 4567", "phone [PHONE]"),
        ("phone +1 555 123 4567", "phone [PHONE]"),
        ("phone 1-555-123-4567", "phone [PHONE]"),
        ("mail john.doe+er@example.co.uk now", "mail [EMAIL] now"),
        ("Patient MRN: 12345678 admitted", "Patient [MRN] admitted"),
        ("see MRN#A12-3456", "see [MRN]"),
        ("medical record number 99887766", "[MRN]"),
        ("born 03/14/1962", "born [DATE]"),
        ("seen 2024-03-14", "seen [DATE]"),
        ("seen 3-4-24", "seen [DATE]"),
        ("lives at 123 Main Street", "lives at [ADDRESS]"),
        ("lives at 42 Elm St. apt 3", "lives at [ADDRESS] apt 3"),
        ("1600 Pennsylvania Avenue", "[ADDRESS]"),
        ("Boston, MA 02115", "Boston, MA [ZIP]"),
        ("zip 02115-1234", "zip [ZIP]"),
        ("visit https://clinic.example.org/a?b=1 today", "visit [URL] today"),
        ("from 10.0.0.1", "from [IP]"),
    ],
)
def test_identifiers_are_replaced_by_their_type(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_several_identifiers_in_one_note() -> None:
    note = (
        "Jane, DOB 01/02/1980, MRN 00123456, lives at 7 Oak Road, Springfield, IL 62704. "
        "Reach her at 217-555-0100 or jane@example.com. SSN 987-65-4321."
    )
    out = redact(note)
    for label in ["DATE", "MRN", "ADDRESS", "ZIP", "PHONE", "EMAIL", "SSN"]:
        assert f"[{label}]" in out
    for secret in ["01/02/1980", "00123456", "7 Oak Road", "62704", "217-555-0100",
                   "jane@example.com", "987-65-4321"]:  # fmt: skip
        assert secret not in out


@pytest.mark.parametrize(
    "text",
    [
        "BP 120/80 mm Hg, HR 88",
        "Blood pressure is 164/112 mm Hg on two readings, and urine protein is 2+.",
        "Temp 38.5 °C, SpO2 94%, glucose 110 mg/dL, Hb 13.2 g/dL, WBC 12,500/mm3",
        "A 45-year-old man has had 3 days of chest pain; troponin I 0.04 ng/mL.",
        "Oxygen 2 L/min, QT 440 ms, creatinine 1.2 mg/dL, INR 2.5",
        "Give 2 mg IV morphine q4h and 40 mEq KCl; repeat ECG in 6 h.",
        "Pulse is 112/min, respirations 22/min, and SpO2 90% on room air.",
        "Grade 3/6 holosystolic murmur at the apex; GCS 14/15.",
    ],
)
def test_clinical_text_is_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text", ["Leukocyte count is 12500/mm3.", "Platelet count is 15000/mm3 and falling."]
)
def test_five_digit_lab_values_are_not_zip_codes(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact("SSN 123-45-6789, phone (555) 123-4567, 2024-01-31")
    assert redact(once) == once


_PIECES = st.sampled_from(
    [
        "123-45-6789",
        "(617) 555-0143",
        "617.555.0143",
        "jane.doe@example.org",
        "MRN: 00123456",
        "10.0.0.12",
        "03/14/2024",
        "2024-03-14",
        "42 Elm Street",
        "MA 02115",
        "zip 02115",
        "http://x.org/a",
        "BP 120/80",
        "HR 88",
        "12500/mm3",
        "A 58-year-old",
        " ",
        "\n",
        "and",
    ]
)


@given(st.lists(_PIECES, max_size=12).map(" ".join))
def test_guards_never_change_what_is_found(text: str) -> None:
    """The cheap per-type guards only skip patterns that cannot match."""
    from medtrust.report import _redact

    unguarded = []
    for label, pattern in _redact._PATTERNS:
        for m in pattern.finditer(text):
            group = "v" if "v" in pattern.groupindex else 0
            s, e = m.span(group)
            if s != e and not any(s < t.end and t.start < e for t in unguarded):
                unguarded.append(_redact.IdentifierSpan(label, s, e, m.group(group)))
    unguarded.sort(key=lambda sp: sp.start)
    assert find_identifiers(text) == unguarded
