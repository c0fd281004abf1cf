"""Write the registries' start-up index: ``python -m medtrust._cli_index [--check]``.

Run it after adding, removing or editing any file under ``src/medtrust/probes/``, ``judges/``
or ``targets/``: until then lookups walk the whole package (correct, only slower) and
``tests/test_registry_index.py`` fails. See :mod:`medtrust.registry` for the rule.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from medtrust.registry import INDEX_FILE


def current_index() -> dict[str, Any]:
    """The index as the sources now stand (imports every built-in: walks the three packages).

    Returns ``{package: {"sha256": hex, "modules": {name: module}}}``; raises
    :class:`~medtrust.errors.ComponentError` when a built-in module does not import."""
    from medtrust.judges import judges
    from medtrust.probes import probes
    from medtrust.targets import targets

    out: dict[str, Any] = {}
    for reg in (probes, judges, targets):
        out[str(reg.package)] = reg.index_entry()
    return out


def render(index: dict[str, Any]) -> str:
    """The file's text: sorted, indented JSON and a final newline (stable diffs)."""
    return json.dumps(index, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write :data:`~medtrust.registry.INDEX_FILE`; with ``--check`` only say whether it is
    current (exit 1 when stale)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m medtrust._cli_index",
        description="Write the registries' start-up index (run it after adding, removing or "
        "editing a file under probes/, judges/ or targets/).",
    )
    parser.add_argument("--check", action="store_true",
                        help="only say whether the index is current (exit 1 when stale)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    text = render(current_index())
    if args.check:
        stale = not INDEX_FILE.is_file() or INDEX_FILE.read_text(encoding="utf-8") != text
        print(f"{INDEX_FILE}: {'stale' if stale else 'current'}")
        return 1 if stale else 0
    from medtrust._atomic import write_text_atomic

    write_text_atomic(INDEX_FILE, text)
    print(f"wrote {INDEX_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
