"""One small generic registry for probes, targets and judges.

A component declares its name once, on itself (the ``name`` class attribute), and registers with
a bare ``@registry.register``; a plain factory function, which has no ``name``, is registered
with ``@registry.register("NAME")``. Built-in components are found by walking the registry's
package (every public module, recursively: a new file is all it takes). Third-party packs
register through Python entry points (groups ``medtrust.probes``, ``medtrust.targets``,
``medtrust.judges``): they are indexed by name without being imported, and only the one asked
for is loaded, so a broken pack is a one-line warning naming its distribution, never an error
for an unrelated name. Modelled on lm-evaluation-harness's ``api/registry.py`` (lazy loading,
near-name suggestions) and garak's plugin walk.

Start-up index (issue 15 item 7). Walking a package imports every built-in, which is most of a
run's start-up; ``_registry_index.json`` (next to this file, written by
``python -m medtrust._cli_index``) maps each built-in name to the module that defines it, with
the SHA-256 of every ``.py`` file under the package it was built from. The rule:

- A lookup by name (:meth:`Registry.get`, ``in``) imports only the named built-in's module when
  the package's sources are byte for byte those the index was built from, and walks otherwise:
  after a file is added, removed or edited, a new built-in is found and a broken one is a loud
  :class:`ComponentError` on every lookup, as before (issue 19).
- Listings (:meth:`Registry.names`, iteration, the conformance tests, the near-name
  suggestions of an unknown name) always walk, so a broken built-in always fails them.
- What the index cannot see: a built-in broken by a change *outside* its package (a shared
  module it imports) fails its own lookups and every listing, but not a lookup of another
  name. ``tests/test_registry_index.py`` walks every package and fails while the index is stale.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import pkgutil
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from medtrust.errors import ComponentError, MedtrustError, UnknownComponentError, did_you_mean

__all__ = ["ComponentError", "Registry", "UnknownComponentError", "did_you_mean"]

T = TypeVar("T")

log = logging.getLogger(__name__)

SKIPPED_MODULES = frozenset({"cli"})
"""Public module names the walk does not import: command-line front ends hold no components."""

INDEX_FILE = Path(__file__).with_name("_registry_index.json")
"""The start-up index (module docstring): ``{package: {"sha256": hex, "modules": {name:
module}}}``, written by ``python -m medtrust._cli_index``."""


def package_digest(package: str) -> str:
    """SHA-256 (hex) of every ``.py`` file under ``package``'s folders, each as its path relative
    to the folder and its bytes, in sorted order: any added, removed, renamed or edited source
    changes it. About 2 ms for ``medtrust.probes`` (44 files, 250 kB). Imports the package."""
    digest = hashlib.sha256()
    for root in import_module(package).__path__:
        files = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        for path in sorted(files, key=lambda p: os.path.relpath(p, root)):
            digest.update(os.path.relpath(path, root).replace(os.sep, "/").encode() + b"\0")
            digest.update(Path(path).read_bytes() + b"\0")
    return digest.hexdigest()


def _where(obj: object) -> str:
    """``module.QualName`` of a class or function, for error messages."""
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def _file_line(obj: object) -> str | None:
    """``file:line`` of a component's definition (``inspect``), or None when Python cannot
    tell (a built-in, an interactive definition)."""
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    try:
        path = inspect.getsourcefile(target)  # type: ignore[arg-type]
        line = inspect.getsourcelines(target)[1]  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None
    return f"{path}:{line}" if path else None


def _at(obj: object) -> str:
    """`` (file:line)`` of a component's own file (not ours), for a refusal; found only when
    needed (``inspect`` reads and tokenizes the file)."""
    return f" ({_file_line(obj) or _where(obj)})"


def source_of(obj: object) -> str:
    """``module.QualName (file:line)`` of a component: where its definition is, in the
    component's own file (a pack's, not medtrust's); ``module.QualName`` alone when Python
    cannot tell."""
    at = _file_line(obj)
    return f"{_where(obj)} ({at})" if at else _where(obj)


def _one_line(exc: BaseException, origin: str | None = None) -> str:
    """``Type: message (file:line)`` of an exception, on one line. The line is where it was
    raised, except for medtrust's own refusals: a :class:`ComponentError` raised by the
    registry already names the component's file and line (:func:`source_of`), and another
    medtrust error points at the line of ``origin`` (the component's file) that registered.
    """
    text = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}:{exc.lineno})"
    if isinstance(exc, ComponentError):
        return f"{type(exc).__name__}: {text}"
    frames: list[traceback.FrameSummary] = list(traceback.extract_tb(exc.__traceback__))
    if isinstance(exc, MedtrustError) and origin is not None:
        frames = [f for f in frames if f.filename == origin] or frames
    at = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {text}{at}"


def _dist_name(ep: EntryPoint) -> str:
    """The distribution that declares an entry point ("unknown distribution" when not told)."""
    dist = getattr(ep, "dist", None)
    return str(getattr(dist, "name", None) or "unknown distribution")


class Registry(Generic[T]):
    """A name -> component mapping, filled by decorators, the package walk and entry points.

    ``package`` is the dotted package whose public modules (names not starting with ``_``,
    recursively; ``cli`` modules excepted) are imported on the first lookup, or only the one a
    name is in while ``index`` (default :data:`INDEX_FILE`) is current for it (module
    docstring). ``check(name, obj)`` validates a component as it is registered and raises
    :class:`ComponentError` (one line). Built-ins win over entry points of the same name.
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        package: str | None = None,
        check: Callable[[str, T], None] | None = None,
        index: Path = INDEX_FILE,
    ) -> None:
        self.kind = kind
        self.index_file = index
        self.group = group
        self.package = package
        self._check = check
        self._items: dict[str, T] = {}
        self._walked = False
        self._walking = False
        self._eps: dict[str, EntryPoint] | None = None
        self._broken: dict[str, str] = {}
        self._dists: dict[str, str] = {}  # name -> distribution, for loaded entry points
        self._index: dict[str, str] | None = None  # built-in name -> module, when current
        self._index_read = False
        self._lock = threading.RLock()

    @overload
    def register(self, obj: str, /) -> Callable[[T], T]: ...

    @overload
    def register(self, obj: T, /) -> T: ...

    def register(self, obj: Any, /) -> Any:
        """Decorator: ``@reg.register`` registers a class under its ``name`` attribute;
        ``@reg.register("NAME")`` registers an object without one (a factory function), or a
        class whose ``name`` is the same. Raises :class:`ComponentError` for a missing or
        disagreeing name, a failed ``check``, or a name already taken by another object."""
        if isinstance(obj, str):
            explicit: str = obj
            return lambda target: self._add(target, explicit)
        return self._add(obj, None)

    def _add(self, obj: T, explicit: str | None, ep: EntryPoint | None = None) -> T:
        own = getattr(obj, "name", None)
        own = own if isinstance(own, str) else None
        if explicit is not None and own is not None and explicit != own:
            if ep is not None:  # a pack: the entry point's name is the one to change
                raise ComponentError(
                    f"{self.kind} {_where(obj)} is named {own!r} but its entry point in "
                    f"{self.group!r} of distribution {_dist_name(ep)!r} is {explicit!r}: "
                    f"name the entry point {own!r} (a pack needs no decorator){_at(obj)}"
                )
            raise ComponentError(
                f"{self.kind} {_where(obj)} is registered as {explicit!r} but is named {own!r}: "
                f"declare the name once, on the class, and use a bare @register{_at(obj)}"
            )
        name = own or explicit
        if not name:
            raise ComponentError(
                f"{self.kind} {_where(obj)} has no name: set a `name` class attribute "
                f"(or register a function with @register('NAME')){_at(obj)}"
            )
        if self._check is not None:
            try:
                self._check(name, obj)
            except ComponentError as exc:  # say where the component is, not where it was checked
                raise ComponentError(f"{exc}{_at(obj)}") from None
        existing = self._items.get(name)
        # The same definition imported again (importlib.reload) replaces itself.
        if existing is not None and existing is not obj and _where(existing) != _where(obj):
            raise ComponentError(
                f"{self.kind} {name!r} is registered twice: {source_of(existing)} and "
                f"{source_of(obj)}"
            )
        self._items[name] = obj
        return obj

    def _walk(self) -> None:
        """Import every public module of ``package`` once; a module that fails to import is a
        :class:`ComponentError` naming it, raised again on the next lookup."""
        if self._walked or self.package is None:
            return
        with self._lock:  # another thread waits for the walk; an import inside it does not
            if self._walked or self._walking:
                return
            self._walking = True
            try:
                self._walk_package(self.package)
                self._walked = True
            finally:
                self._walking = False

    def _walk_package(self, package: str) -> None:
        pkg = import_module(package)
        found = sorted(pkgutil.iter_modules(pkg.__path__, f"{package}."), key=lambda m: m.name)
        for info in found:
            leaf = info.name.rpartition(".")[2]
            if leaf.startswith("_") or leaf in SKIPPED_MODULES:
                continue
            self._import(info.name)
            if info.ispkg:
                self._walk_package(info.name)

    def _import(self, module: str) -> None:
        """Import one built-in module; a failure is a :class:`ComponentError` naming it."""
        try:
            import_module(module)
        except Exception as exc:
            try:
                origin = getattr(find_spec(module), "origin", None)
            except Exception:  # the parent package itself does not import
                origin = None
            raise ComponentError(
                f"{self.kind} module {module} cannot be imported: {_one_line(exc, origin)}"
            ) from exc

    def _indexed(self) -> dict[str, str] | None:
        """Built-in name -> module from ``self.index_file``, or None (walk instead) when the
        package has no entry there or its sources are not those the entry was built from."""
        if not self._index_read and self.package is not None:
            try:
                entry = json.loads(self.index_file.read_text(encoding="utf-8"))[self.package]
                if entry["sha256"] == package_digest(self.package):
                    self._index = {str(k): str(v) for k, v in entry["modules"].items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self._index = None  # no usable index: the walk is always right
            self._index_read = True
        return self._index

    def _find_builtin(self, name: str) -> None:
        """Make sure the built-in ``name`` (if there is one) is registered: import just its
        module when the index is current, else walk the package (module docstring)."""
        if self._walked or self.package is None:
            return
        with self._lock:
            index = None if self._walking else self._indexed()
            if index is None:
                self._walk()
            elif name in index and name not in self._items:
                self._import(index[name])
                if name not in self._items:  # the index disagrees with the code: trust the code
                    self._walk()

    def index_entry(self) -> dict[str, Any]:
        """This registry's entry of its index file as the sources now stand: the
        package's :func:`package_digest` and every built-in name -> the module defining it
        (walks the package; raises :class:`ComponentError` as a lookup would)."""
        if self.package is None:
            raise ValueError(f"the {self.kind} registry has no package to index")
        self._walk()
        prefix = f"{self.package}."
        modules = {
            name: str(getattr(obj, "__module__", ""))
            for name, obj in self._items.items()
            if name not in self._dists and str(getattr(obj, "__module__", "")).startswith(prefix)
        }
        return {"sha256": package_digest(self.package), "modules": dict(sorted(modules.items()))}

    def _entry_points(self) -> dict[str, EntryPoint]:
        """Entry points of ``group`` by name, indexed once and never imported here; the first
        distribution to declare a name keeps it."""
        if self._eps is None:
            eps: dict[str, EntryPoint] = {}
            for ep in entry_points(group=self.group):
                eps.setdefault(ep.name, ep)
            self._eps = eps
        return self._eps

    def _load(self, name: str, ep: EntryPoint) -> T | None:
        """Import one entry point and register what it names; None (and one warning line naming
        the distribution) when it cannot be loaded or is malformed."""
        with self._lock:
            if name in self._items or name in self._broken:  # another thread loaded it
                return self._items.get(name)
            try:
                obj: T = ep.load()
                if self._items.get(name) is not obj:  # a pack may register itself on import
                    self._add(obj, name, ep)
            except Exception as exc:
                self._broken[name] = f"from distribution {_dist_name(ep)!r}: {_one_line(exc)}"
                log.warning("medtrust: skipped %s %r %s", self.kind, name, self._broken[name])
                return None
            self._dists[name] = _dist_name(ep)
            return obj

    def distribution(self, name: str) -> str | None:
        """The distribution a loaded entry-point component comes from; None for a built-in
        (or a name not loaded yet)."""
        return self._dists.get(name)

    @contextmanager
    def building(self, name: str, action: str = "building it") -> Iterator[None]:
        """Run a third-party component's code (its factory, constructor, case maker) so that
        its crash is a user's error, not medtrust's: an exception other than
        :class:`MedtrustError` raised inside the block by a component loaded from an entry
        point becomes :class:`ComponentError`, one line naming the distribution, the
        component and where it raised: ``target 'tpk' from distribution 't-pack' failed while
        building it: ValueError: boom (/site/tpk/__init__.py:2)``. The original exception is
        its ``__cause__`` (shown with ``MEDTRUST_DEBUG=1``). A built-in's exception is a bug
        and propagates unchanged."""
        try:
            yield
        except MedtrustError:
            raise
        except Exception as exc:
            dist = self._dists.get(name)
            if dist is None:
                raise
            raise ComponentError(
                f"{self.kind} {name!r} from distribution {dist!r} failed while {action}: "
                f"{_one_line(exc)}"
            ) from exc

    def get(self, name: str) -> T:
        """Return the component called ``name``: a built-in, else the entry point of that name
        (loaded now, and only it). Raises :class:`UnknownComponentError` (one line, with near
        names) when there is none or its entry point cannot be loaded; a built-in module that
        fails to import raises :class:`ComponentError`. Imports only the named built-in's
        module while the start-up index is current (module docstring)."""
        self._find_builtin(name)
        if name in self._items:
            return self._items[name]
        ep = self._entry_points().get(name)
        if ep is not None and name not in self._broken:
            obj = self._load(name, ep)
            if obj is not None:
                return obj
        if name in self._broken:
            raise UnknownComponentError(
                f"{self.kind} {name!r} cannot be loaded {self._broken[name]}"
            )
        raise UnknownComponentError(self._unknown(name))

    def check(self, name: str) -> None:
        """Raise as :meth:`get` does for an unknown ``name``, importing no indexed built-in."""
        if name not in self or (name in self._entry_points() and name not in self._items):
            self.get(name)

    def _unknown(self, name: str) -> str:
        return f"unknown {self.kind} {name!r}{did_you_mean(name, self.names())}"

    def names(self) -> list[str]:
        """All names, sorted: built-ins and every entry point of the group (not loaded)."""
        self._walk()
        return sorted(set(self._items) | set(self._entry_points()))

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered; imports nothing while the index is current."""
        if not isinstance(name, str):
            return False
        if name in self._items:
            return True
        index = None if self._walked else self._indexed()
        if index is None:
            return name in self.names()
        return name in index or name in self._entry_points()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
