"""One conformance test over every registered probe, judge and target (built-ins found by the
package walk, plus any installed entry point): what each kind promises the engine, checked the
same way for all of them (garak's plugin test, in medtrust's terms)."""

from __future__ import annotations

import asyncio
import inspect
import textwrap
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest

from medtrust.errors import TargetSpecError
from medtrust.judges import judges
from medtrust.probes import Probe, ProbeContext, ProbeParams, probes
from medtrust.records import AXES, Axis, Case, Verdict
from medtrust.targets import ChatTarget, targets

PROBES = probes.names()
JUDGES = judges.names()
TARGETS = targets.names()

# Every name shipped before the registry walked its packages keeps working.
SHIPPED = {
    "probe": {
        "cognitive_bias.biasmedqa", "fairness.counterfactual", "fairness.intensity",
        "hallucination.known_answer", "multimodal.consistency", "multimodal.fidelity",
        "privacy.disclosure", "robustness.adaptive", "robustness.das",
    },
    "judge": {"hallucination", "multiple_choice", "note_fidelity", "phi_leak"},
    "target": {"embed", "local", "openai", "python", "segment", "tabular"},
}


def test_every_shipped_name_is_still_registered() -> None:
    assert SHIPPED["probe"] <= set(PROBES)
    assert SHIPPED["judge"] <= set(JUDGES)
    assert SHIPPED["target"] <= set(TARGETS)


def test_the_axes_a_probe_may_declare_are_the_reported_axes() -> None:
    assert sorted(AXES) == sorted(get_args(Axis))


def _generic_argument(cls: type[Probe]) -> type[ProbeParams] | None:
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if get_origin(base) is Probe:
                (arg,) = get_args(base)
                return arg if isinstance(arg, type) else None
    return None


def _cases(cls: type[Probe], seed: int) -> list[Case]:
    return cls(ctx=ProbeContext(seed=seed, limit=2)).cases()


@pytest.mark.parametrize("name", PROBES)
def test_probe(name: str) -> None:
    cls = probes.get(name)
    assert cls.name == name
    assert cls.axis in AXES, f"{name}: axis {cls.axis!r} is not reported (records.AXES)"
    assert cls.judge in JUDGES, f"{name}: judge {cls.judge!r} is not registered"
    assert isinstance(cls.goal, str) and cls.goal
    # Parameters are declared once: the generic argument is the Params model.
    assert _generic_argument(cls) is cls.Params, f"{name}: declare Params as Probe[XParams]"
    assert cls.Params.model_validate({}) == cls(ctx=ProbeContext()).params
    first, again = _cases(cls, 11), _cases(cls, 11)
    assert first, f"{name}: no stage-0 cases with default parameters"
    assert [c.id for c in first] == [c.id for c in again]  # deterministic for a seed
    assert len({c.id for c in first}) == len(first)
    assert {(c.probe, c.axis) for c in first} == {(name, cls.axis)}


def _a_case_for(judge: str) -> Case | None:
    """The first stage-0 case of a probe scored by ``judge`` (None when no probe uses it)."""
    for name in PROBES:
        cls = probes.get(name)
        if cls.judge == judge:
            return _cases(cls, 0)[0]
    return None


@pytest.mark.parametrize("name", JUDGES)
def test_judge(name: str) -> None:
    cls = judges.get(name)
    assert cls.name == name
    judge = cls()  # the engine builds judges without arguments
    assert judge.name == name
    case = _a_case_for(name)
    if case is not None:
        # No reply at all is an error: counted apart, never a pass or a failure.
        verdict = judge(case, [])
        assert isinstance(verdict, Verdict)
        assert (verdict.case_id, verdict.judge, verdict.outcome) == (case.id, name, "error")


@pytest.fixture
def spec_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module in the working directory with a callable for every import-based scheme."""
    (tmp_path / "conformance_target.py").write_text(
        textwrap.dedent(
            """
            def answer(messages):
                return "A"
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return "conformance_target:answer"


# Specs that build without any external resource (the GGUF is only opened on the first call).
BUILDABLE = {
    "openai": "m@http://127.0.0.1:9/v1",
    "local": "model.gguf",
    "python": "conformance_target:answer",
    "tabular": "conformance_target:answer",
    "segment": "conformance_target:answer",
    "embed": "conformance_target:answer",
}


@pytest.mark.usefixtures("spec_module")
@pytest.mark.parametrize("scheme", TARGETS)
def test_target(scheme: str) -> None:
    factory = targets.get(scheme)
    assert callable(factory)
    inspect.signature(factory).bind(f"{scheme}:x", "x")  # factory(full_spec, rest)
    # Whatever follows the scheme, the factory builds a target or raises one TargetSpecError
    # line naming the spec: never another exception, never a traceback.
    for rest in (" ", "no-such-thing", ":", "a:b:c", "no_such_module_xyz:f", "x.gguf"):
        spec = f"{scheme}:{rest}"
        try:
            built: Any = factory(spec, rest)
        except TargetSpecError as exc:
            assert repr(spec) in str(exc) and "\n" not in str(exc)
        else:
            assert built.spec == spec
            if isinstance(built, ChatTarget):
                asyncio.run(built.aclose())
    if scheme in BUILDABLE:
        spec = f"{scheme}:{BUILDABLE[scheme]}"
        target: Any = factory(spec, BUILDABLE[scheme])
        assert target.spec == spec
        if isinstance(target, ChatTarget):
            assert isinstance(target.cache_identity(), str)
            asyncio.run(target.aclose())
