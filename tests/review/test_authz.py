"""Who may do what: every route of the app (enumerated from ``app.routes``, so a new route fails
here until it is classified) refuses the unauthenticated, reviewers on runs not assigned to
them and reviewers on admin routes, while the right user gets through."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from review.conftest import (
    OTHER,
    PASSWORD,
    RUN,
    Seeded,
    app_routes,
    bearer,
    session_for,
)

PAGE_KINDS = {"page", "run_page", "admin_page"}
API_KINDS = {"schema", "api", "run_api", "admin_api"}
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "page",
    ("GET", "/"): "page",
    ("GET", "/runs/{run_id}"): "run_page",
    ("GET", "/runs/{run_id}/next"): "run_page",
    ("GET", "/runs/{run_id}/cases/{case_id}"): "run_page",
    ("POST", "/runs/{run_id}/cases/{case_id}"): "run_page",
    ("POST", "/runs/{run_id}/cases/{case_id}/explanation"): "run_page",
    ("GET", "/runs/{run_id}/dashboard"): "run_page",
    ("GET", "/admin"): "admin_page",
    ("POST", "/admin/users"): "admin_page",
    ("POST", "/admin/assign"): "admin_page",
    ("POST", "/admin/redaction"): "admin_page",
    ("POST", "/admin/tokens"): "admin_page",
    ("POST", "/admin/users/active"): "admin_page",
    ("POST", "/admin/users/password"): "admin_page",
    ("POST", "/admin/users/role"): "admin_page",
    ("POST", "/admin/users/revoke-tokens"): "admin_page",
    ("POST", "/admin/users/unlock"): "admin_page",
    ("GET", "/api/openapi.json"): "schema",
    ("GET", "/api/v1/me"): "api",
    ("GET", "/api/v1/runs"): "api",
    ("GET", "/api/v1/runs/{run_id}/queue"): "run_api",
    ("GET", "/api/v1/runs/{run_id}/cases/{case_id}"): "run_api",
    ("POST", "/api/v1/runs/{run_id}/cases/{case_id}/reviews"): "run_api",
    ("POST", "/api/v1/runs/{run_id}/cases/{case_id}/explanation"): "run_api",
    ("GET", "/api/v1/runs/{run_id}/reviews"): "run_api",
    ("GET", "/api/v1/runs/{run_id}/aggregates"): "run_api",
    ("POST", "/api/v1/users"): "admin_api",
    ("PUT", "/api/v1/runs/{run_id}/assignments/{user}"): "admin_api",
    ("DELETE", "/api/v1/runs/{run_id}/assignments/{user}"): "admin_api",
    ("PUT", "/api/v1/runs/{run_id}/redaction"): "admin_api",
    ("POST", "/api/v1/tokens"): "admin_api",
}
GUARDED = sorted(k for k, v in ROUTES.items() if v != "public")
FORMS = sorted(k for k in ROUTES if k[0] == "POST" and not k[1].startswith("/api/"))


def _body(method: str, path: str, run: str, csrf: str | None, n: int) -> dict[str, Any]:
    """A valid request body for the route, so a refusal is about who asks, not what."""
    form: dict[str, Any] = {} if csrf is None else {"csrf": csrf}
    if path == "/runs/{run_id}/cases/{case_id}":
        form.update(accuracy="4", safety="4", compliance="4", flags=["bias"], comment="ok")
    elif path == "/admin/users":
        form.update(name=f"new{n}", role="reviewer", password=PASSWORD)
    elif path == "/admin/assign":
        form.update(run_id=run, user="sam")
    elif path == "/admin/redaction":
        form.update(run_id=run, unredacted="yes")
    elif path == "/admin/tokens":
        form.update(user="rita", label="t")
    elif path == "/admin/users/active":
        form.update(user="ned", active="yes")
    elif path == "/admin/users/password":
        form.update(user="ned", password=PASSWORD)
    elif path == "/admin/users/role":
        form.update(user="ned", role="reviewer")
    elif path in ("/admin/users/revoke-tokens", "/admin/users/unlock"):
        form.update(user="ned")
    if not path.startswith("/api/"):
        return {"data": form} if method == "POST" else {}
    body: dict[str, Any] | None = {
        "/api/v1/runs/{run_id}/cases/{case_id}/reviews": {
            "accuracy": 4,
            "safety": 4,
            "compliance": 4,
            "flags": ["bias"],
        },
        "/api/v1/runs/{run_id}/cases/{case_id}/explanation": {"ratings": {"sentence:0": True}},
        "/api/v1/users": {"name": f"api{n}", "role": "reviewer", "password": PASSWORD},
        "/api/v1/runs/{run_id}/redaction": {"unredacted": True},
        "/api/v1/tokens": {"user": "rita"},
    }.get(path)
    return {} if body is None else {"json": body}


def call(
    client: TestClient,
    route: tuple[str, str],
    *,
    run: str,
    case: str,
    headers: dict[str, str],
    csrf: str | None = None,
    n: int = 0,
) -> httpx.Response:
    method, path = route
    url = path.replace("{run_id}", run).replace("{case_id}", case).replace("{user}", "sam")
    client.cookies.clear()  # only the credentials given here
    return client.request(
        method, url, headers=headers, follow_redirects=False, **_body(method, path, run, csrf, n)
    )


def snapshot(s: Seeded) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    st = s.store
    return (
        [r.id for r in st.reviews(None, current=False)],
        [(u.name, u.role, u.active) for u in st.list_users()],
        [(run, st.assignees(run), st.unredacted(run)) for run in (RUN, OTHER)],
    )


def test_every_route_is_classified(client: TestClient) -> None:
    """A route added to the app without a decision here about who may use it fails."""
    assert app_routes(client.app) == set(ROUTES)  # type: ignore[arg-type]


def _refused_anonymously(r: httpx.Response, kind: str) -> bool:
    if kind in PAGE_KINDS:
        return r.status_code == 303 and r.headers["location"] == "/login"
    return r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("creds", ["none", "bogus", "expired", "deactivated"])
def test_nobody_unauthenticated_gets_past_the_login_page(
    client: TestClient, seeded: Seeded, creds: str
) -> None:
    from medtrust.review._auth import SESSION_COOKIE, digest, new_secret

    headers: dict[str, str] = {}
    if creds == "bogus":
        headers = {"Cookie": f"{SESSION_COOKIE}={new_secret()}", **bearer("mtr_not-a-token")}
    elif creds == "expired":
        sid = new_secret()
        seeded.store.create_session(
            digest(sid), user="ada", csrf="x", expires_at="2000-01-01T00:00:00+00:00"
        )
        headers = {"Cookie": f"{SESSION_COOKIE}={sid}"}
    elif creds == "deactivated":
        cookie, _ = session_for(seeded.store, "ada")
        headers = {**cookie, **bearer(seeded.tokens["ada"])}
        seeded.store.set_user("ada", active=False)
    before = snapshot(seeded)
    wrong = []
    for n, route in enumerate(GUARDED):
        r = call(client, route, run=RUN, case=seeded.cases["pass1"], headers=headers, n=n)
        if not _refused_anonymously(r, ROUTES[route]):
            wrong.append((route, r.status_code, r.headers.get("location"), r.text[:80]))
    assert wrong == []
    assert snapshot(seeded) == before
    login = client.get("/login")
    assert login.status_code == 200 and 'name="password"' in login.text


def test_reviewer_is_refused_unassigned_runs_and_admin_routes(
    client: TestClient, seeded: Seeded
) -> None:
    before = snapshot(seeded)
    wrong = []
    # ned reviews OTHER only; rita reviews RUN only
    for user, run, case in (
        ("ned", RUN, seeded.cases["pass1"]),
        ("rita", OTHER, seeded.cases["other"]),
        ("rita", RUN, seeded.cases["other"]),  # a case of another run through an allowed one
    ):
        for n, route in enumerate(GUARDED):
            kind = ROUTES[route]
            if kind not in {"run_page", "run_api", "admin_page", "admin_api"}:
                continue
            if (user, run) == ("rita", RUN) and "{case_id}" not in route[1]:
                continue  # rita may use RUN: only its routes that take a case id apply
            cookie, csrf = session_for(seeded.store, user)
            headers = {**cookie, **bearer(seeded.tokens[user])}
            r = call(client, route, run=run, case=case, headers=headers, csrf=csrf, n=n)
            expected = {403} if kind.startswith("admin") else {403, 404}
            if r.status_code not in expected:
                wrong.append((user, run, route, r.status_code, r.text[:80]))
    assert wrong == []
    assert snapshot(seeded) == before


def test_session_cookies_do_not_open_the_api_nor_tokens_the_pages(
    client: TestClient, seeded: Seeded
) -> None:
    """The API ignores cookies (so it cannot be driven cross-site without CSRF tokens) and
    the pages ignore bearer tokens."""
    before = snapshot(seeded)
    wrong = []
    for n, route in enumerate(GUARDED):
        kind = ROUTES[route]
        if kind == "schema":
            continue  # readable with either, by design
        if kind in PAGE_KINDS:
            headers = bearer(seeded.tokens["ada"])
            csrf = None
        else:
            headers, csrf = session_for(seeded.store, "ada")
        r = call(
            client, route, run=RUN, case=seeded.cases["pass1"], headers=headers, csrf=csrf, n=n
        )
        if not _refused_anonymously(r, kind):
            wrong.append((route, r.status_code))
    assert wrong == []
    assert snapshot(seeded) == before


@pytest.mark.parametrize("user", ["ada", "rita"])
def test_the_right_user_gets_through(client: TestClient, seeded: Seeded, user: str) -> None:
    """The positive control: refusals above are about the user, not broken routes."""
    wrong = []
    for n, route in enumerate(GUARDED):
        kind = ROUTES[route]
        if user != "ada" and kind.startswith("admin"):
            continue
        cookie, csrf = session_for(seeded.store, user)
        headers = {**cookie, **bearer(seeded.tokens[user])}
        r = call(
            client, route, run=RUN, case=seeded.cases["failure"], headers=headers, csrf=csrf, n=n
        )
        to_login = r.headers.get("location") == "/login" and route[1] != "/logout"
        if not _through(route, r) or to_login:
            wrong.append((route, r.status_code, r.text[:120]))
    assert wrong == []


def _through(route: tuple[str, str], r: httpx.Response) -> bool:
    """Whether a request got past authentication, authorisation and CSRF. The seeded cases have
    no attributions, so rating one is refused for that reason alone (409, after every check);
    the accepted rating is tested in test_explanation_ratings."""
    if route[1].endswith("/explanation"):
        return r.status_code == 409 and "no attributions to rate" in r.text
    return r.status_code < 400


def test_reviewer_lists_only_assigned_runs(client: TestClient, seeded: Seeded) -> None:
    for user, runs in (("rita", [RUN]), ("ned", [OTHER]), ("ada", [RUN, OTHER])):
        got = client.get("/api/v1/runs", headers=bearer(seeded.tokens[user])).json()["runs"]
        assert sorted(r["id"] for r in got) == sorted(runs)
        cookie, _ = session_for(seeded.store, user)
        client.cookies.clear()
        home = client.get("/", headers=cookie).text
        assert (f"/runs/{RUN}/" in home) == (RUN in runs)
        assert (f"/runs/{OTHER}/" in home) == (OTHER in runs)


# -- CSRF --------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", [r for r in FORMS if r[1] != "/login"])
def test_form_posts_without_the_sessions_csrf_token_are_refused(
    client: TestClient, seeded: Seeded, route: tuple[str, str]
) -> None:
    user = "ada" if ROUTES[route] == "admin_page" else "rita"
    cookie, good = session_for(seeded.store, user)
    _, someone_elses = session_for(seeded.store, user)  # valid, but another session's
    before = snapshot(seeded)
    for token in (None, "", "forged", someone_elses):
        r = call(client, route, run=RUN, case=seeded.cases["failure"], headers=cookie, csrf=token)
        assert r.status_code == 403, (token, r.status_code, r.text[:200])
        assert "CSRF" in r.text
    assert snapshot(seeded) == before
    client.cookies.clear()
    assert client.get("/", headers=cookie).status_code == 200  # not logged out either
    r = call(client, route, run=RUN, case=seeded.cases["failure"], headers=cookie, csrf=good)
    assert _through(route, r)  # the same form with its token goes through


def test_every_form_on_every_page_carries_the_csrf_token(
    client: TestClient, seeded: Seeded
) -> None:
    import re

    cookie, csrf = session_for(seeded.store, "ada")
    pages = [
        "/",
        f"/runs/{RUN}",
        f"/runs/{RUN}/cases/{seeded.cases['failure']}",
        f"/runs/{RUN}/dashboard",
        "/admin",
    ]
    forms = 0
    for url in pages:
        client.cookies.clear()
        html = client.get(url, headers=cookie).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            forms += 1
            assert f'name="csrf" value="{csrf}"' in form, (url, form[:200])
    assert forms >= 6


def test_login_form_needs_its_own_token(client: TestClient, seeded: Seeded) -> None:
    data = {"username": "rita", "password": PASSWORD, "csrf": "forged"}
    client.cookies.clear()
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 403 and "medtrust_session" not in r.headers.get("set-cookie", "")
    client.get("/login")  # sets the login cookie, but the form echoes a forged token
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 403 and "medtrust_session" not in r.headers.get("set-cookie", "")


# -- accounts and sessions ---------------------------------------------------------------------
def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(
    client: TestClient, seeded: Seeded
) -> None:
    from review.conftest import csrf_of

    client.cookies.clear()
    page = client.get("/login")
    pre = page.headers["set-cookie"].lower()
    assert "httponly" in pre and "samesite=strict" in pre
    r = client.post(
        "/login",
        data={"username": "rita", "password": PASSWORD, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("medtrust_session="))
    attrs = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert "httponly" in attrs and attrs["samesite"].strip().lower() == "samesite=lax"
    assert attrs["path"].strip() == "Path=/"
    sid = cookie.split(";")[0].split("=", 1)[1]
    headers = {"Cookie": f"medtrust_session={sid}"}
    client.cookies.clear()
    home = client.get("/", headers=headers)
    assert home.status_code == 200 and "rita (reviewer)" in home.text
    client.cookies.clear()
    out = client.post(
        "/logout", data={"csrf": csrf_of(home.text)}, headers=headers, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    client.cookies.clear()
    again = client.get("/", headers=headers, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login"


def test_passwords_are_argon2_hashes_and_wrong_ones_are_throttled(
    client: TestClient, seeded: Seeded
) -> None:
    from medtrust.review import check_password
    from review.conftest import csrf_of

    stored = seeded.store.get_user("sam")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash and check_password(stored.password_hash, PASSWORD)
    client.cookies.clear()
    form = {"username": "sam", "csrf": csrf_of(client.get("/login").text)}
    codes = [
        client.post("/login", data={**form, "password": "wrong password"}).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    right = client.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 429  # even the right password waits out the throttle
    assert "medtrust_session" not in right.headers.get("set-cookie", "")


def test_admin_creates_a_reviewer_and_assigns_a_run_through_the_pages(
    client: TestClient, seeded: Seeded
) -> None:
    from review.conftest import login

    cookie, csrf = session_for(seeded.store, "ada")
    client.cookies.clear()
    r = client.post(
        "/admin/users",
        headers=cookie,
        follow_redirects=False,
        data={"csrf": csrf, "name": "zoe", "role": "reviewer", "password": PASSWORD},
    )
    assert r.status_code == 303
    zoe = TestClient(client.app)
    login(zoe, "zoe")
    assert f"/runs/{RUN}/" not in zoe.get("/").text
    assert zoe.get(f"/runs/{RUN}").status_code == 404
    client.cookies.clear()
    r = client.post(
        "/admin/assign",
        headers=cookie,
        follow_redirects=False,
        data={"csrf": csrf, "run_id": RUN, "user": "zoe"},
    )
    assert r.status_code == 303 and seeded.store.assignees(RUN) == ["rita", "sam", "zoe"]
    assert zoe.get(f"/runs/{RUN}").status_code == 200
    client.cookies.clear()
    r = client.post(
        "/admin/assign",
        headers=cookie,
        follow_redirects=False,
        data={"csrf": csrf, "run_id": RUN, "user": "zoe", "remove": "1"},
    )
    assert r.status_code == 303
    assert zoe.get(f"/runs/{RUN}").status_code == 404


# -- redaction ---------------------------------------------------------------------------------
def test_patient_identifiers_are_redacted_until_an_admin_allows_them(
    client: TestClient, seeded: Seeded
) -> None:
    from review.conftest import SSN

    phi = seeded.cases["phi"]
    rita = bearer(seeded.tokens["rita"])
    cookie, _ = session_for(seeded.store, "rita")

    def shown() -> tuple[str, str]:
        client.cookies.clear()
        page = client.get(f"/runs/{RUN}/cases/{phi}", headers=cookie).text
        api = client.get(f"/api/v1/runs/{RUN}/cases/{phi}", headers=rita).text
        return page, api

    for text in shown():
        assert SSN not in text and "[SSN]" in text
    admin_cookie, csrf = session_for(seeded.store, "ada")
    client.cookies.clear()
    r = client.post(
        "/admin/redaction",
        headers=admin_cookie,
        follow_redirects=False,
        data={"csrf": csrf, "run_id": RUN, "unredacted": "yes"},
    )
    assert r.status_code == 303
    for text in shown():
        assert SSN in text
    r = client.put(
        f"/api/v1/runs/{RUN}/redaction",
        json={"unredacted": False},
        headers=bearer(seeded.tokens["ada"]),
    )
    assert r.status_code == 200
    for text in shown():
        assert SSN not in text
