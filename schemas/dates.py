"""Dates of partial precision: ``"2024"``, ``"2024-10"`` or ``"2024-10-15"``.

National lists often know only the year (or month) of a recognition. Such a date is the
interval of the days it may mean, and is kept as written; comparisons are made on those
intervals, so "before" means "certainly before" and an answer that depends on the
missing precision is ``None`` (unknown), never a guess.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

PARTIAL_RE = re.compile(r"^([0-9]{4})(?:-(0[1-9]|1[0-2]))?\Z")


@lru_cache(maxsize=4096)
def interval(text: str) -> tuple[date, date]:
    """``(first day, last day)`` that ``text`` may mean (a full date: that day twice).

    ``text`` is a date the standard accepted (:class:`schemas.fields.Day`)."""
    m = PARTIAL_RE.match(text)
    if m is None:
        day = date.fromisoformat(text)
        return day, day
    year = int(m.group(1))
    if m.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(m.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def is_full(text: str) -> bool:
    """Whether ``text`` names one day."""
    return len(text) == 10


def certainly_before(a: str, b: str) -> bool:
    """``a`` ends before ``b`` begins (``"2024"`` is not before ``"2024-06-01"``)."""
    return interval(a)[1] < interval(b)[0]


def sort_key(text: str) -> tuple[date, date]:
    """Order by interval: first day, then last day (``"2024-01-01"`` before ``"2024"``)."""
    return interval(text)


def partial(text: str) -> str | None:
    """``text`` when it is a valid year or year-month, else None."""
    m = PARTIAL_RE.match(text)
    return text if m is not None and int(m.group(1)) >= 1 else None
