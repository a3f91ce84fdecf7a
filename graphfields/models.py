"""Object types from the classes a project already has: dataclasses, TypedDicts, Pydantic.

::

    @dataclass
    class Comment:
        id: int
        text: str
        author: Author | None            # another model: referenced by its class name

    Comment_ = object_type(Comment)
    Post_ = object_type(Post, fields={"comments": Connection("Comment", max_first=50)})
    schema = Schema([Post_, Comment_, object_type(Author)])
    # or, the same: schema = schema_from(Post, Comment, Author, fields={Post: {...}})

Inferred from each annotation: ``str`` -> String, ``int`` -> Int, ``float`` -> Float,
``bool`` -> Boolean, ``datetime``/``date`` -> Datetime, ``uuid.UUID`` -> ID, a field named
``id`` of str/int/UUID -> ID; ``X | None`` / ``Optional[X]`` -> X (every field may be
null); ``list[X]``, ``tuple[X, ...]``, ``Sequence[X]``, ``set[X]``, ``frozenset[X]`` ->
``ListOf(X)``; ``Literal["a", "b"]`` and an ``Enum`` -> String (of ints: Int; an enum
member is output as its value); another dataclass, TypedDict
or Pydantic model -> an object field of the type of that name; string annotations and
forward references (``"Post"``, ``list["Comment"]``, ``from __future__ import annotations``)
are read without evaluating the unknown names. What cannot be inferred (connections,
resolvers, batch loaders, another source key, a scalar's serializer) is given in
``fields=`` (which also adds fields), ``exclude=`` drops fields; an annotation it cannot map
is a :class:`~graphfields.errors.SchemaError` naming the field and saying so.

Descriptions: ``description=`` for the type; a field's from
``dataclasses.field(metadata={"description": ...})`` or Pydantic's
``Field(description=...)``. Pydantic is not imported here: a class is a Pydantic model
when ``pydantic`` is already imported and the class derives from its ``BaseModel``.
"""

from __future__ import annotations

import builtins
import collections.abc as cabc
import dataclasses
import datetime as _dt
import enum
import sys
import types
import typing
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ForwardRef

from graphfields.errors import SchemaError
from graphfields.schema import (
    ID,
    Boolean,
    Datetime,
    FieldDef,
    Float,
    Int,
    ListOf,
    ObjectType,
    Scalar,
    Schema,
    String,
    TypeRef,
)

__all__ = ["is_model", "object_type", "schema_from"]

_SCALARS: dict[Any, Scalar] = {
    str: String, int: Int, float: Float, bool: Boolean,
    _dt.datetime: Datetime, _dt.date: Datetime, uuid.UUID: ID,
}
def _enum_value(value: Any) -> Any:
    """An enum member as its value (anything else as it is)."""
    return value.value if isinstance(value, enum.Enum) else value


_ENUM_STRING = Scalar("String", _enum_value)
_ENUM_INT = Scalar("Int", _enum_value)
_LISTS = {list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set,
          cabc.Collection, cabc.Iterable, typing.List, typing.Tuple, typing.Set}  # noqa: UP006


def _is_pydantic(cls: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None) if pydantic is not None else None
    return isinstance(cls, type) and base is not None and issubclass(cls, base) and cls is not base


def is_model(cls: Any) -> bool:
    """A dataclass, a TypedDict or a Pydantic model class."""
    return isinstance(cls, type) and (
        dataclasses.is_dataclass(cls) or typing.is_typeddict(cls) or _is_pydantic(cls))


class _Name:
    """A name in a string annotation that is not defined where the class is (a forward
    reference): ``list[_Name]`` and ``_Name | None`` still build."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> None:  # typing accepts callables as types (``Optional[X]``)
        raise TypeError(f"{self.name} is a forward reference")

    def __or__(self, other: Any) -> Any:
        return typing.Optional[self] if other is None else typing.Union[self, other]  # noqa: UP007, UP045

    __ror__ = __or__


class _Namespace(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return getattr(builtins, key) if hasattr(builtins, key) else _Name(key)


def _evaluate(text: str, cls: type) -> Any:
    module = sys.modules.get(cls.__module__)
    ns = _Namespace(vars(typing))
    ns.update(vars(module) if module is not None else {})
    ns.update({"None": None})
    try:
        return eval(text, {"__builtins__": builtins}, ns)
    except Exception:  # a syntax we cannot read: say which field below
        return _Name(text)


def _annotations(cls: type) -> dict[str, Any]:
    if _is_pydantic(cls):
        model_fields: dict[str, Any] = getattr(cls, "model_fields")  # noqa: B009
        return {name: info.annotation for name, info in model_fields.items()}
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        out.update(getattr(klass, "__annotations__", {}))
    if dataclasses.is_dataclass(cls):
        names = {f.name for f in dataclasses.fields(cls)}
        out = {k: v for k, v in out.items() if k in names}
    for k, v in out.items():
        if isinstance(v, ForwardRef):  # a TypedDict's string annotations
            v = v.__forward_arg__
        if isinstance(v, str):
            out[k] = _evaluate(v, cls)
    return out


def _descriptions(cls: type) -> dict[str, str]:
    if dataclasses.is_dataclass(cls):
        return {f.name: str(f.metadata["description"]) for f in dataclasses.fields(cls)
                if "description" in f.metadata}
    if _is_pydantic(cls):
        model_fields: dict[str, Any] = getattr(cls, "model_fields")  # noqa: B009
        return {n: str(i.description) for n, i in model_fields.items() if i.description}
    return {}


_WRAPPERS = {typing.Annotated, getattr(typing, "Required", None),
             getattr(typing, "NotRequired", None), getattr(typing, "ReadOnly", None)} - {None}


def _strip(tp: Any) -> Any:
    """``Annotated[X, ...]``, ``NotRequired[X]`` -> X; ``X | None`` -> X (several
    non-None members: kept)."""
    while True:
        origin = typing.get_origin(tp)
        if origin in _WRAPPERS:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union or origin is types.UnionType:
            rest = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def _model_name(tp: Any) -> str | None:
    if isinstance(tp, _Name):
        return tp.name
    if isinstance(tp, ForwardRef):
        return tp.__forward_arg__
    if isinstance(tp, str):
        return tp
    if is_model(tp):
        return _ModelRef(_names.get(tp, str(tp.__name__)), tp)
    return None


def _field_type(name: str, tp: Any, where: str) -> TypeRef:
    tp = _strip(tp)
    if name == "id" and tp in (str, int, uuid.UUID):
        return ID
    if tp in _SCALARS:
        return _SCALARS[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        ints = all(isinstance(m.value, int) and not isinstance(m.value, bool) for m in tp)
        return _ENUM_INT if ints else _ENUM_STRING
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        values = typing.get_args(tp)
        if all(isinstance(v, str) for v in values):
            return String
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return Int
    if origin in _LISTS:
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if len(args) == 1:
            item = _field_type("", args[0], where)
            if isinstance(item, Scalar | str):
                return ListOf(item)
    ref = _model_name(tp)
    if ref is not None:
        return ref
    raise SchemaError(
        f"{where}: cannot infer a graphfields type from the annotation {tp!r}; give it in "
        f"fields= (e.g. fields={{{name!r}: String}}) or leave it out with exclude=")


class _ModelRef(str):
    """A reference to another model's type by name, remembering the model: if that model
    is given another ``name=`` later, the reference is renamed (see :func:`object_type`)."""

    cls: type

    def __new__(cls, name: str, model: type) -> _ModelRef:
        ref = super().__new__(cls, name)
        ref.cls = model
        return ref


_names: dict[type, str] = {}
"""The type name each model was last given (by :func:`object_type`)."""
_refs: dict[type, dict[tuple[type, str], ObjectType]] = {}
"""For each model, the types whose fields refer to it by name, keyed by (the model the
type was made from, the field): the latest type made from a model replaces the earlier
one, so this stays as small as the models' references."""


def _ref_in(spec: FieldDef | TypeRef) -> _ModelRef | None:
    target = spec.type if isinstance(spec, FieldDef) else spec
    target = target.of if isinstance(target, ListOf) else target
    return target if isinstance(target, _ModelRef) else None


def _renamed(spec: FieldDef | TypeRef, ref: _ModelRef, name: str) -> FieldDef | TypeRef:
    new = _ModelRef(name, ref.cls)
    if isinstance(spec, FieldDef):
        return dataclasses.replace(spec, type=_renamed(spec.type, ref, name))  # type: ignore[arg-type]
    return ListOf(new) if isinstance(spec, ListOf) else new


def _rename(cls: type, name: str) -> None:
    """Point the references to ``cls`` made so far at its type's name ``name``."""
    for (_, fname), t in _refs.get(cls, {}).items():
        spec = t._raw.get(fname)
        ref = _ref_in(spec) if spec is not None else None
        if ref is not None and ref.cls is cls and ref != name:
            # A Schema built from ``t`` already has its own resolved fields: unchanged.
            t._raw[fname] = _renamed(spec, ref, name)  # type: ignore[arg-type]


def object_type(
    cls: type,
    *,
    name: str | None = None,
    fields: Mapping[str, FieldDef | TypeRef] | None = None,
    exclude: Iterable[str] = (),
    defaults: Sequence[str] | None = None,
    description: str = "",
) -> ObjectType:
    """The :class:`ObjectType` of a dataclass, TypedDict or Pydantic model.

    ``name`` defaults to the class name (other models refer to it by that name);
    ``fields`` override or add fields; ``exclude`` drops inferred ones; ``defaults``
    defaults to ``("id",)`` when there is an ``id`` field, else the first field.
    """
    if not is_model(cls):
        raise SchemaError(f"{cls!r} is not a dataclass, TypedDict or Pydantic model")
    type_name = name or cls.__name__
    _names[cls] = type_name
    _rename(cls, type_name)
    skip = set(exclude)
    overrides = dict(fields or {})
    notes = _descriptions(cls)
    out: dict[str, FieldDef | TypeRef] = {}
    for fname, annotation in _annotations(cls).items():
        if fname in skip or fname.startswith("_"):
            continue
        if fname in overrides:
            out[fname] = overrides.pop(fname)
            continue
        ftype = _field_type(fname, annotation, f'Field "{type_name}.{fname}"')
        out[fname] = FieldDef(ftype, description=notes.get(fname, ""))
    out.update(overrides)
    if defaults is None:
        defaults = ("id",) if "id" in out else tuple(out)[:1]
    made = ObjectType(type_name, out, defaults=defaults, description=description)
    for fname, spec in out.items():
        ref = _ref_in(spec)
        if ref is not None:
            _refs.setdefault(ref.cls, {})[(cls, fname)] = made
    return made


def schema_from(
    *classes: type,
    fields: Mapping[type, Mapping[str, FieldDef | TypeRef]] | None = None,
    defaults: Mapping[type, Sequence[str]] | None = None,
    descriptions: Mapping[type, str] | None = None,
) -> Schema:
    """A :class:`Schema` of the given models and every model their fields refer to
    (found through their annotations), with per-class ``fields``/``defaults``/
    ``descriptions`` as in :func:`object_type`."""
    fields, defaults, descriptions = fields or {}, defaults or {}, descriptions or {}
    todo, seen = list(classes), []
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        for annotation in _annotations(cls).values():
            todo += [c for c in _referenced(annotation) if c not in seen]
    return Schema([object_type(c, fields=fields.get(c), defaults=defaults.get(c),
                               description=descriptions.get(c, "")) for c in seen])


def _referenced(tp: Any) -> list[type]:
    """The model classes an annotation mentions (forward names excepted)."""
    if is_model(tp):
        return [tp]
    return [c for arg in typing.get_args(tp) for c in _referenced(arg)]
