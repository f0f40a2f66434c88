"""Areas: versioned codes for countries, provinces, and Viet Nam's units before and after 2025.

Records name places with ISO 3166-2 codes where ISO is current, and with national codes
behind a scheme prefix where it is stale: Viet Nam merged 63 provinces into 34 on
1 July 2025, ISO (and pycountry) still list the 63, so the new provinces are
``VN-GSO:NN`` (two-digit national statistics codes). The old ISO codes stay valid for
old records but carry an end date and their successor, so nothing already stored breaks.

Viet Nam also abolished its districts and merged its communes that day: today's communes
are ``VN-GSO:NNNNN``; the old districts and communes keep the codes of the old code list
behind their own prefix, ``VN-GSO-2004:NNN`` and ``VN-GSO-2004:NNNNN`` (the new list reused
old numbers for other units). Their table, with the old -> new commune conversion, is
``codelists/areas-VN-2025-communes.json`` (written by ``tools/vn_2025_communes.py``).

Feeds give places as free text in mixed Unicode forms; :func:`find` resolves such text
accent- and case-insensitively and returns None rather than guess; :func:`find_unit`
resolves a district or commune name within the unit above it.

pycountry and vietnam_provinces are imported lazily and every table is built once, so
importing :mod:`schemas` stays cheap.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any, Callable

from .codelists import codelist
from .text import fold, nfc

ISO_3166_1 = "ISO-3166-1"
ISO_3166_2 = "ISO-3166-2"
VN_GSO_2025 = "VN-GSO-2025"
VN_GSO_PREFIX = "VN-GSO:"
VN_REORGANISED_ON = "2025-07-01"
VN_OLD_VALID_TO = "2025-06-30"
MERGER_CODELIST = "areas-VN-2025-merger"
COMMUNES_CODELIST = "areas-VN-2025-communes"
VN_GSO_2004 = "VN-GSO-2004"
VN_GSO_2004_PREFIX = "VN-GSO-2004:"

# ASEAN member states (Timor-Leste admitted in October 2025): the default scope of
# area_codelist(); lookup() and find() accept any ISO country.
ASEAN = ("BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN")

# Languages whose subdivision names pycountry carries (gettext catalogues), so that
# feeds written in the national script resolve too ("สงขลา" -> TH-90).
_LOCAL_LANGUAGES = {"TH": ("th",), "LA": ("lo",), "KH": ("km",), "MM": ("my",)}

# Names missing from pycountry's data or spelled differently in practice.
_ALIASES: dict[str, dict[str, str]] = {
    "TH": {
        "Bangkok": "TH-10",
        "กรุงเทพมหานคร": "TH-10",
        "กรุงเทพฯ": "TH-10",
        "กรุงเทพ": "TH-10",
        "กทม": "TH-10",
        "บึงกาฬ": "TH-38",
        "Ayutthaya": "TH-14",
        "Korat": "TH-30",
        "Pattaya": "TH-S",
        "หนองบัวลำภู": "TH-39",  # the official spelling; pycountry has หนองบัวลำพู
    },
    "LA": {
        "Vientiane Capital": "LA-VT",
        "Vientiane Prefecture": "LA-VT",
        "ນະຄອນຫຼວງວຽງຈັນ": "LA-VT",
        "Vientiane Province": "LA-VI",
        "ແຂວງວຽງຈັນ": "LA-VI",
        "Attapeu": "LA-AT",
        "Bokeo": "LA-BK",
        "Bolikhamsai": "LA-BL",
        "Bolikhamxay": "LA-BL",
        "Champassak": "LA-CH",
        "Houaphanh": "LA-HO",
        "Khammouane": "LA-KH",
        "Luang Namtha": "LA-LM",
        "Luang Prabang": "LA-LP",
        "Oudomxay": "LA-OU",
        "Phongsaly": "LA-PH",
        "Saravane": "LA-SL",
        "Savannakhet": "LA-SV",
        "Sayaboury": "LA-XA",
        "Xayaboury": "LA-XA",
        "Sekong": "LA-XE",
        "Xiengkhouang": "LA-XI",
        "Xieng Khouang": "LA-XI",
        "Saysomboun": "LA-XS",
        "Xaysomboun": "LA-XS",
    },
    "PH": {"Metro Manila": "PH-00", "NCR": "PH-00"},
    "ID": {"Jakarta": "ID-JK", "DKI Jakarta": "ID-JK", "Yogyakarta": "ID-YO", "DI Yogyakarta": "ID-YO"},
    "KH": {
        "Siem Reap": "KH-17",
        "Battambang": "KH-2",
        "Kampong Cham": "KH-3",
        "Kandal": "KH-8",
        "Takeo": "KH-21",
        # English spellings in use, and the Khmer names (pycountry has no Khmer translation)
        "Banteay Meanchey": "KH-1",
        "Kampong Speu": "KH-5",
        "Kampong Thom": "KH-6",
        "Kep": "KH-23",
        "Koh Kong": "KH-9",
        "Kratie": "KH-10",
        "Mondulkiri": "KH-11",
        "Oddar Meanchey": "KH-22",
        "Pursat": "KH-15",
        "Prey Veng": "KH-14",
        "Ratanakiri": "KH-16",
        "Stung Treng": "KH-19",
        "Svay Rieng": "KH-20",
        "Sihanoukville": "KH-18",
        "បន្ទាយមានជ័យ": "KH-1",
        "បាត់ដំបង": "KH-2",
        "កំពង់ចាម": "KH-3",
        "កំពង់ឆ្នាំង": "KH-4",
        "កំពង់ស្ពឺ": "KH-5",
        "កំពង់ធំ": "KH-6",
        "កំពត": "KH-7",
        "កណ្ដាល": "KH-8",
        "កណ្តាល": "KH-8",
        "កោះកុង": "KH-9",
        "ក្រចេះ": "KH-10",
        "មណ្ឌលគិរី": "KH-11",
        "ភ្នំពេញ": "KH-12",
        "ព្រះវិហារ": "KH-13",
        "ព្រៃវែង": "KH-14",
        "ពោធិ៍សាត់": "KH-15",
        "រតនគិរី": "KH-16",
        "សៀមរាប": "KH-17",
        "ព្រះសីហនុ": "KH-18",
        "ស្ទឹងត្រែង": "KH-19",
        "ស្វាយរៀង": "KH-20",
        "តាកែវ": "KH-21",
        "ឧត្តរមានជ័យ": "KH-22",
        "កែប": "KH-23",
        "ប៉ៃលិន": "KH-24",
        "ត្បូងឃ្មុំ": "KH-25",
    },
    "MY": {"Kuala Lumpur": "MY-14", "Penang": "MY-07", "Labuan": "MY-15", "Putrajaya": "MY-16", "Malacca": "MY-04"},
}

# Administrative words before or after a name ("Tỉnh", "TP.", "Province", "จังหวัด").
_PREFIXES = (
    "tỉnh",
    "thành phố",
    "tp",
    "t p",
    "province of",
    "province",
    "provinsi",
    "changwat",
    "จังหวัด",
    "จ",
    "ແຂວງ",
    "ខេត្ត",
    "negeri",
)
_SUFFIXES = ("province", "provinsi")
# Viet Nam's words for the units below the province, written out and abbreviated
# ("Xã Hòa Phong", "P. 12", "Q.1", "TX Sơn Tây", "Đặc khu Phú Quốc").
_UNIT_PREFIXES = (
    "xã",
    "phường",
    "thị trấn",
    "huyện",
    "quận",
    "thị xã",
    "thành phố",
    "đặc khu",
    "tp",
    "tx",
    "tt",
    "p",
    "q",
    "h",
    "x",
)
_VN_SUFFIXES = ("city",)
# pycountry types that group provinces (Indonesia's islands): a province of the same
# name wins over them.
_GROUPING_TYPES = frozenset({"Geographical unit", "Region"})


@dataclass(frozen=True)
class Area:
    """One area code with its validity, so old records stay resolvable after reforms."""

    code: str
    country: str
    name: str
    scheme: str  # "ISO-3166-1", "ISO-3166-2", "VN-GSO-2025" or "VN-GSO-2004"
    valid_from: str | None = None
    valid_to: str | None = None
    replaced_by: tuple[str, ...] = ()
    parent: str | None = None
    level: str | None = None  # "district" or "commune" (Viet Nam's units below the province)
    split: bool = False  # only a part of it went to each successor

    def as_item(self) -> dict[str, Any]:
        """The codelist item for this area (JSON-friendly)."""
        return {
            "code": self.code,
            "country": self.country,
            "name": self.name,
            "scheme": self.scheme,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "replaced_by": list(self.replaced_by),
            **({"parent": self.parent} if self.parent else {}),
            **({"level": self.level} if self.level else {}),
            **({"split": True} if self.split else {}),
        }


# ---------------------------------------------------------------- tables (built once)


@cache
def _pycountry() -> Any:
    import pycountry  # lazy: loading the ISO databases costs time

    return pycountry


@cache
def _vn_new() -> dict[str, Area]:
    """The 34 provinces in force since 1 July 2025, by ``VN-GSO:NN`` code."""
    from vietnam_provinces import Province  # lazy

    out: dict[str, Area] = {}
    for p in Province.iter_all():
        code = f"{VN_GSO_PREFIX}{int(p.code.value):02d}"
        out[code] = Area(code, "VN", p.name, VN_GSO_2025, valid_from=VN_REORGANISED_ON)
    return dict(sorted(out.items()))


@cache
def _vn_old() -> dict[str, dict[str, Any]]:
    """Items of the 63→34 merger table, by old ISO 3166-2 code."""
    return {it["code"]: it for it in codelist(MERGER_CODELIST)["items"]}


@cache
def _vn_units() -> dict[str, Area]:
    """Viet Nam's districts and communes before 1 July 2025 and today's communes, by code."""
    out: dict[str, Area] = {}
    for it in codelist(COMMUNES_CODELIST)["items"]:
        code = it["code"]
        out[code] = Area(
            code,
            "VN",
            it["name"],
            VN_GSO_2004 if code.startswith(VN_GSO_2004_PREFIX) else VN_GSO_2025,
            valid_from=it.get("valid_from"),
            valid_to=it.get("valid_to"),
            replaced_by=tuple(it.get("replaced_by", ())),
            parent=it["parent"],
            level=it["level"],
            split=bool(it.get("split")),
        )
    return out


@cache
def _subdivisions(country: str) -> dict[str, Area]:
    """ISO 3166-2 subdivisions of one country, by code (old VN provinces dated)."""
    pc = _pycountry()
    subs = pc.subdivisions.get(country_code=country) or []
    old = _vn_old() if country == "VN" else {}
    out: dict[str, Area] = {}
    for s in sorted(subs, key=lambda s: s.code):
        if s.code in old:
            it = old[s.code]
            out[s.code] = Area(
                s.code,
                country,
                it["name"],
                ISO_3166_2,
                valid_to=VN_OLD_VALID_TO,
                replaced_by=(it["successor"],),
                parent=s.parent_code,
            )
        else:
            out[s.code] = Area(s.code, country, s.name, ISO_3166_2, parent=s.parent_code)
    return out


@cache
def _subdivision_types(country: str) -> dict[str, str]:
    return {s.code: s.type for s in (_pycountry().subdivisions.get(country_code=country) or [])}


@cache
def _country(alpha2: str) -> Area | None:
    c = _pycountry().countries.get(alpha_2=alpha2)
    if c is None:
        return None
    return Area(c.alpha_2, c.alpha_2, getattr(c, "common_name", None) or c.name, ISO_3166_1)


# ---------------------------------------------------------------- lookup

# always with fullmatch (\d would take other digits)
_GSO_RE = re.compile(r"VN-GSO:[0-9]{2}")
_VN_RE = re.compile(r"VN-GSO:(?:[0-9]{2}|[0-9]{5})|VN-GSO-2004:(?:[0-9]{3}|[0-9]{5})")
_ISO2_RE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def lookup(code: str) -> Area | None:
    """Resolve a code: ``TH`` (country), ``TH-90`` / ``VN-27`` (ISO 3166-2), ``VN-GSO:01``,
    a Vietnamese commune ``VN-GSO:24112`` or an old district or commune ``VN-GSO-2004:643``.

    Old Vietnamese ISO codes resolve with ``valid_to`` and ``replaced_by`` set, so a
    validator can accept them for old periods and point to the successor.
    """
    if not isinstance(code, str):
        return None
    c = code.strip().upper()
    if _VN_RE.fullmatch(c):  # one match for every Vietnamese statistics code
        return _vn_new().get(c) or _vn_units().get(c)
    if len(c) == 2 and c.isalpha():
        return _country(c)
    if _ISO2_RE.fullmatch(c):
        return _subdivisions(c[:2]).get(c)
    return None


def successor(code: str) -> str | None:
    """The ``VN-GSO:NN`` province that took over an old Vietnamese province.

    Accepts an old ISO 3166-2 code (``VN-27``) or an old province name in any spelling
    (``Quảng Nam``); a current ``VN-GSO`` code is its own successor.
    """
    if not isinstance(code, str) or not code.strip():
        return None
    c = code.strip().upper()
    if _GSO_RE.fullmatch(c):
        return c if c in _vn_new() else None
    if c in _vn_old():
        return _vn_old()[c]["successor"]
    return _lookup_text("VN", code)


def current(code: str) -> str:
    """Today's area for ``code``: followed through ``replaced_by`` while a reorganisation
    names exactly one successor that took the whole area; an area that ended otherwise
    (split, or abolished like Viet Nam's districts) is today's area of the unit above it.
    The reorganisation tables are data (``codelists/areas-VN-2025-merger.json``,
    ``codelists/areas-VN-2025-communes.json``); any member's works the same way."""
    seen: set[str] = set()
    while code not in seen:
        area = lookup(code)
        if area is None or not (area.valid_to or area.replaced_by):
            break
        seen.add(code)
        if len(area.replaced_by) == 1 and not area.split:
            code = area.replaced_by[0]
        elif area.valid_to and area.parent:
            code = area.parent
        else:
            break
    return code


@cache
def _within(country: str) -> dict[str, tuple[str, ...]]:
    """Today's area -> every code that is now inside it: its predecessors, and for a
    province the communes in it with theirs (from the reorganisation tables)."""
    out: dict[str, list[str]] = {}
    old = [a.code for a in _subdivisions(country).values() if a.replaced_by]
    units = list(_vn_units()) if country == "VN" else []
    for code in (*old, *units):
        node: str | None = current(code)
        while node is not None:
            out.setdefault(node, []).append(code)
            above = lookup(node)
            node = above.parent if above is not None and above.level and not above.valid_to else None
    return {k: tuple(v) for k, v in out.items()}


@cache
def same_place_codes(code: str) -> tuple[str, ...]:
    """Every code that means today's area of ``code`` or a place inside it: itself, its
    current successor, the successor's predecessors and, for a Vietnamese province, its
    communes old and new (so a filter finds records written before and after a
    reorganisation, and at any level, alike)."""
    today = current(code)
    country = today[:2]
    inside = _within(country).get(today, ()) if len(country) == 2 and country.isalpha() else ()
    return tuple(dict.fromkeys([code, today, *inside]))


# ---------------------------------------------------------------- free text


def _key(text: str) -> str:
    """Folded comparison key: no accents, no case, punctuation as spaces."""
    folded = fold(nfc(text))
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in folded)
    return " ".join(cleaned.split())


@cache
def _affixes(country: str, exact: bool = False, units: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Administrative words, keyed like the names they are stripped from (both spellings
    when exact: "tỉnh" and the unaccented "tinh" both occur in feeds)."""
    suffixes = _SUFFIXES + (_VN_SUFFIXES if country == "VN" else ())
    keys = (_key, _exact_key) if exact else (_key,)
    return (
        tuple(dict.fromkeys(k(p) for p in (_UNIT_PREFIXES if units else _PREFIXES) for k in keys)),
        () if units else tuple(dict.fromkeys(k(s) for s in suffixes for k in keys)),
    )


def _variants(key: str, country: str, exact: bool = False, units: bool = False) -> list[str]:
    """The key, then the key with administrative words removed, each also without spaces
    (for units, numbers without leading zeros too: "Phường 01" is "Phường 1")."""
    if units:
        key = " ".join(str(int(w)) if w.isdigit() else w for w in key.split())
    prefixes, suffixes = _affixes(country, exact, units)
    out = [key]
    current = key
    changed = True
    while changed:
        changed = False
        for p in prefixes:
            rest = None
            if current.startswith(p + " "):
                rest = current[len(p) + 1 :]
            elif not p.isascii() and len(p) >= 3 and current.startswith(p) and len(current) > len(p):
                rest = current[len(p) :]  # scripts written without spaces: "จังหวัดสงขลา"
            if rest:
                current, changed = rest.strip(), True
                out.append(current)
                break
        for s in suffixes:
            if current.endswith(" " + s):
                current, changed = current[: -len(s) - 1].strip(), True
                out.append(current)
                break
    return out + [v.replace(" ", "") for v in out]


def _add(index: dict[str, tuple[int, str | None]], key: str, code: str, rank: int) -> None:
    """Add a name key; of equal rank, two different codes make the name ambiguous (None)."""
    for k in {key, key.replace(" ", "")}:
        if not k:
            continue
        have = index.get(k)
        if have is None or rank < have[0]:
            index[k] = (rank, code)
        elif rank == have[0] and have[1] != code:
            index[k] = (rank, None)


@cache
def _names(country: str) -> tuple[tuple[str, str, int], ...]:
    """``(name, code, rank)`` of every known name of an area of ``country``; lower rank wins."""
    out: list[tuple[str, str, int]] = [(alias, code, 0) for alias, code in _ALIASES.get(country, {}).items()]
    if country == "VN":
        for code, area in _vn_new().items():
            out.append((area.name, code, 1))
        for _iso, it in _vn_old().items():
            out.extend((name, it["successor"], 1) for name in (it["name"], *it.get("aliases", ())))
        for iso, area in _subdivisions("VN").items():
            if area.replaced_by:
                out.append((_pycountry().subdivisions.get(code=iso).name, area.replaced_by[0], 2))
        return tuple(out)
    types = _subdivision_types(country)
    translations = [
        gettext.translation("iso3166-2", _pycountry().LOCALES_DIR, languages=list(langs), fallback=True)
        for langs in [_LOCAL_LANGUAGES.get(country, ())]
        if langs
    ]
    for code, area in _subdivisions(country).items():
        rank = 2 if types.get(code) in _GROUPING_TYPES else 1
        names = {area.name, re.sub(r"\s*\([^)]*\)", "", area.name)}  # "Bicol (Region V)" -> "Bicol"
        for t in translations:
            names.add(t.gettext(area.name))
        out.extend((name, code, rank) for name in names)
    return tuple(out)


@cache
def _index(country: str, exact: bool) -> dict[str, str | None]:
    """Name key -> code for one country (None marks an ambiguous name).

    ``exact`` keys keep diacritics (only the placement of Vietnamese tone marks is
    normalised: "Hoá" = "Hóa"); the other keys fold them away.
    """
    key = _exact_key if exact else _key
    index: dict[str, tuple[int, str | None]] = {}
    for name, code, rank in _names(country):
        for variant in _variants(key(name), country, exact):
            _add(index, variant, code, rank)
    return {k: v for k, (_, v) in index.items()}


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _exact_key(text: str) -> str:
    """Like :func:`_key` but keeping diacritics; each word's tone mark goes to its end,
    so the old and new tone placements ("Thanh Hoá", "Thanh Hóa") compare equal while
    "Thạnh Hoá" (a district of Long An) stays apart from "Thanh Hóa" (a province)."""
    words = []
    for word in unicodedata.normalize("NFD", nfc(text).casefold()).split():
        tones = "".join(sorted(c for c in word if c in _TONES))
        base = "".join(c for c in word if c not in _TONES)
        cleaned = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in base)
        words.append(unicodedata.normalize("NFC", " ".join(cleaned.split())) + tones)
    return " ".join(w for w in words if w)


def _lookup_text(country: str, text: str) -> str | None:
    """Accent-insensitive only for input written without accents: input that has them
    must match them (tone placement aside), so a similar name elsewhere is not taken."""
    return _lookup_in(text, country, lambda exact: _index(country, exact))


def _lookup_in(
    text: str, country: str, index_of: Callable[[bool], dict[str, str | None]], units: bool = False
) -> str | None:
    plain = _key(text)
    exact = plain != " ".join(
        "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in nfc(text).casefold()).split()
    )
    index = index_of(exact)
    for variant in _variants(_exact_key(text) if exact else plain, country, exact, units):
        if variant in index:
            return index[variant]
    return None


@cache
def _children() -> dict[str, tuple[Area, ...]]:
    """Viet Nam's units by the code of the unit above them (an old province's ISO code,
    an old district, today's province)."""
    out: dict[str, list[Area]] = {}
    for area in _vn_units().values():
        out.setdefault(area.parent or "", []).append(area)
    return {k: tuple(v) for k, v in out.items()}


def units_of(parent: str, level: str) -> tuple[Area, ...]:
    """The districts or communes under ``parent``: an old province (``VN-33``: its old
    districts, or the communes of all of them), an old district, today's province, or
    ``VN`` (every one of the country, old and new)."""
    if parent == "VN":
        return tuple(a for a in _vn_units().values() if a.level == level)
    direct = _children().get(parent, ())
    if direct and direct[0].level == level:
        return direct
    return tuple(a for d in direct for a in _children().get(d.code, ()) if a.level == level)


@cache
def _unit_index(parent: str, level: str, exact: bool) -> dict[str, str | None]:
    key = _exact_key if exact else _key
    index: dict[str, tuple[int, str | None]] = {}
    for area in units_of(parent, level):
        for variant in _variants(key(area.name), "VN", exact, units=True):
            _add(index, variant, area.code, 1)
    return {k: v for k, (_, v) in index.items()}


def find_unit(parent: str, text: str, level: str) -> str | None:
    """A Vietnamese district or commune named ``text`` under ``parent`` (see
    :func:`units_of`), or None when there is none or more than one ("Xã Hòa Phong" in
    "VN-GSO-2004:651"; "P.12", "phường 12", "Phuong 12" alike)."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _lookup_in(text, "VN", lambda exact: _unit_index(parent, level, exact), units=True)


@cache
def _province_index(era: str, exact: bool) -> dict[str, str | None]:
    """Names of Viet Nam's provinces of one era: ``old`` (the 63, by ISO code) or
    ``new`` (the 34, by ``VN-GSO:NN``)."""
    key = _exact_key if exact else _key
    names: list[tuple[str, str]] = []
    if era == "old":
        for iso, it in _vn_old().items():
            names.extend((n, iso) for n in (it["name"], *it.get("aliases", ())))
            names.append((_pycountry().subdivisions.get(code=iso).name, iso))
    else:
        names.extend((a.name, code) for code, a in _vn_new().items())
    index: dict[str, tuple[int, str | None]] = {}
    for name, code in names:
        for variant in _variants(key(name), "VN", exact):
            _add(index, variant, code, 1)
    return {k: v for k, (_, v) in index.items()}


def find_vn_province(text: str, era: str) -> str | None:
    """The Vietnamese province named ``text`` in one era: ``old`` gives the ISO code of
    one of the 63 before July 2025, ``new`` the ``VN-GSO:NN`` code of one of today's 34."""
    if not isinstance(text, str) or not text.strip():
        return None
    area = lookup(text)
    if area is not None and area.country == "VN" and not area.level and area.scheme != ISO_3166_1:
        return area.code if (era == "old") == bool(area.valid_to) else None
    return _lookup_in(text, "VN", lambda exact: _province_index(era, exact))


def find(country: str, text: str) -> str | None:
    """Resolve free-text place to an area code of ``country``, or None.

    Accent-, case- and Unicode-form-insensitive; tolerates "Tỉnh", "Thành phố", "TP.",
    "Province", "จังหวัด". For Viet Nam the answer is always a current ``VN-GSO:NN``
    code: an old province name resolves through :func:`successor`. Communes and
    districts are not resolved (None), so callers keep the original text.
    """
    if not isinstance(text, str) or not isinstance(country, str) or not text.strip():
        return None
    country = country.strip().upper()
    area = lookup(text)
    if area is not None and area.country == country and area.scheme != ISO_3166_1:
        if country == "VN" and area.replaced_by:
            return area.replaced_by[0]
        return area.code
    return _lookup_text(country, text)


# ---------------------------------------------------------------- publishing


def _version() -> str:
    try:
        pc = metadata.version("pycountry")
    except metadata.PackageNotFoundError:  # pragma: no cover
        pc = "unknown"
    try:
        import vietnam_provinces as vp

        vn = getattr(vp, "__data_version__", None) or vp.__version__
    except ImportError:  # pragma: no cover
        vn = "unknown"
    merger, communes = codelist(MERGER_CODELIST)["version"], codelist(COMMUNES_CODELIST)["version"]
    return f"iso3166-2:pycountry-{pc};vn-gso:{vn};vn-merger:{merger};vn-communes:{communes}"


def areas(country: str) -> list[Area]:
    """Every area of one country: the country itself, its ISO subdivisions, VN-GSO codes."""
    country = country.strip().upper()
    head = _country(country)
    if head is None:
        return []
    out = [head, *_subdivisions(country).values()]
    if country == "VN":
        out.extend(_vn_new().values())
    return out


def area_codelist(country: str | None = None) -> dict[str, Any]:
    """A codelist-shaped document of areas (one country, or all ASEAN members) for the API."""
    countries = (country.strip().upper(),) if country else ASEAN
    items = [a.as_item() for c in countries for a in areas(c)]
    return {
        "name": "areas",
        "version": _version(),
        "title": {"en": "Areas", "vi": "Địa bàn"},
        "source": (
            "ISO 3166-1 and ISO 3166-2 through pycountry; Viet Nam's 34 provinces since 1 July 2025 with "
            "national statistics codes (VN-GSO:NN) through vietnam_provinces; old Vietnamese ISO codes are "
            "dated and point to their successor (Resolution 202/2025/QH15). Viet Nam's districts and communes, "
            "before and after 1 July 2025, are the codelist areas-VN-2025-communes."
        ),
        "items": items,
    }
