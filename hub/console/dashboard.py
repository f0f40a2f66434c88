"""The dashboard: what the hub holds and what waits for the signed-in user."""

from __future__ import annotations

import csv
import io
from typing import Any

import resvg_py
import sqlalchemy.exc
from flask import Response, abort, g, render_template

from .. import hub_of
from ..curation import flags
from ..records import overview
from ..store import syncruns
from . import charts
from .web import bp

BANDS = ["1", "2", "3", "4", "5", "none"]
#: The dashboard's charts, each drawn by ``console/charts/<name>.svg`` and downloadable.
CHARTS = ("category", "band", "trend")
#: The charts' downloads: SVG as drawn, PNG rendered from it on the server (no JavaScript
#: needed, the same picture), CSV of the figures behind it.
DOWNLOADS = ("svg", "png", "csv")


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


def _parked(session: Any) -> list[str]:
    """Sources parked after repeated abandoned runs (``hub sync release`` frees them)."""
    history = _sync_history()
    if history is None or not hasattr(history, "parked"):
        return []
    try:
        return history.parked(session, hub_of().settings.sync_abandoned_max)
    except sqlalchemy.exc.SQLAlchemyError:
        session.rollback()
        return []


def _charts(figures: overview.Overview) -> dict[str, Any]:
    """The charts' geometry, from the figures (the page and the downloads draw the same)."""
    return {
        "by_category": charts.stacked(figures.products_by_category),
        "by_band": charts.columns(figures.products_by_band, BANDS),
        "trend": charts.pairs(figures.trend),
    }


@bp.get("/")
def dashboard() -> str:
    actor = g.actor
    country = actor.country
    with hub_of().sessions() as s:
        figures = overview.overview(s, country)
        waiting = figures.waiting if "review" in actor.scopes else None
        open_flags = flags.open_count(s, country) if "review" in actor.scopes else None
        runs = _sync_runs(s)
        parked = _parked(s) if runs is not None else []
    kinds = sorted({k for inner in figures.published_by_country_kind.values() for k in inner})
    return render_template(
        "console/dashboard.html",
        figures=figures,
        kinds=kinds,
        waiting=waiting,
        open_flags=open_flags,
        runs=runs,
        parked=parked,
        **_charts(figures),
    )


def _rows(name: str, figures: overview.Overview) -> list[list[Any]]:
    """A chart's figures as a table: header row first."""
    if name == "category":
        return [["country", "common_category", "published_products"]] + [
            [c, key, n] for c, cats in figures.products_by_category.items() for key, n in cats.items()
        ]
    if name == "band":
        return [["rating_band", "published_products"]] + [[b, figures.products_by_band.get(b, 0)] for b in BANDS]
    return [["week", "received", "with_warnings"]] + [[w, n, warned] for w, (n, warned) in figures.trend.items()]


@bp.get("/charts/<name>.<fmt>")
def chart_download(name: str, fmt: str) -> Response:
    """One chart of the dashboard as SVG, PNG or CSV, from the same figures the page shows."""
    if name not in CHARTS or fmt not in DOWNLOADS:
        abort(404)
    with hub_of().sessions() as s:
        figures = overview.overview(s, g.actor.country)
    filename = f"dashboard-{name}-{(g.actor.country or 'all').lower()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
        csv.writer(out).writerows(_rows(name, figures))
        return Response(out.getvalue(), mimetype="text/csv", headers=headers)
    svg = render_template(f"console/charts/{name}.svg", figures=figures, **_charts(figures))
    if fmt == "svg":
        return Response(svg, mimetype="image/svg+xml", headers=headers)
    png = resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", zoom=2)
    return Response(bytes(png), mimetype="image/png", headers=headers)
