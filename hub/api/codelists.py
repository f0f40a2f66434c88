"""``GET /api/v1/codelists[/{name}]``: the standard's versioned codelists and crosswalks."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from schemas import areas, codelists

from ..web.errors import problem
from .bodies import AreaArgs, Codelist, Codelists
from .common import json_response, protected

blp = Blueprint("codelists", __name__, url_prefix="/api/v1", description="Codelists and crosswalks")


def _catalogue() -> dict[str, tuple[str, dict[str, Any] | None]]:
    out: dict[str, tuple[str, dict[str, Any] | None]] = {
        name: ("codelist", doc) for name, doc in codelists.codelists().items()
    }
    out.update({name: ("crosswalk", doc) for name, doc in codelists.crosswalks().items()})
    out["areas"] = ("areas", None)
    return out


@blp.route("/codelists", methods=["GET"])
@protected(blp, "exchange:read")
@blp.response(200, Codelists)
def index() -> Response:
    """Every codelist, crosswalk and the area list, with its version."""
    items = []
    for name, (kind, doc) in sorted(_catalogue().items()):
        doc = doc or areas.area_codelist(None)
        items.append({"name": name, "kind": kind, "version": doc.get("version"), "title": doc.get("title")})
    return json_response({"codelists": items})


@blp.route("/codelists/<name>", methods=["GET"])
@protected(blp, "exchange:read", errors=(404, 422))
@blp.arguments(AreaArgs, location="query", unknown=None)
@blp.response(200, Codelist)
def one(args: dict[str, Any], name: str) -> Response:
    """One codelist or crosswalk; `areas` takes `?country=`."""
    entry = _catalogue().get(name)
    if entry is None:
        return problem(404, "Not Found", f"No codelist '{name}'.")
    kind, doc = entry
    return json_response(doc if doc is not None else areas.area_codelist(args.get("country")))
