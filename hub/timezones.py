"""IANA time zones a staff member or the hub may choose (zoneinfo with the tzdata package,
so the list does not depend on the system's /usr/share/zoneinfo)."""

from __future__ import annotations

import zoneinfo
from functools import cache


@cache
def time_zones() -> frozenset[str]:
    """Every zone name zoneinfo can load: ``Asia/Ho_Chi_Minh``, ``UTC``, ..."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in time_zones()
