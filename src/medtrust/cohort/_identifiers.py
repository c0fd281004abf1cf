"""Fake direct identifiers for the "identified" mode (privacy probes and the Safe Harbor twin).

The identified mode plants one value of every HIPAA Safe Harbor identifier class that can occur in
text (45 CFR 164.514(b)(2)(i)(A)-(R)): (A) names; (B) street address, city and ZIP; (C) every
date element but the year (birth, admission, discharge, death, visit) and, through the exact
``age`` column, ages over 89; (D) phone; (E) fax; (F) e-mail; (G) SSN; (H) MRN; (I) health-plan
beneficiary number; (J) account number; (K) certificate/licence number; (L) vehicle identifier;
(M) device serial number; (N) URL; (O) IP address; (R) any other unique number (the record id).
(P) biometric identifiers and (Q) full-face photographs do not occur in text and are not
planted. The identifiers of a relative (name, birth date) are planted too: Safe Harbor covers
"the individual or of relatives, employers, or household members".

Every value is synthetic and chosen to be harmless if it escapes:

* SSN: area 900-999 (never issued by the SSA) with group 01-49, which is outside the IRS's ITIN
  (groups 50-65, 70-88, 90-92, 94-99) and ATIN (group 93) ranges, so no taxpayer number either;
* phone and fax: 555-0100..555-0199, the block NANPA reserves for fiction;
* e-mail and URLs: the RFC 2606 reserved domains ``example.com``/``.org``/``.net``;
* IP addresses: the RFC 5737 documentation blocks (TEST-NET-1/2/3: 192.0.2.0/24,
  198.51.100.0/24, 203.0.113.0/24);
* VIN: 17 characters whose ISO 3779 / 49 CFR 565.15 check digit (position 9) is deliberately
  wrong, so the number cannot belong to a vehicle;
* MRN, health plan, account, licence and device numbers: prefixes no issuer uses
  (``MRN``, ``ZHP``/``ZQK``/``ZXW``, ``ACCT``, ``DL-Z``, ``SN-ZZ``).

Columns are built with numpy and Arrow compute, so identified output stays vectorised. The twelve
original identifier streams come from the chunk's uniforms; the streams added later come from a
counter-based hash of ``(seed, index, stream)`` (SplitMix64, Steele et al. 2014), so each patient
stays reproducible from (seed, index) whatever the chunking and the cohort's other streams are
unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medtrust.cohort._kb import KnowledgeBase
from medtrust.cohort._phi_classes import COLUMN_OF_CLASS, PHI_CLASSES

__all__ = ["COLUMN_OF_CLASS", "IDENTIFIER_COLUMNS", "PHI_CLASSES", "identifier_columns"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "given_name", "family_name", "birth_date", "encounter_date", "mrn", "ssn", "phone", "email",
    "street", "city", "state", "zip5", "fax", "admission_date", "discharge_date", "death_date",
    "health_plan_id", "account_number", "license_number", "vehicle_id", "device_id", "url",
    "ip_address", "relative_name", "relative_relation", "relative_birth_date",
)
"""Identified-mode columns, in table order (``death_date`` is null for the living)."""

TEST_NETS: tuple[str, ...] = ("192.0.2.", "198.51.100.", "203.0.113.")
"""RFC 5737 documentation address blocks: never routed, safe to print."""

RELATIONS: tuple[str, ...] = ("spouse", "sibling", "mother", "father", "daughter", "son")
"""The planted relative's relation to the patient (the generator relies on this order)."""

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # ISO 3779: no I, O or Q
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
"""VIN transliteration, 49 CFR 565.15(c) table I."""
_VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_M64 = (1 << 64) - 1


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) of a 17-character VIN, 49 CFR 565.15(c): the weighted sum
    of the transliterated characters modulo 11, ``X`` for 10. Raises KeyError on I, O, Q."""
    total = sum(_VIN_VALUES[c] * int(w) for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def extra_uniforms(seed: int, index: I64, streams: int) -> F64:
    """Uniforms in [0, 1), shape ``(len(index), streams)``, from SplitMix64 of (seed, index, j).

    Counter-based: a patient's values depend only on (seed, index), never on the chunking.
    """
    with np.errstate(over="ignore"):
        base = (index.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(
            (seed * 0xBF58476D1CE4E5B9 + 0x1D) & _M64
        )
        out = np.empty((index.size, streams), dtype=np.float64)
        for j in range(streams):
            z = base + np.uint64(((j + 1) * 0x94D049BB133111EB) & _M64)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            out[:, j] = (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return out


def _idx(u: npt.NDArray[np.floating], n: int) -> I64:
    return np.minimum((u * n).astype(np.int64), n - 1)


def _pick(words: list[str], u: npt.NDArray[np.floating]) -> pa.Array:
    return pa.array(words).take(pa.array(_idx(u, len(words))))


def _digits(u: npt.NDArray[np.floating], lo: int, hi: int, width: int) -> pa.Array:
    """Zero-padded decimal strings of integers uniform in [lo, hi]."""
    value = lo + np.minimum((u.astype(np.float64) * (hi - lo + 1)).astype(np.int64), hi - lo)
    return pc.utf8_lpad(pc.cast(pa.array(value), pa.string()), width=width, padding="0")


def _pad(values: I64, width: int) -> pa.Array:
    """Zero-padded decimal strings of the integers ``values``."""
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def _dates(year: I64, day: I64) -> pa.Array:
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return pa.array(start + day.astype("timedelta64[D]"), type=pa.date32())


def _vins(u: F64) -> pa.Array:
    """VIN-shaped strings whose check digit is wrong by construction (never a real vehicle)."""
    n = u.shape[0]
    chars = np.array(list(_VIN_CHARS))
    idx = _idx(u[:, :17], len(_VIN_CHARS))
    values = np.array([_VIN_VALUES[c] for c in _VIN_CHARS], dtype=np.int64)[idx]
    values[:, 8] = 0
    check = (values * _VIN_WEIGHTS).sum(axis=1) % 11
    wrong = (check + 1 + _idx(u[:, 17], 9)) % 11  # any residue but the right one
    grid = chars[idx]
    grid[:, 8] = np.where(wrong == 10, "X", wrong.astype(str))
    return pa.array(np.ascontiguousarray(grid).view(f"<U{17}").reshape(n))


def identifier_columns(kb: KnowledgeBase, u: F32, sex: I64, zip3: pa.Array, birth_year: I64,
                       day_birth: I64, encounter_year: I64, day_enc: I64, *,
                       seed: int = 0, index: I64 | None = None,
                       age: I64 | None = None) -> dict[str, pa.Array]:
    """Identifier columns for one chunk, named as :data:`IDENTIFIER_COLUMNS`.

    ``u`` holds the twelve original identifier streams (shape ``(n, 12)``); ``index`` and
    ``seed`` key the added streams (default: positions 0..n-1); ``age`` (years, exact) sets who
    has died (probability rising from 1% below 50 to 35% from 92 on: a plausible mix for a
    hospital population, not a life table).
    """
    words = kb.identifiers
    n = u.shape[0]
    index = np.arange(n, dtype=np.int64) if index is None else index
    age = (encounter_year - birth_year) if age is None else age
    e = extra_uniforms(seed, index, 40)
    female = _pick(words["female_given"], u[:, 0])
    male = _pick(words["male_given"], u[:, 0])
    given = pc.if_else(pa.array(sex == 0), female, male)
    surnames = words["surnames"]
    fam_i = _idx(u[:, 1], len(surnames))
    family = pa.array(surnames).take(pa.array(fam_i))
    domain = _pick(words["email_domains"], u[:, 11])
    email = pc.utf8_lower(_join(given, ".", family, _digits(u[:, 7], 1, 99, 2), "@", domain))
    area = _pick(words["area_codes"], u[:, 5])
    line = np.minimum((u[:, 6] * 100).astype(np.int64), 99)
    fax_line = (line + 1 + _idx(e[:, 0], 99)) % 100  # never the phone's own line
    phone = _join("(", area, ") 555-01", _pad(line, 2))
    fax = _join("(", area, ") 555-01", _pad(fax_line, 2))
    street = _join(
        _digits(u[:, 8], 1, 9899, 1), " ", _pick(words["streets"], u[:, 9]), " ",
        _pick(words["street_suffixes"], (u[:, 9] * 7919) % 1),
    )
    # Episode dates in the encounter year, none on the visit day (each class its own value).
    adm = (day_enc + 1 + _idx(e[:, 1], 340)) % 352
    stay = 1 + _idx(e[:, 2], 13)
    stay = np.where(adm + stay == day_enc, stay + 1, stay)
    dis = adm + stay
    p_dead = np.clip((age - 50) / 120.0, 0.01, 0.35)
    dead = e[:, 3] < p_dead
    death_day = np.maximum(day_enc, dis) + 1 + _idx(e[:, 4], 60)
    # One relative, never born in the future: a parent for minors; a spouse, sibling or parent
    # up to 29; a spouse or child from 65 on; anyone between. Children are born when the patient
    # was 20-37, parents 18-40 years before the patient, spouses and siblings within 6 years.
    relations = list(RELATIONS)
    r0 = _idx(e[:, 5], len(relations))
    r = np.where(age < 18, 2 + r0 % 2,
                 np.where(age < 30, np.where(r0 >= 4, 2 + r0 % 2, r0),
                          np.where(age >= 65, np.where(r0 < 2, 0, 4 + r0 % 2), r0)))
    child_span = np.clip(age - 20, 1, 18)
    offset = np.where(r < 2, _idx(e[:, 6], 13) - 6,
                      np.where(r < 4, -(18 + _idx(e[:, 6], 23)),
                               20 + np.minimum((e[:, 6] * child_span).astype(np.int64),
                                               child_span - 1)))
    rel_sex_f = np.isin(r, (2, 4)) | ((r < 2) & (e[:, 7] < 0.5))
    rel_given = pc.if_else(pa.array(rel_sex_f), _pick(words["female_given"], e[:, 8]),
                           _pick(words["male_given"], e[:, 8]))
    rel_fam = (fam_i + 1 + _idx(e[:, 9], len(surnames) - 1)) % len(surnames)
    rel_name = _join(rel_given, " ", pa.array(surnames).take(pa.array(rel_fam)))
    ip = _join(_pick(list(TEST_NETS), e[:, 10]), _digits(e[:, 11], 1, 254, 1))
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": _dates(birth_year, day_birth),
        "encounter_date": _dates(encounter_year, day_enc),
        "mrn": _join("MRN", _digits(u[:, 2], 0, 99_999_999, 8)),
        "ssn": _join(_digits(u[:, 3], 900, 999, 3), "-", _digits(u[:, 4], 1, 49, 2), "-",
                     _digits((u[:, 4] * 104729) % 1, 1, 9999, 4)),
        "phone": phone,
        "email": email,
        "street": street,
        "city": _pick(words["cities"], u[:, 10]),
        "state": _pick(words["states"], (u[:, 10] * 7907) % 1),
        "zip5": _join(zip3, _digits(u[:, 11], 0, 99, 2)),
        "fax": fax,
        "admission_date": _dates(encounter_year, adm),
        "discharge_date": _dates(encounter_year, dis),
        "death_date": pa.array(
            np.where(dead, (encounter_year - 1970).astype("datetime64[Y]").astype(
                "datetime64[D]") + death_day.astype("timedelta64[D]"), np.datetime64("NaT")),
            type=pa.date32(), mask=~dead),
        "health_plan_id": _join(_pick(words["plan_prefixes"], e[:, 12]),
                                _digits(e[:, 13], 0, 999_999_999, 9)),
        "account_number": _join("ACCT", _digits(e[:, 14], 0, 9_999_999_999, 10)),
        "license_number": _join("DL-Z", _digits(e[:, 15], 0, 99_999_999, 8)),
        "vehicle_id": _vins(e[:, 16:34]),
        "device_id": _join("SN-ZZ", _digits(e[:, 34], 0, 999_999_999, 9)),
        "url": _join("https://portal.example.org/patient/", _digits(e[:, 35], 0, 99_999_999, 8)),
        "ip_address": ip,
        "relative_name": rel_name,
        "relative_relation": pa.array(relations).take(pa.array(r)),
        "relative_birth_date": _dates(birth_year + offset, _idx(e[:, 36], 365)),
    }
