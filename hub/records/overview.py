"""Figures for the staff dashboard, from one query layer so that they agree.

Every number the dashboard shows comes from :func:`overview`: the cards, the charts and
the tables are sums of the same few grouped counts, so "waiting" beside "pending", the
published total beside the table, and a country's bar beside its row cannot disagree
(``tests/console/test_dashboard_figures.py`` checks them against each other). Two
populations, named as such: *records by review state* (each record counted once, by
the state of its latest revision: a published record with a newer pending revision is
``pending``), and *published records* (what readers see, whatever waits behind it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.models import Record


@dataclass
class Quality:
    """Data quality of one member's published records."""

    published: int = 0
    #: published records with at least one warning
    with_warnings: int = 0
    #: warning code -> published records carrying it
    warnings: dict[str, int] = field(default_factory=dict)
    #: published products and producers without a resolved area code
    unresolved_areas: int = 0

    @property
    def share_with_warnings(self) -> float:
        return self.with_warnings / self.published if self.published else 0.0


@dataclass
class Overview:
    #: country -> review state of each record's latest revision -> number of records
    by_country_state: dict[str, dict[str, int]]
    #: country -> kind -> published (not deleted) records
    published_by_country_kind: dict[str, dict[str, int]]
    #: country -> common category -> published products
    products_by_category: dict[str, dict[str, int]]
    #: rating band ("1".."5", "none") -> published products
    products_by_band: dict[str, int]
    #: country -> data quality of its published records
    quality: dict[str, Quality]

    @property
    def by_state(self) -> dict[str, int]:
        """Records by the review state of their latest revision."""
        out: Counter[str] = Counter()
        for states in self.by_country_state.values():
            out.update(states)
        return dict(out)

    @property
    def total(self) -> int:
        """Every record, whatever its state."""
        return sum(self.by_state.values())

    @property
    def waiting(self) -> int:
        """Records whose latest revision waits for review (one pending revision each)."""
        return self.by_state.get("pending", 0)

    @property
    def published(self) -> int:
        return sum(sum(k.values()) for k in self.published_by_country_kind.values())

    @property
    def published_by_kind(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for kinds in self.published_by_country_kind.values():
            out.update(kinds)
        return dict(out)


def overview(session: so.Session, country: str | None = None) -> Overview:
    """The dashboard's figures; ``country`` limits them to one member (a reviewer's view)."""
    where: list[Any] = [Record.country == country] if country else []
    by_cs: dict[str, dict[str, int]] = defaultdict(dict)
    for c, state, n in session.execute(
        sa.select(Record.country, Record.review_state, sa.func.count())
        .where(*where)
        .group_by(Record.country, Record.review_state)
    ):
        by_cs[c][state] = n
    live = [Record.published_version.is_not(None), Record.deleted.is_(False), *where]
    pub: dict[str, dict[str, int]] = defaultdict(dict)
    for c, kind, n in session.execute(
        sa.select(Record.country, Record.kind, sa.func.count()).where(*live).group_by(Record.country, Record.kind)
    ):
        pub[c][kind] = n
    products = [Record.kind == "products", *live]
    by_cat: dict[str, dict[str, int]] = defaultdict(dict)
    for c, cat, n in session.execute(
        sa.select(Record.country, Record.common_category, sa.func.count())
        .where(*products)
        .group_by(Record.country, Record.common_category)
    ):
        by_cat[c][cat or "none"] = n
    bands = {
        str(b) if b else "none": n
        for b, n in session.execute(
            sa.select(Record.rating_band, sa.func.count()).where(*products).group_by(Record.rating_band)
        )
    }
    return Overview(
        dict(sorted(by_cs.items())),
        dict(sorted(pub.items())),
        dict(sorted(by_cat.items())),
        bands,
        _quality(session, live, pub),
    )


def _quality(session: so.Session, live: list[Any], pub: dict[str, dict[str, int]]) -> dict[str, Quality]:
    out = {c: Quality(published=sum(kinds.values())) for c, kinds in pub.items()}
    warned = sa.cast(Record.warnings, sa.Text).not_in(["[]", "null"])
    for c, warnings in session.execute(
        sa.select(Record.country, Record.warnings).where(*live, Record.warnings.is_not(None), warned)
    ):
        codes = {str(w["code"]) for w in warnings or [] if isinstance(w, dict) and w.get("code")}
        if codes:
            q = out.setdefault(c, Quality())
            q.with_warnings += 1
            for code in codes:
                q.warnings[code] = q.warnings.get(code, 0) + 1
    for c, n in session.execute(
        sa.select(Record.country, sa.func.count())
        .where(*live, Record.kind.in_(("products", "producers")), Record.area.is_(None))
        .group_by(Record.country)
    ):
        out.setdefault(c, Quality()).unresolved_areas = n
    for q in out.values():
        q.warnings = dict(sorted(q.warnings.items(), key=lambda kv: (-kv[1], kv[0])))
    return dict(sorted(out.items()))
