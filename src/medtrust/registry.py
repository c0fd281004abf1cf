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
"""

from __future__ import annotations

import inspect
import logging
import pkgutil
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar, overload

from medtrust.errors import ComponentError, MedtrustError, UnknownComponentError, did_you_mean

__all__ = ["ComponentError", "Registry", "UnknownComponentError", "did_you_mean"]

T = TypeVar("T")

log = logging.getLogger(__name__)

SKIPPED_MODULES = frozenset({"cli"})
"""Public module names the walk does not import: command-line front ends hold no components."""


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
    recursively; ``cli`` modules excepted) are imported on the first lookup. ``check(name, obj)``
    validates a component as it is registered and raises :class:`ComponentError` (one line).
    Built-ins win over entry points of the same name.
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        package: str | None = None,
        check: Callable[[str, T], None] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self.package = package
        self._check = check
        self._items: dict[str, T] = {}
        self._walked = False
        self._walking = False
        self._eps: dict[str, EntryPoint] | None = None
        self._broken: dict[str, str] = {}
        self._dists: dict[str, str] = {}  # name -> distribution, for loaded entry points
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
        at = f" ({_file_line(obj) or _where(obj)})"  # the component's own file, not ours
        if explicit is not None and own is not None and explicit != own:
            if ep is not None:  # a pack: the entry point's name is the one to change
                raise ComponentError(
                    f"{self.kind} {_where(obj)} is named {own!r} but its entry point in "
                    f"{self.group!r} of distribution {_dist_name(ep)!r} is {explicit!r}: "
                    f"name the entry point {own!r} (a pack needs no decorator){at}"
                )
            raise ComponentError(
                f"{self.kind} {_where(obj)} is registered as {explicit!r} but is named {own!r}: "
                f"declare the name once, on the class, and use a bare @register{at}"
            )
        name = own or explicit
        if not name:
            raise ComponentError(
                f"{self.kind} {_where(obj)} has no name: set a `name` class attribute "
                f"(or register a function with @register('NAME')){at}"
            )
        if self._check is not None:
            try:
                self._check(name, obj)
            except ComponentError as exc:  # say where the component is, not where it was checked
                raise ComponentError(f"{exc}{at}") from None
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
            try:
                import_module(info.name)
            except Exception as exc:
                spec = getattr(info.module_finder, "find_spec", lambda _: None)(info.name)
                origin = getattr(spec, "origin", None)
                raise ComponentError(
                    f"{self.kind} module {info.name} cannot be imported: {_one_line(exc, origin)}"
                ) from exc
            if info.ispkg:
                self._walk_package(info.name)

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
        fails to import raises :class:`ComponentError`."""
        self._walk()
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

    def _unknown(self, name: str) -> str:
        return f"unknown {self.kind} {name!r}{did_you_mean(name, self.names())}"

    def names(self) -> list[str]:
        """All names, sorted: built-ins and every entry point of the group (not loaded)."""
        self._walk()
        return sorted(set(self._items) | set(self._entry_points()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
