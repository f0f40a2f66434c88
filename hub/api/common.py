"""What every API resource module shares: the services, the actor, fast JSON, protection."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import orjson
from flask import Response, g
from flask_smorest import Blueprint

from ..actors import Actor
from ..auth.protect import require
from ..records import cursors
from ..web.errors import problem
from ..web.limits import per_client

PROBLEM_REF = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
# Answers any operation can give: authentication, an unknown path parameter (a kind
# that does not exist), a bad query parameter, the rate limit.
AUTH_ERRORS = {
    401: {"description": "Missing, malformed, expired or revoked token", **PROBLEM_REF},
    403: {"description": "Token lacks the scope, or names another country", **PROBLEM_REF},
    404: {"description": "No such resource", **PROBLEM_REF},
    422: {"description": "Invalid parameters or record", **PROBLEM_REF},
    429: {"description": "Rate limit exceeded; see Retry-After", **PROBLEM_REF},
}


def actor() -> Actor:
    return g.actor


def position(args: dict[str, Any], name: str = "cursor", start: int | None = None) -> int | None:
    """The position a page continues from (query parameter ``name``), else ``start``; a
    cursor this hub did not issue raises :class:`hub.records.cursors.BadCursor` (400, by
    :mod:`hub.web.errors`)."""
    return cursors.decode(args[name], int) if name in args else start


def page(items: Sequence[Any], last: int | None) -> dict[str, Any]:
    """A page of items and the cursor of the next page (``None`` on the last), for the
    operation's page schema to dump."""
    return {"items": items, "next_cursor": cursors.encode(last) if last else None}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None, mimetype: str = "application/json"
) -> Response:
    """orjson instead of Flask's encoder: lists and the change feed are the hot read paths."""
    return Response(orjson.dumps(body), status=status, headers=headers, mimetype=mimetype)


def protected(
    blp: Blueprint,
    scope: str,
    country_param: str | None = None,
    errors: tuple[int, ...] = (),
    also: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticate (one mechanism for every route), rate-limit per client, and document it.

    ``also`` names scopes that grant the route as well. Apply it directly under the
    route decorator.
    """

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        limited = per_client()(view)
        guarded = require(scope, country_param=country_param, also=also)(limited)
        responses = {**AUTH_ERRORS, **{code: PROBLEM_DOCS[code] for code in errors}}
        security = [{"oauth2": [name]} for name in (scope, *also)]
        documented = blp.doc(security=security, responses=responses)(guarded)
        return documented

    return wrap


PROBLEM_DOCS = {
    400: {"description": "Malformed body or parameter", **PROBLEM_REF},
    404: {"description": "No such record", **PROBLEM_REF},
    409: {"description": "Conflict", **PROBLEM_REF},
    412: {"description": "If-Match does not match the current revision", **PROBLEM_REF},
    413: {"description": "More than 1,000 records or 10 MiB", **PROBLEM_REF},
    415: {"description": "Unsupported content type", **PROBLEM_REF},
    422: {"description": "Invalid record or parameters", **PROBLEM_REF},
}


def bad_request(detail: str) -> Response:
    return problem(400, "Bad Request", detail)


def etag(value: str | None) -> str:
    return f'"{value}"'


def parse_etag(header: str | None) -> str | None:
    """``W/"abc"`` or ``"abc"`` -> ``abc``; None when absent."""
    if not header:
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')
