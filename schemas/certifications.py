"""Certifications and ratings in their native scale (stars or a trustmark)."""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from . import codelists
from .base import LangText, Strict, Text
from .errors import fail
from .fields import Day

DERIVED = frozenset({"band", "active"})


class Certification(Strict):
    """``{"scheme": "VN-OCOP", "rating": 4, "rating_max": 5, "decision": ..., ...}``."""

    scheme = fields.String(required=True)
    rating = fields.Integer(strict=True)
    rating_max = fields.Integer(strict=True)
    mark = fields.String()
    score = fields.Float(allow_nan=False, validate=validate.Range(0, 100))
    decision = Text(max_length=100)
    issued_by = LangText(max_length=300)
    issued_on = Day()
    expires_on = Day()
    level = fields.String()
    url = fields.Url(schemes={"http", "https"})

    @pre_load
    def drop_derived(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and not DERIVED.isdisjoint(data):
            return {k: v for k, v in data.items() if k not in DERIVED}
        return data

    @validates_schema
    def native_scale(self, data: dict[str, Any], **_: Any) -> None:
        scheme = codelists.rating_scheme(data.get("scheme", ""))
        if scheme is None:
            raise _err("scheme", "rating_scheme", f"Unknown rating scheme '{data.get('scheme')}'.")
        if scheme["type"] == "stars":
            _check_stars(scheme, data)
        else:
            _check_mark(scheme, data)
        levels = scheme.get("levels")
        if "level" in data and levels and data["level"] not in levels:
            raise _err("level", "code", f"Level must be one of: {', '.join(levels)}.")
        if data.get("issued_on") and data.get("expires_on") and data["expires_on"] < data["issued_on"]:
            raise _err("expires_on", "date_order", "Expires before it was issued.")


def _check_stars(scheme: dict[str, Any], data: dict[str, Any]) -> None:
    if "mark" in data:
        raise _err("mark", "not_allowed", f"{scheme['code']} rates in stars; it has no marks.")
    if "rating" not in data:
        raise _err("rating", "required", f"{scheme['code']} needs a star rating.")
    top = scheme["max"]
    if data.setdefault("rating_max", top) != top:
        raise _err("rating_max", "rating_scale", f"{scheme['code']} rates out of {top}.")
    if not scheme.get("min", 1) <= data["rating"] <= top:
        raise _err("rating", "range", f"{scheme['code']} ratings run from {scheme.get('min', 1)} to {top}.")


def _check_mark(scheme: dict[str, Any], data: dict[str, Any]) -> None:
    if "rating" in data or "rating_max" in data:
        raise _err("rating", "not_allowed", f"{scheme['code']} is a trustmark; it has no rating.")
    marks = scheme.get("marks") or []
    if data.get("mark") not in marks:
        raise _err("mark", "code", f"Mark must be one of: {', '.join(marks)}.")


def _err(field: str, code: str, message: str) -> ValidationError:
    return ValidationError({field: [fail(code, message).messages[0]]})


def band(cert: dict[str, Any]) -> int | None:
    """A 1-5 band for cross-country filtering: the star share of the scale, rounded.

    Trustmarks have no band: a pass/fail mark is not a rating and is not made into one.
    """
    rating, top = cert.get("rating"), cert.get("rating_max")
    if rating is None or not top:
        return None
    return max(1, min(5, int(rating * 5 / top + 0.5)))


def expiry(cert: dict[str, Any]) -> str | None:
    """The end of validity: stated, or issue date plus the scheme's validity period."""
    if cert.get("expires_on"):
        return cert["expires_on"]
    return _implied_expiry(cert.get("scheme", ""), cert.get("issued_on"))


@lru_cache(maxsize=4096)
def _implied_expiry(scheme_code: str, issued: str | None) -> str | None:
    scheme = codelists.rating_scheme(scheme_code) or {}
    months = scheme.get("validity_months")
    if not months or not issued:
        return None
    start = date.fromisoformat(issued)
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1])).isoformat()


def active(cert: dict[str, Any], today: date) -> bool:
    """Whether ``today`` lies in the validity window (open ends count as valid)."""
    day = today.isoformat()
    issued, ends = cert.get("issued_on"), expiry(cert)
    return (issued is None or issued <= day) and (ends is None or day <= ends)
