"""Validate, derive and hash records of every kind: the standard's public entry points."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import orjson
from marshmallow import Schema, ValidationError, fields

from . import areas, codelists
from .activities import ActivitySchema
from .base import keys_clean
from .certifications import active, band, expiry, validity_known
from .dates import certainly_before, interval
from .errors import Finding, flatten
from .fastload import Bail, Loader, compile_schema
from .fields import KINDS, Ref
from .indicators import IndicatorSchema
from .organisations import OrganisationSchema
from .partnerships import PartnershipSchema
from .producers import ProducerSchema
from .products import ProductSchema
from .programmes import ProgrammeSchema
from .provenance import decision_date, derived_verification, drop_derived_verification
from .uids import uid

SCHEMAS: dict[str, type[Schema]] = {
    "programmes": ProgrammeSchema,
    "organisations": OrganisationSchema,
    "partnerships": PartnershipSchema,
    "producers": ProducerSchema,
    "products": ProductSchema,
    "indicators": IndicatorSchema,
    "activities": ActivitySchema,
}
assert tuple(SCHEMAS) == KINDS
_INSTANCES: dict[str, Schema] = {k: s() for k, s in SCHEMAS.items()}
# The fast path for valid records (schemas/fastload.py); marshmallow loads the rest.
_FAST: dict[str, Loader | None] = {k: compile_schema(s, keys_clean) for k, s in _INSTANCES.items()}
PLACE_FIELDS = ("origin", "location")


@dataclass(slots=True)
class Result:
    """The outcome of validating one record: the clean document or the errors."""

    document: dict[str, Any] | None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(kind: str, raw: Any, today: date | None = None) -> Result:
    """Validate one record of ``kind``: NFC, codes, derivations into the native document.

    Returns the normalised document (what the hub hashes and stores) with warnings, or
    the errors. Hub-added fields in ``raw`` are ignored, so exported records validate.
    """
    schema = _INSTANCES.get(kind)
    if schema is None:
        raise KeyError(kind)
    fast = _FAST[kind]
    try:
        if fast is None:
            raise Bail
        doc = fast(raw)
    except Exception:  # noqa: BLE001 - any doubt: marshmallow decides, and reports
        try:
            doc = schema.load(raw)
        except ValidationError as exc:
            findings = list(flatten(exc.messages))
            if findings and all(f.code == "personal_data" for f in findings):
                findings += _beside_personal(schema, raw, findings)
            return Result(None, findings)
    errors: list[Finding] = []
    warnings: list[Finding] = []
    if "verification" in doc:
        drop_derived_verification(doc)
    _check_places(doc, errors, warnings)
    if doc.get("certifications"):
        _check_certifications(doc, today or _today(), warnings)
    if "coordinates" in doc:
        _check_coordinates(doc, warnings)
    if kind == "producers" and "evidence" in doc:
        _check_producer_type(doc, warnings)
    category = doc.get("category")
    if category and doc.get("certifications"):
        _check_scheme_in_force(category["scheme"], doc["certifications"], warnings)
    if category and codelists.common_category(category["scheme"], category["code"]) is None:
        warnings.append(
            Finding(
                "category", "no_common_category", f"{category['scheme']} {category['code']} has no common category yet."
            )
        )
    return Result(None if errors else doc, errors, warnings)


def _beside_personal(schema: Schema, raw: Any, personal: list[Finding]) -> list[Finding]:
    """The record's other errors: personal data is refused before the fields are read,
    so they are looked for once more with the reported keys left out (error path only)."""
    clean = raw
    for finding in personal:
        clean = _drop(clean, finding.path.split("."))
    try:
        schema.load(clean)
    except ValidationError as exc:
        return [f for f in flatten(exc.messages) if f.code != "personal_data"]
    return []


def _drop(node: Any, path: list[str]) -> Any:
    """A copy of ``node`` without the key at ``path`` (copied along the path only)."""
    head, rest = path[0], path[1:]
    if isinstance(node, dict) and head in node:
        if not rest:
            return {k: v for k, v in node.items() if k != head}
        return {**node, head: _drop(node[head], rest)}
    if isinstance(node, list) and rest and head.isdigit() and int(head) < len(node):
        out = list(node)
        out[int(head)] = _drop(node[int(head)], rest)
        return out
    return node


def _check_area(code: str, path: str, country: str, errors: list[Finding], warnings: list[Finding]) -> None:
    area = areas.lookup(code)
    if area is None or area.code != code:  # exactly the code: no stray case, space or newline
        errors.append(Finding(path, "area", f"'{code}' is not a known area code."))
        return
    if area.country != country:
        warnings.append(Finding(path, "area_country", f"{code} lies outside {country}."))
    if area.valid_to:
        successor = ", ".join(area.replaced_by) or "none recorded"
        warnings.append(
            Finding(path, "area_superseded", f"{code} ({area.name}) ended on {area.valid_to}; replaced by {successor}.")
        )


def _check_places(doc: dict[str, Any], errors: list[Finding], warnings: list[Finding]) -> None:
    country = doc["country"]
    if "area" in doc:  # indicators
        _check_area(doc["area"], "area", country, errors, warnings)
    for name in PLACE_FIELDS:
        place = doc.get(name)
        if not place:
            continue
        source = place.get("area_at_source")
        if source:
            _place_through_time(place, source, f"{name}.area_at_source", country, errors, warnings)
        if "area" in place:
            _check_area(place["area"], f"{name}.area", country, errors, warnings)
            continue
        if "place" not in place:  # an area at source that could not be checked
            continue
        code = areas.find(country, place["place"])
        if code:
            place["area"] = code
        else:
            warnings.append(
                Finding(
                    f"{name}.place",
                    "area_unresolved",
                    f"'{place['place']}' could not be resolved to an area code; kept as text.",
                )
            )


def _place_through_time(
    place: dict[str, Any],
    source: dict[str, Any],
    path: str,
    country: str,
    errors: list[Finding],
    warnings: list[Finding],
) -> None:
    """Check ``area_at_source`` and derive today's ``area`` from it. Without a date the
    pair says no more than a v1 record with the old code in ``area``, and is stored so
    (an exported record, which shows both, then re-imports unchanged)."""
    code = source["area"]
    area = areas.lookup(code)
    if area is None or area.code != code:
        errors.append(Finding(f"{path}.area", "area", f"'{code}' is not a known area code."))
        return
    if area.country != country:
        warnings.append(Finding(f"{path}.area", "area_country", f"{code} lies outside {country}."))
    today = areas.current(code)
    if "area" in place and place["area"] != today:
        warnings.append(
            Finding(f"{name_of(path)}.area", "area_mismatch", f"{code} is today {today}, not {place['area']}.")
        )
        return
    if "on" not in source:
        place["area"] = code
        del place["area_at_source"]
    else:
        place["area"] = today


def name_of(path: str) -> str:
    return path.rsplit(".", 1)[0]


_DAY: list[Any] = [0.0, 0.0, None]  # [start, end) of the local day as timestamps, and the day


def _today() -> date:
    """``date.today()``, read from the clock once a day (it costs as much as a field)."""
    now = time.time()
    if not _DAY[0] <= now < _DAY[1]:
        day = date.today()
        _DAY[:] = [
            datetime.combine(day, dtime()).timestamp(),
            datetime.combine(day + timedelta(days=1), dtime()).timestamp(),
            day,
        ]
    return _DAY[2]


def _check_certifications(doc: dict[str, Any], today: date, warnings: list[Finding]) -> None:
    day = today.isoformat()
    for i, cert in enumerate(doc.get("certifications") or ()):
        ends = expiry(cert)
        if ends:
            if ends < day if len(ends) == 10 else interval(ends)[1] < today:
                warnings.append(
                    Finding(
                        f"certifications.{i}.expires_on", "certificate_expired", f"The certificate expired on {ends}."
                    )
                )
        elif not validity_known(cert):
            warnings.append(
                Finding(
                    f"certifications.{i}",
                    "validity_unknown",
                    f"{cert['scheme']} certificates expire; without expires_on or a full "
                    "issued_on the validity cannot be computed (active is null).",
                )
            )
        scheme = codelists.rating_scheme(cert["scheme"]) or {}
        floor = scheme.get("recognised_min")
        if floor and cert.get("rating") is not None and cert["rating"] < floor:
            warnings.append(
                Finding(
                    f"certifications.{i}.rating",
                    "below_recognised",
                    f"{cert['scheme']} recognises {floor} stars and above.",
                )
            )


def _check_coordinates(doc: dict[str, Any], warnings: list[Finding]) -> None:
    """``coordinates_implausible``: outside the country's extent, or both whole degrees."""
    lat, lon = doc["coordinates"]["lat"], doc["coordinates"]["lon"]
    box = codelists.item("country-extents", doc["country"])
    if box and not (box["lat"][0] <= lat <= box["lat"][1] and box["lon"][0] <= lon <= box["lon"][1]):
        warnings.append(
            Finding(
                "coordinates",
                "coordinates_implausible",
                f"{lat}, {lon} lies outside {doc['country']} (latitude and longitude swapped?).",
            )
        )
    elif float(lat).is_integer() and float(lon).is_integer():
        warnings.append(
            Finding(
                "coordinates",
                "coordinates_implausible",
                f"{lat}, {lon} looks truncated to whole degrees (about 100 km).",
            )
        )


def _check_scheme_in_force(scheme: str, certs: list[dict[str, Any]], warnings: list[Finding]) -> None:
    """``scheme_superseded``: a category of a scheme that had ended when the record's
    certificate was decided (the VN 2019 scheme on a certificate of 2024)."""
    ended = codelists.scheme_end(scheme)
    if not ended:
        return
    for cert in certs:
        when = decision_date(cert)
        if when and certainly_before(ended, when):
            after = codelists.successor_scheme(scheme)
            warnings.append(
                Finding(
                    "category.scheme",
                    "scheme_superseded",
                    f"{scheme} ended on {ended}; the certificate of {when} was decided under "
                    f"{after or 'its successor'}.",
                )
            )
            return


def _check_producer_type(doc: dict[str, Any], warnings: list[Finding]) -> None:
    """``producer_type_not_in_force``: an official decision on the producer dated when its
    type did not exist (``valid_from`` / ``valid_to`` in ``producer-types``)."""
    for i, ev in enumerate(doc["evidence"]):
        when = ev.get("issued_on") if ev.get("type") == "official-decision" else None
        if when and (said := producer_type_out_of_force(doc["type"], when)):
            warnings.append(
                Finding(
                    f"evidence.{i}.issued_on",
                    "producer_type_not_in_force",
                    f"Producer type '{doc['type']}' {said}; the decision is of {when}.",
                )
            )


def producer_type_out_of_force(code: str, when: str) -> str | None:
    """Why producer type ``code`` certainly did not exist on ``when`` (a partial date), or
    None: the producer's own decisions (above) and its products' certificates (the write
    path, which knows the producer) are checked with it."""
    kind = codelists.item("producer-types", code) or {}
    since, until = kind.get("valid_from"), kind.get("valid_to")
    if since and certainly_before(when, since):
        act = kind.get("valid_from_act")
        return f"exists only since {since}" + (f" ({act})" if act else "")
    if until and certainly_before(until, when):
        return f"ended on {until}"
    return None


def outside_some_producer_type(when: str) -> bool:
    """Whether any producer type did not exist on ``when``: a cheap screen before a
    certificate's producer is looked up."""
    return any(
        (since and certainly_before(when, since)) or (until and certainly_before(until, when))
        for since, until in codelists.windows("producer-types")
    )


def enrich(kind: str, doc: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """A copy of ``doc`` with the derived values readers get: common category, band,
    active, and ``verification`` (derived from the evidence when not stated)."""
    out = dict(doc)
    if "verification" not in doc:
        out["verification"] = derived_verification(doc)
    if "category" in doc:
        cat = doc["category"]
        out["category"] = {**cat, "common": codelists.common_category(cat["scheme"], cat["code"])}
    for name in PLACE_FIELDS:
        place = doc.get(name)
        if place and "area" in place and (now := areas.current(place["area"])) != place["area"]:
            out[name] = {**place, "area": now, "area_at_source": place.get("area_at_source") or {"area": place["area"]}}
    if "certifications" in doc:
        day = today or date.today()
        out["certifications"] = [{**c, "band": band(c), "active": active(c, day)} for c in doc["certifications"]]
    return out


def best_band(doc: dict[str, Any], today: date | None = None) -> int | None:
    """The highest band among the record's active certifications (for filtering)."""
    day = today or date.today()
    bands = [b for c in doc.get("certifications") or () if active(c, day) and (b := band(c))]
    return max(bands) if bands else None


def canonical(doc: dict[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8. Equal content, equal bytes."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the canonical form, hex."""
    return hashlib.sha256(canonical(doc)).hexdigest()


def _ref_fields(schema: Schema) -> tuple[tuple[str, bool, tuple[str, ...]], ...]:
    """``(field, is_list, kinds)`` of every reference field of a schema."""
    out = []
    for name, fld in schema.fields.items():
        if isinstance(fld, Ref):
            out.append((name, False, fld.kinds))
        elif isinstance(fld, fields.List) and isinstance(fld.inner, Ref):
            out.append((name, True, fld.inner.kinds))
    return tuple(out)


_REF_FIELDS = {kind: _ref_fields(schema) for kind, schema in _INSTANCES.items()}


def references(kind: str, doc: dict[str, Any]) -> list[tuple[str, str]]:
    """``(json path, uid)`` for every reference in ``doc``, bare ids made full."""
    found: list[tuple[str, str]] = []
    for name, many, kinds in _REF_FIELDS[kind]:
        value = doc.get(name)
        if value is None:
            continue
        if many:
            found.extend((f"{name}.{i}", full_uid(v, doc["country"], kinds)) for i, v in enumerate(value))
        else:
            found.append((name, full_uid(value, doc["country"], kinds)))
    return found


def full_uid(ref: str, country: str, kinds: tuple[str, ...]) -> str:
    """``abc`` -> ``VN/products/abc`` when the field admits one kind; full refs stay."""
    if "/" in ref:
        return ref
    return uid(country, kinds[0] if len(kinds) == 1 else "*", ref)
