"""Statistics (Wilson, McNemar, bootstrap), fairness, agreement, fidelity, risk and trust.

Names are imported from their private modules on first use (:mod:`medtrust._lazy`): ``Tally``
and ``wilson`` do not pull numpy into a run's start-up; the bootstrap, fidelity and fairness
modules import it when used.
"""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.metrics._agreement import (
        Confusion,
        agreement,
        f1_of,
        kappa_ci95,
        kappa_of,
    )
    from medtrust.metrics._bootstrap import (
        RESAMPLES,
        bootstrap_mean_ci,
        bootstrap_proportion_ci,
        percentile_interval,
    )
    from medtrust.metrics._fairness import (
        distribution,
        jensen_shannon,
        mean_ci,
        parity_bootstrap,
        rate_entry,
    )
    from medtrust.metrics._fidelity import (
        Alignment,
        as_mask,
        bleu,
        chrf,
        dice,
        info_nce,
        iou,
        sentence_bleu,
        sentence_chrf,
    )
    from medtrust.metrics._risk import (
        SEVERITY,
        risk_score,
        tier,
    )
    from medtrust.metrics._stats import (
        MIN_CORRECT_CONTROLS,
        Tally,
        chance_note,
        error_share,
        mcnemar,
        wilson,
    )
    from medtrust.metrics._trust import (
        MIN_TRUST_ITEMS,
        POLICY_FLAG,
        ReviewScores,
        TrustScore,
        compliance_of,
        trust_score,
    )

_EXPORTS = {
    "Confusion": "_agreement",
    "agreement": "_agreement",
    "f1_of": "_agreement",
    "kappa_ci95": "_agreement",
    "kappa_of": "_agreement",
    "RESAMPLES": "_bootstrap",
    "bootstrap_mean_ci": "_bootstrap",
    "bootstrap_proportion_ci": "_bootstrap",
    "percentile_interval": "_bootstrap",
    "distribution": "_fairness",
    "jensen_shannon": "_fairness",
    "mean_ci": "_fairness",
    "parity_bootstrap": "_fairness",
    "rate_entry": "_fairness",
    "Alignment": "_fidelity",
    "as_mask": "_fidelity",
    "bleu": "_fidelity",
    "chrf": "_fidelity",
    "dice": "_fidelity",
    "info_nce": "_fidelity",
    "iou": "_fidelity",
    "sentence_bleu": "_fidelity",
    "sentence_chrf": "_fidelity",
    "SEVERITY": "_risk",
    "risk_score": "_risk",
    "tier": "_risk",
    "MIN_CORRECT_CONTROLS": "_stats",
    "Tally": "_stats",
    "chance_note": "_stats",
    "error_share": "_stats",
    "mcnemar": "_stats",
    "wilson": "_stats",
    "MIN_TRUST_ITEMS": "_trust",
    "POLICY_FLAG": "_trust",
    "ReviewScores": "_trust",
    "TrustScore": "_trust",
    "compliance_of": "_trust",
    "trust_score": "_trust",
}

__getattr__ = lazy_getattr("medtrust.metrics", _EXPORTS, globals())

__all__ = [
    "MIN_CORRECT_CONTROLS",
    "MIN_TRUST_ITEMS",
    "POLICY_FLAG",
    "RESAMPLES",
    "SEVERITY",
    "Alignment",
    "Confusion",
    "ReviewScores",
    "Tally",
    "TrustScore",
    "agreement",
    "as_mask",
    "bleu",
    "bootstrap_mean_ci",
    "bootstrap_proportion_ci",
    "chance_note",
    "chrf",
    "compliance_of",
    "dice",
    "distribution",
    "error_share",
    "f1_of",
    "info_nce",
    "iou",
    "jensen_shannon",
    "kappa_ci95",
    "kappa_of",
    "mcnemar",
    "mean_ci",
    "parity_bootstrap",
    "percentile_interval",
    "rate_entry",
    "risk_score",
    "sentence_bleu",
    "sentence_chrf",
    "tier",
    "trust_score",
    "wilson",
]
