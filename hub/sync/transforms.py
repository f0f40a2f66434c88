"""Transforms a mapping applies to a column value, named in TOML as ``"name"`` or ``"name:arg"``.

Each transform takes the value so far and returns the next one. Empty values (``""``,
``None``, ``[]``) pass through untouched, so a chain never fails on a blank cell; a
value that is present but cannot be converted raises :class:`TransformError`, which
the mapping reports with the row's line and column. After ``split`` the value is a list
and text transforms apply to each element.

==============================  ================================================================
``nfc``                         Unicode NFC (feeds mix NFC and NFD: "Quảng Nam" two ways)
``trim``                        strip leading and trailing white space
``collapse``                    trim and turn every run of white space into one space
``unescape``                    HTML entities -> characters: "&quot;" -> '"' (scraped feeds)
``lower`` / ``upper``           change case
``split:SEP``                   text -> list of trimmed, non-empty parts (default SEP ``,``)
``truncate:N``                  cut text longer than N characters at a word boundary, add "…"
``empty_if:TEXT``               treat TEXT (e.g. ``-`` or ``N/A``) as an empty cell
``number`` / ``number:,``       "745,209,437.00" -> "745209437" (decimal string); the argument is
                                the decimal mark (``.`` by default; ``,`` for "1.234,5")
``int``                         "3.0" -> 3; refuses "3.5"
``be_year``                     Buddhist-era year -> Common Era: 2567 -> 2024
``th_fiscal_year_start``        Thai fiscal year -> first day: 2567 (or 2024) -> "2023-10-01"
``th_fiscal_year_end``          Thai fiscal year -> last day: 2567 (or 2024) -> "2024-09-30"
``date:FORMAT``                 strptime FORMAT -> ISO date: ``date:%d/%m/%Y`` "05/03/2024" -> "2024-03-05"
``date_be:FORMAT``              the same for Buddhist-era years: "05/03/2567" -> "2024-03-05"
``area:CC``                     place text -> ``{"place": text, "area": code}`` through
                                :func:`schemas.areas.find` for country CC; an address is read
                                from its end (:mod:`hub.sync.addresses`): "..., xã Hòa Phong,
                                tỉnh Đắk Lắk" -> VN-GSO:66 (or today's commune when it is
                                named); Viet Nam's units before July 2025 (63 provinces,
                                districts, communes) give today's; ``{"place": text}`` when the
                                text does not resolve (the hub warns ``area_unresolved``)
``area:CC@DATE``                the same for a source of that date (2024, 2024-10, 2024-10-15):
                                it says whose units the address names, and the old unit is
                                kept as ``area_at_source`` {"area": "VN-GSO-2004:24463", "on": DATE}
``month:LANG``                  "month year" in a member's language -> "YYYY-MM" (year-month
                                precision): ``month:th`` "ต.ค. 66" -> "2023-10", ``month:vi``
                                "Tháng 10/2024", ``month:id`` "Okt 2024", ``month:lo``, ``month:km``,
                                ``month:fil``, ``month:en``; Buddhist-era years become CE
``month_start:LANG``            the same -> its first day: "ตุลาคม 2566" -> "2023-10-01"
``month_end:LANG``              the same -> its last day: "Tháng 2/2024" -> "2024-02-29"
``th_fiscal_month_start``       a Thai month of a *fiscal* year -> first day: "ต.ค. 2567" ->
``th_fiscal_month_end``         "2023-10-01" (fiscal 2567 began in October 2566); ..._end: last day
``year``                        a year, BE or CE, also "พ.ศ. 2567" -> "2024" (year precision)
``amount`` / ``amount:,``       a number with its multiplier words and currency dropped:
                                "12,5 triệu đồng" (``amount:,``) -> "12500000", "1.5 ล้านบาท" ->
                                "1500000", "Rp 2 juta" -> "2000000"
``scale:N``                     multiply a number by N: a column "in millions" with ``scale:1000000``
``area_code:CC``                place text -> today's area code alone: "tỉnh Đắk Lắk" -> "VN-GSO:66";
                                an error when the text does not resolve (``area_code:CC@DATE`` too)
``slug``                        any script -> an ASCII id part, transliterated (anyascii):
                                "Cà phê Hòa Phong" -> "ca-phe-hoa-phong", "ข้าวหอมมะลิ" ->
                                "khawhommali"; the same text always gives the same slug
``hash:N``                      a stable id part from text: the first N (6-64, default 12) hex
                                digits of its SHA-256 after NFC, case folding and collapsing
                                white space; with a template over several columns, a key for
                                rows that have none
==============================  ================================================================
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, Overflow
from typing import Any, Callable

from schemas.fields import AMOUNT_DECIMALS, AMOUNT_DIGITS

from . import calendars

Transform = Callable[[Any], Any]

BE_OFFSET = 543  # Buddhist era = Common Era + 543
_BE_RANGE = range(2400, 2800)
_CE_RANGE = range(1900, 2300)
_BE_YEAR_IN_TEXT = re.compile(r"(?<!\d)(2[4-7]\d\d)(?!\d)")


class TransformError(ValueError):
    """A value is present but cannot be converted; the message says why."""


def is_empty(value: Any) -> bool:
    """``None``, blank text and empty lists count as an empty cell."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _text(fn: Callable[[str], Any]) -> Transform:
    """Apply a text function to a value, or to each element of a list."""

    def run(value: Any) -> Any:
        if is_empty(value):
            return value
        if isinstance(value, list):
            return [out for v in value if not is_empty(out := fn(str(v)))]
        return fn(value if isinstance(value, str) else str(value))

    return run


# ------------------------------------------------------------------ text


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def collapse(text: str) -> str:
    return " ".join(text.split())


def truncate(limit: int) -> Callable[[str], str]:
    def cut(text: str) -> str:
        if len(text) <= limit:
            return text
        head = text[: limit - 1]
        space = head.rfind(" ")
        if space > limit * 0.8:  # a word boundary not too far back
            head = head[:space]
        return head.rstrip(" ,.;:-") + "…"

    return cut


def split(sep: str) -> Transform:
    def run(value: Any) -> Any:
        if is_empty(value):
            return value
        items = value if isinstance(value, list) else [value]
        return [p.strip() for item in items for p in str(item).split(sep) if p.strip()]

    return run


def empty_if(marker: str) -> Callable[[str], str]:
    return lambda text: "" if text.strip() == marker else text


# ------------------------------------------------------------------ numbers

_THOUSANDS = {".": ",", ",": "."}
_SPACES = (" ", "\u00a0", "\u202f", "_", "'")


def number(decimal_mark: str = ".") -> Callable[[str], str]:
    """A decimal string; thousands separators are checked to group by three digits."""
    if decimal_mark not in _THOUSANDS:
        raise ValueError(f"number: the decimal mark must be '.' or ',', not '{decimal_mark}'")
    sep = re.escape(_THOUSANDS[decimal_mark])
    dec = re.escape(decimal_mark)
    shape = re.compile(rf"[+-]?(?:[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+|[0-9]+)(?:{dec}[0-9]+)?")

    def run(text: str) -> str:
        compact = text.strip()
        for space in _SPACES:
            compact = compact.replace(space, _THOUSANDS[decimal_mark])
        if not shape.fullmatch(compact):
            raise TransformError(f"'{text}' is not a number (decimal mark '{decimal_mark}')")
        plain = compact.replace(_THOUSANDS[decimal_mark], "").replace(decimal_mark, ".")
        return format(Decimal(plain).normalize(), "f")

    return run


def to_int(value: Any) -> Any:
    if is_empty(value):
        return value
    if isinstance(value, bool):
        raise TransformError(f"'{value}' is not a whole number")
    if isinstance(value, int):
        return value
    try:
        number_ = Decimal(str(value).strip())
    except InvalidOperation:
        raise TransformError(f"'{value}' is not a whole number") from None
    if not number_.is_finite() or number_ != number_.to_integral_value():
        raise TransformError(f"'{value}' is not a whole number")
    return int(number_)


# ------------------------------------------------------------------ years and dates


def _year(value: Any) -> int:
    year = to_int(value.strip() if isinstance(value, str) else value)
    if not isinstance(year, int):
        raise TransformError(f"'{value}' is not a year")
    return year


def be_year(value: Any) -> Any:
    if is_empty(value):
        return value
    year = _year(value)
    if year not in _BE_RANGE:
        raise TransformError(f"{year} is not a Buddhist-era year (expected {_BE_RANGE.start}-{_BE_RANGE.stop - 1})")
    return year - BE_OFFSET


def _fiscal_ce(value: Any) -> int:
    """Thai fiscal years carry the number of the year they end in; BE or CE accepted."""
    year = _year(value)
    if year in _BE_RANGE:
        return year - BE_OFFSET
    if year in _CE_RANGE:
        return year
    raise TransformError(
        f"{year} is not a fiscal year (Buddhist era {_BE_RANGE.start}-{_BE_RANGE.stop - 1} "
        f"or Common Era {_CE_RANGE.start}-{_CE_RANGE.stop - 1})"
    )


def th_fiscal_year_start(value: Any) -> Any:
    return value if is_empty(value) else date(_fiscal_ce(value) - 1, 10, 1).isoformat()


def th_fiscal_year_end(value: Any) -> Any:
    return value if is_empty(value) else date(_fiscal_ce(value), 9, 30).isoformat()


def parse_date(fmt: str, buddhist: bool = False) -> Callable[[str], str]:
    def run(text: str) -> str:
        source = text.strip()
        if buddhist:  # convert the year before parsing so 29 February stays valid
            source = _BE_YEAR_IN_TEXT.sub(lambda m: str(int(m.group(1)) - BE_OFFSET), source)
        try:
            return datetime.strptime(source, fmt).date().isoformat()
        except ValueError:
            raise TransformError(f"'{text}' does not match the date format '{fmt}'") from None

    return run


def _month(language: str) -> Callable[[str], tuple[int, int]]:
    if language not in calendars.LANGUAGES:
        raise ValueError(f"unknown language '{language}' (known: {', '.join(calendars.LANGUAGES)})")

    def run(text: str) -> tuple[int, int]:
        try:
            return calendars.month_year(text, language)
        except calendars.CalendarError as exc:
            raise TransformError(str(exc)) from None

    return run


def month(language: str, edge: str = "", fiscal: bool = False) -> Callable[[str], str]:
    """ "month year" -> "YYYY-MM", or its first (``edge="start"``) or last day."""
    read = _month(language)

    def run(text: str) -> str:
        year_, month_ = read(text)
        if fiscal:
            year_ = calendars.th_fiscal(year_, month_)
        if edge == "start":
            return date(year_, month_, 1).isoformat()
        if edge == "end":
            return date(year_, month_, calendar.monthrange(year_, month_)[1]).isoformat()
        return f"{year_:04d}-{month_:02d}"

    return run


def year_only(text: str) -> str:
    found = re.search(r"(?<!\d)\d{4}(?!\d)", calendars.digits(text))
    if not found:
        raise TransformError(f"'{text}' has no four-digit year")
    return str(calendars.year(int(found.group()), "th"))


# ------------------------------------------------------------------ amounts

#: multiplier words of the members' languages (and English), folded
MULTIPLIERS = {
    "nghìn": 3,
    "ngàn": 3,
    "triệu": 6,
    "tỷ": 9,
    "tỉ": 9,
    "พัน": 3,
    "หมื่น": 4,
    "แสน": 5,
    "ล้าน": 6,
    "พันล้าน": 9,
    "ພັນ": 3,
    "ລ້ານ": 6,
    "ពាន់": 3,
    "លាន": 6,
    "ribu": 3,
    "rb": 3,
    "juta": 6,
    "jt": 6,
    "miliar": 9,
    "libo": 3,
    "milyon": 6,
    "thousand": 3,
    "million": 6,
    "mn": 6,
    "billion": 9,
    "bn": 9,
}
#: currency words and signs dropped around an amount
CURRENCIES = (
    "đồng",
    "vnđ",
    "vnd",
    "đ",
    "บาท",
    "thb",
    "฿",
    "ກີບ",
    "kip",
    "lak",
    "₭",
    "រៀល",
    "riel",
    "khr",
    "៛",
    "rupiah",
    "rp",
    "idr",
    "piso",
    "peso",
    "php",
    "₱",
    "ringgit",
    "rm",
    "myr",
    "kyat",
    "mmk",
    "usd",
    "$",
)
_WORDS = re.compile(r"[^\W\d_]+|[฿₭៛₱$]", re.UNICODE)


def amount(decimal_mark: str = ".") -> Callable[[str], str]:
    """A number with multiplier words ("triệu", "ล้าน", "juta") applied and currency dropped."""
    plain = number(decimal_mark)
    words = sorted(MULTIPLIERS, key=len, reverse=True)

    def run(text: str) -> str:
        rest = calendars.digits(unicodedata.normalize("NFC", text)).casefold()
        power = 0
        for word in words:  # longest first: พันล้าน before ล้าน and พัน
            if word in rest:
                power += MULTIPLIERS[word]
                rest = rest.replace(word, " ")
        for word in sorted(CURRENCIES, key=len, reverse=True):
            rest = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)" if word.isalpha() else re.escape(word), " ", rest)
        left = _WORDS.findall(rest)
        if left:
            raise TransformError(f"'{text}': '{left[0]}' is not a multiplier or currency this transform knows")
        return _canonical(Decimal(plain(rest.strip())) * (Decimal(10) ** power), text)

    return run


def _canonical(value: Decimal, text: str) -> str:
    """A decimal's canonical text, for values within the standard's amount range only: a
    cell such as ``1e999999999`` would otherwise be written out as a billion digits."""
    if not value.is_finite() or (value and not -AMOUNT_DECIMALS <= value.adjusted() < AMOUNT_DIGITS):
        raise TransformError(f"'{text}' is beyond the numbers the standard holds")
    return format(value.normalize(), "f")


def scale(factor: str) -> Callable[[str], str]:
    try:
        by = Decimal(factor)
    except InvalidOperation:
        raise ValueError(f"expected a number, not '{factor}'") from None
    if not by.is_finite():
        raise ValueError(f"expected a number, not '{factor}'")

    def run(text: str) -> str:
        try:
            value = Decimal(text.strip()) * by
        except Overflow:
            raise TransformError(f"'{text}' is beyond the numbers the standard holds") from None
        except InvalidOperation:
            raise TransformError(f"'{text}' is not a number (scale needs 'number' or 'amount' first)") from None
        return _canonical(value, text)

    return run


# ------------------------------------------------------------------ places


def area(arg: str) -> Callable[[str], Any]:
    """Free-text place -> a place object with the area code when it resolves
    (``CC``, or ``CC@DATE``: the date of the source, which says whose units it names)."""
    from . import addresses  # lazy: the area tables load on first use

    country, at, on = arg.partition("@")
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"area: expected a two-letter country code, not '{country}'")
    day = addresses.checked_date(on.strip()) if at else None

    def run(text: str) -> Any:
        return addresses.place_object(code, collapse(nfc(text)), day)

    return run


def area_code(country: str) -> Callable[[str], Any]:
    """Free-text place -> its area code; an error when it does not resolve."""
    place = area(country)

    def run(text: str) -> Any:
        found = place(text)
        if "area" not in found:
            raise TransformError(f"'{found['place']}' is not an area of {country.strip().upper()}")
        return found["area"]

    return run


# ------------------------------------------------------------------ ids

_NOT_ID = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Transliterated to ASCII, lower case, runs of anything else as one "-"; at most 128."""
    from anyascii import anyascii  # lazy: its tables load on first use

    return _NOT_ID.sub("-", anyascii(nfc(text)).lower()).strip("-")[:128].rstrip("-")


def digest(length: int) -> Callable[[str], str]:
    def run(text: str) -> str:
        key = collapse(nfc(text)).casefold()
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]

    return run


def _hash_length(arg: str) -> int:
    if not arg.isdigit() or not 6 <= int(arg) <= 64:
        raise ValueError(f"expected a number of hex digits from 6 to 64, not '{arg}'")
    return int(arg)


# ------------------------------------------------------------------ registry


def _no_arg(fn: Transform) -> Callable[[str | None], Transform]:
    def make(arg: str | None) -> Transform:
        if arg is not None:
            raise ValueError("takes no argument")
        return fn

    return make


def _needs_arg(make: Callable[[str], Transform], default: str | None = None) -> Callable[[str | None], Transform]:
    def build_(arg: str | None) -> Transform:
        if arg is None or arg == "":
            if default is None:
                raise ValueError("needs an argument after ':'")
            arg = default
        return make(arg)

    return build_


def _positive(arg: str) -> int:
    if not arg.isdigit() or int(arg) < 2:
        raise ValueError(f"expected a number of characters, not '{arg}'")
    return int(arg)


REGISTRY: dict[str, Callable[[str | None], Transform]] = {
    "nfc": _no_arg(_text(nfc)),
    "trim": _no_arg(_text(str.strip)),
    "collapse": _no_arg(_text(collapse)),
    "unescape": _no_arg(_text(html.unescape)),
    "lower": _no_arg(_text(str.lower)),
    "upper": _no_arg(_text(str.upper)),
    "split": _needs_arg(split, default=","),
    "truncate": _needs_arg(lambda a: _text(truncate(_positive(a)))),
    "empty_if": _needs_arg(lambda a: _text(empty_if(a))),
    "number": _needs_arg(lambda a: _text(number(a)), default="."),
    "int": _no_arg(to_int),
    "be_year": _no_arg(be_year),
    "th_fiscal_year_start": _no_arg(th_fiscal_year_start),
    "th_fiscal_year_end": _no_arg(th_fiscal_year_end),
    "date": _needs_arg(lambda a: _text(parse_date(a))),
    "date_be": _needs_arg(lambda a: _text(parse_date(a, buddhist=True))),
    "area": _needs_arg(lambda a: _text(area(a))),
    "month": _needs_arg(lambda a: _text(month(a))),
    "month_start": _needs_arg(lambda a: _text(month(a, "start"))),
    "month_end": _needs_arg(lambda a: _text(month(a, "end"))),
    "th_fiscal_month_start": _no_arg(_text(month("th", "start", fiscal=True))),
    "th_fiscal_month_end": _no_arg(_text(month("th", "end", fiscal=True))),
    "year": _no_arg(_text(year_only)),
    "amount": _needs_arg(lambda a: _text(amount(a)), default="."),
    "scale": _needs_arg(lambda a: _text(scale(a))),
    "area_code": _needs_arg(lambda a: _text(area_code(a))),
    "slug": _no_arg(_text(slug)),
    "hash": _needs_arg(lambda a: _text(digest(_hash_length(a))), default="12"),
}


def build(spec: str) -> Transform:
    """``"split:;"`` -> the transform; ValueError (a mistake in the mapping file) when unknown."""
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"a transform is a name such as 'trim' or 'split:;', not {spec!r}")
    name, colon, arg = spec.partition(":")
    make = REGISTRY.get(name)
    if make is None:
        raise ValueError(f"unknown transform '{name}' (known: {', '.join(sorted(REGISTRY))})")
    try:
        return make(arg if colon else None)
    except ValueError as exc:
        raise ValueError(f"transform '{spec}': {exc}") from None
