"""Projection columns of a published document: what list filters and search index."""

from __future__ import annotations

from typing import Any

from schemas.text import fold

#: the fields that name a record (language objects, or text): listed, searched and shown
NAME_FIELDS = ("name", "title", "short_name")


def names(doc: dict[str, Any]) -> list[str]:
    """Every name of a record, in every language."""
    out: list[str] = []
    for fld in NAME_FIELDS:
        value = doc.get(fld)
        if isinstance(value, dict):
            out.extend(v for v in value.values() if isinstance(v, str))
        elif isinstance(value, str):
            out.append(value)
    return out


def project_shown(shown: dict[str, Any]) -> dict[str, Any]:
    """Column values of a published record, taken from the record as readers see it
    (common category, bands and ``active`` already derived): the write path derives
    each value once, for the feed snapshot and for these columns alike."""
    bands = [c["band"] for c in shown.get("certifications") or () if c.get("active") and c.get("band")]
    return _columns(shown, (shown.get("category") or {}).get("common"), max(bands) if bands else None)


def _columns(doc: dict[str, Any], common: str | None, band: int | None) -> dict[str, Any]:
    cat = doc.get("category")
    place = doc.get("origin") or doc.get("location") or {}
    all_names = names(doc)
    return {
        "common_category": common,
        "native_category": f"{cat['scheme']}:{cat['code']}" if cat else None,
        "rating_band": band,
        "area": doc.get("area") or place.get("area"),
        "name_folded": " | ".join(fold(n) for n in all_names) or None,
    }


EMPTY = {"common_category": None, "native_category": None, "rating_band": None, "area": None, "name_folded": None}
