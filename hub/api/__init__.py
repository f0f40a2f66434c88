"""The exchange API v1 (SPEC sections 3, 4, 8): flask-smorest, one module per resource.

Every error is ``application/problem+json``; the OpenAPI document and Swagger UI are
served from the hub itself (no CDN: ministries run closed networks).
"""

from __future__ import annotations

import http
from pathlib import Path
from typing import Any

import orjson
import swagger_ui_bundle
from flask import Flask, Response, current_app, render_template_string, send_from_directory, url_for
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from schemas import STANDARD_VERSION

from ..web import limits
from ..web.errors import PROBLEM, problem
from ..web.liveness import WORKER_HOOKS
from . import (
    admission,
    changes,
    codelists,
    flags,
    openapi,
    records,
    reviews,
    standard,
    stats,
    subscriptions,
    sync,
    writers,
)
from .bodies import Problem

PREFIX = "/api/v1"


class ProblemApi(Api):
    """flask-smorest with RFC 9457 bodies; headers of the error (Retry-After,
    WWW-Authenticate, Allow) are kept, which the stock handler drops."""

    ERROR_SCHEMA = Problem  # registers components/schemas/Problem, which every error response names

    def _register_responses(self) -> None:
        """The stock error responses of the document (``default``), as the hub sends
        them: problem+json (flask-smorest documents its own ``Error`` as JSON)."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["content"] = {PROBLEM: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR", {"description": "Error", "content": {PROBLEM: {"schema": self.ERROR_SCHEMA}}}, lazy=True
        )

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        extra: dict[str, Any] = {}
        errors = data.get("errors") or data.get("messages")
        if errors:
            extra["errors"] = _flatten_webargs(errors)
        resp = problem(error.code or 500, error.name, data.get("message") or error.description, **extra)
        for key, value in (data.get("headers") or {}).items():
            resp.headers[key] = value
        for key, value in error.get_headers() or []:
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    def _openapi_json(self) -> Response:
        """The document with a path per kind and the standard's schemas (hub/api/openapi.py)."""
        cache = current_app.extensions.setdefault("hub_openapi", {})
        if "json" not in cache:
            doc = openapi.document(self.spec.to_dict(), current_app.config["HUB_BATCH_MAX_RECORDS"])
            cache["json"] = orjson.dumps(doc)
        return Response(cache["json"], mimetype="application/json")

    def _openapi_swagger_ui(self) -> str:
        """Swagger UI 5 from the hub's own assets, with a favicon (no request leaves the hub)."""
        return render_template_string(
            SWAGGER_UI,
            title=self.spec.title,
            assets=self._swagger_ui_url,
            spec_url=url_for(f"{self._make_doc_blueprint_name()}.openapi_json"),
            config=self.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}),
        )


SWAGGER_UI = (Path(__file__).parent / "templates" / "swagger_ui.html").read_text(encoding="utf-8")


def _flatten_webargs(messages: Any) -> list[dict[str, str]]:
    """webargs nests errors by location (``{"query": {"limit": [...]}}``): make them findings."""
    from schemas.errors import flatten

    out = []
    for finding in flatten(messages):
        location, _, path = finding.path.partition(".")
        out.append({"path": path or location, "code": finding.code, "message": finding.message, "in": location})
    return out


def init_app(app: Flask, settings: Any) -> None:
    app.config.update(
        API_TITLE="OVOP Exchange Hub",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{PREFIX}/docs/assets/",
        # Swagger UI 5 (reads OpenAPI 3.1), served from the swagger-ui-bundle-v2 package:
        # "Authorize" gets a token from /oauth/token with the client id and secret.
        OPENAPI_SWAGGER_UI_CONFIG={
            "docExpansion": "list",
            "filter": True,
            "deepLinking": True,
            "displayRequestDuration": True,
            "persistAuthorization": False,
            "validatorUrl": None,
        },
        MAX_CONTENT_LENGTH=settings.batch_max_bytes,
        HUB_BATCH_MAX_RECORDS=settings.batch_max_records,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        **limits.storage_config(settings.rate_limit_storage),
        API_SPEC_OPTIONS={
            "info": {
                "description": "Exchange of one-village-one-product records between member "
                f"countries, exchange standard {STANDARD_VERSION}. See docs/partner-guide.md.",
                "x-standard-version": STANDARD_VERSION,
            },
            "components": {
                "securitySchemes": {
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": "/oauth/token",
                                "scopes": {
                                    "exchange:read": "read published records",
                                    "exchange:write": "write own country's records",
                                    "exchange:validate": (
                                        "check own country's records without writing (POST .../validate)"
                                    ),
                                    "review": "review own country's revisions",
                                    "admin": "manage sources, subscriptions and clients",
                                },
                            }
                        },
                    }
                }
            },
        },
    )
    admission.init_app(app, settings.write_slots, settings.write_queue, settings.write_wait_ms, settings.read_yield_ms)
    app.extensions.setdefault(WORKER_HOOKS, []).append(writers.start)  # under hub serve only
    api = ProblemApi(app)
    limits.init_app(app)
    for module in (records, changes, stats, codelists, reviews, flags, subscriptions, sync, standard):
        api.register_blueprint(module.blp)

    assets = swagger_ui_bundle.swagger_ui_path

    @app.get(f"{PREFIX}/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(assets, filename, max_age=86400)
