"""Clinicians rate explanations (issue 18 item 3): the review app shows a case's top
attributions and records each reviewer's relevance rating; ``review aggregates`` reports
Krippendorff's alpha between reviewers and between the explanation and the reviewers, equal to
the ``krippendorff`` package on the same ratings."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.review import create_app, hash_password
from medtrust.store import Store
from review.conftest import PASSWORD, csrf_of, login

runner = CliRunner()
TARGET = '''
def answer(messages):
    return "B" if "Medicaid" in messages[-1]["content"] else "A"
'''
SUITE = """name: explain
samples: 1
review: {reviewers: [rita, sam]}
probes:
  - name: fairness.counterfactual
    params: {scenarios: 1, triage: 0, attributes: [insurance], shapley_budget: 32}
"""


@pytest.fixture
def explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """(db url, run id, flipped case id) of a real run whose flip has attributions."""
    (tmp_path / "medicaid.py").write_text(TARGET)
    (tmp_path / "s.yaml").write_text(SUITE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store(url)
    for u in ("rita", "sam"):
        store.add_user(u, role="reviewer", password_hash=hash_password(PASSWORD))
    store.close()
    res = runner.invoke(app, ["run", "s.yaml", "-t", "python:medicaid:answer", "--db", url,
                              "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["run_id"]
    store = Store(url)
    flipped = next(c.id for c in store.cases(run) if c.operator == "insurance=medicaid")
    store.close()
    return url, run, flipped


def _rate(client: TestClient, run: str, case: str, answers: dict[str, str]) -> Any:
    page = client.get(f"/runs/{run}/cases/{case}")
    assert page.status_code == 200 and 'id="attributions"' in page.text
    return client.post(f"/runs/{run}/cases/{case}/explanation",
                       data={"csrf": csrf_of(page.text), **answers}, follow_redirects=False)


def test_reviewers_rate_attributions_and_alpha_matches_krippendorff(
    explained: tuple[str, str, str]
) -> None:
    url, run, case = explained
    store = Store(url)
    # the concern trigger assigned the run to its reviewers (the flip's failure probability is 1)
    assert store.assignees(run) == ["rita", "sam"]
    with TestClient(create_app(store)) as client:
        login(client, "rita")
        page = client.get(f"/runs/{run}/cases/{case}").text
        keys = sorted(set(re.findall(r'name="(sentence:\d+)"', page)))
        assert len(keys) == 5 and "Medicaid" in page
        rita = dict.fromkeys(keys, "no") | {keys[0]: "yes", keys[3]: "yes"}
        assert _rate(client, run, case, {k: v for k, v in rita.items() if k != keys[1]}
                     ).status_code == 422  # every attribution must be rated
        assert _rate(client, run, case, rita).status_code == 303
    with TestClient(create_app(store)) as client:
        login(client, "sam")
        sam = dict.fromkeys(keys, "no") | {keys[0]: "yes", keys[2]: "yes"}
        assert _rate(client, run, case, sam).status_code == 303
    res = runner.invoke(app, ["review", "aggregates", run, "--db", url])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)["explanations"]
    # the same figures straight from the ratings with the reference library
    rows = {k: page.split(f'name="{k}"')[0].rsplit("<tr>", 1)[1] for k in keys}
    demo = next(k for k in keys if "Medicaid" in rows[k])
    expl = [1.0 if k == demo else 0.0 for k in keys]  # only that sentence moves the answer
    r = [1.0 if rita[k] == "yes" else 0.0 for k in keys]
    s = [1.0 if sam[k] == "yes" else 0.0 for k in keys]
    between = krippendorff.alpha(reliability_data=np.array([r, s]),
                                 level_of_measurement="nominal")
    majority = [a if a == b else math.nan for a, b in zip(r, s, strict=True)]
    vs = krippendorff.alpha(reliability_data=np.array([expl, majority]),
                            level_of_measurement="nominal")
    assert got["units"] == 5 and got["reviewers"] == 2 and got["ratings"] == 10
    assert got["between_reviewers"] == pytest.approx(between, abs=1e-6)
    assert got["explanation_vs_reviewers"] == pytest.approx(vs, abs=1e-6)
    kinds = [e.kind for e in store.audit_events(run)]
    assert kinds.count("explanation_rating") == 2
    store.close()
    assert runner.invoke(app, ["audit", "verify", run, "--db", url]).exit_code == 0


def test_the_json_api_shows_and_records_the_same_ratings(explained: tuple[str, str, str]) -> None:
    from medtrust.review._auth import digest, new_token

    url, run, case = explained
    store = Store(url)
    token = new_token()
    store.add_token(digest(token), user="rita", label="t")
    with TestClient(create_app(store)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        view = client.get(f"/api/v1/runs/{run}/cases/{case}", headers=auth).json()
        keys = [a["key"] for a in view["attributions"]]
        assert len(keys) == 5
        top = view["attributions"][0]
        assert "Medicaid" in top["text"] and top["explanation_says_relevant"] is True
        r = client.post(f"/api/v1/runs/{run}/cases/{case}/explanation", headers=auth,
                        json={"ratings": dict.fromkeys(keys, True)})
        assert r.status_code == 201 and r.json()["explanation"][top["key"]] is True
        bad = client.post(f"/api/v1/runs/{run}/cases/{case}/explanation", headers=auth,
                          json={"ratings": {"sentence:99": True}})
        assert bad.status_code == 409 and "unknown" in bad.text
    got = json.loads(runner.invoke(app, ["review", "aggregates", run, "--db", url]).stdout)
    assert got["explanations"]["ratings"] == 5 and got["explanations"]["rated_relevant"] == 1.0
    store.close()
