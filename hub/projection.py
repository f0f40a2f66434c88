"""Projection columns of a published document: what list filters and search index."""
from __future__ import annotations

from datetime import date
from typing import Any

from schemas import best_band
from schemas.codelists import common_category
from schemas.text import fold

NAME_FIELDS = ("name", "title", "short_name")


def project(doc: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """Column values derived from one validated document (any kind)."""
    cat = doc.get("category")
    place = doc.get("origin") or doc.get("location") or {}
    names: list[str] = []
    for fld in NAME_FIELDS:
        value = doc.get(fld)
        if isinstance(value, dict):
            names.extend(value.values())
        elif isinstance(value, str):
            names.append(value)
    return {
        "common_category": common_category(cat["scheme"], cat["code"]) if cat else None,
        "native_category": f"{cat['scheme']}:{cat['code']}" if cat else None,
        "rating_band": best_band(doc, today),
        "area": doc.get("area") or place.get("area"),
        "name_folded": " | ".join(fold(n) for n in names) or None,
    }


EMPTY = {"common_category": None, "native_category": None, "rating_band": None, "area": None,
         "name_folded": None}
