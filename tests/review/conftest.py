"""A reviewed run built through the public Store API, accounts, and clients for the pages and
the JSON API, on SQLite and (with ``MEDTRUST_TEST_PG_URL``) PostgreSQL."""

from __future__ import annotations

import functools
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medtrust.records import Case, Reply, Verdict
from medtrust.review import create_app, hash_password, new_token
from medtrust.review._auth import SESSION_COOKIE, digest, new_secret, session_expiry
from medtrust.store import Store
from store._pg import database_url

RUN = "run-reviewed"
OTHER = "run-other"
PASSWORD = "correct horse battery"
SSN = "123-45-6789"


@dataclass
class Seeded:
    """The store, its run ids, case ids by kind, and API tokens by user."""

    store: Store
    cases: dict[str, str]
    tokens: dict[str, str]


def _case(tag: str, *, parent: Case | None = None, text: str | None = None) -> Case:
    return Case.make(
        axis="robustness",
        probe="robustness.das",
        operator="baseline" if parent is None else "distraction",
        role="control" if parent is None else "perturbation",
        messages=[{"role": "user", "content": text or f"Question {tag}?\n\nA. yes\nB. no"}],
        gold={"options": {"A": "yes", "B": "no"}, "accept": ["A"]},
        parent_id=parent.id if parent else None,
        item_id=f"item-{tag}" if parent is None else parent.item_id,
        stage=0 if parent is None else 1,
    )


@functools.cache
def _password_hash() -> str:
    """One argon2 hash for every seeded account (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


def seed(store: Store) -> Seeded:
    """One run with an errored verdict, a split vote, a disagreement between two judges, a
    failure (a mutation of a pass), ten passes (one naming an SSN); and a second run."""
    ids: dict[str, str] = {}
    for run in (RUN, OTHER):
        store.create_run(
            run,
            suite="quickstart",
            target="python:oracle:answer",
            seed=3,
            config={
                "suite": {"name": "quickstart", "probes": [{"name": "robustness.das"}]},
                "target": "python:oracle:answer",
                "seed": 3,
            },
        )
    passes = [_case(f"p{i}") for i in range(10)]
    passes[0] = _case("p0", text=f"Patient SSN {SSN}, chest pain.\n\nA. MI\nB. GERD")
    error, split, disagree = _case("err"), _case("split"), _case("dis")
    failure = _case("fail", parent=passes[1])
    cases = [*passes, error, split, disagree, failure]
    store.add_cases(RUN, cases)
    store.add_cases(OTHER, [_case("o1")])
    store.add_replies(RUN, [Reply(case_id=c.id, text="A") for c in cases])
    mc = "multiple_choice"
    verdicts = [
        Verdict(case_id=c.id, judge=mc, outcome="pass", score=1.0, answer="A") for c in passes
    ]
    verdicts += [
        Verdict(case_id=error.id, judge=mc, outcome="error"),
        Verdict(case_id=split.id, judge=mc, outcome="pass", score=2 / 3, answer="A"),
        Verdict(case_id=disagree.id, judge=mc, outcome="pass", score=1.0, answer="A"),
        Verdict(case_id=disagree.id, judge="llm", outcome="fail", score=1.0),
        Verdict(case_id=failure.id, judge=mc, outcome="fail", score=1.0, answer="B"),
    ]
    store.put_verdicts(RUN, verdicts)
    store.set_status(RUN, "done")
    store.set_status(OTHER, "done")
    ids.update(
        error=error.id,
        split=split.id,
        disagree=disagree.id,
        failure=failure.id,
        parent=passes[1].id,
        phi=passes[0].id,
        other=store.cases(OTHER)[0].id,
    )
    for i, c in enumerate(passes):
        ids[f"pass{i}"] = c.id
    pw = _password_hash()
    store.add_user("ada", role="admin", password_hash=pw)
    for name in ("rita", "sam", "ned"):
        store.add_user(name, role="reviewer", password_hash=pw)
    store.assign(RUN, "rita", by="ada")
    store.assign(RUN, "sam", by="ada")
    store.assign(OTHER, "ned", by="ada")
    tokens = {}
    for name in ("ada", "rita", "sam", "ned"):
        tokens[name] = new_token()
        store.add_token(digest(tokens[name]), user=name)
    return Seeded(store=store, cases=ids, tokens=tokens)


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Seeded]:
    """The seeded store on each backend."""
    for url in database_url(request.param, tmp_path):
        store = Store(url)
        yield seed(store)
        store.close()


@pytest.fixture
def seeded_sqlite(tmp_path: Path) -> Iterator[Seeded]:
    """The seeded store on SQLite only (tests about the app, not the backend)."""
    store = Store(f"sqlite:///{tmp_path / 'review.db'}")
    yield seed(store)
    store.close()


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    m = CSRF.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": user, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (for tests that go through the CLI)."""
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    """A client of the app over the seeded store (each backend)."""
    with TestClient(create_app(seeded.store)) as c:
        yield c


def session_for(store: Store, user: str) -> tuple[dict[str, str], str]:
    """A fresh browser session of ``user`` started through the public Store API (no password
    round trip): the ``Cookie`` header that carries it and its CSRF token."""
    sid, csrf = new_secret(), new_secret()
    store.create_session(digest(sid), user=user, csrf=csrf, expires_at=session_expiry())
    return {"Cookie": f"{SESSION_COOKIE}={sid}"}, csrf


def bearer(token: str) -> dict[str, str]:
    """The API's ``Authorization`` header."""
    return {"Authorization": f"Bearer {token}"}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers flattened (newer
    FastAPI keeps included routers as one entry of ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    out: set[tuple[str, str]] = set()
    for r in routes:
        path, methods = getattr(r, "path", None), getattr(r, "methods", None)
        assert path and methods, f"route without path or methods: {r!r}"
        out.update((m, path) for m in methods if m != "HEAD")
    return out


@dataclass
class Live:
    """A real uvicorn server on 127.0.0.1 over a seeded SQLite store."""

    url: str
    seeded: Seeded


@pytest.fixture
def live(seeded_sqlite: Seeded) -> Iterator[Live]:
    """The review app served by uvicorn in a thread, on a free port of 127.0.0.1."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(seeded_sqlite.store), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", seeded=seeded_sqlite)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
