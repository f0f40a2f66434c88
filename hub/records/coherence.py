"""Coherence checks across records, which a record's own validation cannot make.

A product's certificate decided when its producer's type did not yet exist as such (a
VN OCOP subject before the programme began, say) is warned ``producer_type_not_in_force``,
like the producer's own decisions (``schemas.records``). The producer is another record:
the write path asks here with the batch's documents, and only certificates whose date
falls outside some type's validity (rare) cost a look-up.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so

import schemas

from . import browse


def _suspects(doc: dict[str, Any]) -> list[tuple[int, str]]:
    out = []
    for i, cert in enumerate(doc.get("certifications") or ()):
        when = schemas.decision_date(cert)
        if when and schemas.outside_some_producer_type(when):
            out.append((i, when))
    return out


def producer_types(session: so.Session, uids: set[str]) -> dict[str, str]:
    """uid -> the ``type`` of each producer's latest revision (a deleted one has none)."""
    docs = browse.latest_documents(session, sorted(uids)) if uids else {}
    return {uid: doc["type"] for uid, doc in docs.items() if isinstance(doc, dict) and doc.get("type")}


def product_findings(
    session: so.Session, docs: list[tuple[dict[str, Any], list[tuple[str, str]]]]
) -> list[list[dict[str, Any]]]:
    """For each ``(product, its references)``, the warnings of certificates decided when
    its producer's type did not exist."""
    suspects = [_suspects(doc) for doc, _ in docs]
    wanted = {ref for (_, refs), found in zip(docs, suspects) if found for path, ref in refs if path == "producer"}
    types = producer_types(session, wanted)
    out: list[list[dict[str, Any]]] = []
    for (_, refs), found in zip(docs, suspects):
        producer = next((ref for path, ref in refs if path == "producer"), None)
        code = types.get(producer) if producer else None
        warnings = []
        for i, when in found:
            if code and (said := schemas.producer_type_out_of_force(code, when)):
                warnings.append(
                    {
                        "path": f"certifications.{i}",
                        "code": "producer_type_not_in_force",
                        "message": f"The producer {producer} is of type '{code}', which {said}; "
                        f"this certificate was decided on {when}.",
                    }
                )
        out.append(warnings)
    return out
