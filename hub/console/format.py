"""Display helpers for console templates: names, labels, dates, states."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from schemas import codelists

from ..records.projection import NAME_FIELDS

STATE_LABELS = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "rejected": _l("Rejected"),
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
    bp.add_app_template_filter(label, "label")
    bp.add_app_template_global(STATE_LABELS, "STATE_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(KIND_LABELS, "KIND_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(ROLE_LABELS, "ROLE_LABELS")  # type: ignore[arg-type]  # any value may be a global
    bp.add_app_template_global(codelist_items, "codelist_items")
    bp.add_app_template_global(actor_name, "actor_name")
    bp.add_app_template_global(lang, "current_lang")


def _pick(text: Any) -> str | None:
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
        picked = _pick(doc.get(key))
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
    return (_pick(item.get("label")) if item else None) or code


def codelist_items(name: str) -> list[tuple[str, str]]:
    return [(i["code"], _pick(i.get("label")) or i["code"]) for i in codelists.codelist(name)["items"]]


def when(at: datetime | str | None, fmt: str = "medium") -> str:
    if at is None:
        return ""
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return format_datetime(at, fmt)


def actor_name(actor_id: str | None) -> str:
    """``user:ana@example.org`` -> ``ana@example.org``; clients and the hub keep their id."""
    if not actor_id:
        return ""
    return actor_id.removeprefix("user:")
