"""A fast path through the standard's marshmallow schemas for records that are valid.

marshmallow spends most of a load in its own machinery (error stores, getter closures,
processor look-ups, a wrapper per field and per validator), not in the standard's
checks. :func:`compile_schema` reads a schema's declaration once (its fields, their
validators, its ``pre_load`` and ``validates_schema`` hooks, ``unknown``) and returns a
loader that runs the same field code (each field's own ``_deserialize``, validators and
hooks, in marshmallow's order) without that machinery. It handles only the clean case:
at the first doubt (a missing required field, ``null``, an unknown key, any error) it
raises :class:`Bail`, and the caller runs ``schema.load`` itself, which gives the errors
exactly as before. So the standard stays declared once, in marshmallow, and an invalid
record costs a little more (the aborted fast attempt) while a valid one costs about a
third. ``tests/schemas/test_equivalence.py`` pins the outcome on thousands of records.

A schema using a feature the fast path does not interpret (``load_default``, field
``pre_load``/``post_load``, ``@validates``, ``post_load``, ``partial``, ``INCLUDE``,
``data_key``/``attribute`` renaming, ``allow_none``, ``Nested(many=True)``) compiles to ``None``: it is
always loaded by marshmallow.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from marshmallow import EXCLUDE, RAISE, Schema, fields, missing
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

Loader = Callable[[Any], Any]


# Field types whose ``_deserialize`` returns the value itself when the test holds:
# Integer gives int(value), Float float(value) after refusing NaN and infinities,
# Boolean True and False as they are.
_IDENTITY: dict[type, Callable[[Any], bool]] = {
    fields.Integer: lambda v: type(v) is int,
    fields.Float: lambda v: type(v) is float and math.isfinite(v),
    fields.Boolean: lambda v: v is True or v is False,
}


_SCALARS = frozenset({str, int, float, bool, type(None)})


class Bail(Exception):
    """The fast path is not sure: let marshmallow load the record (and report)."""


class Unsupported(Exception):
    """A schema feature the fast path does not interpret (compile-time)."""


def compile_schema(schema: Schema, keys_ok: Callable[[dict[Any, Any]], bool] = lambda _: True) -> Loader | None:
    """A fast loader for ``schema`` (an instance), or None when it uses an unsupported feature.

    ``keys_ok`` screens the keys of every object a leaf field (not a nested schema)
    receives; False bails. Such an object must hold plain values only (strings, numbers,
    booleans, null), and a leaf field given an array or a tuple bails, so what the fast
    path accepts nests only as deep as the schemas do. A
    ``pre_load`` hook may name a cheaper variant for this path in its ``fast_variant``
    attribute (the standard's envelope skips its walk for personal data and depth).
    """
    try:
        return _schema_loader(schema, None, keys_ok)
    except Unsupported:
        return None


def _schema_loader(schema: Schema, unknown: str | None, keys_ok: Callable[[dict[Any, Any]], bool]) -> Loader:
    hooks = schema._hooks
    if hooks[POST_LOAD] or hooks[VALIDATES] or schema.partial or schema.many:
        raise Unsupported(type(schema).__name__)
    unknown = unknown or schema.unknown
    if unknown not in (RAISE, EXCLUDE):
        raise Unsupported("unknown=INCLUDE")
    pre = [
        getattr(schema, getattr(getattr(schema, name), "fast_variant", name))
        for name, many, kw in hooks[PRE_LOAD]
        if not many and not kw.get("pass_original")
    ]
    if len(pre) != len(hooks[PRE_LOAD]):
        raise Unsupported("pre_load with pass_many or pass_original")
    checks = [
        getattr(schema, name) for name, many, kw in hooks[VALIDATES_SCHEMA] if not many and not kw.get("pass_original")
    ]
    if len(checks) != len(hooks[VALIDATES_SCHEMA]):
        raise Unsupported("validates_schema with pass_many or pass_original")
    plan: list[tuple[str, Loader]] = []
    for name, fld in schema.load_fields.items():
        if fld.data_key not in (None, name) or fld.attribute not in (None, name) or "." in name:
            raise Unsupported(f"{name}: renamed")
        if fld.allow_none:
            raise Unsupported(f"{name}: allow_none")
        plan.append((name, _field_loader(fld, name, keys_ok)))
    names = frozenset(name for name, _ in plan)
    required = frozenset(name for name, fld in schema.load_fields.items() if fld.required)
    strict = unknown == RAISE

    def load(data: Any) -> dict[str, Any]:
        for hook in pre:
            data = hook(data, many=False, partial=None, unknown=unknown)
        if not isinstance(data, dict) or (strict and not names.issuperset(data)) or not required <= data.keys():
            raise Bail
        out: dict[str, Any] = {}
        for name, run in plan:
            if name in data:
                value = data[name]
                if value is None:
                    raise Bail
                out[name] = run(value)
        for check in checks:
            check(out, partial=None, many=False, unknown=unknown)
        return out

    return load


def _field_loader(fld: fields.Field[Any], name: str, keys_ok: Callable[[dict[Any, Any]], bool]) -> Loader:
    """``value -> output`` as ``fld.deserialize`` would give it for a present, non-null value."""
    if fld.load_default is not missing or fld.pre_load or fld.post_load:
        raise Unsupported(f"{name}: load_default, pre_load or post_load")
    validators = tuple(fld.validators)
    if isinstance(fld, fields.Nested):
        if fld.many or getattr(fld.schema, "many", False):
            raise Unsupported(f"{name}: Nested(many=True)")
        inner = _schema_loader(fld.schema, fld.unknown, keys_ok)
        run: Loader = inner
    elif isinstance(fld, fields.List):
        run = _list_loader(fld, name, keys_ok)
    elif type(fld) is fields.String:

        def run(value: Any) -> Any:
            if type(value) is not str:  # bytes and str subclasses: marshmallow decides
                raise Bail
            return value
    elif type(fld) in _IDENTITY:  # the value as given when of this exact type, as marshmallow returns it
        same, deserialize = _IDENTITY[type(fld)], fld._deserialize

        def run(value: Any) -> Any:
            return value if same(value) else deserialize(value, name, None)
    else:
        deserialize = fld._deserialize

        def checked(value: Any) -> Any:
            if type(value) is dict:
                if not keys_ok(value) or not _SCALARS.issuperset(map(type, value.values())):
                    raise Bail
            elif type(value) is not str:  # numbers and the like: marshmallow's own types decide
                if isinstance(value, (dict, list, tuple)):
                    raise Bail
            output = deserialize(value, name, None)
            for validator in validators:
                validator(output)
            return output

        return checked

    if not validators:
        return run

    def validated(value: Any) -> Any:
        output = run(value)
        for validator in validators:
            validator(output)
        return output

    return validated


def _list_loader(fld: fields.List[Any], name: str, keys_ok: Callable[[dict[Any, Any]], bool]) -> Loader:
    inner = fld.inner
    if inner.required or inner.load_default is not missing or inner.allow_none:
        raise Unsupported(f"{name}: list items with required, load_default or allow_none")
    each = _field_loader(inner, name, keys_ok)

    def run(value: Any) -> list[Any]:
        if type(value) is not list or None in value:
            raise Bail
        return [each(item) for item in value]

    return run
