"""JSON-LD in schema.org terms: an OCOP star certificate is a ``Certification``."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import orjson

from schemas import uid
from schemas.codelists import label

TYPES = {
    "products": "Product",
    "organisations": "Organization",
    "producers": "Organization",
    "programmes": "GovernmentService",
    "activities": "Event",
    "indicators": "Observation",
    "partnerships": "Project",
}
CONTEXT = "https://schema.org/"


def _text(value: dict[str, str] | None) -> list[dict[str, str]] | None:
    """Language text as JSON-LD language-tagged strings."""
    if not value:
        return None
    return [{"@value": text, "@language": tag} for tag, text in value.items()]


def _certification(cert: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "Certification",
        "name": label("rating-schemes", cert["scheme"]) or cert["scheme"],
        "certificationIdentification": _decision_number(cert.get("decision")),
        "validFrom": cert.get("issued_on"),
        "expires": cert.get("expires_on"),
        "certificationStatus": "CertificationActive" if cert.get("active") else "CertificationInactive",
    }
    if cert.get("rating") is not None:
        out["certificationRating"] = {
            "@type": "Rating",
            "ratingValue": cert["rating"],
            "bestRating": cert.get("rating_max"),
            "worstRating": 1,
        }
    if cert.get("mark"):
        out["hasCertificationMark"] = cert["mark"]  # not a schema.org term; kept for completeness
    if cert.get("issued_by"):
        out["issuedBy"] = {"@type": "Organization", "name": _text(cert["issued_by"])}
    return {k: v for k, v in out.items() if v is not None}


def _decision_number(decision: Any) -> str | None:
    """A decision's number: v1 gives it as text, 1.1 also as ``{"number", ...}``."""
    return decision.get("number") if isinstance(decision, dict) else decision


def _source(evidence: dict[str, Any]) -> dict[str, Any]:
    """One ``evidence`` item as the schema.org ``CreativeWork`` a record ``isBasedOn``."""
    issuer = evidence.get("issuer")
    publisher = (
        {"@type": "Organization", "name": _text(issuer)}
        if isinstance(issuer, dict)
        else {"@id": f"urn:ovop:{issuer}"}
        if issuer
        else None
    )
    out = {
        "@type": "CreativeWork",
        "additionalType": evidence["type"],
        "name": _text(evidence.get("title")),
        "identifier": evidence.get("number"),
        "datePublished": evidence.get("issued_on"),
        "url": evidence.get("url"),
        "publisher": publisher,
    }
    return {k: v for k, v in out.items() if v is not None}


def _period(start: str | None, end: str | None) -> str | None:
    """ISO 8601 interval for ``temporalCoverage`` (open end: ``2021/..``); dates as given."""
    return f"{start}/{end or '..'}" if start else None


def to_jsonld(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    """One published record (as :func:`hub.records.representation.published` gives it) in JSON-LD."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": TYPES[kind],
        "@id": f"urn:ovop:{rec['uid']}",
        "identifier": rec["id"],
        "name": _text(rec.get("name") or rec.get("title")),
        "description": _text(rec.get("description")),
        "url": rec.get("url") or rec.get("website"),
        "dateModified": rec.get("hub_updated_at"),
        "isBasedOn": [_source(e) for e in rec.get("evidence") or ()] or None,
    }
    if kind == "products":
        cat = rec.get("category") or {}
        out.update(
            {
                "category": cat.get("common") or cat.get("code"),
                "gtin": rec.get("gtin"),
                "countryOfOrigin": {"@type": "Country", "identifier": rec["country"]},
                "image": rec.get("images"),
                "hasCertification": [_certification(c) for c in rec.get("certifications") or ()] or None,
            }
        )
        if rec.get("price"):
            out["offers"] = {
                "@type": "Offer",
                "price": rec["price"]["amount"],
                "priceCurrency": rec["price"]["currency"],
            }
        if rec.get("producer"):
            out["manufacturer"] = {"@id": f"urn:ovop:{_full(rec['producer'], rec['country'], 'producers')}"}
    elif kind in ("organisations", "producers"):
        out["address"] = {
            "@type": "PostalAddress",
            "addressCountry": rec["country"],
            "addressRegion": (rec.get("location") or {}).get("area"),
        }
    elif kind == "programmes":
        out["temporalCoverage"] = _period(rec.get("started_on"), None)
    elif kind == "partnerships":
        out["temporalCoverage"] = _period(rec.get("signed_on"), rec.get("ends_on"))
    elif kind == "activities":
        out.update({"startDate": rec.get("starts_on"), "endDate": rec.get("ends_on")})
    elif kind == "indicators":
        out.update(
            {
                "measuredProperty": rec.get("indicator"),
                "value": rec.get("value"),
                "unitText": rec.get("currency") or rec.get("unit"),
                "observationPeriod": f"{rec['period']['start']}/{rec['period']['end']}",
                "observationAbout": {"@type": "Place", "identifier": rec.get("area")},
            }
        )
    return {k: v for k, v in out.items() if v is not None}


def _full(ref: str, country: str, kind: str) -> str:
    return ref if "/" in ref else uid(country, kind, ref)


def jsonld_document(
    kind: str, records: Iterator[dict[str, Any]], closing: Callable[[], dict[str, Any]] | None = None
) -> Iterator[bytes]:
    """One JSON-LD document ``{"@context", "@graph": [...]}``, streamed node by node;
    ``closing`` gives members written after the graph (the export's trailer)."""
    yield b'{"@context":"' + CONTEXT.encode() + b'","@graph":['
    for i, rec in enumerate(records):
        node = to_jsonld(kind, rec)
        node.pop("@context")
        yield (b"," if i else b"") + orjson.dumps(node)
    tail = b"".join(b"," + orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in (closing() if closing else {}).items())
    yield b"]" + tail + b"}\n"
