"""``GET /api/v1/stats``: counts for dashboards and partners."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from .. import hub_of
from ..records import reads
from .bodies import Stats
from .common import json_response, protected

blp = Blueprint("stats", __name__, url_prefix="/api/v1", description="Statistics")


@blp.route("/stats", methods=["GET"])
@protected(blp, "exchange:read")
@blp.response(200, Stats)
def stats() -> Response:
    """Published records by country, kind, common category and rating band; latest
    revisions by review state."""
    with hub_of().sessions() as session:
        return json_response(reads.stats(session))
