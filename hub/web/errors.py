"""RFC 9457 problem+json for every HTTP error, never an HTML page or a stack trace."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy.exc
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from ..operations import logs
from ..records import cursors

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    rid = logs.current().get("request_id")
    if rid:  # an extension member (RFC 9457 section 3.2): a partner can quote it
        body.setdefault("request_id", rid)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        resp = problem(exc.code or 500, exc.name, exc.description)
        for key, value in exc.get_headers() or []:
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    @app.errorhandler(cursors.BadCursor)
    def bad_cursor(exc: cursors.BadCursor) -> Response:
        return problem(400, "Bad Request", str(exc))

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    def database_unavailable(exc: sqlalchemy.exc.OperationalError) -> Response:
        """Database down, restarting or locked past its timeout: the client should retry,
        and a load balancer's readiness check (``/readyz``) takes the machine out meanwhile."""
        log.error("database unavailable: %s", str(exc.orig or exc).splitlines()[0])
        resp = problem(503, "Service Unavailable", "The database cannot be reached; retry later.")
        resp.headers["Retry-After"] = "5"
        return resp

    @app.errorhandler(sqlalchemy.exc.DataError)
    def unstorable_value(exc: sqlalchemy.exc.DataError) -> Response:
        """A value the database refuses (out of its integer range, a character it cannot
        store): the request's fault, so 400; logged in full, since a check that should
        have caught it earlier is missing."""
        log.exception("database refused a value")
        return problem(400, "Bad Request", "A value in the request is outside what the hub can store.")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "The hub failed to answer; the error is logged.")
