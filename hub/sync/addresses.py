"""Addresses read from their end: the place object of the ``area`` transforms.

An address names its largest unit last: "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh
Đắk Lắk". Viet Nam reorganised on 1 July 2025 (63 provinces into 34, districts
abolished, communes merged), so a Vietnamese address is read in the units of its time:

- before: province (63), district, commune, all with their old codes; today's area is
  derived through the reorganisation tables (:func:`schemas.areas.current`: the commune
  that took the old one whole, else today's province);
- since: province (34) and commune.

Which era an address belongs to comes from the date the mapping gives (``area:VN@2024-10``,
the date of the list), else from the address itself: a district, or a province that no
longer exists, means before; otherwise today's units are tried first. The text is kept
as written; the old unit becomes ``area_at_source`` when the date is known (without a
date the standard would store the old code as the area, so today's is given instead).
Other members' addresses resolve their last part that names a first-level unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from schemas import areas
from schemas.dates import interval, partial

_PARTS = re.compile(r"\s*[,;]\s*|\s+-\s+")
_REORGANISED = areas.VN_REORGANISED_ON


@dataclass(frozen=True)
class VNAddress:
    """What a Vietnamese address names; old codes only for an address of before July 2025."""

    province: str  # today's VN-GSO:NN
    old_province: str | None = None  # ISO 3166-2 code of one of the 63
    district: str | None = None  # VN-GSO-2004:NNN
    old_commune: str | None = None  # VN-GSO-2004:NNNNN
    commune: str | None = None  # today's VN-GSO:NNNNN, when named or derived

    @property
    def at_source(self) -> str | None:
        """The smallest old unit the address names (None for today's units)."""
        return self.old_commune or self.district or self.old_province

    @property
    def today(self) -> str:
        """The smallest unit of today that holds the place."""
        if self.commune:
            return self.commune
        return areas.current(self.at_source) if self.at_source else self.province


def parts(place: str) -> list[str]:
    return [p for p in _PARTS.split(place) if p]


def era(on: str | None) -> str | None:
    """``old`` or ``new`` for a date wholly before or after 1 July 2025, else None."""
    if not on:
        return None
    first, last = interval(on)
    if last.isoformat() < _REORGANISED:
        return "old"
    if first.isoformat() >= _REORGANISED:
        return "new"
    return None


def read_vn(place: str, on: str | None = None) -> VNAddress | None:
    """The units a Vietnamese address names, read from its end; without a province, a
    commune name that only one commune of the country, old or new, bears; else None."""
    names = parts(place)
    # the first of several parts is a house or village, never the province
    for i in range(len(names) - 1, 0 if len(names) > 1 else -1, -1):
        old = areas.find_vn_province(names[i], "old")
        new = areas.find_vn_province(names[i], "new")
        if old or new:
            return _below(names[:i], old, new, era(on))
    return _lone_commune(names[-1]) if names else None


def _lone_commune(name: str) -> VNAddress | None:
    """A feed that gives the commune alone ("Thanh Khê Tây"): resolved only when one unit
    of the whole country bears the name (a name borne by an old and a new commune, or
    by two, stays text)."""
    code = areas.find_unit("VN", name, "commune")
    if code is None:
        return None
    unit = areas.lookup(code)
    assert unit is not None and unit.parent is not None
    if unit.valid_to:  # an old commune: its district, the district's province
        district = areas.lookup(unit.parent)
        assert district is not None and district.parent is not None
        return VNAddress(areas.current(district.parent), district.parent, unit.parent, code)
    return VNAddress(unit.parent, commune=code)


def _below(before: list[str], old: str | None, new: str | None, when: str | None) -> VNAddress:
    """The district and commune named just before the province."""
    near = before[-1] if before else ""
    if old and when != "new":
        district = areas.find_unit(old, near, "district") if near else None
        if district or not new or when == "old":
            return _old(before[:-1] if district else before, old, district)
    if new:
        commune = areas.find_unit(new, near, "commune") if near else None
        if commune or not old or when == "new":
            return VNAddress(new, commune=commune)
    assert old is not None  # read_vn calls with at least one of them
    return _old(before, old, None)


def _old(before: list[str], province: str, district: str | None) -> VNAddress:
    near = before[-1] if before else ""
    commune = areas.find_unit(district or province, near, "commune") if near else None
    return VNAddress(areas.current(province), province, district, commune)


def place_object(country: str, place: str, on: str | None = None) -> dict[str, Any]:
    """``{"place", "area"[, "area_at_source"]}`` for an address of ``country``; only
    ``{"place"}`` when no part of it resolves."""
    if country == "VN":
        found = read_vn(place, on)
        if found is None:
            return {"place": place}
        out: dict[str, Any] = {"place": place, "area": found.today}
        if on and found.at_source:
            out["area_at_source"] = {"area": found.at_source, "on": on}
        return out
    code = areas.find(country, place) or _last_part(country, place)
    return {"place": place, "area": code} if code else {"place": place}


def _last_part(country: str, place: str) -> str | None:
    names = parts(place)
    for part in reversed(names[1:] if len(names) > 1 else []):
        found = areas.find(country, part)
        if found:
            return found
    return None


def checked_date(text: str) -> str:
    """The date after ``@`` in ``area:VN@2024-10``: a year, year-month or full date."""
    if partial(text) or (len(text) == 10 and _full(text)):
        return text
    raise ValueError(f"expected a date such as 2024, 2024-10 or 2024-10-15 after '@', not '{text}'")


def _full(text: str) -> bool:
    try:
        interval(text)
    except ValueError:
        return False
    return True
