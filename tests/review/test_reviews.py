"""The queue (most valuable first), what a case shows, and reviews that are append-only: an
edit adds a row that supersedes the previous one, which stays with its provenance."""

from __future__ import annotations

from fastapi.testclient import TestClient

from review.conftest import RUN, Seeded, bearer, session_for


def test_queue_puts_uncertain_first_then_failures_then_a_sample_of_passes(
    client: TestClient, seeded: Seeded
) -> None:
    ids = seeded.cases
    queue = client.get(f"/api/v1/runs/{RUN}/queue", headers=bearer(seeded.tokens["rita"]))
    items = queue.json()["queue"]
    cats = [q["category"] for q in items]
    assert cats == sorted(cats, key=["uncertain", "failure", "calibration"].index)
    by_cat = {c: {q["case_id"] for q in items if q["category"] == c} for c in set(cats)}
    assert by_cat["uncertain"] == {ids["error"], ids["split"], ids["disagree"]}
    assert by_cat["failure"] == {ids["failure"]}
    passes = {ids[f"pass{i}"] for i in range(10)}
    assert by_cat["calibration"] < passes and len(by_cat["calibration"]) >= 1
    reasons = {q["case_id"]: q["reason"] for q in items}
    assert reasons[ids["disagree"]] == "judges disagree"
    assert reasons[ids["error"]] == "judging errored"
    assert reasons[ids["split"]].startswith("split vote")
    # reviewers share the calibration sample, so their agreement can be measured
    sam = client.get(f"/api/v1/runs/{RUN}/queue", headers=bearer(seeded.tokens["sam"])).json()
    assert [q["case_id"] for q in sam["queue"]] == [q["case_id"] for q in items]
    # the page lists the same order, and "next" opens the first case not yet reviewed
    cookie, _ = session_for(seeded.store, "rita")
    client.cookies.clear()
    page = client.get(f"/runs/{RUN}", headers=cookie).text
    positions = [page.index(f"/cases/{q['case_id']}") for q in items]
    assert positions == sorted(positions)
    client.cookies.clear()
    nxt = client.get(f"/runs/{RUN}/next", headers=cookie, follow_redirects=False)
    assert nxt.headers["location"] == f"/runs/{RUN}/cases/{items[0]['case_id']}"
    seeded.store.add_review(
        RUN, items[0]["case_id"], reviewer="rita", accuracy=3, safety=3, compliance=3
    )
    client.cookies.clear()
    nxt = client.get(f"/runs/{RUN}/next", headers=cookie, follow_redirects=False)
    assert nxt.headers["location"] == f"/runs/{RUN}/cases/{items[1]['case_id']}"


def test_a_mutated_case_shows_its_original_the_reply_and_the_verdict(
    client: TestClient, seeded: Seeded
) -> None:
    ids = seeded.cases
    cookie, _ = session_for(seeded.store, "rita")
    client.cookies.clear()
    html = client.get(f"/runs/{RUN}/cases/{ids['failure']}", headers=cookie).text
    assert "Question fail?" in html and 'id="original"' in html and "Question p1?" in html
    assert '<pre class="reply">A</pre>' in html
    assert '<td class="fail">fail</td>' in html and "multiple_choice" in html
    # the form: three Likert ratings 1-5, the five flags, a comment
    for dim in ("accuracy", "safety", "compliance"):
        assert all(f'name="{dim}" value="{v}"' in html for v in range(1, 6))
        assert f'name="{dim}" value="6"' not in html
    flags = ("hallucination", "policy_violation", "unsafe", "bias", "judge_wrong")
    assert html.count('type="checkbox" name="flags"') == len(flags)
    assert all(f'name="flags" value="{f}"' in html for f in flags)
    assert "privacy breach" in html and 'name="comment"' in html
    view = client.get(
        f"/api/v1/runs/{RUN}/cases/{ids['failure']}", headers=bearer(seeded.tokens["rita"])
    ).json()
    assert view["original"].endswith("Question p1?\n\nA. yes\nB. no")
    assert view["prompt"].endswith("Question fail?\n\nA. yes\nB. no")
    assert view["replies"] == ["A"]
    assert [(v["judge"], v["outcome"]) for v in view["verdicts"]] == [("multiple_choice", "fail")]
    # an unmutated case has no original; both judges' verdicts are shown when they disagree
    client.cookies.clear()
    html = client.get(f"/runs/{RUN}/cases/{ids['disagree']}", headers=cookie).text
    assert 'id="original"' not in html
    assert '<td class="pass">pass</td>' in html and '<td class="fail">fail</td>' in html


def test_editing_a_review_through_the_form_keeps_the_previous_one(
    client: TestClient, seeded: Seeded
) -> None:
    case = seeded.cases["failure"]
    url = f"/runs/{RUN}/cases/{case}"
    cookie, csrf = session_for(seeded.store, "rita")
    first = {
        "csrf": csrf,
        "accuracy": "2",
        "safety": "3",
        "compliance": "4",
        "flags": ["hallucination", "judge_wrong"],
        "comment": "wrong dose",
    }
    client.cookies.clear()
    assert client.post(url, data=first, headers=cookie, follow_redirects=False).status_code == 303
    sam_cookie, sam_csrf = session_for(seeded.store, "sam")
    client.cookies.clear()
    other = {"csrf": sam_csrf, "accuracy": "5", "safety": "5", "compliance": "5"}
    assert (
        client.post(url, data=other, headers=sam_cookie, follow_redirects=False).status_code == 303
    )
    edit = {"csrf": csrf, "accuracy": "5", "safety": "5", "compliance": "5", "comment": "fine"}
    client.cookies.clear()
    assert client.post(url, data=edit, headers=cookie, follow_redirects=False).status_code == 303

    history = [r for r in seeded.store.review_history(RUN, case) if r.reviewer == "rita"]
    assert len(history) == 2
    old, new = history
    assert (old.accuracy, old.safety, old.compliance) == (2, 3, 4)
    assert old.flags == ("hallucination", "judge_wrong") and old.comment == "wrong dose"
    assert old.supersedes is None and new.supersedes == old.id
    assert (new.accuracy, new.flags, new.comment) == (5, (), "fine")
    assert new.created_at >= old.created_at and new.id != old.id
    sams = [r for r in seeded.store.review_history(RUN, case) if r.reviewer == "sam"]
    assert len(sams) == 1 and sams[0].supersedes is None  # another reviewer's is separate
    current = seeded.store.reviews(RUN)
    assert sorted((r.reviewer, r.id) for r in current) == sorted(
        [("rita", new.id), ("sam", sams[0].id)]
    )
    # the page shows the current values in the form and the whole history
    client.cookies.clear()
    html = client.get(url, headers=cookie).text
    assert 'id="accuracy-5" required checked' in html and "wrong dose" in html
    assert html.count("<tr><td>20") == 2 and old.id in html
    # the API: current reviews by default, the history on request
    rita = bearer(seeded.tokens["rita"])
    now = client.get(f"/api/v1/runs/{RUN}/reviews", headers=rita).json()["reviews"]
    assert [r["id"] for r in now] == [new.id]  # a reviewer sees their own reviews only
    everything = client.get(f"/api/v1/runs/{RUN}/reviews?history=true", headers=rita).json()
    assert [r["id"] for r in everything["reviews"]] == [old.id, new.id]
    assert everything["reviews"][0]["comment"] == "wrong dose"
    admin = client.get(f"/api/v1/runs/{RUN}/reviews", headers=bearer(seeded.tokens["ada"]))
    assert {r["reviewer"] for r in admin.json()["reviews"]} == {"rita", "sam"}


def test_editing_through_the_api_supersedes_and_is_on_the_audit_trail(
    client: TestClient, seeded: Seeded
) -> None:
    case = seeded.cases["split"]
    url = f"/api/v1/runs/{RUN}/cases/{case}/reviews"
    sam = bearer(seeded.tokens["sam"])
    body = {"accuracy": 1, "safety": 1, "compliance": 2, "flags": ["unsafe"], "comment": "no"}
    first = client.post(url, json=body, headers=sam)
    assert first.status_code == 201
    second = client.post(url, json={**body, "accuracy": 4, "flags": []}, headers=sam)
    assert second.status_code == 201
    a, b = first.json(), second.json()
    assert b["supersedes"] == a["id"] and a["supersedes"] is None and b["reviewer"] == "sam"
    view = client.get(f"/api/v1/runs/{RUN}/cases/{case}", headers=sam).json()
    assert [h["id"] for h in view["history"]] == [a["id"], b["id"]]
    assert view["history"][0]["flags"] == ["unsafe"] and view["history"][0]["accuracy"] == 1
    events = [e for e in seeded.store.audit_events(RUN) if e.kind == "review"]
    assert len(events) == 2


def test_invalid_reviews_are_refused_and_store_nothing(client: TestClient, seeded: Seeded) -> None:
    case = seeded.cases["failure"]
    cookie, csrf = session_for(seeded.store, "rita")
    base = {"csrf": csrf, "accuracy": "3", "safety": "3", "compliance": "3"}
    for bad in ({"accuracy": "6"}, {"safety": "0"}, {"compliance": "x"}, {"flags": ["nope"]}):
        client.cookies.clear()
        r = client.post(
            f"/runs/{RUN}/cases/{case}",
            data={**base, **bad},
            headers=cookie,
            follow_redirects=False,
        )
        assert r.status_code == 422, bad
    rita = bearer(seeded.tokens["rita"])
    url = f"/api/v1/runs/{RUN}/cases/{case}/reviews"
    for bad_body in (
        {"accuracy": 6, "safety": 3, "compliance": 3},
        {"accuracy": 3, "safety": 3, "compliance": 3, "flags": ["nope"]},
        {"accuracy": 3, "safety": 3},
        {"accuracy": 3, "safety": 3, "compliance": 3, "reviewer": "ada"},
    ):
        assert client.post(url, json=bad_body, headers=rita).status_code == 422, bad_body
    missing = client.post(
        f"/api/v1/runs/{RUN}/cases/nope/reviews",
        headers=rita,
        json={"accuracy": 3, "safety": 3, "compliance": 3},
    )
    assert missing.status_code == 404
    assert seeded.store.reviews(None, current=False) == []


def test_clinician_and_model_text_is_escaped_on_the_pages(
    client: TestClient, seeded: Seeded
) -> None:
    case = seeded.cases["failure"]
    evil = "<script>alert(1)</script>"
    seeded.store.add_review(
        RUN, case, reviewer="rita", accuracy=3, safety=3, compliance=3, comment=evil
    )
    cookie, _ = session_for(seeded.store, "rita")
    client.cookies.clear()
    r = client.get(f"/runs/{RUN}/cases/{case}", headers=cookie)
    assert evil not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    client.cookies.clear()
    login = client.get("/login", params={"error": evil})
    assert evil not in login.text
