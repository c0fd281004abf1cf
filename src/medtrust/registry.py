"""One small generic registry for probes, targets and judges.

Components register themselves with a decorator; third-party packs register through Python
entry points (groups ``medtrust.probes``, ``medtrust.targets``, ``medtrust.judges``), loaded lazily
the first time a name is looked up and not found among the built-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownComponentError(LookupError):
    """Raised when a registry has no component of the requested name."""


class Registry(Generic[T]):
    """A name -> component mapping, filled by decorators, built-in modules and entry points."""

    def __init__(self, kind: str, *, group: str, builtins: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.group = group
        self._builtins = builtins
        self._items: dict[str, T] = {}
        self._loaded_builtins = False
        self._loaded_entry_points = False

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name`` (names are unique per registry)."""

        def deco(obj: T) -> T:
            existing = self._items.get(name)
            if existing is not None and existing is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def _load_builtins(self) -> None:
        if not self._loaded_builtins:
            for module in self._builtins:
                import_module(module)  # a failure propagates, and is retried on the next lookup
            self._loaded_builtins = True

    def _load_entry_points(self) -> None:
        if not self._loaded_entry_points:
            self._loaded_entry_points = True
            for ep in entry_points(group=self.group):
                if ep.name not in self._items:
                    self._items[ep.name] = ep.load()

    def get(self, name: str) -> T:
        """Return the component called ``name`` or raise :class:`UnknownComponentError`."""
        self._load_builtins()
        if name not in self._items:
            self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownComponentError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        """All registered names, built-ins and entry points included."""
        self._load_builtins()
        self._load_entry_points()
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
