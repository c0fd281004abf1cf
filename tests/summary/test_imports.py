"""Where the summary sits in the flow (issue 19 items 2-3): it reads verdicts and is given the
clinician reviews and audit status, so it imports neither ``review`` nor ``audit``; renderers
and the comparison import it, never the reverse; ``policies`` no longer reaches up into
``report`` for the identifier detector; ``compare`` (its command aside) does not import ``api``.

Every import statement counts, function-level and ``TYPE_CHECKING`` ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import medtrust

SRC = Path(medtrust.__file__).parent


def imported(package: str, *, skip_cli: bool = False, root: Path = SRC) -> dict[str, list[str]]:
    """{imported medtrust module: ["file:line", ...]} over the package's modules."""
    out: dict[str, list[str]] = {}
    for path in sorted((root / package).rglob("*.py")):
        if skip_cli and (path.name == "cli.py" or path.name.startswith("_cli")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            line = getattr(node, "lineno", 0)
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                if name.startswith("medtrust."):
                    out.setdefault(name, []).append(f"{path.relative_to(root)}:{line}")
    return out


def _hits(package: str, forbidden: tuple[str, ...], *, skip_cli: bool = False) -> list[str]:
    return [
        f"{mod} at {', '.join(where)}"
        for mod, where in imported(package, skip_cli=skip_cli).items()
        if any(mod == f or mod.startswith(f + ".") for f in forbidden)
    ]


@pytest.mark.parametrize(
    ("package", "forbidden", "skip_cli"),
    [
        (
            "summary",
            ("medtrust.review", "medtrust.audit", "medtrust.report", "medtrust.compare",
             "medtrust.api", "medtrust.cli"),
            False,
        ),
        ("policies", ("medtrust.report", "medtrust.summary"), False),
        ("review", ("medtrust.report", "medtrust.summary"), False),
        ("compare", ("medtrust.api",), True),
    ],
)  # fmt: skip
def test_imports_follow_the_flow(package: str, forbidden: tuple[str, ...], skip_cli: bool) -> None:
    assert _hits(package, forbidden, skip_cli=skip_cli) == []


def test_report_and_compare_read_the_summary_package() -> None:
    """The renderers and the comparison take their models from ``medtrust.summary``."""
    assert any(m.startswith("medtrust.summary") for m in imported("report"))
    assert any(m.startswith("medtrust.summary") for m in imported("compare"))


def test_the_walker_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    """The checker itself: imports inside a function or under TYPE_CHECKING are found."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import medtrust.audit\n"
        "def f():\n    from medtrust.review import x\n"
    )
    found = imported("pkg", root=tmp_path)
    assert set(found) == {"medtrust.audit", "medtrust.review", "medtrust.review.x"}
