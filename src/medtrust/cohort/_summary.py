"""The cohort summary: what was generated, how it was balanced, and what the boosts did.

Accumulated chunk by chunk (counts and sums only), so it costs nothing extra in memory when a
million patients stream to disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtrust.cohort._plan import Plan
from medtrust.cohort._sample import Chunk


class SummaryAccumulator:
    """Running counts over chunks; ``result()`` turns them into the JSON summary."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.n = 0
        self.sex = np.zeros(len(plan.sex.cats), dtype=np.int64)
        self.race = np.zeros(len(plan.race.cats), dtype=np.int64)
        self.insurance = np.zeros(len(plan.insurance.cats), dtype=np.int64)
        self.language = np.zeros(len(plan.language.cats), dtype=np.int64)
        self.age_band = np.zeros(len(plan.age_bands), dtype=np.int64)
        self.age_90_plus = 0
        self.cond = np.zeros(plan.n_cond, dtype=np.int64)
        self.cond_weighted = np.zeros(plan.n_cond, dtype=np.float64)
        self.expected_base = {j: 0.0 for j in plan.modified}
        self.variants = np.zeros(len(plan.variants), dtype=np.int64)
        self.tested = 0
        self.lesions = 0
        self.treated = 0
        self.w_sum = 0.0
        self.w_sq = 0.0

    def add(self, chunk: Chunk) -> None:
        p = self.plan
        self.n += chunk.index.size
        self.sex += np.bincount(chunk.sex, minlength=self.sex.size)
        self.race += np.bincount(chunk.race, minlength=self.race.size)
        self.insurance += np.bincount(chunk.insurance, minlength=self.insurance.size)
        self.language += np.bincount(chunk.language, minlength=self.language.size)
        lows = np.array([b[0] for b in p.age_bands])
        band = np.searchsorted(lows, chunk.age, side="right") - 1
        self.age_band += np.bincount(band, minlength=self.age_band.size)
        self.age_90_plus += int((chunk.age >= 90).sum())
        self.cond += chunk.has.sum(axis=0)
        self.cond_weighted += chunk.weight @ chunk.has
        for j, base in chunk.p_modified.items():
            self.expected_base[j] += float(base.sum())
        self.variants += chunk.variants.sum(axis=0)
        self.tested += int(chunk.tested.sum())
        self.lesions += int((chunk.lesion_cond >= 0).sum())
        self.treated += int(chunk.meds.any(axis=1).sum())
        self.w_sum += float(chunk.weight.sum())
        self.w_sq += float((chunk.weight**2).sum())

    def _shares(self, cats: list[str], counts: np.ndarray) -> dict[str, Any]:
        n = max(self.n, 1)
        return {c: {"count": int(k), "share": round(int(k) / n, 4)}
                for c, k in zip(cats, counts, strict=True)}

    def result(self) -> dict[str, Any]:
        p = self.plan
        kb = p.kb
        cfg = p.config
        n = max(self.n, 1)
        conds = {}
        for j, c in enumerate(kb.conditions):
            conds[c.code] = {"name": c.name, "count": int(self.cond[j]),
                             "share": round(int(self.cond[j]) / n, 6),
                             "prevalence": c.prevalence, "rare": c.rare}
        rare = {
            "threshold": cfg.rare_threshold,
            "boost": cfg.rare_boost,
            "conditions": [
                {"code": c.code, "name": c.name, "prevalence": c.prevalence,
                 "count": int(self.cond[j]),
                 "expected_without_boost": round(self.expected_base.get(j, c.prevalence * n), 3)}
                for j, c in enumerate(kb.conditions)
                if c.given is None and c.prevalence < cfg.rare_threshold
            ],
        }
        balance: dict[str, Any] = {"target": cfg.balance}
        if cfg.balance:
            balance.update(p.balance_info)
            balance["rule"] = "w_c = 1 / P(c)"
            if cfg.balance in kb.by_code:
                j = p.codes.index(cfg.balance)
                balance.update(kind="condition", prevalence=kb.by_code[cfg.balance].prevalence,
                               weight_present=round(1 / kb.by_code[cfg.balance].prevalence, 3),
                               logit_shift=round(p.modified[j][1], 4),
                               achieved_share=round(int(self.cond[j]) / n, 4))
        ess = self.w_sum**2 / self.w_sq if self.w_sq > 0 else 0.0
        return {
            "n": self.n,
            "seed": cfg.seed,
            "policy": cfg.policy,
            "knowledge_base": kb.version,
            "restricted_zip3": kb.restricted_zip3_version,
            "demographics": {
                "sex": self._shares(p.sex.cats, self.sex),
                "age_band": self._shares([f"{lo}-{hi}" for lo, hi in p.age_bands], self.age_band),
                "age_90_plus": self.age_90_plus,
                "race_ethnicity": self._shares(p.race.cats, self.race),
                "insurance": self._shares(p.insurance.cats, self.insurance),
                "language": self._shares(p.language.cats, self.language),
            },
            "conditions": conds,
            "mean_conditions": round(float(self.cond.sum()) / n, 3),
            "treated": self.treated,
            "genomics": {"tested": self.tested,
                         "variants": {v: int(k) for v, k in zip(p.variants, self.variants,
                                                                strict=True)}},
            "lesions": self.lesions,
            "balance": balance,
            "rare_boost": rare,
            "weights": {"sum": round(self.w_sum, 3), "effective_sample_size": round(ess, 1)},
        }
