"""Rate limits on the doors anyone can knock on (Flask-Limiter, the API's limiter and
counter store: per process, or shared through Redis when ``rate_limit_storage`` says so).

- ``/oauth/token``, ``/oauth/revoke``, ``/oauth/introspect``: per claimed client id
  (``oauth_rate_limit_client``) and per address (``oauth_rate_limit_address``), counted
  together over the three endpoints;
- API requests refused for a missing or bad token: per address (``refused_rate_limit``);
  past it the refusal is ``429`` instead of ``401``. Requests with a valid token are not
  affected (they have their own per-client limit, setting ``rate_limit``).

A ``429`` is problem+json with ``Retry-After``; at the OAuth endpoints it also carries the
``error``/``error_description`` members OAuth client libraries look for, so they report
a failure instead of mistaking the body for a token.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable

from flask import Response, current_app, request
from flask_limiter import RateLimitExceeded
from limits import parse

from .. import hub_of
from ..store import audit
from ..web.errors import problem
from .claimed import claimed_client

log = logging.getLogger(__name__)
REFUSED_SCOPE = "hub-refused"


def _settings() -> Any:
    return hub_of().settings


def address() -> str:
    return request.remote_addr or "unknown"


def _client_key() -> str:
    return f"client:{claimed_client()[0]}"


def _unclaimed() -> bool:
    return claimed_client()[0] is None


def oauth_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for the three OAuth endpoints: the per-client and per-address limits."""
    from ..web.limits import limiter

    view = limiter.shared_limit(
        lambda: _settings().oauth_rate_limit_client, scope="oauth-client", key_func=_client_key, exempt_when=_unclaimed
    )(view)
    return limiter.shared_limit(
        lambda: _settings().oauth_rate_limit_address, scope="oauth-address", key_func=lambda: f"addr:{address()}"
    )(view)


def oauth_too_many(error: RateLimitExceeded) -> Response:
    """The 429 of an OAuth endpoint, counted in the audit tally: one aggregate per window
    (the claimed client ids and addresses are facets), never one entry each."""
    from ..web.limits import limiter

    audit.tally_of(current_app).count(
        "anonymous",
        "oauth.limited",
        None,
        client=claimed_client()[0],
        endpoint=request.endpoint,
        addr=address(),
        limit=str(error.limit.limit),
    )
    detail = f"Too many requests ({error.description}); retry after the time in Retry-After."
    resp = problem(429, "Too Many Requests", detail, error="temporarily_unavailable", error_description=detail)
    current = limiter.current_limit  # reset_at is already rounded up to a whole second
    wait = current.reset_at - time.time() if current is not None else 60
    resp.headers["Retry-After"] = str(max(1, int(wait)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def limit_refusal(refusal: Response) -> Response:
    """Count an API request refused for its token against its address; past
    ``refused_rate_limit`` answer 429 (with Retry-After) instead of the refusal."""
    from ..web.limits import limiter

    item = parse(_settings().refused_rate_limit)
    key = (REFUSED_SCOPE, f"addr:{address()}")
    try:
        if limiter.limiter.hit(item, *key):
            return refusal
        reset = limiter.limiter.get_window_stats(item, *key).reset_time
    except Exception:  # noqa: BLE001 - like the API's limits: an unreachable store is not an outage
        log.warning("rate-limit store unreachable: refused requests are not counted", exc_info=True)
        return refusal
    resp = problem(
        429,
        "Too Many Requests",
        f"Too many requests with a missing or invalid access token "
        f"from this address ({item}); get a valid token, then retry after Retry-After.",
    )
    resp.headers["Retry-After"] = str(max(1, math.ceil(reset - time.time())))
    resp.headers["Cache-Control"] = "no-store"
    return resp
