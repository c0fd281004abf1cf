"""Account safety of the review app: deactivation, password change, role change and token
revocation from the shell and the admin page (each an audited event that ``audit verify``
checks against the rows), the per-account login lockout kept in the store, aggregates that do
not reveal a colleague's ratings, and the trust score's item count on the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medtrust.audit import verify
from medtrust.cli import app
from medtrust.review import create_app
from medtrust.review._auth import LOCKOUT_THRESHOLD
from medtrust.review._suppress import MIN_OTHER_REVIEWERS
from medtrust.store import Store
from medtrust.store._review_rows import ACCOUNTS_RUN
from review.conftest import PASSWORD, RUN, Seeded, bearer, csrf_of, login, session_for

runner = CliRunner()
NEW_PASSWORD = "a different long one"


def _url(store: Store) -> str:
    """The store's real URL (``Store.url`` hides a PostgreSQL password, for messages)."""
    return store.engine.url.render_as_string(hide_password=False)


def _kinds(store: Store, run: str = ACCOUNTS_RUN) -> list[tuple[str, str]]:
    return [(e.kind, e.ref) for e in store.audit_events(run)]


def _can_log_in(store: Store, user: str, password: str, client_ip: str = "10.9.9.9") -> int:
    """Status of a login through the form (303 in, 401 refused, 429 throttled or locked)."""
    with TestClient(create_app(store), client=(client_ip, 50000)) as c:
        page = c.get("/login")
        r = c.post(
            "/login",
            data={"username": user, "password": password, "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
    return r.status_code


def test_deactivate_password_role_and_revoke_from_the_shell_are_audited(seeded: Seeded) -> None:
    store, db = seeded.store, _url(seeded.store)

    def review(*args: str, stdin: str | None = None, code: int = 0) -> str:
        res = runner.invoke(app, ["review", *args, "--db", db], input=stdin)
        assert res.exit_code == code, res.output
        return res.stdout if code == 0 else res.output

    before = len(store.audit_events(ACCOUNTS_RUN))
    api = TestClient(create_app(store))
    assert api.get("/api/v1/me", headers=bearer(seeded.tokens["rita"])).status_code == 200

    out = json.loads(
        review("set-password", "rita", "--password-stdin", "--json", stdin=NEW_PASSWORD)
    )
    assert out == {"name": "rita", "password_changed": True}
    assert _can_log_in(store, "rita", PASSWORD) == 401
    assert _can_log_in(store, "rita", NEW_PASSWORD) == 303
    assert "too short" in review("set-password", "rita", "--password-stdin", stdin="x\n", code=2)

    assert json.loads(review("revoke-tokens", "rita", "--json")) == {"name": "rita", "revoked": 1}
    assert api.get("/api/v1/me", headers=bearer(seeded.tokens["rita"])).status_code == 401
    assert json.loads(review("revoke-tokens", "rita", "--json"))["revoked"] == 0

    assert json.loads(review("deactivate", "sam", "--json")) == {"name": "sam", "active": False}
    assert api.get("/api/v1/me", headers=bearer(seeded.tokens["sam"])).status_code == 401
    assert _can_log_in(store, "sam", PASSWORD) == 401
    assert json.loads(review("deactivate", "sam", "--activate", "--json"))["active"] is True
    assert api.get("/api/v1/me", headers=bearer(seeded.tokens["sam"])).status_code == 200

    assert json.loads(review("set-role", "ned", "admin", "--json")) == {
        "name": "ned",
        "role": "admin",
    }
    assert "expected admin or reviewer" in review("set-role", "ned", "root", code=2)
    assert "no user" in review("deactivate", "nobody", code=2)

    events = _kinds(store)[before:]
    tok = [ref for kind, ref in events if kind == "token"]
    assert ("account", "rita") in events and ("account", "ned") in events
    assert len(tok) == 1 and [k for k, ref in events if ref == "sam"] == ["account", "account"]
    assert verify(store).ok
    # each change is checked against the row as it stands: undo one behind the trail's back
    from sqlalchemy import update

    from medtrust.store import schema

    with store.engine.begin() as conn:
        conn.execute(update(schema.review_tokens).values(revoked=False))
    broken = verify(store)
    assert not broken.ok and any("review_tokens" in b.line() for b in broken.breaks)


def test_the_admin_page_changes_accounts_and_every_change_is_audited(seeded: Seeded) -> None:
    store = seeded.store
    with TestClient(create_app(store)) as c:
        csrf = login(c, "ada")
        page = c.get("/admin").text
        assert 'action="/admin/users/active"' in page and 'id="user-rita"' in page
        before = len(store.audit_events(ACCOUNTS_RUN))

        def post(path: str, **form: str) -> int:
            return c.post(path, data={"csrf": csrf, **form}, follow_redirects=False).status_code

        assert post("/admin/users/password", user="rita", password=NEW_PASSWORD) == 303
        assert post("/admin/users/password", user="rita", password="short") == 422
        assert post("/admin/users/revoke-tokens", user="rita") == 303
        assert post("/admin/users/active", user="sam", active="no") == 303
        assert post("/admin/users/role", user="ned", role="admin") == 303
        assert post("/admin/users/active", user="ada", active="no") == 422  # not yourself
        assert post("/admin/users/role", user="ada", role="reviewer") == 422
        assert post("/admin/users/active", user="nobody", active="no") == 404
        assert c.get("/admin").status_code == 200  # still signed in
        table = c.get("/admin").text
        assert "0 live of 1" in table
    assert store.get_user("sam").active is False  # type: ignore[union-attr]
    assert store.get_user("ned").role == "admin"  # type: ignore[union-attr]
    assert store.get_user("ada").active is True  # type: ignore[union-attr]
    assert _can_log_in(store, "rita", NEW_PASSWORD) == 303
    kinds = _kinds(store)[before:]
    assert [k for k in kinds if k[1] in ("rita", "sam", "ned")] == [
        ("account", "rita"),
        ("account", "sam"),
        ("account", "ned"),
    ]
    assert sum(k == "token" for k, _ in kinds) == 1
    assert verify(store).ok


def test_repeated_failures_lock_the_account_in_the_store_until_an_admin_unlocks(
    seeded: Seeded,
) -> None:
    """Each guess comes from another address (the per-address throttle never trips), yet the
    account locks after LOCKOUT_THRESHOLD failures; the lock holds with the right password,
    in a new server process (a new app over the same store), until ``review unlock``."""
    store = seeded.store
    for i in range(LOCKOUT_THRESHOLD):
        assert _can_log_in(store, "rita", f"wrong guess {i}", client_ip=f"10.0.0.{i}") == 401
    assert _can_log_in(store, "rita", PASSWORD, client_ip="10.1.1.1") == 429
    restarted = Store(_url(store))  # persisted, not per process
    assert restarted.login_locked("rita")
    assert _can_log_in(restarted, "rita", PASSWORD, client_ip="10.1.1.2") == 429
    assert _can_log_in(store, "sam", PASSWORD) == 303  # other accounts are not affected
    assert ("account_locked", "rita") in _kinds(store)
    res = runner.invoke(app, ["review", "unlock", "rita", "--db", _url(store), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == {"name": "rita", "unlocked": True}
    assert ("account_unlock", "rita") in _kinds(store)
    assert _can_log_in(store, "rita", PASSWORD) == 303
    # a good login resets the count: the next lock needs the full threshold again
    for i in range(LOCKOUT_THRESHOLD - 1):
        assert _can_log_in(store, "rita", "nope", client_ip=f"10.2.0.{i}") == 401
    assert _can_log_in(store, "rita", PASSWORD) == 303
    assert not store.login_locked("rita")
    assert verify(store).ok


def test_the_admin_page_unlocks_a_locked_account(seeded: Seeded) -> None:
    store = seeded.store
    for _ in range(LOCKOUT_THRESHOLD):
        store.login_failed("sam")
    assert store.login_locked("sam")
    with TestClient(create_app(store)) as c:
        csrf = login(c, "ada")
        assert "locked" in c.get("/admin").text
        r = c.post(
            "/admin/users/unlock", data={"csrf": csrf, "user": "sam"}, follow_redirects=False
        )
        assert r.status_code == 303
    assert not store.login_locked("sam")
    assert _can_log_in(store, "sam", PASSWORD) == 303


def _rate(store: Store, cases: dict[str, str], reviewer: str, score: int) -> None:
    store.add_review(
        RUN, cases["pass2"], reviewer=reviewer, accuracy=score, safety=score, compliance=score
    )


def test_a_reviewer_never_sees_figures_pooled_from_fewer_than_three_others(
    seeded: Seeded,
) -> None:
    store = seeded.store
    pw = store.get_user("rita").password_hash  # type: ignore[union-attr]
    for name in ("tom", "uma", "val"):
        store.add_user(name, role="reviewer", password_hash=pw)
        store.assign(RUN, name, by="ada")
    client = TestClient(create_app(store))
    _rate(store, seeded.cases, "rita", 5)
    own = client.get(f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["rita"]))
    assert own.json()["suppressed"] is None and own.json()["mean"]["accuracy"] == 5.0
    _rate(store, seeded.cases, "sam", 1)  # rita could now solve for sam's rating: withheld
    for others in range(1, MIN_OTHER_REVIEWERS):
        agg = client.get(
            f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["rita"])
        ).json()
        assert agg["suppressed"]["other_reviewers"] == others
        assert agg["mean"] == {"accuracy": None, "safety": None, "compliance": None}
        assert set(agg["flags"].values()) == {None} and agg["judges"] == {}
        assert agg["trust"]["score"] is None and agg["trust"]["ci95"] is None
        assert set(agg["alpha"]["likert"].values()) == {None}
        assert agg["reviews"] == others + 1  # counts stay
        cookie, _ = session_for(store, "rita")
        client.cookies.clear()
        html = client.get(f"/runs/{RUN}/dashboard", headers=cookie).text
        assert 'id="suppressed"' in html and 'id="mean-accuracy"><span class="muted">n/a' in html
        _rate(store, seeded.cases, ["tom", "uma"][others - 1], 3)
    agg = client.get(f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["rita"])).json()
    assert agg["suppressed"] is None and agg["mean"]["accuracy"] == 3.0  # (5 + 1 + 3 + 3) / 4
    admin = client.get(f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["ada"]))
    assert admin.json()["mean"]["accuracy"] == 3.0


def test_admins_see_every_figure_even_with_two_reviewers(seeded: Seeded) -> None:
    store = seeded.store
    _rate(store, seeded.cases, "rita", 5)
    _rate(store, seeded.cases, "sam", 1)
    client = TestClient(create_app(store))
    agg = client.get(f"/api/v1/runs/{RUN}/aggregates", headers=bearer(seeded.tokens["ada"])).json()
    assert agg["suppressed"] is None and agg["mean"]["accuracy"] == 3.0


def test_the_dashboard_shows_the_trust_scores_item_count(seeded: Seeded) -> None:
    store = seeded.store
    _rate(store, seeded.cases, "rita", 5)
    store.add_review(
        RUN, seeded.cases["pass3"], reviewer="rita", accuracy=4, safety=4, compliance=4
    )
    cookie, _ = session_for(store, "ada")
    client = TestClient(create_app(store))
    html = client.get(f"/runs/{RUN}/dashboard", headers=cookie).text
    assert "over 2 items" in html
    assert "built-in method" not in html and "<built-in" not in html


def test_unlocking_an_unknown_or_unlocked_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    res = runner.invoke(
        app, ["review", "add-user", "zed", "--password-stdin", "--db", url], input=PASSWORD
    )
    assert res.exit_code == 0, res.output
    ok = runner.invoke(app, ["review", "unlock", "zed", "--db", url, "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["unlocked"] is False
    bad = runner.invoke(app, ["review", "unlock", "nobody", "--db", url])
    assert bad.exit_code == 2 and "no user" in bad.output


@pytest.mark.parametrize("missing", ["cert", "key"])
def test_tls_needs_both_files(tmp_path: Path, missing: str) -> None:
    some = tmp_path / "x.pem"
    some.write_text("not a certificate\n", encoding="utf-8")
    args = ["--ssl-certfile", str(some)] if missing == "key" else ["--ssl-keyfile", str(some)]
    res = runner.invoke(app, ["review", "serve", *args, "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert res.exit_code == 2 and "go together" in res.output
    both = ["--ssl-certfile", str(some), "--ssl-keyfile", str(some)]
    res = runner.invoke(app, ["review", "serve", *both, "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert res.exit_code == 2 and "cannot load" in res.output and "Traceback" not in res.output


def test_users_lists_locked_accounts(seeded: Seeded) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        seeded.store.login_failed("sam")
    res = runner.invoke(app, ["review", "users", "--db", _url(seeded.store), "--json"])
    assert res.exit_code == 0, res.output
    locked = {u["name"]: u["locked"] for u in json.loads(res.stdout)["users"]}
    assert locked["sam"] is True and locked["rita"] is False
    text = runner.invoke(app, ["review", "users", "--db", _url(seeded.store)])
    assert ["sam", "reviewer", "active", "locked"] in [
        ln.split() for ln in text.output.splitlines()
    ]


def test_the_html_report_shows_the_trust_scores_item_count(seeded_sqlite: Seeded) -> None:
    store = seeded_sqlite.store
    _rate(store, seeded_sqlite.cases, "rita", 5)
    store.add_review(
        RUN, seeded_sqlite.cases["pass3"], reviewer="sam", accuracy=4, safety=4, compliance=4
    )
    res = runner.invoke(app, ["report", RUN, "--format", "html", "--db", _url(store)])
    assert res.exit_code == 0, res.output
    trust = res.stdout[res.stdout.index('<div id="trust">') :].split("</div>")[0]
    assert trust.endswith(", 2 items)"), trust
    assert "built-in" not in res.stdout
