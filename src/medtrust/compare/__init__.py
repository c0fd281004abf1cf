"""Compare runs: several targets on one case set, versions over time, and the leaderboard.

``build_comparison`` turns stored runs (or comparison ids) into the comparison object (rates
with intervals, paired McNemar tests with Holm's correction, rank intervals, the static-versus-
dynamic gap, drift); renderers only read it. ``run_targets`` runs one suite against several
targets under one comparison id; ``regressions`` is the drift gate.
"""

from medtrust.compare._build import ALPHA, build_comparison
from medtrust.compare._drift import regressions
from medtrust.compare._render import FORMATS, render_comparison
from medtrust.compare._resolve import comparison_of, members, new_comparison_id, resolve
from medtrust.compare._stats import holm, kendall_tau_b, paired_difference

__all__ = [
    "ALPHA",
    "FORMATS",
    "build_comparison",
    "comparison_of",
    "holm",
    "kendall_tau_b",
    "members",
    "new_comparison_id",
    "paired_difference",
    "regressions",
    "render_comparison",
    "resolve",
]
