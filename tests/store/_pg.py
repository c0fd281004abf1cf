"""A fresh database per test on both backends: a SQLite file, and a private schema in the
PostgreSQL that ``MEDTRUST_TEST_PG_URL`` names (``.ci/run`` starts one on 127.0.0.1).

Without that variable the PostgreSQL half is skipped locally and fails under ``CI=true``, so
CI can never pass while silently testing SQLite only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")
PG_ENV = "MEDTRUST_TEST_PG_URL"


def pg_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set: CI must run the store tests on PostgreSQL too")
        pytest.skip(f"{PG_ENV} not set (see .ci/run to start a local PostgreSQL)")
    return url


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield a URL to an empty database on ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'medtrust.db'}"
        return
    from sqlalchemy import create_engine, text

    base = pg_url_or_skip()
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    yield from database_url(request.param, tmp_path)
