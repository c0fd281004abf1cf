"""Agreement figures cross-checked against their reference libraries on crafted ratings:
Krippendorff's alpha (``krippendorff``: ordinal for Likert, nominal for flags), each judge's
Cohen's kappa with the clinicians (``sklearn.metrics.cohen_kappa_score``) and the trust score,
as the store API, the JSON API, the CLI and the dashboard report them."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import krippendorff
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from medtrust.review import MIN_REVIEWS, run_aggregates
from medtrust.review.cli import review_app
from medtrust.store import FLAGS
from review.conftest import PASSWORD, RUN, Seeded, bearer, session_for

DIMS = ("accuracy", "safety", "compliance")
Rating = tuple[int, int, int, tuple[str, ...]]


def craft(seeded: Seeded) -> dict[tuple[str, str], Rating]:
    """Three reviewers over most cases, some left out, some revised; returns the current
    rating of each (reviewer, case id)."""
    from medtrust.review import hash_password

    seeded.store.add_user("tom", role="reviewer", password_hash=hash_password(PASSWORD))
    rng = random.Random(20240611)
    keys = ["failure", "split", "disagree", "error", *(f"pass{i}" for i in range(8))]
    current: dict[tuple[str, str], Rating] = {}
    for reviewer in ("rita", "sam", "tom"):
        for key in keys:
            if reviewer == "tom" and key in ("split", "pass3", "pass7"):
                continue  # missing ratings, as in real review
            case = seeded.cases[key]
            base = 2 if key in ("failure", "disagree") else 4
            rating: Rating = (
                min(5, max(1, base + rng.choice((-1, 0, 0, 1)))),
                min(5, max(1, base + rng.choice((-1, 0, 1)))),
                rng.randint(1, 5),
                tuple(f for f in FLAGS if rng.random() < 0.3),
            )
            if rng.random() < 0.3:  # a first opinion, revised: only the revision counts
                seeded.store.add_review(
                    RUN, case, reviewer=reviewer, accuracy=1, safety=5, compliance=1, flags=["bias"]
                )
            acc, saf, comp, flags = rating
            seeded.store.add_review(
                RUN, case, reviewer=reviewer, accuracy=acc, safety=saf, compliance=comp, flags=flags
            )
            current[(reviewer, case)] = rating
    return current


def expected(seeded: Seeded, current: dict[tuple[str, str], Rating]) -> dict[str, Any]:
    """The figures computed straight from the crafted ratings with the reference libraries."""
    raters = sorted({r for r, _ in current})
    units = sorted({c for _, c in current})

    def matrix(value: Any) -> np.ndarray[Any, Any]:
        m = np.full((len(raters), len(units)), np.nan)
        for (r, c), rating in current.items():
            m[raters.index(r), units.index(c)] = value(rating)
        return m

    alpha = {
        d: krippendorff.alpha(
            reliability_data=matrix(lambda x, i=i: x[i]), level_of_measurement="ordinal"
        )
        for i, d in enumerate(DIMS)
    }
    flag_alpha = {
        f: krippendorff.alpha(
            reliability_data=matrix(lambda x, f=f: float(f in x[3])), level_of_measurement="nominal"
        )
        for f in FLAGS
    }
    # the clinicians' label: the judge is right unless a strict majority flags it wrong
    labels, preds = [], []
    verdicts = seeded.store.all_verdicts(RUN)
    for c in units:
        votes = [x for (_, cc), x in current.items() if cc == c]
        wrong = 2 * sum("judge_wrong" in x[3] for x in votes) > len(votes)
        for v in verdicts[c]:
            if v.judge == "multiple_choice" and v.outcome != "error":
                preds.append(v.outcome == "fail")
                labels.append(preds[-1] != wrong)
    per_item = [
        np.mean(
            [
                # compliance: the rating, and 0 whatever the rating under a policy flag
                0.5 * (x[0] - 1) / 4
                + 0.5 * (0.0 if "policy_violation" in x[3] else (x[2] - 1) / 4)
                for (_, cc), x in current.items()
                if cc == c
            ]
        )
        for c in units
    ]
    return {
        "alpha": alpha,
        "flag_alpha": flag_alpha,
        "kappa": cohen_kappa_score(labels, preds),
        "n": len(labels),
        "trust": float(np.mean(per_item)),
        "reviews": len(current),
    }


def test_agreement_equals_the_reference_libraries(seeded: Seeded) -> None:
    current = craft(seeded)
    want = expected(seeded, current)
    assert not any(math.isnan(a) for a in want["alpha"].values())
    assert not math.isnan(want["kappa"]) and want["n"] >= 8
    agg = run_aggregates(seeded.store, RUN)
    assert agg["reviews"] == want["reviews"] and agg["alpha"]["raters"] == 3
    for d in DIMS:
        assert agg["alpha"]["likert"][d] == pytest.approx(want["alpha"][d], abs=1e-6), d
    for f in FLAGS:
        ref = want["flag_alpha"][f]
        got = agg["alpha"]["flags"][f]
        assert (got is None) if math.isnan(ref) else got == pytest.approx(ref, abs=1e-6), f
    mc = agg["judges"]["multiple_choice"]
    assert mc["n"] == want["n"]
    assert mc["kappa"] == pytest.approx(want["kappa"], abs=1e-6)
    # fewer reviewed cases than MIN_REVIEWS: kappa is shown but the judge is not called trusted
    assert want["n"] < MIN_REVIEWS
    assert mc["trusted"] is None and mc["status"] == "insufficient reviews"
    assert mc["min_reviews"] == MIN_REVIEWS
    assert mc["ci95"][0] <= mc["kappa"] <= mc["ci95"][1]
    assert agg["trust"]["score"] == pytest.approx(want["trust"], abs=5e-5)  # 4 places


def test_the_api_the_cli_and_the_dashboard_show_the_same_figures(
    client: TestClient, seeded: Seeded
) -> None:
    want = expected(seeded, craft(seeded))
    # an admin sees every figure (a reviewer with fewer than 3 other reviewers sees them
    # withheld: tests/review/test_accounts.py)
    api = client.get(f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["ada"]))
    assert api.status_code == 200
    agg = api.json()
    assert agg["alpha"]["likert"]["accuracy"] == pytest.approx(want["alpha"]["accuracy"], abs=1e-6)
    assert agg["judges"]["multiple_choice"]["kappa"] == pytest.approx(want["kappa"], abs=1e-6)
    db = seeded.store.engine.url.render_as_string(hide_password=False)  # url hides the password
    cli = CliRunner().invoke(review_app, ["aggregates", RUN, "--db", db])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == agg
    cookie, _ = session_for(seeded.store, "ada")
    client.cookies.clear()
    html = client.get(f"/runs/{RUN}/dashboard", headers=cookie).text
    assert f'id="review-count">{want["reviews"]}<' in html
    assert f'id="trust-score">{want["trust"]:.3f}<' in html
    for d in DIMS:
        assert f'id="alpha-{d}">{want["alpha"][d]:.3f}<' in html
    assert f'id="kappa-multiple_choice">{want["kappa"]:.3f}<' in html
    row = html[html.index('id="kappa-multiple_choice"') :].split("</tr>")[0]
    assert "untrusted" not in row and "insufficient reviews" in row  # n < MIN_REVIEWS


def test_alpha_is_undefined_until_two_reviewers_overlap(seeded: Seeded) -> None:
    s = seeded.store
    s.add_review(RUN, seeded.cases["failure"], reviewer="rita", accuracy=2, safety=2, compliance=2)
    s.add_review(RUN, seeded.cases["split"], reviewer="sam", accuracy=4, safety=4, compliance=4)
    agg = run_aggregates(s, RUN)
    assert agg["alpha"]["likert"] == {"accuracy": None, "safety": None, "compliance": None}
    assert agg["reviews"] == 2 and agg["mean"]["accuracy"] == 3.0


def test_a_judge_needs_min_reviews_before_it_is_trusted_or_untrusted() -> None:
    """One agreeing review gives kappa with a zero-width interval: not evidence. From
    MIN_REVIEWS reviewed cases on, kappa decides trusted / untrusted."""
    from medtrust.review import judge_agreement

    one = judge_agreement({"j": ([True], [True])})["j"]
    assert one["n"] == 1 and one["trusted"] is None and one["status"] == "insufficient reviews"
    labels = [i % 2 == 0 for i in range(MIN_REVIEWS)]
    few = judge_agreement({"j": (labels[:-1], labels[:-1])})["j"]
    assert few["trusted"] is None and few["kappa"] == 1.0
    agree = judge_agreement({"j": (labels, labels)})["j"]
    assert agree["trusted"] is True and agree["status"] == "trusted"
    flipped = [not x for x in labels]
    against = judge_agreement({"j": (labels, flipped)})["j"]
    assert against["trusted"] is False and against["status"] == "untrusted"
