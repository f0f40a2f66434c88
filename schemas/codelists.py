"""Versioned codelists and crosswalks, loaded from the data files beside this module.

A codelist file ``codelists/NAME.json`` holds::

    {"name": NAME, "version": "...", "title": {"en": ...}, "items": [
        {"code": "...", "label": {"en": ..., "vi": ...}, ...extra keys}]}

Category schemes are codelists named ``categories-SCHEME`` (items may name a ``parent``);
the common ASEAN categories are ``categories-common``. A crosswalk file
``crosswalks/NAME.json`` holds ``{"name", "version", "from", "to", "map": {code: code}}``.
Files are read once per process; nothing here touches a database.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

COMMON = "common"


def _read_dir(folder: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in resources.files(__package__).joinpath(folder).iterdir():
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text(encoding="utf-8"))
            out[doc["name"]] = doc
    return out


@cache
def codelists() -> dict[str, dict[str, Any]]:
    """Every codelist by name (areas are added by :mod:`schemas.areas`)."""
    return _read_dir("codelists")


@cache
def crosswalks() -> dict[str, dict[str, Any]]:
    """Every crosswalk by name."""
    return _read_dir("crosswalks")


def codelist(name: str) -> dict[str, Any]:
    """One codelist; KeyError when unknown."""
    return codelists()[name]


@cache
def versions() -> dict[str, str]:
    """``{name: version}`` of every codelist and crosswalk in force in this process."""
    return {name: str(doc.get("version")) for name, doc in sorted({**codelists(), **crosswalks()}.items())}


@cache
def versions_key(standard: str) -> str:
    """A short, stable name of the standard's version with this set of codelist versions
    (``1.1/3f2a9c0d1e2b``): what each revision records as ``validated_with``."""
    digest = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode()).hexdigest()[:12]
    return f"{standard}/{digest}"


@cache
def codes(name: str) -> frozenset[str]:
    """The codes of one codelist (empty when the list does not exist)."""
    doc = codelists().get(name)
    return frozenset(i["code"] for i in doc["items"]) if doc else frozenset()


@cache
def item(name: str, code: str) -> dict[str, Any] | None:
    """One item of a codelist, or None."""
    doc = codelists().get(name)
    if not doc:
        return None
    for it in doc["items"]:
        if it["code"] == code:
            return it
    return None


@cache
def windows(name: str) -> tuple[tuple[str | None, str | None], ...]:
    """The ``(valid_from, valid_to)`` of the items of a codelist that carry either."""
    doc = codelists().get(name) or {"items": ()}
    return tuple(
        (it.get("valid_from"), it.get("valid_to")) for it in doc["items"] if it.get("valid_from") or it.get("valid_to")
    )


@cache
def category_schemes() -> tuple[str, ...]:
    """Native category schemes known to the standard (e.g. ``VN-OCOP-2023``)."""
    return tuple(
        sorted(
            n.removeprefix("categories-")
            for n in codelists()
            if n.startswith("categories-") and n != f"categories-{COMMON}"
        )
    )


@cache
def scheme_end(scheme: str) -> str | None:
    """The last day of a category scheme that has ended (``valid_to``), else None."""
    return (codelists().get(f"categories-{scheme}") or {}).get("valid_to")


@cache
def successor_scheme(scheme: str) -> str | None:
    """The category scheme of the same country that took effect after ``scheme`` ended."""
    doc = codelists().get(f"categories-{scheme}") or {}
    ended = doc.get("valid_to")
    if not ended:
        return None
    later = [
        (d.get("valid_from", ""), d["scheme"])
        for n, d in codelists().items()
        if n.startswith("categories-")
        and d.get("country") == doc.get("country")
        and d.get("scheme")
        and d.get("valid_from", "") > ended
    ]
    return min(later)[1] if later else None


def category_codes(scheme: str) -> frozenset[str]:
    """The codes of one category scheme (``common`` for the ASEAN categories)."""
    return codes(f"categories-{scheme}")


@cache
def _crosswalk_map(source: str, target: str) -> dict[str, str]:
    for cw in crosswalks().values():
        if cw["from"] == source and cw["to"] == target:
            return cw["map"]
    return {}


@cache
def _parents(scheme: str) -> dict[str, str]:
    doc = codelists().get(f"categories-{scheme}")
    if not doc:
        return {}
    return {i["code"]: i["parent"] for i in doc["items"] if i.get("parent")}


def crosswalk(source: str, target: str, code: str) -> str | None:
    """Map ``code`` of scheme ``source`` onto scheme ``target``.

    A code with no entry of its own is mapped through its nearest ancestor, so a
    crosswalk may list sectors only and still cover every product set beneath them.
    """
    table = _crosswalk_map(source, target)
    parents = _parents(source)
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        if current in table:
            return table[current]
        seen.add(current)
        current = parents.get(current)
    return None


@cache
def common_category(scheme: str, code: str) -> str | None:
    """The common ASEAN category of a native category code, or None."""
    if scheme == COMMON:
        return code if code in category_codes(COMMON) else None
    return crosswalk(scheme, COMMON, code)


def rating_scheme(code: str) -> dict[str, Any] | None:
    """A certification scheme from ``rating-schemes`` (stars or trustmark)."""
    return item("rating-schemes", code)


def label(name: str, code: str, lang: str = "en") -> str | None:
    """The label of a code in ``lang``, falling back to English."""
    it = item(name, code)
    if not it:
        return None
    labels = it.get("label", {})
    return labels.get(lang) or labels.get("en")
