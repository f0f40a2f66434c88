"""JSON-LD in schema.org terms: an OCOP star certificate is a ``Certification``."""

from __future__ import annotations

from typing import Any, Iterator

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
        "certificationIdentification": cert.get("decision"),
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


def jsonld_document(kind: str, records: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """One JSON-LD document ``{"@context", "@graph": [...]}``, streamed node by node."""
    yield b'{"@context":"' + CONTEXT.encode() + b'","@graph":['
    for i, rec in enumerate(records):
        node = to_jsonld(kind, rec)
        node.pop("@context")
        yield (b"," if i else b"") + orjson.dumps(node)
    yield b"]}\n"
