"""Audit tests sign with a throwaway key: ``MEDTRUST_HOME`` points into the test's tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def medtrust_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MEDTRUST_HOME", str(home))
    return home
