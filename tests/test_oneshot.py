"""Issue 15 item 7: only the console script's own process freezes its heap for the garbage
collector (``medtrust._oneshot``); a caller of ``main(argv)`` or of the library keeps its
collector untouched."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from medtrust import _oneshot
from medtrust.cli import main


def test_main_with_arguments_and_the_library_leave_the_collector_alone() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["--help"])
    _oneshot.freeze()  # what a run calls before its first request: nothing here
    assert gc.get_freeze_count() == before


def test_the_console_script_freezes_its_heap_and_still_exits_cleanly() -> None:
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['medtrust', '--help']\n"
        "from medtrust.cli import main\n"
        "main()\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout and res.stdout.rstrip().endswith("frozen True")
