"""Installing the test tools never changes the user's pandas (issue 16 item 4).

The core accepts ``pandas>=2.1``, so a user's fresh install gets pandas 3. If anything that
``pip install -e ".[all,test]"`` pulls in (directly or through its own requirements) pinned
pandas below 3, that install would silently downgrade the user's pandas, and the tests would
run on a pandas the users do not have. Packages that do pin it (SDMetrics, lifelines) belong in
the separate ``crosscheck`` extra.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PANDAS_USERS_GET = Version("3.0.0")
"""The first pandas 3 release: what a fresh ``pip install medtrust`` resolves to (or later)."""


def _extra(name: str, extras: dict[str, list[str]]) -> list[Requirement]:
    out: list[Requirement] = []
    for text in extras[name]:
        m = re.fullmatch(r"medtrust\[(.*)\]", text.strip())
        if m:
            for sub in m.group(1).split(","):
                out += _extra(sub.strip(), extras)
        else:
            out.append(Requirement(text))
    return out


def _pandas_pins(roots: list[Requirement]) -> dict[str, str]:
    """{package: its pandas specifier} for every installed package reachable from ``roots``
    whose requirements exclude :data:`PANDAS_USERS_GET` (markers evaluated here)."""
    seen: set[str] = set()
    todo = list(roots)
    pins: dict[str, str] = {}
    while todo:
        req = todo.pop()
        key = req.name.lower().replace("_", "-")
        if key in seen or key == "pandas":
            continue
        seen.add(key)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:  # not installed here: nothing to walk
            continue
        for text in requires:
            sub = Requirement(text)
            if sub.marker is not None and not sub.marker.evaluate({"extra": ""}):
                continue
            if sub.name.lower() == "pandas":
                if not sub.specifier.contains(PANDAS_USERS_GET, prereleases=True):
                    pins[req.name] = str(sub.specifier)
            else:
                todo.append(sub)
    return pins


def test_core_accepts_pandas_3() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pandas = [Requirement(r) for r in project["dependencies"] if r.startswith("pandas")]
    assert pandas and all(r.specifier.contains(PANDAS_USERS_GET) for r in pandas)


def test_test_and_all_extras_never_pin_pandas_below_3() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    roots = _extra("all", extras) + _extra("test", extras)
    assert not any(r.name in {"sdmetrics", "lifelines"} for r in roots)
    assert _pandas_pins(roots) == {}


def test_the_crosscheck_extra_is_where_the_pins_are() -> None:
    """The walk does find a pin where there is one (so the test above can fail)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {r.name for r in _extra("crosscheck", extras)}
    assert names == {"sdmetrics", "lifelines"}
    installed = {n for n in names if _installed(n)}
    pins = _pandas_pins([Requirement(n) for n in installed])
    assert set(pins) >= installed  # each one, where installed, pins pandas < 3


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True
