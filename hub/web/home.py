"""``/``: what this hub is and where its parts are (a landing page for integrators)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

import schemas

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Response:
    return jsonify(
        {
            "name": "OVOP Exchange Hub",
            "standard_version": schemas.STANDARD_VERSION,
            "kinds": list(schemas.KINDS),
            "links": {
                "api": "/api/v1/",
                "openapi": "/api/v1/openapi.json",
                "docs": "/api/v1/docs",
                "console": "/console/",
                "token": "/oauth/token",
            },
        }
    )
