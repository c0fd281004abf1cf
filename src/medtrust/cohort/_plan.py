"""Compile a config and the knowledge base into the flat arrays the vectorised generator uses.

Everything per-condition (calibrated prevalence by age band, sex and race; comorbidity links;
drug options; contraindication matrices) becomes a numpy array once, so generating a chunk is a
handful of array operations rather than a Python loop per patient.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from medtrust.cohort._config import ATTRIBUTES, CohortConfig
from medtrust.cohort._kb import AGE_BANDS, Condition, KnowledgeBase, load_kb
from medtrust.cohort._plan_drugs import Treatment, drug_tables, genomics, lab_effects
from medtrust.cohort._plausibility import Rules, load_rules
from medtrust.errors import ConfigError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

MAX_AGE = 104
P_CAP = 0.95


@dataclass
class Categorical:
    """A categorical attribute, possibly conditional on a parent (rows of ``probs``).

    ``ratio[g, c]`` is P(c|g) / P'(c|g): the importance weight that undoes any reweighting.
    """

    cats: list[str]
    probs: F64
    ratio: F64

    @property
    def cum(self) -> F64:
        return np.cumsum(self.probs, axis=-1)


@dataclass
class Plan:
    """The compiled generator: margins, condition model, drugs, labs, genomics."""

    kb: KnowledgeBase
    config: CohortConfig
    sex: Categorical
    age_bands: list[tuple[int, int]]
    age: Categorical
    race: Categorical
    insurance: Categorical
    language: Categorical
    language_row: I64
    codes: list[str]
    prob: npt.NDArray[np.float32]
    min_age: I64
    max_age: I64
    dependents: list[tuple[int, list[tuple[int, float]], list[int], int]]
    independent: I64
    modified: dict[int, tuple[float, float]]
    drugs: list[str]
    avoid: npt.NDArray[np.float32]
    ddi: npt.NDArray[np.float32]
    treat: dict[int, Treatment]
    lab_effects: dict[int, list[tuple[int, float, float]]]
    variants: list[str]
    therapy: I64
    panels: dict[int, list[tuple[I64, F64]]]
    lesion: dict[int, str]
    avoid_by_drug: list[I64] = field(default_factory=list)
    ddi_by_drug: list[I64] = field(default_factory=list)
    drug_min_age: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    drug_age_except: list[I64] = field(default_factory=list)
    balance_info: dict[str, object] = field(default_factory=dict)

    @property
    def n_cond(self) -> int:
        return len(self.codes)


def _norm(d: dict[str, float], what: str) -> dict[str, float]:
    total = float(sum(d.values()))
    if total <= 0 or any(v < 0 for v in d.values()):
        raise ConfigError(f"margins for {what} must be non-negative and sum to more than 0")
    return {k: float(v) / total for k, v in d.items()}


def _categorical(rows: list[dict[str, float]], cats: list[str]) -> Categorical:
    probs = np.array([[r.get(c, 0.0) for c in cats] for r in rows], dtype=np.float64)
    probs /= probs.sum(axis=1, keepdims=True)
    return Categorical(cats, probs, np.ones_like(probs))


def _age_weights(bands: list[tuple[int, int]], weights: F64) -> F64:
    """Probability of each single year of age 0..MAX_AGE."""
    w = np.zeros(MAX_AGE + 1)
    for (lo, hi), p in zip(bands, weights, strict=True):
        w[lo : hi + 1] += p / (hi - lo + 1)
    out: F64 = w / w.sum()
    return out


def _band5(ages: I64) -> I64:
    edges = np.array([b[0] for b in AGE_BANDS[1:]])
    return np.searchsorted(edges, ages, side="right").astype(np.int64)


def _balance_independent(cat: Categorical) -> dict[str, object]:
    """Reweight a margin by w_c = 1 / P(c): the result is uniform over its support."""
    p = cat.probs[0]
    w = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    new = p * w / (p * w).sum()
    cat.ratio = np.where(new > 0, p / np.where(new > 0, new, 1.0), 1.0)[None, :]
    cat.probs = new[None, :]
    return {"original": dict(zip(cat.cats, p.round(6).tolist(), strict=True)),
            "weights": dict(zip(cat.cats, w.round(4).tolist(), strict=True))}


def _balance_child(parent: F64, child: Categorical, group_of_parent: I64) -> tuple[F64, F64]:
    """Reweight a child attribute by w_c = 1 / P(c), adjusting its parent so the margin is exact.

    Returns the new parent probabilities and the parent's P/P' ratios.
    """
    joint = parent[:, None] * child.probs[group_of_parent]
    pc = joint.sum(axis=0)
    w = np.where(pc > 0, 1.0 / np.where(pc > 0, pc, 1.0), 0.0)
    zg = (child.probs * w[None, :]).sum(axis=1)
    new_child = child.probs * w[None, :] / zg[:, None]
    new_parent = parent * zg[group_of_parent]
    new_parent /= new_parent.sum()
    child.ratio = np.where(new_child > 0, child.probs / np.where(new_child > 0, new_child, 1), 1.0)
    child.probs = new_child
    ratio_parent = np.where(new_parent > 0, parent / np.where(new_parent > 0, new_parent, 1), 1.0)
    return new_parent, ratio_parent


def _margins(kb: KnowledgeBase, cfg: CohortConfig) -> dict[str, object]:
    demo = kb.demographics
    over = cfg.margins
    for key in over:
        if key not in ATTRIBUTES:
            raise ConfigError(f"unknown margin {key!r}; choose from {', '.join(ATTRIBUTES)}")
    sex_m = _norm(over.get("sex", demo["sex"]), "sex")
    if set(sex_m) - {"female", "male"}:
        raise ConfigError("sex margins take the categories 'female' and 'male'")
    bands_default = [(int(lo), int(hi), float(w)) for lo, hi, w in demo["age_bands"]]
    if "age_band" in over:
        bands = []
        for label, w in over["age_band"].items():
            try:
                lo_s, hi_s = label.split("-")
                lo, hi = int(lo_s), int(hi_s)
            except ValueError:
                raise ConfigError(f"age band {label!r} must look like '18-39'") from None
            if not 0 <= lo <= hi <= MAX_AGE:
                raise ConfigError(f"age band {label!r} must lie within 0-{MAX_AGE}")
            bands.append((lo, hi, float(w)))
    else:
        bands = bands_default
    race_m = _norm(over.get("race_ethnicity", demo["race_ethnicity"]), "race_ethnicity")
    races = list(demo["race_ethnicity"]) + [r for r in race_m if r not in demo["race_ethnicity"]]
    return {"sex": sex_m, "bands": bands, "race": race_m, "races": races}


def compile_plan(cfg: CohortConfig, kb: KnowledgeBase | None = None) -> Plan:
    """Build the generator plan for ``cfg`` (cached for the bundled knowledge base)."""
    if kb is None:
        return _cached(cfg.key())
    return _compile(cfg, kb)


@functools.lru_cache(maxsize=16)
def _cached(key: str) -> Plan:
    return _compile(CohortConfig.model_validate_json(key), load_kb())


def _compile(cfg: CohortConfig, kb: KnowledgeBase) -> Plan:
    demo = kb.demographics
    m = _margins(kb, cfg)
    sex = _categorical([m["sex"]], ["female", "male"])  # type: ignore[list-item]
    bands: list[tuple[int, int, float]] = m["bands"]  # type: ignore[assignment]
    age = Categorical([f"{lo}-{hi}" for lo, hi, _ in bands],
                      np.array([[w for *_, w in bands]]) / sum(w for *_, w in bands),
                      np.ones((1, len(bands))))
    races: list[str] = m["races"]  # type: ignore[assignment]
    race = _categorical([m["race"]], races)  # type: ignore[list-item]

    ins_rows = ([_norm(cfg.margins["insurance"], "insurance")] * 2 if "insurance" in cfg.margins
                else [demo["insurance"]["under_65"], demo["insurance"]["age_65_plus"]])
    ins_cats = sorted({k for r in ins_rows for k in r})
    insurance = _categorical(ins_rows, ins_cats)
    if "language" in cfg.margins:
        lang_rows = [_norm(cfg.margins["language"], "language")]
        lang_row = np.zeros(len(races), dtype=np.int64)
    else:
        spec = demo["language"]
        keys = [k for k in spec if k != "default"]
        lang_rows = [spec[k] for k in keys] + [spec["default"]]
        lang_row = np.array([keys.index(r) if r in keys else len(keys) for r in races])
    lang_cats = sorted({k for r in lang_rows for k in r})
    language = _categorical(lang_rows, lang_cats)

    info: dict[str, object] = {}
    target = cfg.balance
    if target in ("sex", "race_ethnicity", "age_band"):
        cat = {"sex": sex, "race_ethnicity": race, "age_band": age}[target]
        info = {"kind": "attribute", "attribute": target, **_balance_independent(cat)}
    elif target == "insurance":
        band_group = np.array([1 if lo >= 65 else 0 for lo, _, _ in bands])
        new_age, ratio = _balance_child(age.probs[0], insurance, band_group)
        age.probs, age.ratio = new_age[None, :], ratio[None, :]
        info = {"kind": "attribute", "attribute": target}
    elif target == "language":
        new_race, ratio = _balance_child(race.probs[0], language, lang_row)
        race.probs, race.ratio = new_race[None, :], ratio[None, :]
        info = {"kind": "attribute", "attribute": target}
    elif target is not None and target not in kb.by_code:
        raise ConfigError(f"--balance {target!r} is neither an attribute nor a condition code "
                          f"({', '.join(ATTRIBUTES)} or an ICD-10-CM code in the knowledge base)")

    margins = Margins(sex=sex, age=age, race=race, insurance=insurance, language=language,
                      language_row=lang_row, bands=bands)
    plan = _conditions(kb, cfg, margins)
    plan.balance_info = info
    return plan


@dataclass(frozen=True)
class Margins:
    """The population the cohort is drawn from: its margins after any balancing, the age
    bands as (low, high, weight), and which language row applies to each race."""

    sex: Categorical
    age: Categorical
    race: Categorical
    insurance: Categorical
    language: Categorical
    language_row: I64
    bands: list[tuple[int, int, float]]


@dataclass(frozen=True)
class _Reference:
    """The bundled default population (``demographics.yaml``): prevalence is calibrated against
    it, so a condition's ``prevalence`` keeps its meaning whatever margins a config sets.
    ``age`` is P(age) per single year 0..MAX_AGE; ``sex`` (female, male) and ``race`` (in the
    margins' race order) are probabilities."""

    age: F64
    sex: F64
    race: F64

    @classmethod
    def of(cls, demo: dict[str, object], races: list[str]) -> _Reference:
        bands = [(int(lo), int(hi)) for lo, hi, _ in demo["age_bands"]]  # type: ignore[attr-defined]
        weights = np.array([float(w) for *_, w in demo["age_bands"]])  # type: ignore[attr-defined]
        sex = np.array([demo["sex"]["female"], demo["sex"]["male"]])  # type: ignore[index]
        race = np.array([demo["race_ethnicity"].get(r, 0.0) for r in races])  # type: ignore[attr-defined]
        return cls(age=_age_weights(bands, weights), sex=sex, race=race / race.sum())


@dataclass(frozen=True)
class _Limits:
    """Per condition: minimum and maximum age, and which sex (female, male) may have it."""

    min_age: I64
    max_age: I64
    sex_ok: B


def _prevalence(
    conds: tuple[Condition, ...], races: list[str], ref: _Reference, limits: _Limits
) -> npt.NDArray[np.float32]:
    """P(condition | 5-year band, sex, race), shape (5, 2, races, conditions), capped at P_CAP.

    A root condition's multipliers are divided by their mean over the reference population
    within its limits, so its population prevalence is its ``prevalence``; a condition
    ``given`` another keeps its prevalence as a conditional probability. ConfigError when a
    condition's multipliers are all zero.
    """
    ages = np.arange(MAX_AGE + 1)
    band = _band5(ages)
    prob = np.zeros((5, 2, len(races), len(conds)), dtype=np.float32)
    for j, c in enumerate(conds):
        if c.given is not None:
            prob[..., j] = c.prevalence
            prob[:, ~limits.sex_ok[j], :, j] = 0.0
            continue
        a = np.array(c.age)
        s = np.array(c.sex) * limits.sex_ok[j]
        r = np.array([c.race.get(x, 1.0) for x in races])
        allowed = (ages >= limits.min_age[j]) & (ages <= limits.max_age[j])
        e_age = float((ref.age * a[band] * allowed).sum())
        mean = e_age * float((ref.sex * s).sum()) * float((ref.race * r).sum())
        if mean <= 0:
            raise ConfigError(f"condition {c.code} can never occur (all multipliers are zero)")
        table = c.prevalence * a[:, None, None] * s[None, :, None] * r[None, None, :] / mean
        prob[..., j] = np.minimum(table, P_CAP)
    return prob


Dependent = tuple[int, list[tuple[int, float]], list[int], int]
"""(condition, [(comorbid parent, multiplier)], [excluded], given parent or -1)."""


def _dependencies(
    conds: tuple[Condition, ...], idx: dict[str, int]
) -> tuple[list[Dependent], I64]:
    """The conditions drawn after others (comorbid, excluding or given one) and the rest."""
    dependents: list[Dependent] = []
    for j, c in enumerate(conds):
        if c.comorbid or c.excludes or c.given:
            dependents.append((j, [(idx[p], mult) for p, mult in c.comorbid.items()],
                               [idx[e] for e in c.excludes], idx[c.given] if c.given else -1))
    dep_set = {d[0] for d in dependents}
    independent = np.array([j for j in range(len(conds)) if j not in dep_set], dtype=np.int64)
    return dependents, independent


def _modified(
    conds: tuple[Condition, ...], cfg: CohortConfig, idx: dict[str, int]
) -> dict[int, tuple[float, float]]:
    """Condition index -> (odds multiplier, logit shift): rare boosts, and the balanced
    condition, whose shift (NaN here) is solved on a pilot sample."""
    modified: dict[int, tuple[float, float]] = {}
    if cfg.rare_boost > 1:
        for j, c in enumerate(conds):
            if c.given is None and c.prevalence < cfg.rare_threshold:
                modified[j] = (cfg.rare_boost, 0.0)
    if cfg.balance in idx:
        modified[idx[cfg.balance]] = (1.0, np.nan)
    return modified


def _conditions(kb: KnowledgeBase, cfg: CohortConfig, margins: Margins) -> Plan:
    """The plan: ``margins`` plus the condition model, drug, lab and genomics tables."""
    conds = kb.conditions
    codes = [c.code for c in conds]
    idx = {c: i for i, c in enumerate(codes)}
    races = margins.race.cats
    # The generator's limits (conditions.yaml) narrowed by the plausibility rules, so that
    # nothing the validator rejects is ever drawn (rare-condition boosts and balancing included:
    # they scale probabilities that are already zero outside these limits).
    rules = load_rules() if kb is load_kb() else None
    limits = _Limits(*_limits(conds, rules))
    prob = _prevalence(conds, races, _Reference.of(kb.demographics, races), limits)
    dependents, independent = _dependencies(conds, idx)
    dt = drug_tables(kb, rules, idx)
    gx = genomics(kb, idx, dt.drugs)
    lesion: dict[int, str] = {j: str(c.lesion) for j, c in enumerate(conds) if c.lesion}
    return Plan(kb=kb, config=cfg, sex=margins.sex,
                age_bands=[(lo, hi) for lo, hi, _ in margins.bands], age=margins.age,
                race=margins.race, insurance=margins.insurance, language=margins.language,
                language_row=margins.language_row, codes=codes, prob=prob,
                min_age=limits.min_age, max_age=limits.max_age, dependents=dependents,
                independent=independent, modified=_modified(conds, cfg, idx), drugs=dt.drugs,
                avoid=dt.avoid, ddi=dt.ddi, treat=dt.treat, lab_effects=lab_effects(kb),
                variants=gx.variants, therapy=gx.therapy, panels=gx.panels, lesion=lesion,
                avoid_by_drug=[np.flatnonzero(dt.avoid[:, d]) for d in range(len(dt.drugs))],
                ddi_by_drug=[np.flatnonzero(dt.ddi[:, d]) for d in range(len(dt.drugs))],
                drug_min_age=dt.drug_min_age, drug_age_except=dt.drug_age_except)


def _limits(conds: tuple[Condition, ...], rules: Rules | None) -> tuple[I64, I64, B]:
    """Per condition: minimum and maximum age, and which sex at birth (female, male) may have it.

    ``rules`` is None for a custom knowledge base without plausibility rules.
    """
    lo = np.array([c.min_age for c in conds], dtype=np.int64)
    hi = np.array([c.max_age for c in conds], dtype=np.int64)
    sex_ok = np.ones((len(conds), 2), dtype=bool)
    if rules is None:
        return lo, hi, sex_ok
    for j, c in enumerate(conds):
        rlo, rhi = rules.age_range.get(c.code, (0, MAX_AGE))
        lo[j], hi[j] = max(lo[j], rlo), min(hi[j], rhi)
        sex_ok[j] = [rules.sex_allowed(c.code, "female"), rules.sex_allowed(c.code, "male")]
    return lo, hi, sex_ok
