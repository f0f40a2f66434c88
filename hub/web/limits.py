"""Per-client rate limits (Flask-Limiter): ``429`` with ``Retry-After``.

The key is the authenticated client, so a partner cannot escape its limit by asking for
more tokens. Settings ``rate_limit`` and ``rate_limit_storage`` (by default a file shared
by the workers of this machine, :mod:`.limitstore`; a Redis URL shares the counters across
machines; ``memory://`` counts per process).
"""

from __future__ import annotations

from typing import Any, Callable

from flask import Flask, Response, g, request
from flask_limiter import HeaderNames, Limiter

from .. import hub_of
from . import limitstore  # noqa: F401 - registers the machine:// counter store


def client_key() -> str:
    actor = getattr(g, "actor", None)
    return actor.id if actor is not None else f"addr:{request.remote_addr}"


# Flask-Limiter puts Retry-After on every limited response, 200s included, and raises a
# 503's own Retry-After to its window's reset. It writes its value under this name
# instead; :func:`_retry_after` makes it the Retry-After of a 429 only (RFC 9110 10.2.3:
# Retry-After belongs to 503 and 3xx; RFC 6585 adds 429).
_LIMITER_RETRY_AFTER = "X-Hub-Limiter-Retry-After"
limiter = Limiter(
    key_func=client_key,
    default_limits=[],
    headers_enabled=True,
    retry_after="delta-seconds",
    header_name_mapping={HeaderNames.RETRY_AFTER: _LIMITER_RETRY_AFTER},
)


def init_app(app: Flask) -> None:
    """Register the limiter; Flask runs after-request hooks in reverse order, so
    :func:`_retry_after` (registered first) sees the limiter's headers."""
    app.after_request(_retry_after)
    limiter.init_app(app)


def _retry_after(response: Response) -> Response:
    value = response.headers.pop(_LIMITER_RETRY_AFTER, None)
    if response.status_code == 429 and value is not None and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = value
    elif response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def storage_config(uri: str) -> dict[str, Any]:
    """Flask-Limiter settings for a shared counter store.

    The limits protect the hub; they are not worth an outage. When Redis cannot be reached,
    requests are still served and counted per process until it is back (a warning is logged
    by Flask-Limiter), and a stalled Redis costs a request at most a second.
    """
    if uri.startswith("memory://"):
        return {}
    shared: dict[str, Any] = {
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "hub",
    }
    if uri.startswith(("redis://", "rediss://", "redis+")):
        shared["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    return shared


def _limit() -> str:
    return hub_of().settings.rate_limit


def per_client() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the configured per-client limit (setting ``rate_limit``)."""
    return limiter.limit(_limit, key_func=client_key)
