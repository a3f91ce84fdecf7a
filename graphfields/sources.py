"""How a field's value is read from parent data: the resolution registry.

The default rules, in the spirit of glom's target registry:

- a :class:`~collections.abc.Mapping` is read by key; a missing key gives ``None``;
- any other object is read by attribute; a missing attribute gives ``None``;
- a value that is callable (a function, a bound method, a lambda stored in a dict, any
  object with ``__call__``) is called with no arguments and its result used instead; a
  class is a value, never called.

Custom types register their own getter with :func:`register`; the registration of the
nearest class in the parent's MRO wins, and the choice is cached per concrete type, so
the lookup costs one dict access after the first object of a type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

__all__ = [
    "Getter",
    "attribute_getter",
    "call_value",
    "getter_for",
    "mapping_getter",
    "read",
    "register",
    "unregister",
    "version",
]

Getter: TypeAlias = Callable[[Any, str], Any]
"""``getter(parent, name) -> value``; returns ``None`` when the parent has no such value."""


def mapping_getter(parent: Any, name: str) -> Any:
    """Read a Mapping by key (``None`` when missing; works for any Mapping, not only dict)."""
    try:
        return parent[name]
    except KeyError:
        return None


def attribute_getter(parent: Any, name: str) -> Any:
    """Read an object by attribute (``None`` when missing)."""
    return getattr(parent, name, None)


_registry: dict[type, Getter] = {dict: mapping_getter}
_cache: dict[type, Getter] = {}
_version = [0]


def version() -> int:
    """Changes with every :func:`register`/:func:`unregister` (generated code built under
    an older registry is built again)."""
    return _version[0]


def register(cls: type, getter: Getter) -> None:
    """Read instances of ``cls`` (and its subclasses, unless they register their own)
    with ``getter(parent, name)``. Registering again replaces the previous getter."""
    if not isinstance(cls, type):
        raise TypeError(f"register() needs a class, got {cls!r}")
    _registry[cls] = getter
    _cache.clear()
    _version[0] += 1


def unregister(cls: type) -> None:
    """Forget a registration made with :func:`register` (no error if there is none)."""
    if cls is dict:
        _registry[dict] = mapping_getter
    else:
        _registry.pop(cls, None)
    _cache.clear()
    _version[0] += 1


def getter_for(cls: type) -> Getter:
    """The getter for instances of ``cls``: nearest registered class in the MRO, else
    Mapping -> key, else attribute. Cached per type."""
    try:
        return _cache[cls]
    except KeyError:
        pass
    getter: Getter | None = None
    for base in cls.__mro__:
        found = _registry.get(base)
        if found is not None:
            getter = found
            break
    if getter is None:
        # Virtual Mapping subclasses (Mapping.register) are not in the MRO.
        getter = mapping_getter if issubclass(cls, Mapping) else attribute_getter
    _cache[cls] = getter
    return getter


def call_value(value: Any) -> Any:
    """Call a zero-argument callable value; return anything else (classes too) unchanged."""
    if callable(value) and not isinstance(value, type):
        return value()
    return value


def read(parent: Any, name: str) -> Any:
    """The value of ``name`` on ``parent`` by the registry's rules, callables called."""
    return call_value(getter_for(type(parent))(parent, name))
