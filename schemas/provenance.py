"""Provenance (standard 1.1): ``evidence`` for a record's facts, its ``verification``,
and a certification's ``decision``.

``verification`` is derived from the evidence when a record does not state it. The
derived value is never stored: it is dropped on input when it equals what the evidence
gives (so an exported record, which shows it, imports unchanged and a v1 record keeps its
hash) and added on read by :func:`schemas.enrich`.
"""

from __future__ import annotations

from typing import Any

from . import codelists


def derived_verification(doc: dict[str, Any]) -> str:
    """The strongest verification the record's evidence supports (``unverified`` without)."""
    ranks = {i["code"]: i["rank"] for i in codelists.codelist("verification-levels")["items"]}
    found = [
        (codelists.item("evidence-types", e["type"]) or {}).get("verification", "unverified")
        for e in doc.get("evidence") or ()
    ]
    return min(found, key=ranks.__getitem__) if found else "unverified"


def drop_derived_verification(doc: dict[str, Any]) -> None:
    """Remove a stated ``verification`` equal to the derived one (it is shown on read)."""
    if "verification" in doc and doc["verification"] == derived_verification(doc):
        del doc["verification"]


def decision_date(cert: dict[str, Any]) -> str | None:
    """The date of a certification's decision: the decision's own, else ``issued_on``."""
    decision = cert.get("decision")
    if isinstance(decision, dict) and decision.get("issued_on"):
        return decision["issued_on"]
    return cert.get("issued_on")


__all__ = ["derived_verification", "drop_derived_verification", "decision_date"]
