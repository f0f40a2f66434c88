"""Figures for the staff dashboard: what the hub holds, by country, kind and review state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.models import Record


@dataclass
class Overview:
    #: country -> kind -> number of records (any state)
    by_country_kind: dict[str, dict[str, int]]
    #: review state of each record's latest revision -> number
    by_state: dict[str, int]
    #: country -> common category -> published products
    products_by_category: dict[str, dict[str, int]]
    #: rating band ("1".."5", "none") -> published products
    products_by_band: dict[str, int]

    @property
    def total(self) -> int:
        return sum(sum(k.values()) for k in self.by_country_kind.values())


def overview(session: so.Session, country: str | None = None) -> Overview:
    """Counts for the dashboard; ``country`` limits them to one member (a reviewer's view)."""
    where: list[Any] = [Record.country == country] if country else []
    by_ck: dict[str, dict[str, int]] = defaultdict(dict)
    by_state: dict[str, int] = defaultdict(int)
    for c, kind, state, n in session.execute(
        sa.select(Record.country, Record.kind, Record.review_state, sa.func.count())
        .where(*where)
        .group_by(Record.country, Record.kind, Record.review_state)
    ):
        by_ck[c][kind] = by_ck[c].get(kind, 0) + n
        by_state[state] += n
    published = [Record.kind == "products", Record.published_version.is_not(None), Record.deleted.is_(False), *where]
    by_cat: dict[str, dict[str, int]] = defaultdict(dict)
    for c, cat, n in session.execute(
        sa.select(Record.country, Record.common_category, sa.func.count())
        .where(*published)
        .group_by(Record.country, Record.common_category)
    ):
        by_cat[c][cat or "none"] = n
    bands = {
        str(b) if b else "none": n
        for b, n in session.execute(
            sa.select(Record.rating_band, sa.func.count()).where(*published).group_by(Record.rating_band)
        )
    }
    return Overview(dict(sorted(by_ck.items())), dict(by_state), dict(sorted(by_cat.items())), bands)
