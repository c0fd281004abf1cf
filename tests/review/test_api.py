"""The JSON API against its own OpenAPI schema: schemathesis generates valid and invalid
requests for every operation (with a real admin token, on each backend) and checks there is
never a server error and every answer matches the schema; plus the schema's own access rule
and inputs PostgreSQL cannot store."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from medtrust.review import create_app
from review.conftest import RUN, Seeded, app_routes, bearer, session_for

LENIENT = [schemathesis.checks.negative_data_rejection]
"""Unknown query parameters are ignored, as HTTP servers do; every other check applies."""
EXAMPLES = 6  # per operation, mode and path-parameter choice: the whole run stays well < 60 s


def test_api_answers_its_schema_and_never_5xx(seeded: Seeded) -> None:
    admin = bearer(seeded.tokens["ada"])
    app = create_app(seeded.store)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=admin)
    known = {"run_id": RUN, "case_id": seeded.cases["failure"], "user": "sam"}
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            # generated path parameters (mostly unknown ids) and real ones (deeper code paths)
            for fixed in (None, {k: v for k, v in known.items() if f"{{{k}}}" in op.path}):
                strategy = op.as_strategy(generation_mode=mode, path_parameters=fixed or None)

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def check(case: Any) -> None:
                    case.call_and_validate(headers=admin, excluded_checks=LENIENT)

                try:
                    check()
                except Exception as exc:  # keep going: report every operation that fails
                    failures[f"{mode.value} {op.label} fixed={bool(fixed)}"] = str(exc)[:1500]
    assert operations == sum(p.startswith("/api/v1/") for _, p in app_routes(app))
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_the_schema_is_served_to_signed_in_users_only(client: TestClient, seeded: Seeded) -> None:
    client.cookies.clear()
    anon = client.get("/api/openapi.json")
    assert anon.status_code == 401 and "paths" not in anon.text
    assert client.get("/api/openapi.json", headers=bearer("mtr_nope")).status_code == 401
    doc = client.get("/api/openapi.json", headers=bearer(seeded.tokens["ned"])).json()
    cookie, _ = session_for(seeded.store, "ned")
    assert client.get("/api/openapi.json", headers=cookie).json() == doc
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "medtrust review"
    schemes = doc["components"]["securitySchemes"]
    assert [s["scheme"].lower() for s in schemes.values()] == ["bearer"]
    ops = [(m, p, o) for p, item in doc["paths"].items() for m, o in item.items()]
    assert ops and all(p.startswith("/api/v1/") for _, p, _ in ops)
    for method, path, op in ops:  # every operation says it needs the token, and its 401
        assert op.get("security"), (method, path)
        assert "401" in op["responses"], (method, path)
    for path in ("/docs", "/redoc", "/openapi.json"):  # no unauthenticated copies
        assert client.get(path).status_code == 404


def test_text_postgresql_cannot_store_is_refused_alike_on_every_backend(
    client: TestClient, seeded: Seeded
) -> None:
    """PostgreSQL refuses NUL characters in text; these used to be server errors there."""
    admin = bearer(seeded.tokens["ada"])
    case = seeded.cases["failure"]
    review = {"accuracy": 3, "safety": 3, "compliance": 3}
    api = [
        ("POST", f"/api/v1/runs/{RUN}/cases/{case}/reviews", {**review, "comment": "a\x00b"}),
        ("POST", f"/api/v1/runs/{RUN}/cases/a%00b/reviews", review),
        ("GET", "/api/v1/runs/a%00b/queue", None),
        ("GET", f"/api/v1/runs/{RUN}/cases/a%00b", None),
        ("PUT", f"/api/v1/runs/{RUN}/assignments/a%00b", None),
        ("DELETE", f"/api/v1/runs/{RUN}/assignments/a%00b", None),
        ("POST", "/api/v1/tokens", {"user": "rita", "label": "a\x00b"}),
    ]
    for method, url, body in api:
        r = client.request(method, url, headers=admin, json=body)
        assert r.status_code in (404, 422), (method, url, r.status_code)
    cookie, csrf = session_for(seeded.store, "ada")
    forms = [
        (
            f"/runs/{RUN}/cases/{case}",
            {"accuracy": "3", "safety": "3", "compliance": "3", "comment": "a\x00b"},
        ),
        ("/admin/assign", {"run_id": "a\x00b", "user": "sam"}),
        ("/admin/assign", {"run_id": RUN, "user": "a\x00b"}),
        ("/admin/redaction", {"run_id": "a\x00b", "unredacted": "yes"}),
        ("/admin/tokens", {"user": "a\x00b"}),
        ("/admin/users", {"name": "a\x00b", "role": "reviewer", "password": "long enough"}),
    ]
    for url, data in forms:
        client.cookies.clear()
        r = client.post(url, headers=cookie, data={**data, "csrf": csrf}, follow_redirects=False)
        assert r.status_code in (404, 422), (url, data, r.status_code)
    client.cookies.clear()
    assert client.get("/runs/a%00b", headers=cookie).status_code == 404
    assert seeded.store.reviews(None, current=False) == []
