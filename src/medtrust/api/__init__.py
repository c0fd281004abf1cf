"""The Python API the CLI uses: run a suite, resume a run, report, gate and export cases.

Every function here is what one ``medtrust`` command does, without the printing:
:func:`run` (``medtrust run``), :func:`resume` (``medtrust run --resume RUN_ID``),
:func:`report`, :func:`gate`, :func:`export_cases` (``medtrust cases export``).

Names are imported from their private modules on first use (:mod:`medtrust._lazy`), so that
``medtrust run`` does not import the report renderers before its first request.
"""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.api._config import feedback_config, make_config, with_probe_param, with_sampling
    from medtrust.api._run import RunResult, new_run_id, point_latest, resume, run
    from medtrust.api._stored import (
        ExportFormat,
        export_cases,
        gate,
        report,
        suite_cases,
        summarize,
    )
    from medtrust.config import load_suite
    from medtrust.plan import build_probes, probes_for

_EXPORTS = {
    "feedback_config": "api._config",
    "make_config": "api._config",
    "with_probe_param": "api._config",
    "with_sampling": "api._config",
    "RunResult": "api._run",
    "new_run_id": "api._run",
    "point_latest": "api._run",
    "resume": "api._run",
    "run": "api._run",
    "ExportFormat": "api._stored",
    "export_cases": "api._stored",
    "gate": "api._stored",
    "report": "api._stored",
    "suite_cases": "api._stored",
    "summarize": "api._stored",
    "load_suite": "config",
    "build_probes": "plan",
    "probes_for": "plan",
}

__getattr__ = lazy_getattr("medtrust", _EXPORTS, globals())


__all__ = [
    "ExportFormat",
    "RunResult",
    "build_probes",
    "export_cases",
    "feedback_config",
    "gate",
    "load_suite",
    "make_config",
    "new_run_id",
    "point_latest",
    "probes_for",
    "report",
    "resume",
    "run",
    "suite_cases",
    "summarize",
    "with_probe_param",
    "with_sampling",
]
