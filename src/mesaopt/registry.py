"""Registries that name their implementations and import them on first use, and plugins from entry points.

An entry's heavy fields (a fit function, a task class, a detector) hold a "package.module:attribute" string or a
`Deferred` thunk; reading the field imports the module then and keeps the object. So listing the studies or
validating a study file imports only the light config modules, never torch or numba.

Other packages add tasks, learners and detectors through the entry-point groups `mesaopt.tasks`,
`mesaopt.learners` and `mesaopt.detectors`: each entry point names an entry object (a `TaskEntry`, `LearnerEntry`
or `DetectorEntry`) and is registered as `<distribution>/<entry point name>`, so a plugin can never shadow a
built-in name. Plugins are looked at only when a namespaced name is asked for or the registry is listed; one that
fails to load is reported (`Registry.broken`) and left out, never fatal.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from importlib import metadata
from typing import Any, Generic, TypeVar

PLUGIN_SEPARATOR = "/"
"""Separates a plugin's distribution name from its own name: `my_solvers/flood_fill`."""

E = TypeVar("E")


class Deferred:
    """A thunk for an entry field: called once, on first read, to produce the object."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def resolve(ref: Any) -> Any:
    """The object a "module:attr" string or a `Deferred` names (imported now); any other value as it is."""
    if isinstance(ref, Deferred):
        return ref.make()
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    if not module or not attribute:
        raise ValueError(f"{ref!r} is not an import path: expected 'package.module:attribute'")
    obj: Any = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


class Lazy:
    """An entry field that may hold a reference; reading it resolves the reference once and keeps the object.

    With `strings=False` only a `Deferred` is a reference (for fields whose value is itself a string)."""

    def __init__(self, strings: bool = True) -> None:
        self.references = (str, Deferred) if strings else (Deferred,)

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_lazy_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.slot]
        if isinstance(value, self.references):
            value = resolve(value)
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


def distribution_key(name: str) -> str:
    """A distribution's name as a plugin namespace: lower case, runs of '-', '_', '.' as one '_'."""
    return re.sub(r"[-_.]+", "_", name).lower()


class Registry(MutableMapping[str, E], Generic[E]):
    """Built-in entries by name, plus the entry points of one group under `<distribution>/<name>`.

    Setting or deleting a name changes the built-in table (registration from code, and tests' monkeypatching)."""

    def __init__(self, group: str, kind: type, builtins: dict[str, E]) -> None:
        self.group, self.kind, self.builtins = group, kind, builtins
        self._loaded: dict[str, E] = {}
        self._all_loaded = False
        self.broken: dict[str, str] = {}
        """Plugins that failed to load: name -> the reason, one line."""

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        found = {}
        for point in metadata.entry_points(group=self.group):
            dist = distribution_key(point.dist.name) if point.dist is not None else "unknown"
            found[f"{dist}{PLUGIN_SEPARATOR}{point.name}"] = point
        return found

    def _load(self, name: str, point: metadata.EntryPoint) -> E | None:
        if name in self._loaded or name in self.broken:
            return self._loaded.get(name)
        try:
            entry = point.load()
        except Exception as exc:  # a plugin's own bug must not stop mesaopt
            self.broken[name] = f"{point.value}: {type(exc).__name__}: {exc}"
            return None
        if not isinstance(entry, self.kind):
            self.broken[name] = f"{point.value}: is a {type(entry).__name__}, expected a {self.kind.__name__}"
            return None
        self._loaded[name] = entry
        return entry

    def plugins(self) -> dict[str, E]:
        """Every plugin entry of the group that loads (loading all of them, once)."""
        if not self._all_loaded:
            for name, point in self._entry_points().items():
                self._load(name, point)
            self._all_loaded = True
        return dict(self._loaded)

    def __getitem__(self, name: str) -> E:
        if name in self.builtins:
            return self.builtins[name]
        if PLUGIN_SEPARATOR in name:
            if name not in self._loaded and name not in self.broken:
                point = self._entry_points().get(name)
                if point is not None:
                    self._load(name, point)
            if name in self._loaded:
                return self._loaded[name]
        raise KeyError(name)

    def __setitem__(self, name: str, entry: E) -> None:
        self.builtins[name] = entry

    def __delitem__(self, name: str) -> None:
        del self.builtins[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        yield from self.builtins
        yield from self.plugins()

    def __len__(self) -> int:
        return len(self.builtins) + len(self.plugins())

    def problems(self) -> list[str]:
        """One line per plugin of the group that did not load."""
        self.plugins()
        return [f"{self.group} plugin {name}: {reason}" for name, reason in sorted(self.broken.items())]


def check_all(registry: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Resolve the named fields of every entry; the references that fail, one line each (empty when all load)."""
    failures = []
    for name in registry:
        entry = registry[name]
        for field in fields:
            try:
                getattr(entry, field)
            except Exception as exc:
                failures.append(f"{name}.{field}: {type(exc).__name__}: {exc}")
    return failures


def broken_plugins() -> list[str]:
    """One line per installed plugin of any group (tasks, learners, detectors) that failed to load."""
    from mesaopt.detectors import DETECTORS
    from mesaopt.learners import LEARNERS
    from mesaopt.tasks import TASKS

    return [line for registry in (TASKS, LEARNERS, DETECTORS) for line in registry.problems()]
