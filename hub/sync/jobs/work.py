"""What the tasks do, without Celery: run one source, find the due ones, deliver webhooks.

Each function is the same code the embedded mode runs (``Runner``, ``is_due``,
``Deliverer``), so the per-source lock, the checkpoint committed with every page and the
run history apply unchanged. That is what makes every task safe to run twice: a second
copy of a running source is refused by the lock (``busy``); a copy that arrives after
the run finished finds the source no longer due (scheduled runs) or resumes from the
checkpoint and writes ``unchanged`` records (manual runs).
"""

from __future__ import annotations

import logging
from typing import Any

from ...services import Hub
from ...store import locks
from ...store.models import utcnow
from ..runner import Runner
from ..schedule import is_due
from ..sources import Source, scan
from ..webhooks import Deliverer

log = logging.getLogger("hub.jobs")
TRIGGER_MANUAL, TRIGGER_SCHEDULED = "celery", "celery-beat"


class JobFailed(Exception):
    """A task that ran and failed for a known reason; its message is one line."""


def find_source(hub: Hub, name: str) -> Source:
    found, errors = scan(hub.settings.sources_dir)
    if name in found:
        return found[name]
    hint = f"; {len(errors)} source file(s) in error: {errors[0]}" if errors else ""
    raise JobFailed(f"unknown source '{name}' in {hub.settings.sources_dir}{hint}")


def run_source(hub: Hub, name: str, *, scheduled: bool = False, restart: bool = False) -> dict[str, Any]:
    """One run of one source. ``scheduled``: run only if still due once the lock is held
    (as the embedded scheduler does), so a schedule fired twice runs the source once."""
    source = find_source(hub, name)
    precheck = (lambda: is_due(hub, source, utcnow())) if scheduled else None
    runner = Runner(
        hub, source, trigger=TRIGGER_SCHEDULED if scheduled else TRIGGER_MANUAL, restart=restart, precheck=precheck
    )
    try:
        result = runner.run()
    except locks.Busy as exc:
        log.info("%s: not run, %s", name, exc)
        return {"source": name, "status": "busy", "detail": str(exc)}
    if result is None:
        return {"source": name, "status": "not due", "detail": "it ran since its schedule last fired"}
    if not result.ok:
        raise JobFailed(result.summary().replace("\n ", ";"))
    log.info("%s", result.summary())
    return {
        "source": name,
        "status": result.status,
        "run_id": result.run_id,
        "counts": result.counts,
        "seconds": round(result.seconds, 3),
    }


def due_sources(hub: Hub) -> list[str]:
    """Sources due by their run history: never run, or their schedule fired since."""
    found, errors = scan(hub.settings.sources_dir)
    for message in errors:
        log.error("%s", message)
    now = utcnow()
    return [name for name, source in found.items() if is_due(hub, source, now)]


def deliver_webhooks(hub: Hub) -> dict[str, int]:
    """One delivery pass over every subscription (each one locked while it is served)."""
    deliverer = Deliverer(hub)
    try:
        return dict(deliverer.run())
    finally:
        deliverer.close()
