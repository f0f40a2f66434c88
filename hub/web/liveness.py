"""Progress heartbeats for long responses under gunicorn.

gunicorn's sync worker is killed when it stays silent for ``--timeout`` seconds, and it
is silent while it writes one response. A stream that makes progress (an export batch)
calls :func:`beat`, which tells the arbiter the worker is alive: a long export lives
as long as it moves, and a stuck request is still killed after ``--timeout``. Outside
gunicorn (tests, the CLI) :func:`beat` does nothing.
"""

from __future__ import annotations

from typing import Any, Callable

_notify: Callable[[], None] | None = None


#: ``app.extensions`` key: functions of the app to call in each worker once gunicorn has
#: made it (the API's writer processes, hub/api/writers.py)
WORKER_HOOKS = "hub.worker_hooks"


def attach(worker: Any) -> None:
    """gunicorn's ``post_worker_init`` hook: remember this worker's heartbeat, then run
    the app's :data:`WORKER_HOOKS`."""
    global _notify
    _notify = worker.notify
    for hook in worker.wsgi.extensions.get(WORKER_HOOKS, ()):
        hook(worker.wsgi)


def beat() -> None:
    if _notify is not None:
        _notify()
