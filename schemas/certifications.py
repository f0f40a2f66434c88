"""Certifications and ratings in their native scale (stars or a trustmark)."""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from . import codelists
from .base import DecisionField, LangText, Strict
from .dates import certainly_before, interval, is_full
from .errors import fail
from .fields import CONTROL_RE, Day, control_free_urls
from .provenance import decision_date

DERIVED = frozenset({"band", "active"})


class Certification(Strict):
    """``{"scheme": "VN-OCOP", "rating": 4, "rating_max": 5, "decision": ..., ...}``."""

    scheme = fields.String(required=True)
    rating = fields.Integer(strict=True)
    rating_max = fields.Integer(strict=True)
    mark = fields.String()
    score = fields.Float(allow_nan=False, validate=validate.Range(0, 100))
    decision = DecisionField()
    issued_by = LangText(max_length=300)
    issued_on = Day()
    expires_on = Day()
    level = fields.String()
    url = control_free_urls(fields.Url(schemes={"http", "https"}))

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
        level = data.get("level")
        if level is not None:
            _check_level(scheme, level, data)
        issued, ends = data.get("issued_on"), data.get("expires_on")
        if issued and ends and (ends < issued if len(ends) == len(issued) == 10 else certainly_before(ends, issued)):
            raise _err("expires_on", "date_order", "Expires before it was issued.")


def _check_level(scheme: dict[str, Any], level: str, data: dict[str, Any]) -> None:
    """A level of the scheme, in force at the decision's date (VN-OCOP ``district``)."""
    levels = scheme.get("levels")
    if not levels:  # a scheme without levels takes any text, but no control character
        if CONTROL_RE.search(level):
            raise _err("level", "control_character", "Contains a control character or a lone surrogate.")
        return
    if level not in levels:
        raise _err("level", "code", f"Level must be one of: {', '.join(levels)}.")
    until = (scheme.get("level_until") or {}).get(level)
    when = decision_date(data) if until else None
    if until and when and not certainly_before(when, until):
        raise _err(
            "level",
            "level_not_in_force",
            f"{scheme['code']} level '{level}' existed only for decisions before {until}.",
        )


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
    """The end of validity: stated, or a full issue date plus the scheme's validity period
    (from a partial issue date the end is not known: None)."""
    if cert.get("expires_on"):
        return cert["expires_on"]
    issued = cert.get("issued_on")
    return _implied_expiry(cert.get("scheme", ""), issued) if issued and is_full(issued) else None


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


def validity_known(cert: dict[str, Any]) -> bool:
    """Whether the end of validity can be computed: stated, implied by a full issue date,
    or the scheme has no validity period (open end). A scheme with a period and neither
    an expiry nor a full issue date cannot say (``validity_unknown``)."""
    if cert.get("expires_on"):
        return True
    months = (codelists.rating_scheme(cert.get("scheme", "")) or {}).get("validity_months")
    return not months or bool(cert.get("issued_on")) and is_full(cert["issued_on"])


def active(cert: dict[str, Any], today: date) -> bool | None:
    """Whether ``today`` lies in the validity window (open ends count as valid): None
    when it cannot be told, because the validity is unknown or ``today`` falls within
    the imprecision of a partial date (``issued_on: "2026"`` read in 2026)."""
    if not validity_known(cert):
        return None
    issued, ends = cert.get("issued_on"), expiry(cert)
    if issued and today < interval(issued)[0] or ends and interval(ends)[1] < today:
        return False
    if issued and today < interval(issued)[1] or ends and interval(ends)[0] < today:
        return None
    return True
