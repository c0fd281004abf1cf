"""A component's own code run during a run (a probe's ``cases`` or ``followups``, a judge's
verdict): its crash is one line naming the component and the cause, never a traceback.

The up-front build already works this way (:meth:`medtrust.registry.Registry.building` around
a pack's constructor, in :func:`medtrust.plan.build_probes`); this extends it to the code a
run calls later, and to every component, built-in, dropped-in or from a pack: a user who
drops a probe into the package or installs a pack needs to know which component failed and
why, and the traceback stays one ``MEDTRUST_DEBUG=1`` away (the original exception is the
error's ``__cause__``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from medtrust.errors import ComponentError, MedtrustError
from medtrust.probes._base import Probe, ProbeSummary, probes
from medtrust.records import Case, Verdict
from medtrust.registry import Registry, _one_line


@contextmanager
def component_code(registry: Registry[Any], name: str, action: str) -> Iterator[None]:
    """Run component ``name`` of ``registry`` inside the block. A :class:`MedtrustError` it
    raises (bad data, already one line), a file that is not UTF-8 or cannot be opened go
    through unchanged; any other exception becomes
    :class:`ComponentError`: ``probe 'x' failed while making its stage-1 follow-ups:
    ValueError: boom (/path/x.py:12)``, with the distribution named for a pack's component
    (``Registry.building``). The CLI prints it and exits 2; a run it stops is left
    ``interrupted`` (resumable) with nothing half-written."""
    try:
        with registry.building(name, action):
            yield
    except (MedtrustError, UnicodeDecodeError, OSError):
        # bad input, not a broken component: the CLI words these itself, naming the file (and
        # the line of a byte that is not UTF-8), which a "probe failed" line would hide
        raise
    except Exception as exc:
        raise ComponentError(
            f"{registry.kind} {name!r} failed while {action}: {_one_line(exc)}"
        ) from exc


def cases_of(probe: Probe[Any]) -> Iterator[Case]:
    """``probe.cases()`` one at a time, its crash (while making the sequence or any case of
    it) the one line of :func:`component_code`."""
    with component_code(probes, probe.name, "making its cases"):
        yield from probe.cases()


def followups_of(
    probe: Probe[Any], stage: int, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> Iterator[Case]:
    """``probe.followups(stage, cases, verdicts)`` one at a time, its crash (a generator raises
    as it is consumed) the one line of :func:`component_code`."""
    with component_code(probes, probe.name, f"making its stage-{stage} follow-ups"):
        yield from probe.followups(stage, cases, verdicts)


def summary_of(
    probe: Probe[Any], cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> ProbeSummary:
    """``probe.summarize(cases, verdicts)``, its crash the one line of :func:`component_code`."""
    with component_code(probes, probe.name, "summarising its verdicts"):
        return probe.summarize(cases, verdicts)
