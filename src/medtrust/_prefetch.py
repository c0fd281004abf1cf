"""Import modules in a background thread while the process waits on the network.

A run spends most of its wall time waiting for replies; the summary, report and review stages
it runs after the last reply import about a quarter of a second of modules. :class:`Prefetch`
imports them in a daemon thread during that wait (issue 15 item 7: end-to-end time).

Safety: an import in the thread is an ordinary import (the interpreter's per-module locks make
two threads importing one module wait for each other). The engine starts the thread only while
it waits for replies (storing them imports nothing new) and joins it before it runs anything
else, so module code never runs in two threads at once (checked on the bundled suites by
instrumenting imports). A module that fails to import here is left alone: the caller's own
import later raises the error as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import import_module


class Prefetch:
    """``modules`` to import once, in a thread started by :meth:`start`: dotted names, or
    ``module:attribute`` to also read an attribute (a package's lazily imported name)."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start importing (once; a second call does nothing)."""
        if self._thread is None and self.modules:
            self._thread = threading.Thread(
                target=self._run, name="medtrust-prefetch", daemon=True
            )
            self._thread.start()

    def join(self) -> None:
        """Wait until the imports are done (at once when never started)."""
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        for name in self.modules:
            module, _, attribute = name.partition(":")
            try:
                imported = import_module(module)
                if attribute:
                    getattr(imported, attribute)
            except BaseException:  # the caller's own import reports it
                continue
