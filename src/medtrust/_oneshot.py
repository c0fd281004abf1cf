"""The console script's process runs one command and exits: keep the cyclic garbage collector
off the heap that lives until the exit anyway (issue 15 item 7).

A ``medtrust run`` of 1,000 items spent ~0.3 s in full (generation 2) collections re-scanning
the imported modules, and ~0.3 s more in the collections of the interpreter's shutdown, out of
~1.9 s after its last reply (``bench/postrun_marks.py``). :func:`gc.freeze` moves every object
alive at the call into the permanent generation, which the collector never scans (Python
documentation, ``gc.freeze``); objects made later are collected as usual, and reference
counting still frees everything. Only the console script enables this (``medtrust.cli.main``
with no ``argv``): a process that calls medtrust as a library keeps its collector untouched,
so nothing of a caller's heap is kept from collection.
"""

from __future__ import annotations

import atexit
import gc

_enabled = False


def enable() -> None:
    """Freeze the import-time heap now and everything left at exit (the shutdown's collections
    then scan nothing); later calls of :func:`freeze` take effect. Idempotent."""
    global _enabled
    if not _enabled:
        _enabled = True
        gc.freeze()
        atexit.register(gc.freeze)


def freeze() -> None:
    """In the console script, freeze what is alive now (a run's modules, configuration and
    first window, before its calls start); elsewhere nothing."""
    if _enabled:
        gc.freeze()
