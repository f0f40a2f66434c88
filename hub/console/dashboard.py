"""The dashboard: what the hub holds and what waits for the signed-in user."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from flask import g, render_template

from .. import hub_of
from ..curation import flags, review
from ..records import overview
from ..store import syncruns
from . import charts
from .web import bp

BANDS = ["1", "2", "3", "4", "5", "none"]


def _sync_history() -> Any:
    """The run history (:mod:`hub.store.syncruns`); ``None`` hides the panel (tests show a hub
    without it this way)."""
    return syncruns


def _sync_runs(session: Any) -> list[Any] | None:
    """The last sync runs, or ``None`` (the panel is hidden) while their tables are missing."""
    history = _sync_history()
    if history is None:
        return None
    try:
        rows, _more = history.runs(session, limit=5)
    except sqlalchemy.exc.SQLAlchemyError:  # its tables not migrated yet: no panel
        session.rollback()
        return None
    return rows


@bp.get("/")
def dashboard() -> str:
    actor = g.actor
    country = actor.country
    with hub_of().sessions() as s:
        figures = overview.overview(s, country)
        waiting = review.count(s, actor, review.Query(state="pending")) if "review" in actor.scopes else None
        open_flags = flags.open_count(s, country) if "review" in actor.scopes else None
        runs = _sync_runs(s)
    kinds = sorted({k for inner in figures.by_country_kind.values() for k in inner})
    return render_template(
        "console/dashboard.html",
        figures=figures,
        kinds=kinds,
        waiting=waiting,
        open_flags=open_flags,
        runs=runs,
        by_category=charts.stacked(figures.products_by_category),
        by_band=charts.columns(figures.products_by_band, BANDS),
    )
