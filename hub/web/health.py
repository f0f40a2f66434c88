"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database and schema).

Load balancers and orchestrators probe these often and without credentials, so they
are public, cheap, and say nothing but what is wrong. ``/readyz`` gives the database
``readiness_timeout`` seconds (PostgreSQL: connect and statement timeouts), so a hung
database makes the probe fail instead of hang.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Response, current_app, jsonify

from .. import hub_of
from ..services import Hub
from ..store import migrate
from .errors import problem

bp = Blueprint("health", __name__)
log = logging.getLogger("hub.health")


@bp.get("/healthz")
def healthz() -> Response:
    resp = jsonify({"status": "ok"})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/readyz")
def readyz() -> Response:
    code, detail, ms = _checked(hub_of())
    if code is not None:
        return _not_ready(code, detail)
    resp = jsonify({"status": "ready", "database_ms": ms})
    resp.headers["Cache-Control"] = "no-store"
    return resp


# Probes from several balancers, or from anyone (the route is public), share one check a
# second per process: each PostgreSQL check opens a connection of its own.
READY_CACHE_SECONDS = 1.0
_Result = tuple["str | None", str, float]


def _checked(hub: Hub) -> _Result:
    state = current_app.extensions.setdefault("readiness", {"lock": threading.Lock(), "at": -1e9, "result": None})
    with state["lock"]:  # concurrent probes wait for the one check under way
        if time.monotonic() - state["at"] >= READY_CACHE_SECONDS:
            state["result"], state["at"] = _check(hub), time.monotonic()
        return state["result"]


def _check(hub: Hub) -> _Result:
    """``(None, "", ms)`` when ready, else ``(code, detail, ms)``; the reason is logged."""
    started = time.perf_counter()
    try:
        with _probe_engine(hub).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        log.warning("not ready: database unreachable: %s", _one_line(exc))
        return "database_unreachable", "The database does not answer; the reason is logged.", 0.0
    ms = round((time.perf_counter() - started) * 1000, 1)
    if current != _heads():
        log.warning(
            "not ready: database schema at %s, the code expects %s: run 'hub init'",
            ", ".join(sorted(current)) or "no migration",
            ", ".join(sorted(_heads())),
        )
        return (
            "migrations_not_current",
            "The database schema is not the one this version expects: run 'hub init'.",
            ms,
        )
    return None, "", ms


def _not_ready(code: str, detail: str) -> Response:
    resp = problem(503, "Service Unavailable", detail, code=code)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Retry-After"] = "5"
    return resp


@lru_cache(maxsize=1)
def _heads() -> frozenset[str]:
    """The migration heads of this code (read once: the scripts do not change while it runs)."""
    return frozenset(migrate.heads())


def _probe_engine(hub: Hub) -> sa.Engine:
    """SQLite: the hub's engine (a local file). PostgreSQL: an engine without a pool and
    with short timeouts, so a probe never waits for a pooled connection or a dead server."""
    if hub.settings.sqlite:
        return hub.engine
    engine = current_app.extensions.get("readiness_engine")
    if engine is None:
        ms = hub.settings.readiness_timeout * 1000
        engine = sa.create_engine(
            hub.settings.database_url,
            poolclass=sa.pool.NullPool,
            connect_args={
                "connect_timeout": max(1, hub.settings.readiness_timeout),
                "options": f"-c statement_timeout={ms}",
            },
        )
        current_app.extensions["readiness_engine"] = engine
    return engine


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:300] or type(orig).__name__
