"""Statistics (Wilson, McNemar), axis summaries and risk."""

from medtrust.metrics._agreement import Confusion, agreement, f1_of, kappa_ci95, kappa_of
from medtrust.metrics._bootstrap import (
    RESAMPLES,
    bootstrap_mean_ci,
    bootstrap_proportion_ci,
    percentile_interval,
)
from medtrust.metrics._risk import SEVERITY, risk_score, tier
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
    trust_score,
)

__all__ = [
    "MIN_CORRECT_CONTROLS",
    "MIN_TRUST_ITEMS",
    "POLICY_FLAG",
    "RESAMPLES",
    "SEVERITY",
    "Confusion",
    "ReviewScores",
    "Tally",
    "TrustScore",
    "agreement",
    "bootstrap_mean_ci",
    "bootstrap_proportion_ci",
    "chance_note",
    "error_share",
    "f1_of",
    "kappa_ci95",
    "kappa_of",
    "mcnemar",
    "percentile_interval",
    "risk_score",
    "tier",
    "trust_score",
    "wilson",
]

# Fidelity metrics (issue 9: multi-modal consistency); sacrebleu is imported on first use.
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

__all__ += [
    "Alignment",
    "as_mask",
    "bleu",
    "chrf",
    "dice",
    "info_nce",
    "iou",
    "sentence_bleu",
    "sentence_chrf",
]

# Fairness statistics (issue 5: counterfactual and group fairness audits).
from medtrust.metrics._fairness import (  # noqa: E402 - appended block
    distribution,
    jensen_shannon,
    mean_ci,
    parity_bootstrap,
    rate_entry,
)

__all__ += ["distribution", "jensen_shannon", "mean_ci", "parity_bootstrap", "rate_entry"]
