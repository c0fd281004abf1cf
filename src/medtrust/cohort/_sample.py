"""Vectorised sampling of one chunk of patients into plain numpy arrays (no Arrow, no I/O).

Order of draws: demographics, conditions (independent ones at once, dependent ones in
knowledge-base order so comorbidity parents exist), labs given conditions, drugs that avoid every
contraindication, genomics for cancers with a panel, matched targeted therapy, lesions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from medtrust.cohort._lab_sex import SEX_CODE, lab_sex
from medtrust.cohort._plan import P_CAP, Plan, _band5
from medtrust.cohort._rng import uniforms
from medtrust.cohort._zip3 import draw as zip3_draw

S_SEX, S_BAND, S_AGE, S_RACE, S_INS, S_LANG, S_ZIP, S_DENC, S_DBIRTH = range(9)
S_LES = 9  # site, diameter, irregularity
S_GEN = 12  # two panel groups
S_ID = 14  # twelve identifier streams
COND0 = 26

LESION_SHAPE: dict[str, tuple[float, float, float, float]] = {
    "C43.9": (4.0, 30.0, 0.5, 1.0),
    "C44.91": (3.0, 20.0, 0.1, 0.4),
    "C34.90": (8.0, 40.0, 0.3, 0.9),
    "C50.919": (10.0, 50.0, 0.4, 1.0),
}
"""Diameter range (mm) and border irregularity range (0 round .. 1 very irregular)."""

LESION_SITES: dict[str, list[str]] = {
    "skin": ["face", "scalp", "neck", "chest", "back", "upper arm", "forearm", "thigh",
             "lower leg"],
    "ct_nodule": ["right upper lobe", "right middle lobe", "right lower lobe", "left upper lobe",
                  "left lower lobe"],
    "mammo_mass": ["upper outer quadrant", "upper inner quadrant", "lower outer quadrant",
                   "lower inner quadrant", "retroareolar region"],
}
LESION_KINDS = ["skin", "ct_nodule", "mammo_mass"]

_TN_LO = float(ndtr(-2.0))
_TN_SPAN = float(ndtr(2.0)) - _TN_LO
_TN_STEPS = 1 << 16
_TN_TABLE = ndtri(_TN_LO + (np.arange(_TN_STEPS) + 0.5) / _TN_STEPS * _TN_SPAN).astype(np.float32)
"""Standard normal truncated to [-2, 2], tabulated on a 2**16 grid of the uniform (fast gather)."""

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
B = npt.NDArray[np.bool_]


@dataclass
class Chunk:
    """Columns of one chunk, as arrays indexed like ``index``."""

    index: I64
    u: F32
    sex: I64
    age: I64
    race: I64
    insurance: I64
    language: I64
    zip3: I64
    day_enc: I64
    day_birth: I64
    has: B
    p_modified: dict[int, F32]
    labs: F32
    meds: B
    variants: B
    tested: B
    lesion_cond: I64
    lesion_site: I64
    lesion_diam: F32
    lesion_irr: F32
    weight: npt.NDArray[np.float64]


def width(plan: Plan) -> int:
    """Random streams per patient."""
    return COND0 + 2 * plan.n_cond + len(plan.kb.labs)


def truncnorm(lo: npt.ArrayLike, hi: npt.ArrayLike, u: F32) -> F32:
    """Normal centred in [lo, hi] with sd = range/4, truncated to [lo, hi] (inverse CDF)."""
    lo_a = np.asarray(lo, dtype=np.float32)
    hi_a = np.asarray(hi, dtype=np.float32)
    z = _TN_TABLE[(u * _TN_STEPS).astype(np.int32)]
    out: F32 = np.clip((lo_a + hi_a) / 2 + (hi_a - lo_a) / 4 * z, lo_a, hi_a)
    return out


def _draw(cum: npt.NDArray[np.float64], u: F32) -> I64:
    """Categorical draw from per-row cumulative probabilities (n x K) or one row (K,)."""
    if cum.ndim == 1:
        idx: I64 = np.minimum(np.searchsorted(cum, u, side="right"), cum.shape[0] - 1)
        return idx.astype(np.int64)
    rows: I64 = (u[:, None] >= cum[:, :-1]).sum(axis=1).astype(np.int64)
    return rows


def _modify(plan: Plan, j: int, p: F32) -> F32:
    factor, shift = plan.modified[j]
    if factor > 1:
        boosted: F32 = np.minimum(p * np.float32(factor), np.maximum(p, np.float32(0.5)))
        return boosted
    logit = np.log(np.maximum(p, 1e-12)) - np.log1p(-np.minimum(p, 1 - 1e-7))
    out = 1.0 / (1.0 + np.exp(-(logit + shift)))
    res: F32 = np.where(p > 0, out, 0.0).astype(np.float32)
    return res


def condition_probs(plan: Plan, u: F32, sex: I64, age: I64, race: I64,
                    weight: npt.NDArray[np.float64]) -> tuple[B, dict[int, F32]]:
    """Draw conditions; returns presence (n x C) and baseline probabilities of modified ones."""
    prob = plan.prob[_band5(age), sex, race]
    prob *= (age[:, None] >= plan.min_age) & (age[:, None] <= plan.max_age)
    uc = u[:, COND0 : COND0 + plan.n_cond]
    has = uc < prob
    base: dict[int, F32] = {}

    def settle(j: int, p: F32) -> None:
        if j in plan.modified:
            base[j] = p
            p1 = _modify(plan, j, p)
            has[:, j] = uc[:, j] < p1
            weight[:] *= np.where(has[:, j], p / np.maximum(p1, 1e-12), (1 - p) / (1 - p1))
        else:
            has[:, j] = uc[:, j] < p

    independent = set(plan.independent.tolist())
    for j in plan.modified:
        if j in independent:
            settle(j, prob[:, j])
    for j, comorbid, excludes, given in plan.dependents:
        p = prob[:, j].copy()
        for parent, mult in comorbid:
            p *= np.where(has[:, parent], np.float32(mult), np.float32(1.0))
        if given >= 0:
            p *= has[:, given]
        for e in excludes:
            p *= ~has[:, e]
        settle(j, np.minimum(p, np.float32(P_CAP)))
    return has, base


def _rows_by_condition(has: B) -> list[I64]:
    cond, rows = np.nonzero(has.T)
    counts = np.bincount(cond, minlength=has.shape[1])
    return np.split(rows.astype(np.int64), np.cumsum(counts)[:-1])


def _choose(plan: Plan, meds: B, has: B, rows: I64, cand: I64, u: F32, combo: bool,
            age: I64 | None = None) -> B:
    """Give each row one allowed candidate drug (all allowed ones when ``combo``).

    Allowed: no contraindicated condition, no interacting or duplicate drug, and (given ``age``)
    not below the drug's minimum age unless a condition waives it (plausibility.yaml).
    """
    if rows.size == 0 or cand.size == 0:
        return np.zeros(rows.size, dtype=bool)
    ok = np.ones((rows.size, cand.size), dtype=bool)
    for k, d in enumerate(cand):
        conds, others = plan.avoid_by_drug[d], plan.ddi_by_drug[d]
        if conds.size:
            ok[:, k] &= ~has[np.ix_(rows, conds)].any(axis=1)
        if others.size:
            ok[:, k] &= ~meds[np.ix_(rows, others)].any(axis=1)
        if age is not None and plan.drug_min_age.size and plan.drug_min_age[d] > 0:
            waive = plan.drug_age_except[d]
            young = age[rows] < plan.drug_min_age[d]
            if waive.size:
                young &= ~has[np.ix_(rows, waive)].any(axis=1)
            ok[:, k] &= ~young
    if combo:
        hit_r, hit_k = np.nonzero(ok)
        meds[rows[hit_r], cand[hit_k]] = True
        return np.asarray(ok.any(axis=1))
    count = ok.sum(axis=1)
    pick = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
    which = np.argmax(np.cumsum(ok, axis=1) > pick[:, None], axis=1)
    sel = count > 0
    meds[rows[sel], cand[which[sel]]] = True
    return np.asarray(sel)


def sample_chunk(plan: Plan, start: int, stop: int) -> Chunk:
    """Sample patients ``start..stop-1`` of the cohort defined by ``plan``."""
    kb = plan.kb
    u = uniforms(plan.config.seed, start, stop, width(plan))
    n = stop - start
    weight = np.ones(n, dtype=np.float64)
    sex = _draw(plan.sex.cum[0], u[:, S_SEX])
    band = _draw(plan.age.cum[0], u[:, S_BAND])
    lo = np.array([b[0] for b in plan.age_bands])[band]
    hi = np.array([b[1] for b in plan.age_bands])[band]
    age = np.minimum(lo + (u[:, S_AGE] * (hi - lo + 1)).astype(np.int64), hi)
    race = _draw(plan.race.cum[0], u[:, S_RACE])
    group = (age >= 65).astype(np.int64)
    ins = _draw(plan.insurance.cum[np.minimum(group, plan.insurance.probs.shape[0] - 1)],
                u[:, S_INS])
    lrow = plan.language_row[race]
    lang = _draw(plan.language.cum[lrow], u[:, S_LANG])
    weight *= plan.sex.ratio[0, sex] * plan.age.ratio[0, band] * plan.race.ratio[0, race]
    weight *= plan.insurance.ratio[np.minimum(group, plan.insurance.probs.shape[0] - 1), ins]
    weight *= plan.language.ratio[lrow, lang]
    zip3 = zip3_draw(u[:, S_ZIP])  # index into _zip3.prefixes(), drawn by 2020 population

    has, base = condition_probs(plan, u, sex, age, race, weight)
    rows_of = _rows_by_condition(has)

    nl = len(kb.labs)
    lab0 = COND0 + plan.n_cond
    ul = u[:, lab0 : lab0 + nl]
    child = (age < 18)[:, None]
    ref_lo = np.where(child, [x.ped_low for x in kb.labs], [x.ref_low for x in kb.labs])
    ref_hi = np.where(child, [x.ped_high for x in kb.labs], [x.ref_high for x in kb.labs])
    labs = truncnorm(ref_lo, ref_hi, ul)
    for j, effects in plan.lab_effects.items():
        rows = rows_of[j]
        if rows.size:
            for li, a, b in effects:
                labs[rows, li] = truncnorm(a, b, ul[rows, li])
    only = lab_sex(kb)  # the plausibility rule lab_sex: no value for the other sex at birth
    for li, lab in enumerate(kb.labs):
        labs[:, li] = np.round(labs[:, li], lab.decimals)
        if lab.column in only:
            labs[sex != SEX_CODE[only[lab.column]], li] = np.nan

    meds = np.zeros((n, len(plan.drugs)), dtype=bool)
    med0 = lab0 + nl
    for j, t in plan.treat.items():
        rows = rows_of[j]
        if rows.size == 0:
            continue
        uj = u[rows, med0 + j]
        got = _choose(plan, meds, has, rows, t.first, uj, t.combo, age)
        if not got.all() and t.alt.size:
            _choose(plan, meds, has, rows[~got], t.alt, uj[~got], False, age)

    variants = np.zeros((n, len(plan.variants)), dtype=bool)
    tested = np.zeros(n, dtype=bool)
    for j, groups in plan.panels.items():
        rows = rows_of[j]
        tested[rows] = True
        for g, (vids, cum) in enumerate(groups):
            k = np.searchsorted(cum, u[rows, S_GEN + g % 2], side="right")
            hit = k < vids.size
            variants[rows[hit], vids[k[hit]]] = True
    for v in np.flatnonzero(plan.therapy >= 0):
        rows = np.flatnonzero(variants[:, v])
        if rows.size:
            cand = plan.therapy[v : v + 1]
            _choose(plan, meds, has, rows, cand, u[rows, S_GEN], True, age)

    lesion_cond = np.full(n, -1, dtype=np.int64)
    for j in plan.lesion:
        rows = rows_of[j]
        lesion_cond[rows[lesion_cond[rows] < 0]] = j
    site = np.full(n, -1, dtype=np.int64)
    diam = np.full(n, np.nan, dtype=np.float32)
    irr = np.full(n, np.nan, dtype=np.float32)
    for j, kind in plan.lesion.items():
        rows = np.flatnonzero(lesion_cond == j)
        if rows.size == 0:
            continue
        dmin, dmax, imin, imax = LESION_SHAPE.get(plan.codes[j], (5.0, 30.0, 0.2, 0.8))
        nsite = len(LESION_SITES[kind])
        site[rows] = np.minimum((u[rows, S_LES] * nsite).astype(np.int64), nsite - 1)
        diam[rows] = np.round(dmin + u[rows, S_LES + 1] * (dmax - dmin), 1)
        irr[rows] = np.round(imin + u[rows, S_LES + 2] * (imax - imin), 2)

    return Chunk(
        index=np.arange(start, stop, dtype=np.int64), u=u, sex=sex, age=age, race=race,
        insurance=ins, language=lang, zip3=zip3,
        day_enc=np.minimum((u[:, S_DENC] * 365).astype(np.int64), 364),
        day_birth=np.minimum((u[:, S_DBIRTH] * 365).astype(np.int64), 364),
        has=has, p_modified=base, labs=labs, meds=meds, variants=variants, tested=tested,
        lesion_cond=lesion_cond, lesion_site=site, lesion_diam=diam, lesion_irr=irr,
        weight=weight,
    )


def solve_balance(plan: Plan, pilot: int = 16384) -> None:
    """Find the logit shift that gives the balanced condition a 50% share on a pilot sample."""
    for j, (factor, shift) in list(plan.modified.items()):
        if factor > 1 or not np.isnan(shift):
            continue
        plan.modified[j] = (1.0, 0.0)
        chunk = sample_chunk(plan, 0, pilot)
        p = chunk.p_modified[j].astype(np.float64)
        eligible = p > 0
        lo, hi = -30.0, 30.0
        for _ in range(60):
            mid = (lo + hi) / 2
            logit = np.log(np.maximum(p, 1e-12)) - np.log1p(-np.minimum(p, 1 - 1e-7))
            share = float(np.where(eligible, 1 / (1 + np.exp(-(logit + mid))), 0.0).mean())
            lo, hi = (mid, hi) if share < 0.5 else (lo, mid)
        plan.modified[j] = (1.0, (lo + hi) / 2)
