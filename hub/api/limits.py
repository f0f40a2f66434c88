"""Per-client rate limits (Flask-Limiter): ``429`` with ``Retry-After``.

The key is the authenticated client, so a partner cannot escape its limit by asking for
more tokens. Settings ``rate_limit`` and ``rate_limit_storage`` (per process by default;
a Redis URL shares the counters across workers).
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_limiter import Limiter


def client_key() -> str:
    actor = getattr(g, "actor", None)
    return actor.id if actor is not None else f"addr:{request.remote_addr}"


limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=True,
                  retry_after="delta-seconds")


def _limit() -> str:
    return current_app.extensions["hub"].settings.rate_limit


def per_client():  # type: ignore[no-untyped-def]
    """Decorator: the configured per-client limit (setting ``rate_limit``)."""
    return limiter.limit(_limit, key_func=client_key)
