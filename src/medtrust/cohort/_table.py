"""Turn a sampled chunk into an Arrow table, applying the output policy.

Safe Harbor (the default) keeps only what 45 CFR 164.514(b)(2) allows: no names, contacts or
numbers; dates reduced to the year; ages over 89 pooled as 90 (meaning "90 or older", with the
birth year removed); the zip3 of restricted areas replaced by "000". The identified mode adds the
fake identifiers of :mod:`._identifiers` for privacy probes. The record id is a code derived from
(seed, index) only, which 164.514(c) permits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medtrust.cohort._identifiers import identifier_columns
from medtrust.cohort._plan import Plan
from medtrust.cohort._sample import LESION_KINDS, LESION_SITES, S_ID, Chunk
from medtrust.cohort._zip3 import prefixes, sparse

AGE_TOP = 90
"""Safe Harbor top code: ages of 90 and over are reported as 90."""

ZIP3 = list(prefixes())
"""Real prefixes (2020 Census ZCTAs); ``Chunk.zip3`` indexes this list."""


def _dict(indices: npt.NDArray[np.int64], values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


def _lists(mask: npt.NDArray[np.bool_], values: list[str]) -> pa.Array:
    rows, cols = np.nonzero(mask)
    offsets = np.zeros(mask.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=mask.shape[0]), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values).take(pa.array(cols)))


def _nullable(values: npt.NDArray[np.float32], decimals: int) -> pa.Array:
    """Float64 column rounded to ``decimals`` (clean text output), NaN as null."""
    out = np.round(values.astype(np.float64), decimals)
    return pa.array(out, mask=np.isnan(out))


def build_table(plan: Plan, chunk: Chunk) -> pa.Table:
    """Arrow table of a chunk under the plan's output policy."""
    cfg = plan.config
    kb = plan.kb
    n = chunk.index.size
    identified = cfg.policy == "identified"
    enc_year = np.full(n, cfg.reference_year, dtype=np.int64)
    birth_year = enc_year - chunk.age - (chunk.day_birth > chunk.day_enc)
    zip_idx = chunk.zip3
    zip_values = list(ZIP3)
    if not identified:
        restricted = np.array([z in kb.restricted_zip3 or sparse(z) for z in ZIP3])
        zip_values.append("000")
        zip_idx = np.where(restricted[zip_idx], len(ZIP3), zip_idx)
    zip_arr = _dict(zip_idx, zip_values)
    age = chunk.age if identified else np.minimum(chunk.age, AGE_TOP)
    by_mask = np.zeros(n, dtype=bool) if identified else chunk.age >= AGE_TOP
    ids = pc.binary_join_element_wise(
        f"syn-{cfg.seed}-", pc.cast(pa.array(chunk.index), pa.string()), ""
    )
    has_les = chunk.lesion_cond >= 0
    kinds = np.full(n, -1, dtype=np.int64)
    sites = np.full(n, -1, dtype=np.int64)
    all_sites = [s for k in LESION_KINDS for s in LESION_SITES[k]]
    for j, kind in plan.lesion.items():
        rows = chunk.lesion_cond == j
        kinds[rows] = LESION_KINDS.index(kind)
        offset = all_sites.index(LESION_SITES[kind][0])
        sites[rows] = offset + chunk.lesion_site[rows]
    cols: dict[str, pa.Array] = {
        "record_id": ids,
        "index": pa.array(chunk.index),
        "sex": _dict(chunk.sex, plan.sex.cats),
        "age": pa.array(age.astype(np.int16)),
        "birth_year": pa.array(birth_year.astype(np.int16), mask=by_mask),
        "encounter_year": pa.array(enc_year.astype(np.int16)),
        "race_ethnicity": _dict(chunk.race, plan.race.cats),
        "insurance": _dict(chunk.insurance, plan.insurance.cats),
        "language": _dict(chunk.language, plan.language.cats),
        "zip3": zip_arr,
        "conditions": _lists(chunk.has, plan.codes),
        "medications": _lists(chunk.meds, plan.drugs),
        "genomic_tested": pa.array(chunk.tested),
        "variants": _lists(chunk.variants, plan.variants),
        "lesion_condition": pa.array(
            np.array([*plan.codes, ""], dtype=object)[chunk.lesion_cond], mask=~has_les,
            type=pa.string()),
        "lesion_kind": pa.DictionaryArray.from_arrays(
            pa.array(np.maximum(kinds, 0).astype(np.int32), mask=~has_les), pa.array(LESION_KINDS)),
        "lesion_site": pa.DictionaryArray.from_arrays(
            pa.array(np.maximum(sites, 0).astype(np.int32), mask=~has_les), pa.array(all_sites)),
        "lesion_diameter_mm": _nullable(chunk.lesion_diam, 1),
        "lesion_irregularity": _nullable(chunk.lesion_irr, 2),
    }
    for li, lab in enumerate(kb.labs):
        cols[lab.column] = _nullable(chunk.labs[:, li], lab.decimals)
    cols["weight"] = pa.array(chunk.weight)
    if identified:
        cols.update(identifier_columns(kb, chunk.u[:, S_ID : S_ID + 12], chunk.sex, pc.cast(
            zip_arr, pa.string()), birth_year, chunk.day_birth, enc_year, chunk.day_enc,
            seed=cfg.seed, index=chunk.index, age=chunk.age))
    return pa.table(cols)
