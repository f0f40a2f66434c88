"""Sync runs, webhook deliveries and their schedules as Celery tasks on Redis.

Used when the setting ``jobs = "celery"`` (docs/workers.md); the embedded ``hub scheduler``
stays the default. ``celery -A hub.sync.jobs worker|beat`` (or ``hub worker|beat``) find
:data:`app` here. It is built from the hub settings on first access, so importing this
package imports neither Celery nor Redis: installations without the ``celery`` extra
never need them.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from .factory import default_app

        return default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
