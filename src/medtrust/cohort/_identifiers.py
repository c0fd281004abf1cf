"""Fake but realistic direct identifiers for the "identified" mode (privacy probes).

Every value is synthetic and chosen to be harmless if it escapes: SSN-format numbers use areas
900-999 (never issued by the SSA), phone numbers the 555-01XX block reserved for fiction, e-mail
the reserved example.* domains. Columns are built with Arrow compute, so identified output stays
vectorised.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medtrust.cohort._kb import KnowledgeBase

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "given_name", "family_name", "birth_date", "encounter_date", "mrn", "ssn", "phone", "email",
    "street", "city", "state", "zip5",
)


def _pick(words: list[str], u: F32) -> pa.Array:
    idx = np.minimum((u * len(words)).astype(np.int64), len(words) - 1)
    return pa.array(words).take(pa.array(idx))


def _digits(u: F32, lo: int, hi: int, width: int) -> pa.Array:
    """Zero-padded decimal strings of integers uniform in [lo, hi]."""
    value = lo + np.minimum((u.astype(np.float64) * (hi - lo + 1)).astype(np.int64), hi - lo)
    return pc.utf8_lpad(pc.cast(pa.array(value), pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def _dates(year: I64, day: I64) -> pa.Array:
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return pa.array(start + day.astype("timedelta64[D]"), type=pa.date32())


def identifier_columns(kb: KnowledgeBase, u: F32, sex: I64, zip3: pa.Array, birth_year: I64,
                       day_birth: I64, encounter_year: I64, day_enc: I64) -> dict[str, pa.Array]:
    """Identifier columns for one chunk; ``u`` holds the twelve identifier streams."""
    words = kb.identifiers
    female = _pick(words["female_given"], u[:, 0])
    male = _pick(words["male_given"], u[:, 0])
    given = pc.if_else(pa.array(sex == 0), female, male)
    family = _pick(words["surnames"], u[:, 1])
    domain = _pick(words["email_domains"], u[:, 11])
    email = pc.utf8_lower(_join(given, ".", family, _digits(u[:, 7], 1, 99, 2), "@", domain))
    phone = _join("(", _pick(words["area_codes"], u[:, 5]), ") 555-01", _digits(u[:, 6], 0, 99, 2))
    street = _join(
        _digits(u[:, 8], 1, 9899, 1), " ", _pick(words["streets"], u[:, 9]), " ",
        _pick(words["street_suffixes"], (u[:, 9] * 7919) % 1),
    )
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": _dates(birth_year, day_birth),
        "encounter_date": _dates(encounter_year, day_enc),
        "mrn": _join("MRN", _digits(u[:, 2], 0, 99_999_999, 8)),
        "ssn": _join(_digits(u[:, 3], 900, 999, 3), "-", _digits(u[:, 4], 1, 99, 2), "-",
                     _digits((u[:, 4] * 104729) % 1, 1, 9999, 4)),
        "phone": phone,
        "email": email,
        "street": street,
        "city": _pick(words["cities"], u[:, 10]),
        "state": _pick(words["states"], (u[:, 10] * 7907) % 1),
        "zip5": _join(zip3, _digits(u[:, 11], 0, 99, 2)),
    }
