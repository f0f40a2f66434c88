"""A revision as a reader sees it: codes with their labels in the reviewer's language.

Every label comes from the standard's codelists (``schemas/codelists``, en/vi/th) and,
for areas, from the ISO 3166 names pycountry translates; references show the name of
the record they point to. Which field holds which codelist is read from the kind's
marshmallow schema, so a field the standard adds is labelled without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

import schemas
from schemas import areas, codelists
from schemas.fields import Code, Day, Ref, Timestamp
from schemas.records import SCHEMAS

from ..actors import Actor
from ..records import browse
from ..records.diff import flatten
from .format import day, display_name, label, lang, money, pick, when

_INDEX = re.compile(r"\.\d+(?=\.|$)")
MAX_STARS = 10


@dataclass
class Target:
    """A referenced record: its name, whether it is published, and where it lives."""

    uid: str
    name: str | None
    published: bool


@dataclass
class Fact:
    """One line of the reader view."""

    label: str
    text: str = ""
    detail: str = ""
    stars: tuple[int, int] | None = None
    links: list[str] = field(default_factory=list)
    ref: Target | None = None


# ------------------------------------------------------------------ the schema's fields


@cache
def field_types(kind: str) -> dict[str, tuple[str, Any]]:
    """``{"certifications.*.issued_on": ("day", None), "type": ("code", "producer-types"), ...}``
    for one kind, from its schema (list positions written ``*``)."""
    out: dict[str, tuple[str, Any]] = {}

    def walk(schema: Schema, prefix: str) -> None:
        for name, f in schema.fields.items():
            _leaf(f, f"{prefix}{name}")

    def _leaf(f: fields.Field[Any], path: str) -> None:
        if isinstance(f, fields.List):
            _leaf(f.inner, f"{path}.*")
        elif isinstance(f, fields.Nested):
            walk(f.schema, f"{path}.")
        elif isinstance(f, Code):
            out[path] = ("code", f.codelist)
        elif isinstance(f, Ref):
            out[path] = ("ref", f.kinds)
        elif isinstance(f, Day):
            out[path] = ("day", None)
        elif isinstance(f, Timestamp):
            out[path] = ("time", None)

    walk(SCHEMAS[kind](), "")
    return out


def pattern(path: str) -> str:
    """``certifications.0.rating`` -> ``certifications.*.rating``."""
    return _INDEX.sub(".*", path)


# ------------------------------------------------------------------ labels


def category_path(scheme: str, code: str) -> list[str]:
    """The labels from the scheme's top down to ``code`` (``Food › Processed food › ...``)."""
    name = f"categories-{scheme}"
    labels: list[str] = []
    seen: set[str] = set()
    current: str | None = code
    while current and current not in seen:
        seen.add(current)
        item = codelists.item(name, current)
        if item is None:
            break
        labels.append(pick(item.get("label")) or current)
        current = item.get("parent")
    return labels[::-1]


def scheme_title(scheme: str) -> str:
    doc = codelists.codelists().get(f"categories-{scheme}")
    return (pick(doc.get("title")) if doc else None) or scheme


@cache
def _translations(domain: str, language: str) -> Any:
    import gettext

    import pycountry

    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def area_name(code: str | None) -> str:
    """An area's name in the reviewer's language where ISO 3166's translations have it
    (``TH-90`` -> ``สงขลา`` in Thai), else its own name; the code when unknown."""
    if not code:
        return ""
    area = areas.lookup(code)
    if area is None:
        return code
    here = lang()
    if area.scheme == areas.ISO_3166_1:
        import pycountry

        official = pycountry.countries.get(alpha_2=area.code)
        translated = _translations("iso3166-1", here).gettext(official.name) if official else area.name
        return area.name if here == "en" else translated
    if area.scheme == areas.ISO_3166_2 and not area.valid_to:
        return str(_translations("iso3166-2", here).gettext(area.name))
    return area.name  # VN-GSO provinces and old VN provinces: their Vietnamese names


def stars(rating: Any, rating_max: Any) -> tuple[int, int] | None:
    if not isinstance(rating, int) or isinstance(rating, bool):
        return None
    top = rating_max if isinstance(rating_max, int) and not isinstance(rating_max, bool) else 5
    top = max(1, min(top, MAX_STARS))
    return max(0, min(rating, top)), top


def star_text(rating: Any, rating_max: Any) -> str | None:
    got = stars(rating, rating_max)
    return "★" * got[0] + "☆" * (got[1] - got[0]) if got else None


# ------------------------------------------------------------------ references


def ref_uid(ref: str, country: str, kinds: tuple[str, ...]) -> str:
    """A reference as a uid: ``CC/kind/id`` as written, a bare id in the record's country."""
    return ref if ref.count("/") >= 2 else schemas.uid(country, kinds[0], ref)


def references(kind: str, *docs: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Every reference value in the documents with the kinds it may point to."""
    types = field_types(kind)
    out: dict[str, tuple[str, ...]] = {}
    for doc in docs:
        if not doc:
            continue
        for path, value in flatten(doc).items():
            t = types.get(pattern(path))
            if t and t[0] == "ref" and isinstance(value, str):
                out[value] = t[1]
    return out


def resolve(session: so.Session, actor: Actor, country: str, refs: dict[str, tuple[str, ...]]) -> dict[str, Target]:
    """Names of referenced records: the published one's, else (for records the reviewer
    may see unpublished, those of their own country) the latest revision's."""
    uids = {ref: ref_uid(ref, country, kinds) for ref, kinds in refs.items()}
    if not uids:
        return {}
    rows = browse.published_and_latest(session, set(uids.values()))
    found: dict[str, Target] = {}
    for uid, rec_country, published, latest in rows:
        if published is not None:
            found[uid] = Target(uid, display_name(published) or None, True)
        elif actor.country in (None, rec_country):
            found[uid] = Target(uid, display_name(latest) or None, False)
        else:
            found[uid] = Target(uid, None, False)
    return {ref: found.get(uid, Target(uid, None, False)) for ref, uid in uids.items()}


# ------------------------------------------------------------------ the diff's values


def describe(kind: str, path: str, value: Any, doc: dict[str, Any] | None, refs: dict[str, Target]) -> str | None:
    """What a reader sees for one field of the diff (None: the value speaks for itself)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    p = pattern(path)
    if p == "category.code" and doc:
        scheme = (doc.get("category") or {}).get("scheme", "")
        labels = category_path(scheme, str(value))
        return " › ".join(labels) if labels else None
    if p == "category.scheme":
        return scheme_title(str(value))
    if p.endswith("area") and isinstance(value, str):
        name = area_name(value)
        return name if name != value else None
    if p == "certifications.*.rating" and doc:
        cert = value_at(doc, path.rsplit(".", 1)[0])
        return star_text(value, cert.get("rating_max") if isinstance(cert, dict) else None)
    if p == "certifications.*.scheme":
        return label(str(value), "rating-schemes") if codelists.rating_scheme(str(value)) else None
    t = field_types(kind).get(p)
    if t is None:
        return None
    if t[0] == "code":
        text = label(str(value), t[1])
        return text if text != value else None
    if t[0] == "ref":
        ref = refs.get(str(value))
        return ref.name if ref and ref.name else None
    if t[0] == "day":
        return day(str(value))
    if t[0] == "time":
        return when(str(value))
    return None


def value_at(doc: Any, path: str) -> Any:
    """The value at a flattened path (``certifications.0.rating``), None when absent."""
    if doc is None:
        return None
    for part in path.split("."):
        if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc.get(part)
        else:
            return None
    return doc


# ------------------------------------------------------------------ the reader view


def facts(kind: str, doc: dict[str, Any], refs: dict[str, Target]) -> list[Fact]:
    """The fields a reader of the published record looks at first, labelled."""
    out: list[Fact] = []
    types = field_types(kind)
    if isinstance(doc.get("type"), str) and types.get("type", ("",))[0] == "code":
        out.append(Fact(str(_l("Type")), label(doc["type"], types["type"][1]), doc["type"]))
    category = doc.get("category")
    if isinstance(category, dict) and category.get("code"):
        scheme, code = str(category.get("scheme", "")), str(category["code"])
        path = category_path(scheme, code)
        out.append(Fact(str(_l("Category")), " › ".join(path) or code, f"{scheme_title(scheme)} · {code}"))
        common = codelists.common_category(scheme, code)
        out.append(
            Fact(
                str(_l("Common category")),
                label(common, "categories-common") if common else str(_l("none (not mapped)")),
                common or "",
            )
        )
    for key, title in (("producer", _l("Producer")), ("programme", _l("Programme")), ("owner", _l("Owner"))):
        value = doc.get(key)
        if isinstance(value, str):
            ref = refs.get(value)
            out.append(Fact(str(title), (ref.name if ref else None) or value, value, ref=ref))
    for key in ("origin", "location"):
        place = doc.get(key)
        if isinstance(place, dict) and (place.get("area") or place.get("place")):
            area = place.get("area")
            text = area_name(area) if area else str(place.get("place"))
            detail = " · ".join(str(x) for x in (area, place.get("place") if area else None) if x)
            out.append(Fact(str(_l("Origin") if key == "origin" else _l("Location")), text, detail))
    if isinstance(doc.get("area"), str):
        out.append(Fact(str(_l("Area")), area_name(doc["area"]), doc["area"]))
    for cert in doc.get("certifications") or []:
        if not isinstance(cert, dict):
            continue
        scheme = str(cert.get("scheme", ""))
        got = stars(cert.get("rating"), cert.get("rating_max"))
        dates = " – ".join(day(cert.get(k)) for k in ("issued_on", "expires_on") if cert.get(k))
        text = label(scheme, "rating-schemes") if codelists.rating_scheme(scheme) else scheme
        if cert.get("mark"):
            text = f"{text}: {cert['mark']}"
        out.append(Fact(str(_l("Rating")), text, dates, stars=got))
    price = doc.get("price")
    if isinstance(price, dict) and price.get("amount") is not None:
        out.append(Fact(str(_l("Price")), money(price.get("amount"), price.get("currency"))))
    images = [u for u in doc.get("images") or [] if isinstance(u, str) and u.startswith(("https://", "http://"))]
    if images:
        out.append(Fact(str(_l("Images")), links=images))
    if isinstance(doc.get("url"), str):
        out.append(Fact(str(_l("Web page")), links=[doc["url"]]))
    return out
