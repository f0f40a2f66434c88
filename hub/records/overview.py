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
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas.certifications import active, expiry
from schemas.dates import interval

from ..store.models import Record, Revision

#: How far ahead the data-quality panel looks for certificates that expire.
EXPIRING_DAYS = 90
#: How many weeks the trend covers (this week and the ones before it).
WEEKS = 12


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
    #: certificates of published records, active today, whose validity ends within
    #: :data:`EXPIRING_DAYS` days
    expiring: int = 0
    #: published records without ``evidence`` (standard 1.1)
    without_evidence: int = 0

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
    #: country -> week (its Monday, ISO) -> (revisions received, of which with warnings),
    #: the last :data:`WEEKS` weeks, oldest first, every week present
    weekly: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    #: the Mondays of the trend's weeks, oldest first
    weeks: list[str] = field(default_factory=list)

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
    def trend(self) -> dict[str, tuple[int, int]]:
        """The weekly trend of every country in view: week -> (received, with warnings)."""
        out = {w: (0, 0) for w in self.weeks}
        for weeks in self.weekly.values():
            for w, (n, warned) in weeks.items():
                out[w] = (out[w][0] + n, out[w][1] + warned)
        return out

    @property
    def published_by_kind(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for kinds in self.published_by_country_kind.values():
            out.update(kinds)
        return dict(out)


def overview(session: so.Session, country: str | None = None, today: date | None = None) -> Overview:
    """The dashboard's figures; ``country`` limits them to one member (a reviewer's view).
    ``today`` (UTC by default) anchors the expiring certificates and the weekly trend."""
    today = today or datetime.now(timezone.utc).date()
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
        _quality(session, live, pub, today),
        *_weekly(session, country, today),
    )


def _quality(session: so.Session, live: list[Any], pub: dict[str, dict[str, int]], today: date) -> dict[str, Quality]:
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
    _documents(session, live, out, today)
    for q in out.values():
        q.warnings = dict(sorted(q.warnings.items(), key=lambda kv: (-kv[1], kv[0])))
    return dict(sorted(out.items()))


def _documents(session: so.Session, live: list[Any], out: dict[str, Quality], today: date) -> None:
    """Expiring certificates and missing evidence, from the published documents: only
    their ``certifications`` and ``evidence`` are read (JSON paths in SQL, not whole
    documents); a certificate's end needs :func:`schemas.certifications.expiry` (stated,
    or implied by the scheme's period), so it is judged here."""
    horizon = today + timedelta(days=EXPIRING_DAYS)
    published = sa.select(Record.country, Revision.document["certifications"], Revision.document["evidence"]).join(
        Revision, sa.and_(Revision.uid == Record.uid, Revision.version == Record.published_version)
    )
    for c, certs, evidence in session.execute(published.where(*live).execution_options(yield_per=5000)):
        q = out.setdefault(c, Quality())
        if not evidence:
            q.without_evidence += 1
        for cert in certs or ():
            ends = expiry(cert)
            if ends and active(cert, today) and interval(ends)[1] <= horizon:
                q.expiring += 1


def _week(session: so.Session) -> Any:
    """The Monday (UTC) of a revision's ``created_at`` as ``YYYY-MM-DD``, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(
            sa.func.date_trunc("week", sa.func.timezone("UTC", Revision.created_at)), sa.literal("YYYY-MM-DD")
        )
    # SQLite stores UTC text: 'weekday 0' moves to the Sunday ending the week, then back to Monday
    return sa.func.date(Revision.created_at, "weekday 0", "-6 days")


def _weekly(
    session: so.Session, country: str | None, today: date
) -> tuple[dict[str, dict[str, tuple[int, int]]], list[str]]:
    """Revisions received per country and week (Monday to Sunday, UTC), and how many came
    with warnings, over the last :data:`WEEKS` weeks; grouped in SQL."""
    monday = today - timedelta(days=today.weekday())
    keys = [(monday - timedelta(weeks=n)).isoformat() for n in range(WEEKS - 1, -1, -1)]
    since = datetime.combine(date.fromisoformat(keys[0]), time.min, timezone.utc)
    warned = sa.case((sa.cast(Revision.warnings, sa.Text).not_in(["[]", "null"]), 1), else_=0)
    cc, week = sa.func.substr(Revision.uid, 1, 2), _week(session)
    q = sa.select(cc, week, sa.func.count(), sa.func.sum(warned)).where(Revision.created_at >= since)
    if country:
        q = q.where(Revision.uid >= f"{country}/", Revision.uid < f"{country}0")  # "/" + 1 is "0"
    weekly: dict[str, dict[str, tuple[int, int]]] = {}
    for c, w, n, with_warnings in session.execute(q.group_by(cc, week)):
        weeks = weekly.setdefault(c, {k: (0, 0) for k in keys})
        if w in weeks:
            weeks[w] = (int(n), int(with_warnings or 0))
    return dict(sorted(weekly.items())), keys
