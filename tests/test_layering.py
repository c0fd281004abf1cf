"""Imports follow the flow (DESIGN "Layout"; issue 19 item 3).

Every module under ``src/medtrust`` is parsed (``ast``) and every ``import`` it contains is
read, function-level and ``TYPE_CHECKING`` imports included: a lazy or type-only import is
still a dependency, and a lazy import that runs up the flow is how cycles hide. Each import
between two units (a top-level module or a package) must go down :data:`LAYERS`; two units
never import each other. The command-line edge is its own top layer: ``cli.py``, every
``_cli_*.py`` module and every package's ``cli.py`` (``medtrust.cohort.cli``) belong to it,
whatever folder they sit in, so a package's command may import what its package may not.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import medtrust

SRC = Path(medtrust.__file__).parent

LAYERS: tuple[str, ...] = (
    # -- foundation: no medtrust imports but each other, in this order
    "errors",  # MedtrustError and friends
    "_lazy",  # lazy attribute re-exports
    "_atomic",  # atomic file writes
    "_oneshot",  # the console script's garbage-collector settings (imports nothing of ours)
    "_prefetch",  # imports modules in a thread while a run waits on the network
    "_yaml",  # YAML with file:line errors
    "_ray",  # joining a Ray cluster (optional; imported only when used)
    "records",  # the domain records (pydantic)
    "registry",  # the typed component registry
    "metrics",  # statistics: Wilson, bootstrap, McNemar, fairness, agreement, risk
    # -- persistence: the audit chain's primitives and verification read the store through
    #    the AuditLog protocol that audit declares, so audit sits below the store that uses it
    "audit",
    "store",
    # -- the system under test and what is sent to it
    "cohort",  # synthetic patients, knowledge base
    "targets",  # systems under test (+ the synchronous chat helper)
    "attack",  # mutation orchestrator, counterfactual search
    "judges",  # verdicts (an LLM judge is a target it loads)
    "_redaction",  # identifier redaction: uses the PHI matcher of judges; below report, review
    "probes",  # one package per axis; the multiple-choice format is probes.mcq_format
    "multimodal",  # segmentation / embedding fidelity tools (probes/multimodal are the probes)
    "fairness",  # tabular fairness audit of a model (LLM fairness is probes/fairness)
    # -- a run: its configuration names probes, so config sits above the probe registry
    "config",
    "plan",  # a run configuration -> its probes
    "engine",
    # -- reading results
    "policies",
    "review",
    "summary",
    "report",
    "compare",
    "interop",
    # -- the edges
    "api",
    "medtrust",  # the package's own __init__ (public re-exports)
    "cli",
)
"""Units from the bottom of the flow to the top: a unit imports only units listed before it."""

CLI = "cli"


def _unit(module: str) -> str:
    """The layer unit of a dotted module name."""
    parts = module.split(".")
    if any(p == "cli" or p.startswith("_cli") or p == "__main__" for p in parts[1:]):
        return CLI
    return parts[1] if len(parts) > 1 else "medtrust"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (SRC.parent / rel).with_suffix(".py").is_file() or (SRC.parent / rel).is_dir()


def _imports(path: Path, source: str | None = None) -> list[tuple[str, int]]:
    """(imported medtrust module, line) for every import statement in the file."""
    text = path.read_text(encoding="utf-8") if source is None else source
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # ``from medtrust import api`` imports the module medtrust.api
            subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
            out += [(s, node.lineno) for s in subs] or [(base, node.lineno)]
    return [(m, line) for m, line in out if m == "medtrust" or m.startswith("medtrust.")]


def _edges() -> dict[tuple[str, str], list[str]]:
    """{(unit, imported unit): ["file:line", ...]} over all of src/medtrust."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        src = _unit(_module_name(path))
        for target, line in _imports(path):
            dst = _unit(target)
            if dst != src:
                edges[(src, dst)].append(f"{path.relative_to(SRC.parent)}:{line}")
    return edges


EDGES = _edges()


def test_every_unit_has_a_declared_layer() -> None:
    units = {_unit(_module_name(p)) for p in SRC.rglob("*.py")}
    missing = sorted(units - set(LAYERS))
    assert not missing, f"declare the layer of {missing} in LAYERS (and in DESIGN's layout)"


def test_no_import_runs_up_the_flow() -> None:
    rank = {u: i for i, u in enumerate(LAYERS)}
    upward = [
        f"{a} imports {b} (up the flow) at {', '.join(where)}"
        for (a, b), where in sorted(EDGES.items())
        if a in rank and b in rank and rank[b] > rank[a]
    ]
    assert not upward, "\n".join(upward)


def test_no_two_units_import_each_other() -> None:
    cycles = sorted(
        f"{a} <-> {b}: {EDGES[(a, b)][0]} and {EDGES[(b, a)][0]}"
        for a, b in EDGES
        if a < b and (b, a) in EDGES
    )
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from medtrust import api\n", "medtrust.api"),
        ("def f():\n    from medtrust.store import Store\n", "medtrust.store"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import medtrust.audit\n",
         "medtrust.audit"),
        ("from ..records import Case\n", "medtrust.records"),
    ],
)
def test_the_walker_sees_every_kind_of_import(source: str, expected: str) -> None:
    """The checker itself: top-level, function-level, type-only and relative imports count."""
    assert expected in [m for m, _ in _imports(SRC / "probes" / "x.py", source)]


def test_a_package_cli_is_the_edge_not_its_package() -> None:
    assert _unit("medtrust.cohort.cli") == CLI
    assert _unit("medtrust._cli_util") == CLI
    assert _unit("medtrust.cohort._cli_validate") == CLI
    assert _unit("medtrust.cohort._generate") == "cohort"
    assert _unit("medtrust") == "medtrust"
