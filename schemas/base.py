"""The envelope every record shares, and the nested objects several kinds use."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from . import codelists
from .errors import fail
from .fields import ID_RE, Amount, Code, Country, Currency, Day, LangText, Text, Timestamp

# Fields the hub adds on read; ignored on input so that read records can be written back.
HUB_FIELDS = frozenset({"uid", "version", "review", "hub_updated_at", "content_hash",
                        "warnings", "deleted"})

# Keys that carry personal data of individuals: not part of the standard, rejected.
PERSONAL_KEYS = frozenset({
    "phone", "phone_number", "mobile", "telephone", "tel", "fax", "email", "e_mail",
    "personal_email", "national_id", "id_number", "id_card", "identity_card", "citizen_id",
    "passport", "passport_number", "tax_id_personal", "date_of_birth", "birth_date", "dob",
    "home_address", "cccd", "cmnd", "ssn",
})


def _is_personal(key: Any) -> bool:
    return str(key).lower().replace("-", "_") in PERSONAL_KEYS


def _without_personal(value: Any) -> Any:
    """``value`` with every personal key removed, at any depth."""
    if isinstance(value, dict):
        return {k: _without_personal(v) for k, v in value.items() if not _is_personal(k)}
    if isinstance(value, list):
        return [_without_personal(v) for v in value]
    return value


def _personal_paths(value: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _is_personal(key):
                found.append(here)
            else:
                found.extend(_personal_paths(sub, here))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found.extend(_personal_paths(sub, f"{path}.{i}" if path else str(i)))
    return found


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
        """Ignore what the hub itself adds on read (round trip); set personal data aside
        (``no_personal_data`` refuses it) so the record's other errors are reported too."""
        if not isinstance(data, dict):
            raise fail("type", "A record is a JSON object.")
        if _personal_paths(data):
            data = _without_personal(data)
        return {k: v for k, v in data.items() if k not in HUB_FIELDS}

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def no_personal_data(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        personal = _personal_paths(original)
        if personal:
            raise ValidationError({p: [fail("personal_data",
                                            "Personal data of individuals is not part of the standard.").messages[0]]
                                   for p in personal})


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
        return {k: v for k, v in data.items() if k not in ("common", "label")} \
            if isinstance(data, dict) else data

    @validates_schema
    def known(self, data: dict[str, Any], **_: Any) -> None:
        scheme, code = data.get("scheme"), data.get("code")
        if scheme not in codelists.category_schemes() and scheme != codelists.COMMON:
            raise ValidationError({"scheme": [fail("category_scheme", f"Unknown category scheme '{scheme}'.")
                                              .messages[0]]})
        if code not in codelists.category_codes(scheme):
            raise ValidationError({"code": [fail("category_code", f"'{code}' is not a code of {scheme}.")
                                            .messages[0]]})


def coded_list(codelist: str, **kw: Any) -> fields.List:
    """A list of codes from one codelist, without repeats."""
    return fields.List(Code(codelist), validate=_unique, **kw)


def _unique(values: list[Any]) -> None:
    if len(set(map(str, values))) != len(values):
        raise fail("duplicate", "Values must not repeat.")


__all__ = ["Envelope", "Strict", "LegalAct", "Place", "Coordinates", "Money", "Category",
           "coded_list", "HUB_FIELDS", "Code", "LangText", "Text", "Day"]
