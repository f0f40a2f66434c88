"""Month names and years as members write them: "ตุลาคม 2566", "ต.ค. 66", "Tháng 10/2024",
"Okt 2024", "ຕຸລາ 2024", "តុលា ២០២៤", "Oktubre 2024".

Calendars: a year of 2400 or more is Buddhist era (Thai, and Lao or Khmer when they use
it) and becomes Common Era by subtracting 543; a two-digit year is Buddhist era in Thai
(66 -> 2566 -> 2023) and Common Era otherwise (24 -> 2024). National digits (Thai, Lao,
Khmer, Myanmar) count as digits. The Thai fiscal year runs from October to September and
carries the number of the year it ends in, so October of fiscal year 2567 is October 2023.
"""

from __future__ import annotations

import re
import unicodedata

BE_OFFSET = 543

_EN = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
#: month names by language: full names first, then short forms; position 0 is January
MONTHS: dict[str, list[list[str]]] = {
    "th": [
        ["มกราคม", "ม.ค.", "มค"],
        ["กุมภาพันธ์", "ก.พ.", "กพ"],
        ["มีนาคม", "มี.ค.", "มีค"],
        ["เมษายน", "เม.ย.", "เมย"],
        ["พฤษภาคม", "พ.ค.", "พค"],
        ["มิถุนายน", "มิ.ย.", "มิย"],
        ["กรกฎาคม", "ก.ค.", "กค"],
        ["สิงหาคม", "ส.ค.", "สค"],
        ["กันยายน", "ก.ย.", "กย"],
        ["ตุลาคม", "ต.ค.", "ตค"],
        ["พฤศจิกายน", "พ.ย.", "พย"],
        ["ธันวาคม", "ธ.ค.", "ธค"],
    ],
    "lo": [
        ["ມັງກອນ"],
        ["ກຸມພາ"],
        ["ມີນາ"],
        ["ເມສາ"],
        ["ພຶດສະພາ"],
        ["ມິຖຸນາ"],
        ["ກໍລະກົດ"],
        ["ສິງຫາ"],
        ["ກັນຍາ"],
        ["ຕຸລາ"],
        ["ພະຈິກ"],
        ["ທັນວາ"],
    ],
    "km": [
        ["មករា"],
        ["កុម្ភៈ", "កុម្ភះ"],
        ["មីនា"],
        ["មេសា"],
        ["ឧសភា"],
        ["មិថុនា"],
        ["កក្កដា"],
        ["សីហា"],
        ["កញ្ញា"],
        ["តុលា"],
        ["វិច្ឆិកា"],
        ["ធ្នូ"],
    ],
    "id": [
        ["januari", "jan"],
        ["februari", "feb", "peb"],
        ["maret", "mar"],
        ["april", "apr"],
        ["mei"],
        ["juni", "jun"],
        ["juli", "jul"],
        ["agustus", "agu", "agt", "ags"],
        ["september", "sep", "sept"],
        ["oktober", "okt"],
        ["november", "nov", "nop"],
        ["desember", "des"],
    ],
    "fil": [
        ["enero", "ene"],
        ["pebrero", "peb", "febrero"],
        ["marso", "mar"],
        ["abril", "abr"],
        ["mayo"],
        ["hunyo", "hun"],
        ["hulyo", "hul"],
        ["agosto", "ago"],
        ["setyembre", "set", "septiyembre"],
        ["oktubre", "okt"],
        ["nobyembre", "nob"],
        ["disyembre", "dis"],
    ],
    "en": [[name, name[:3]] + (["sept"] if name == "september" else []) for name in _EN],
}
LANGUAGES = ("th", "lo", "km", "id", "fil", "vi", "en")
_DIGITS = {ord(zero) + i: str(i) for zero in "๐໐០၀" for i in range(10)}
_VI = re.compile(r"(?:th[aá]ng|th\.?|t)\s*(\d{1,2})(?:\s*(?:/|-|năm|nam|,)\s*|\s+)(\d{2,4})$", re.IGNORECASE)
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$|^(\d{4})\s*[/.-]\s*(\d{1,2})$")
_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})(?!\d)")
_ERA_WORDS = ("พ.ศ.", "พศ", "ພ.ສ.", "ព.ស.", "ค.ศ.", "ຄ.ສ.", "ปีงบประมาณ", "ปี", "năm", "tahun", "taon")


class CalendarError(ValueError):
    """The text is not a month and year this module reads."""


def digits(text: str) -> str:
    """National digits as ASCII digits: "๒๕๖๖" -> "2566"."""
    return text.translate(_DIGITS)


def year(value: int, language: str, two_digit: bool = False) -> int:
    """A year as written -> Common Era."""
    if two_digit:
        value += 2500 if language == "th" else 2000
    return value - BE_OFFSET if value >= 2400 else value


def month_year(text: str, language: str) -> tuple[int, int]:
    """``(year CE, month)`` of a "month year" text in ``language`` (English is always read too)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language '{language}' (known: {', '.join(LANGUAGES)})")
    clean = " ".join(digits(unicodedata.normalize("NFC", text)).split())
    numeric = _NUMERIC.match(clean)
    if numeric:
        m, y = (numeric.group(1), numeric.group(2)) if numeric.group(1) else (numeric.group(4), numeric.group(3))
        return _checked(int(m), y, language, text)
    if language == "vi":
        found = _VI.search(clean)
        if not found:
            raise CalendarError(f"'{text}' is not a month and year such as 'Tháng 10/2024'")
        return _checked(int(found.group(1)), found.group(2), language, text)
    lowered = clean.casefold()
    for word in _ERA_WORDS:
        lowered = lowered.replace(word.casefold(), " ")
    month = _month(lowered, language)
    if month is None:
        raise CalendarError(f"'{text}' names no month in {language}")
    years = _YEAR.findall(lowered)
    if len(years) != 1:
        raise CalendarError(f"'{text}' has no year (or more than one)")
    return _checked(month, years[0], language, text)


def _month(text: str, language: str) -> int | None:
    """The month whose name is the longest found in the text (ม.ค. inside มกราคม is not a match)."""
    best: tuple[int, int] | None = None
    for lang in dict.fromkeys((language, "en")):
        for index, names in enumerate(MONTHS.get(lang, ())):
            for name in names:
                key = name.casefold()
                at = text.find(key)
                if at < 0:
                    continue
                if key.isascii():  # Latin names are words: "mar" is not inside "maret"'s neighbours
                    before = text[at - 1] if at else " "
                    after = text[at + len(key)] if at + len(key) < len(text) else " "
                    if before.isalpha() or after.isalpha():
                        continue
                if best is None or len(key) > best[0]:
                    best = (len(key), index + 1)
    return best[1] if best else None


def _checked(month: int, written: str, language: str, text: str) -> tuple[int, int]:
    if not 1 <= month <= 12:
        raise CalendarError(f"'{text}': {month} is not a month")
    return year(int(written), language, two_digit=len(written) == 2), month


def th_fiscal(year_ce: int, month: int) -> int:
    """The calendar year of a month of a Thai fiscal year (given in CE): October to
    December fall in the year before."""
    return year_ce - 1 if month >= 10 else year_ce
