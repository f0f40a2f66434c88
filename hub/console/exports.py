"""The console's export: published records (or, for staff, the latest revisions in a
review state) of one kind, with the list filters, as CSV, XLSX, NDJSON or JSON-LD."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone
from typing import Any, Iterator

from flask import Response, abort, g, request, stream_with_context

import schemas

from .. import hub_of
from ..records import exports, reads
from .web import bp, requires

FORMATS = ("csv", "xlsx", "ndjson", "jsonld")


def _filters(args: Any) -> reads.Filters:
    """The records page's filters (``band`` is ``rating_min`` there); a bad value is a 400."""
    rating = args.get("rating_min") or args.get("band") or None
    if rating is not None and rating not in list("12345"):
        abort(400, "rating_min is 1 to 5")
    updated = args.get("updated_after") or None
    after = None
    if updated:
        try:
            after = datetime.combine(date.fromisoformat(updated), time.min, timezone.utc)
        except ValueError:
            abort(400, "updated_after is a date, YYYY-MM-DD")
    country = (args.get("country") or "").upper() or None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        abort(400, "country is a two-letter code")
    return reads.Filters(
        country=country,
        q=(args.get("q") or "").strip()[:200] or None,
        category=(args.get("category") or None),
        rating_min=int(rating) if rating else None,
        area=(args.get("area") or "").strip()[:20] or None,
        updated_after=after,
    )


@bp.get("/export")
@requires()
def export() -> Response:
    """Streamed like the API's export; the file name says what it holds."""
    args = request.args
    kind = args.get("kind") or "products"
    fmt = args.get("format") or "csv"
    state = args.get("state") or None
    if kind not in schemas.KINDS or fmt not in FORMATS:
        abort(400, "unknown kind or format")
    if state == "approved":
        state = None  # published records
    if state is not None and state not in exports.STATES:
        abort(400, "unknown review state")
    filters = _filters(args)
    country = g.actor.country
    if state is not None and country is not None:  # unpublished revisions: own country only
        if filters.country not in (None, country):
            abort(403)
        filters = replace(filters, country=country)
    factory = hub_of().sessions

    def generate() -> Iterator[bytes]:
        with factory() as session:
            yield from exports.stream(session, kind, fmt, filters=filters, state=state)

    suffix = "".join(f"-{v}" for v in (filters.country, state) if v)
    name = f"{kind}{suffix}.{fmt}"
    return Response(
        stream_with_context(generate()),
        mimetype=exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
