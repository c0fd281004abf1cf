"""The review app: pages, the JSON API and the OpenAPI schema in one FastAPI application.

Built per store by :func:`create_app`, so tests and ``medtrust review serve`` run the same app.
Every response carries headers that keep patient-like content out of caches and frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from medtrust.review._auth import LoginThrottle, digest
from medtrust.review._deps import LoginRequired
from medtrust.store import Store

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
OPENAPI_PATH = "/api/openapi.json"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _has_nul(request: Request) -> bool:
    """Whether the decoded path or query holds a NUL character. No id contains one, and
    PostgreSQL refuses NUL in text outright, so such a request is answered "not found" before
    it reaches the store (the same answer on every backend)."""
    if "\x00" in request.scope.get("path", ""):
        return True
    return any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items())


def create_app(store: Store) -> FastAPI:
    """The review web app over ``store`` (pages at ``/``, JSON API at ``/api/v1``)."""
    from medtrust.review import _admin, _api, _web

    app = FastAPI(
        title="medtrust review",
        version="1",
        description="Clinician review of model outputs: queue, Likert ratings, flags, "
        "agreement and trust score. Authenticate with `Authorization: Bearer TOKEN`.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.throttle = LoginThrottle()
    app.state.templates = Environment(
        loader=PackageLoader("medtrust.review", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.include_router(_web.router)
    app.include_router(_admin.router)
    app.include_router(_api.router)

    def error_page(request: Request, status: int, detail: Any, headers: Any = None) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": detail}, status, headers=headers)
        html = app.state.templates.get_template("error.html.j2").render(
            status=status, detail=detail, user=None
        )
        return HTMLResponse(html, status, headers=headers)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if _has_nul(request):
            resp = error_page(request, 404, "not found")
        else:
            resp = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        return resp

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_page(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's documented ValidationError shape, less the offending input (which may be
        # a password or patient text)
        detail: Any = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e["type"])}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, 422)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi(request: Request) -> Response:
        """The OpenAPI schema, for signed-in users and token holders only."""
        auth = request.headers.get("authorization", "")
        sid = request.cookies.get("medtrust_session")
        ok = auth.lower().startswith("bearer ") and (
            store.user_for_token(digest(auth[7:].strip())) is not None
        )
        ok = ok or (sid is not None and store.get_session(digest(sid)) is not None)
        if not ok:
            return JSONResponse(
                {"detail": "authentication required"}, 401, headers={"WWW-Authenticate": "Bearer"}
            )
        return JSONResponse(app.openapi())

    return app
