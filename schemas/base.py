"""The envelope every record shares, and the nested objects several kinds use."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from . import codelists
from .errors import Coded, fail
from .fields import ID_RE, Amount, Code, Country, Currency, Day, LangText, Text, Timestamp

# Fields the hub adds on read; ignored on input so that read records can be written back.
HUB_FIELDS = frozenset({"uid", "version", "review", "hub_updated_at", "content_hash", "warnings", "deleted"})

# Keys that carry personal data of individuals: not part of the standard, rejected.
PERSONAL_KEYS = frozenset(
    {
        "phone",
        "phone_number",
        "mobile",
        "telephone",
        "tel",
        "fax",
        "email",
        "e_mail",
        "personal_email",
        "national_id",
        "id_number",
        "id_card",
        "identity_card",
        "citizen_id",
        "passport",
        "passport_number",
        "tax_id_personal",
        "date_of_birth",
        "birth_date",
        "dob",
        "home_address",
        "cccd",
        "cmnd",
        "ssn",
    }
)


# How deep objects and arrays may nest in a record (the record itself is level 1). The
# standard needs 4 (products.certifications.0.issued_by); the limit keeps every check
# linear and far from Python's recursion limit, whatever a partner sends.
MAX_DEPTH = 32
# At most this many personal-data findings per record, and path segments cut to this
# length in them, so that the error list stays small whatever the input.
MAX_PERSONAL_FINDINGS = 100
MAX_PATH_SEGMENT = 200

_PERSONAL_MESSAGE = "Personal data of individuals is not part of the standard."
_DEEP_MESSAGE = f"Objects and arrays nest more than {MAX_DEPTH} levels deep."
_personal_seen: dict[str, bool] = {}


def is_personal(key: Any) -> bool:
    """Whether a key names personal data (``Phone``, ``national-id``...); memoised for short keys."""
    hit = _personal_seen.get(key) if isinstance(key, str) else None
    if hit is None:
        hit = str(key).lower().replace("-", "_") in PERSONAL_KEYS
        if isinstance(key, str) and len(key) <= 64 and len(_personal_seen) < 4096:
            _personal_seen[key] = hit
    return hit


_SAFE_KEYS: set[Any] = set()  # short keys seen that are not personal (bounded)


def _has_personal(node: dict[Any, Any]) -> bool:
    found = False
    for key in node:
        if is_personal(key):
            found = True
        elif isinstance(key, str) and len(key) <= 64 and len(_SAFE_KEYS) < 4096:
            _SAFE_KEYS.add(key)
    return found


def keys_clean(node: dict[Any, Any]) -> bool:
    """Whether no key of ``node`` names personal data."""
    return _SAFE_KEYS.issuperset(node) or not _has_personal(node)


def _clean(value: Any, level: int) -> bool:
    """Whether nothing below ``value`` (at ``level``) is personal or nested too deep: the
    common case, decided without paths, in any order; :func:`screen` walks again, in
    document order and with paths, only when it is not."""
    stack = [(value, level)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            if not _SAFE_KEYS.issuperset(node) and _has_personal(node):
                return False
            children: Any = node.values()
        else:
            children = node
        for sub in children:
            if isinstance(sub, (dict, list)):
                if level >= MAX_DEPTH:
                    return False
                stack.append((sub, level + 1))
    return True


def _entries(value: Any) -> Iterator[tuple[Any, Any, bool]]:
    if isinstance(value, dict):
        return ((k, v, True) for k, v in value.items())
    return ((i, v, False) for i, v in enumerate(value))


def _segment(key: Any) -> str:
    text = str(key)
    return text if len(text) <= MAX_PATH_SEGMENT else text[:MAX_PATH_SEGMENT] + "…"


def screen(record: dict[str, Any], known: frozenset[str]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """One pass over a record before it is loaded: hub fields dropped, personal data and
    nesting deeper than :data:`MAX_DEPTH` found. Returns the record to load and the errors.

    Unknown top-level fields are not walked (marshmallow refuses them as
    ``unknown_field``), so their content costs nothing; the walk is iterative and stops
    at the depth limit, so time and memory stay linear in the input and no input reaches
    Python's recursion limit. A path is joined only when a finding is reported.
    """
    if known.issuperset(record) and _clean(record, 1):  # the common case: nothing to report
        return record, {}
    errors: dict[str, list[Any]] = {}
    found = 0
    for field, value in record.items():
        if field in HUB_FIELDS:
            continue
        if field not in _SAFE_KEYS and is_personal(field):
            errors[_segment(field)] = [Coded("personal_data", _PERSONAL_MESSAGE)]
            found += 1
            continue
        if field not in known or not isinstance(value, (dict, list)) or _clean(value, 2):
            continue
        path: list[str] = [_segment(field)]
        stack = [_entries(value)]
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                path.pop()
                continue
            key, sub, in_dict = entry
            if in_dict and is_personal(key):
                if found < MAX_PERSONAL_FINDINGS:
                    errors[".".join(path) + "." + _segment(key)] = [Coded("personal_data", _PERSONAL_MESSAGE)]
                found += 1
            elif isinstance(sub, (dict, list)):
                if len(stack) + 2 > MAX_DEPTH:  # the record is level 1, the field's value level 2
                    errors[_segment(field)] = [Coded("too_deep", _DEEP_MESSAGE)]
                    break
                stack.append(_entries(sub))
                path.append(_segment(key))
    clean = record if HUB_FIELDS.isdisjoint(record) else {k: v for k, v in record.items() if k not in HUB_FIELDS}
    return clean, errors


class Strict(Schema):
    """Unknown fields are errors: a typo must not silently drop data."""

    class Meta:
        unknown = RAISE


class Envelope(Strict):
    """``id``, ``country``, ``source_updated_at``: the part every kind shares."""

    id = fields.String(required=True, validate=validate.Regexp(ID_RE))
    country = Country(required=True)
    source_updated_at = Timestamp()

    @pre_load
    def drop_hub_fields(self, data: Any, **_: Any) -> Any:
        """Ignore what the hub itself adds on read (round trip); refuse personal data and
        records nested too deep before anything else walks them."""
        if not isinstance(data, dict):
            raise fail("type", "A record is a JSON object.")
        clean, errors = screen(data, self._known())
        if errors:
            raise ValidationError(errors)
        return clean

    def without_hub_fields(self, data: Any, **_: Any) -> Any:
        """The fast path's variant of :meth:`drop_hub_fields` (``schemas/fastload.py``):
        that path accepts only the nesting the fields declare and screens every object a
        field receives with :func:`keys_clean`, so the walk is not needed there."""
        if not isinstance(data, dict):
            raise fail("type", "A record is a JSON object.")
        return data if HUB_FIELDS.isdisjoint(data) else {k: v for k, v in data.items() if k not in HUB_FIELDS}

    drop_hub_fields.fast_variant = "without_hub_fields"  # type: ignore[attr-defined]

    def _known(self) -> frozenset[str]:
        known = self.__dict__.get("_known_fields")
        if known is None:
            known = self.__dict__["_known_fields"] = frozenset(
                f.data_key or name for name, f in self.load_fields.items()
            )
        return known


class LegalAct(Strict):
    """A law, decree or decision: ``{"ref": "919/QĐ-TTg", "title": {...}, "date": ...}``."""

    ref = Text(required=True, max_length=100)
    title = LangText()
    date = Day()
    url = fields.Url(schemes={"http", "https"})


class Place(Strict):
    """Where something is: an area code, the original place text, or both."""

    area = fields.String()
    place = Text(max_length=300)

    @validates_schema
    def one_of(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise fail("required", "Give an area code, a place text, or both.")


class Coordinates(Strict):
    """WGS 84 latitude and longitude in decimal degrees."""

    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)


class Money(Strict):
    """An amount in an ISO 4217 currency (VND has no minor unit: integers are fine)."""

    amount = Amount(required=True, minimum=Decimal(0))
    currency = Currency(required=True)


class Category(Strict):
    """A native category code; the common category is derived (ignored on input)."""

    scheme = fields.String(required=True)
    code = fields.String(required=True)

    @pre_load
    def drop_derived(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and ("common" in data or "label" in data):
            return {k: v for k, v in data.items() if k not in ("common", "label")}
        return data

    @validates_schema
    def known(self, data: dict[str, Any], **_: Any) -> None:
        scheme, code = data.get("scheme"), data.get("code")
        if scheme not in codelists.category_schemes() and scheme != codelists.COMMON:
            raise ValidationError(
                {"scheme": [fail("category_scheme", f"Unknown category scheme '{scheme}'.").messages[0]]}
            )
        if code not in codelists.category_codes(scheme):
            raise ValidationError({"code": [fail("category_code", f"'{code}' is not a code of {scheme}.").messages[0]]})


def coded_list(codelist: str, **kw: Any) -> fields.List[str]:
    """A list of codes from one codelist, without repeats."""
    return fields.List(Code(codelist), validate=_unique, **kw)


def _unique(values: list[Any]) -> None:
    if len(set(map(str, values))) != len(values):
        raise fail("duplicate", "Values must not repeat.")


__all__ = [
    "Envelope",
    "Strict",
    "LegalAct",
    "Place",
    "Coordinates",
    "Money",
    "Category",
    "coded_list",
    "HUB_FIELDS",
    "MAX_DEPTH",
    "screen",
    "Code",
    "LangText",
    "Text",
    "Day",
]
