"""Display helpers for console templates: names, labels, dates, numbers, states.

Dates and numbers are written by Babel in the console's language: the English console
uses CLDR's international English (``en_001``: ``30 Nov 2026``, not the US ``11/30/26``),
Vietnamese and Thai their own (``30 thg 11, 2026``, ``30 พ.ย. 2026``). Times are shown
in the staff member's time zone (their profile), else the hub's ``console_time_zone``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import babel
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Blueprint, g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from schemas import codelists

from .. import hub_of
from ..records.projection import NAME_FIELDS

#: the Babel locale that writes dates and numbers for each console language
FORMAT_LOCALES = {"en": "en_001", "vi": "vi", "th": "th"}

STATE_LABELS = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "rejected": _l("Rejected"),
    "superseded": _l("Superseded"),
    "open": _l("Open"),
    "resolved": _l("Resolved"),
}
KIND_LABELS = {
    "programmes": _l("Programmes"),
    "organisations": _l("Organisations"),
    "partnerships": _l("Partnerships"),
    "producers": _l("Producers"),
    "products": _l("Products"),
    "indicators": _l("Indicators"),
    "activities": _l("Activities"),
}
ROLE_LABELS = {"reviewer": _l("Reviewer"), "secretariat": _l("Secretariat"), "admin": _l("Administrator")}


def lang() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def register(bp: Blueprint) -> None:
    """Add the helpers to every console template."""
    bp.add_app_template_filter(display_name, "display_name")
    bp.add_app_template_filter(when, "when")
    bp.add_app_template_filter(day, "day")
    bp.add_app_template_filter(number, "number")
    bp.add_app_template_filter(percent, "percent")
    bp.add_app_template_global(zone_name, "time_zone")
    bp.add_app_template_filter(label, "label")
    bp.add_app_template_global(STATE_LABELS, "STATE_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(KIND_LABELS, "KIND_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(ROLE_LABELS, "ROLE_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(codelist_items, "codelist_items")
    bp.add_app_template_global(actor_name, "actor_name")
    bp.add_app_template_global(lang, "current_lang")


def pick(text: Any) -> str | None:
    """A language text's value in the console's language, else English, else any."""
    if isinstance(text, str):
        return text
    if isinstance(text, dict) and text:
        here = lang()
        for key in (here, "en", *text):
            for tag, value in text.items():
                if tag == key or tag.split("-")[0] == key:
                    return str(value)
    return None


def display_name(doc: dict[str, Any] | None, fallback: str = "") -> str:
    """A record's name in the console's language, else English, else any."""
    if not doc:
        return fallback
    for key in NAME_FIELDS:
        picked = pick(doc.get(key))
        if picked:
            return picked
    if doc.get("indicator"):
        period = doc.get("period")
        if isinstance(period, dict):
            period = period.get("label") or "–".join(str(period[k]) for k in ("start", "end") if period.get(k))
        parts = [label(doc["indicator"], "indicators"), doc.get("area"), str(period or "")]
        return " · ".join(p for p in parts if p)
    return fallback or str(doc.get("id", ""))


def label(code: str | None, codelist: str) -> str:
    """The label of a code in the console's language (the code itself when unknown)."""
    if not code:
        return ""
    item = codelists.item(codelist, code)
    return (pick(item.get("label")) if item else None) or code


def codelist_items(name: str) -> list[tuple[str, str]]:
    return [(i["code"], pick(i.get("label")) or i["code"]) for i in codelists.codelist(name)["items"]]


def format_locale() -> str:
    """The Babel locale for dates and numbers in the console's language."""
    return FORMAT_LOCALES.get(lang(), "en_001")


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_name() -> str:
    """The signed-in staff member's time zone, else the hub's ``console_time_zone``."""
    user = g.get("staff")
    return (user.time_zone if user is not None else None) or hub_of().settings.console_time_zone


def when(at: datetime | str | None, fmt: str = "medium") -> str:
    """A moment in the staff member's zone (stored times without an offset are UTC); a
    timestamp kept as text (a record's ``source_updated_at``) is parsed first."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        text = at
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    tz, loc = _zone(zone_name()), format_locale()
    if fmt != "short":
        return babel_dates.format_datetime(at, fmt, tzinfo=tz, locale=loc)
    # CLDR's short date is numeric (11/30/26 in US English, ambiguous across members):
    # "short" here is the medium date with the short time, joined as the locale joins them.
    local = at.astimezone(tz)
    joined = babel.Locale.parse(loc).datetime_formats["medium"]
    return (
        str(joined)
        .replace("'", "")
        .replace("{0}", babel_dates.format_time(local, "short", tzinfo=tz, locale=loc))
        .replace("{1}", babel_dates.format_date(local.date(), "medium", locale=loc))
    )


def day(value: date | str | None, fmt: str = "medium") -> str:
    """A calendar date (no time zone: it is a day, not a moment); the standard's partial
    dates ``YYYY-MM`` and ``YYYY`` are written as a month or a year."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value
        try:
            if len(text) == 4:
                return babel_dates.format_skeleton("y", date(int(text), 1, 1), locale=format_locale())
            if len(text) == 7:
                return babel_dates.format_skeleton(
                    "yMMM", date(int(text[:4]), int(text[5:7]), 1), locale=format_locale()
                )
            value = date.fromisoformat(text)
        except ValueError:
            return text
    return babel_dates.format_date(value, fmt, locale=format_locale())


def number(value: int | float | str | Decimal | None) -> str:
    """A number with the locale's separators (``1,955`` / ``1.955``); amounts come as text."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = Decimal(text)
        except InvalidOperation:
            return text
    return babel_numbers.format_decimal(value, locale=format_locale())


def percent(share: float | None) -> str:
    """A share (0.125) as the locale writes a percentage."""
    if share is None:
        return ""
    return babel_numbers.format_percent(share, locale=format_locale())


def money(amount: str | int | float | None, currency: str | None) -> str:
    """An amount in its currency, as the locale writes it (``350.000 ₫``)."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return f"{amount} {currency or ''}".strip()
    if not currency:
        return number(value)
    return babel_numbers.format_currency(value, currency, locale=format_locale())


def actor_name(actor_id: str | None) -> str:
    """``user:ana@example.org`` -> ``ana@example.org``; clients and the hub keep their id."""
    if not actor_id:
        return ""
    return actor_id.removeprefix("user:")
