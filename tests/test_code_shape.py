"""The shape issue 19 asks of the code: no file above 400 lines, no function above radon grade D.

Radon's grades (radon.readthedocs.io, "Cyclomatic Complexity"): A 1-5, B 6-10, C 11-20, D 21-30,
E 31-40, F 41+. A function that grows past D is a sign it does several things; split it into named
steps rather than raising the limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

radon_complexity = pytest.importorskip("radon.complexity")

SRC = Path(__file__).resolve().parents[1] / "src" / "medtrust"
MAX_LINES = 400
MAX_COMPLEXITY = 30  # the top of grade D


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_file_above_400_lines() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_function_above_grade_d() -> None:
    too_complex: dict[str, int] = {}
    for path in _sources():
        for block in radon_complexity.cc_visit(path.read_text(encoding="utf-8")):
            if block.complexity > MAX_COMPLEXITY:
                too_complex[f"{path.relative_to(SRC)}:{block.lineno} {block.name}"] = (
                    block.complexity
                )
    assert too_complex == {}
