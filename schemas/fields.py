"""Field types shared by every kind of record: language text, references, codes, numbers."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import langcodes
import pycountry
from marshmallow import ValidationError, fields
from stdnum import ean

from . import codelists
from .errors import fail
from .text import nfc

# Patterns end with \Z, not $: "$" also matches before a final newline, so "nl-test\n"
# would pass (and become a second record, and a CSV row split in two).
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}\Z")
KINDS = ("programmes", "organisations", "partnerships", "producers", "products", "indicators", "activities")
# C0 controls other than tab, line feed and carriage return, DEL, and lone surrogates:
# no national record means them, and PostgreSQL cannot store NUL at all.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
REF_RE = re.compile(r"^(?:([A-Z]{2})/([a-z]+)/)?([A-Za-z0-9][A-Za-z0-9._~-]{0,127})\Z")


_STRING = fields.String._deserialize


def _string(field: fields.String, value: Any, attr: str | None, data: Any, kw: dict[str, Any]) -> str:
    """``fields.String._deserialize``, which returns a ``str`` as it is: skipped for one."""
    return value if type(value) is str else _STRING(field, value, attr, data, **kw)


class Text(fields.String):
    """A plain string, trimmed and NFC-normalised, with a length limit."""

    def __init__(self, *, max_length: int = 500, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = nfc(_string(self, value, attr, data, kw))
        if not text:
            raise fail("empty", "Must not be empty.")
        if len(text) > self.max_length:
            raise fail("length", f"At most {self.max_length} characters.")
        if CONTROL_RE.search(text):
            raise fail("control_character", _CONTROL_MESSAGE)
        return text


class LangText(fields.Field[dict[str, str]]):
    """``{BCP 47 tag: text}``: at least one entry, tags well-formed, strings NFC."""

    def __init__(self, *, max_length: int = 500, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise fail("type", 'Expected an object of language tag to text, e.g. {"en": "..."}.')
        if not value:
            raise fail("empty", "At least one language is required.")
        out: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        for tag, text in value.items():
            canonical = _tag(tag) if isinstance(tag, str) and len(tag) <= 35 else None
            if canonical is None:
                errors[str(tag)] = [fail("language_tag", f"'{tag}' is not a BCP 47 language tag.").messages[0]]
                continue
            if not isinstance(text, str):
                errors[tag] = [fail("type", "Not a valid string.").messages[0]]
                continue
            clean = nfc(text)
            if not clean:
                errors[tag] = [fail("empty", "Must not be empty.").messages[0]]
            elif len(clean) > self.max_length:
                errors[tag] = [fail("length", f"At most {self.max_length} characters.").messages[0]]
            elif CONTROL_RE.search(clean):
                errors[tag] = [fail("control_character", _CONTROL_MESSAGE).messages[0]]
            else:
                out[canonical] = clean
        if errors:
            raise ValidationError(errors)
        return out


_CONTROL_MESSAGE = (
    "Contains a control character (U+0000-U+001F other than tab and line breaks, or U+007F) or a lone surrogate."
)


@lru_cache(maxsize=4096)
def _tag(tag: str) -> str | None:
    """The tag in canonical case when it is a valid BCP 47 tag (of at most 35 characters,
    checked by the caller, so the cache holds only short keys), else None."""
    return _canonical_tag(tag) if langcodes.tag_is_valid(tag) else None


def _canonical_tag(tag: str) -> str:
    """``EN-gb`` -> ``en-GB``: the case conventions of BCP 47, without remapping."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p.lower())
    return "-".join(out)


class Ref(fields.String):
    """A reference: ``CC/kind/id`` or a bare ``id`` of the same country.

    Kept as written (the bare form is resolved against the record's country when the
    hub checks that the target exists, which is a warning, never an error).
    """

    def __init__(self, *, kinds: tuple[str, ...] = KINDS, **kw: Any) -> None:
        super().__init__(**kw)
        self.kinds = kinds

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = nfc(_string(self, value, attr, data, kw))
        m = REF_RE.match(text)
        if not m:
            raise fail("reference", "Expected 'CC/kind/id' or a bare id.")
        country, kind, _ = m.groups()
        if kind is not None and kind not in self.kinds:
            raise fail("reference_kind", f"Must refer to one of: {', '.join(self.kinds)}.")
        if country is not None and not _is_country(country):
            raise fail("country", f"'{country}' is not an ISO 3166-1 country code.")
        return text


class Code(fields.String):
    """A code from a named codelist."""

    def __init__(self, codelist: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.codelist = codelist

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip()
        if text not in codelists.codes(self.codelist):
            raise fail("code", f"'{text}' is not in codelist '{self.codelist}'.")
        return text


class Country(fields.String):
    """ISO 3166-1 alpha-2."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip()
        if len(text) != 2 or not text.isupper() or not _is_country(text):
            raise fail("country", f"'{text}' is not an ISO 3166-1 alpha-2 country code.")
        return text


@lru_cache(maxsize=1024)
def _is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=1024)
def _is_currency(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code) is not None


class Currency(fields.String):
    """ISO 4217 alphabetic code."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip()
        if len(text) != 3 or not _is_currency(text):
            raise fail("currency", f"'{text}' is not an ISO 4217 currency code.")
        return text


class GTIN(fields.String):
    """GTIN-8/12/13/14 with a correct GS1 check digit."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip()
        if not text.isdigit() or len(text) not in (8, 12, 13, 14):
            raise fail("gtin", "A GTIN has 8, 12, 13 or 14 digits.")
        if not ean.is_valid(text):
            raise fail("gtin_check_digit", "The GTIN check digit is wrong.")
        return text


class HSCode(fields.String):
    """Harmonized System code: 6 digits, or 8 (AHTN) or 10 national digits; dots allowed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip().replace(".", "")
        if not text.isdigit() or len(text) not in (6, 8, 10):
            raise fail("hs_code", "An HS code has 6, 8 or 10 digits.")
        if not 1 <= int(text[:2]) <= 97:
            raise fail("hs_code", "HS chapters run from 01 to 97.")
        return text


class Timestamp(fields.String):
    """RFC 3339 timestamp with an explicit offset (kept as written, NFC-trimmed)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = _string(self, value, attr, data, kw).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise fail("datetime", "Expected an RFC 3339 timestamp, e.g. 2025-07-01T08:00:00+07:00.") from None
        if parsed.tzinfo is None or "T" not in text.upper():
            raise fail("datetime_offset", "An RFC 3339 timestamp needs a date, a time and an offset.")
        return text


class Day(fields.Date):
    """A calendar date (ISO 8601 ``YYYY-MM-DD``), kept as an ISO string."""

    # a Date field for the OpenAPI document (format: date), but the value stays its ISO text
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:  # type: ignore[override]
        if not isinstance(value, str):
            raise fail("date", "Expected a date as YYYY-MM-DD.")
        if len(value) <= 40:  # dates repeat: parsed once
            day = _iso_day(value)
            if day is None:
                raise fail("date", "Expected a date as YYYY-MM-DD.")
            return day
        try:
            return super()._deserialize(value, attr, data, **kw).isoformat()
        except ValidationError:
            raise fail("date", "Expected a date as YYYY-MM-DD.") from None


_DATE = fields.Date()


@lru_cache(maxsize=4096)
def _iso_day(text: str) -> str | None:
    """What :class:`Day` makes of ``text``, None when it is not a date."""
    try:
        return _DATE._deserialize(text, None, None).isoformat()
    except ValidationError:
        return None


class Url(fields.Url):
    """An http(s) URL."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(schemes={"http", "https"}, **kw)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        try:
            return super()._deserialize(nfc(value) if isinstance(value, str) else value, attr, data, **kw)
        except ValidationError:
            raise fail("url", "Expected an http or https URL.") from None


class Amount(fields.Field[str]):
    """A decimal number, kept as a canonical string (``"745209437.00"`` -> ``"745209437"``).

    Accepts JSON numbers or strings; strings keep full precision (no float rounding).
    """

    def __init__(self, *, minimum: Decimal | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        if type(value) is str and len(value) <= 40 and (hit := _amount(value)) is not None:
            number, text = hit  # amounts repeat: parsed once
            if self.minimum is not None and number < self.minimum:
                raise fail("range", f"Must be at least {self.minimum}.")
            return text
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise fail("type", "Expected a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise fail("number", "Expected a number such as 1234.50 (no thousands separators).") from None
        if not number.is_finite():
            raise fail("number", "Expected a finite number.")
        if self.minimum is not None and number < self.minimum:
            raise fail("range", f"Must be at least {self.minimum}.")
        return format(number.normalize(), "f")


@lru_cache(maxsize=4096)
def _amount(text: str) -> tuple[Decimal, str] | None:
    """``(number, canonical text)`` of a finite decimal string, None otherwise (the caller
    then says why)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return (number, format(number.normalize(), "f")) if number.is_finite() else None
