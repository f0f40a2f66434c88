"""Admission control for batch writes: reads are never starved by writes.

A batch write spends most of its time validating in Python, holding the interpreter;
a read spends a few milliseconds. Under ``hub serve`` (threaded workers) each process
lets ``write_slots`` batch writes run at once and ``write_queue`` more wait for a
slot (up to ``write_wait_ms``); a further writer is answered at once with
``503 Service Unavailable`` and ``Retry-After``, instead of taking a thread that a read
needs. The remaining threads of every worker are always free for reads and the change
feed, which then wait only for the interpreter, not behind whole batches.

The database's write lock serialises writes anyway, so one running batch per process
keeps the write path busy; the queued ones start the moment it frees. Under ``hub
serve`` the running batch is written in a writer process beside the worker
(:mod:`hub.api.writers`), so it does not share the worker's interpreter with reads.

Reads let the lock holder finish: a ``GET`` or ``HEAD`` that arrives while a batch holds
the database's write lock (in any worker or writer process of ``hub serve``:
:mod:`hub.store.writelock`) waits up to ``read_yield_ms`` for the commit before it
starts. The lock is the one serial section of the hub: a read that takes a core from its
holder makes every waiting writer wait longer, while its own wait is a few tens of
milliseconds. Reads already running are not interrupted, and no read waits longer than
``read_yield_ms``; health probes and ``/metrics`` never wait.

``write_slots = 0`` (``hub serve --no-admission``) turns all of it off, for a baseline.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import wraps
from typing import Any, Callable, Iterator

from flask import Response, current_app, g, request

from ..operations import metrics
from ..store import writelock
from ..web.errors import problem
from ..web.requestid import PROBES

RETRY_AFTER = 1  # seconds: a slot frees within one batch's time


class Overloaded(Exception):
    """No write slot (nor a place in the queue) within the allowed time."""


class Admission:
    """One process's write slots and queue (state shared by its threads)."""

    def __init__(self, slots: int, queue: int, wait_s: float) -> None:
        self.enabled = slots > 0
        self.wait_s = wait_s
        self._running = threading.BoundedSemaphore(max(slots, 1))
        self._admitted = threading.BoundedSemaphore(max(slots, 1) + max(queue, 0))

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        if not self._admitted.acquire(blocking=False):
            raise Overloaded("too many batch writes in progress")
        try:
            if not self._running.acquire(timeout=self.wait_s):
                raise Overloaded("no write slot freed in time")
            try:
                yield
            finally:
                self._running.release()
        finally:
            self._admitted.release()


def init_app(app: Any, slots: int, queue: int, wait_ms: int, read_yield_ms: int = 0) -> None:
    """Call before :func:`hub.web.limits.init_app`: this hook then runs after the rate
    limiter's, which keeps ``Retry-After`` on 429 and 503 only; a short wait this module
    sets (a 503 for load, a 409 for an Idempotency-Key in flight) is put back here. The
    reads' wait runs before the limiter and the token check, so a waiting read holds
    nothing."""
    app.extensions["hub.admission"] = Admission(slots, queue, wait_ms / 1000)
    if slots > 0 and read_yield_ms > 0:
        yield_s = read_yield_ms / 1000

        @app.before_request
        def _let_the_writer_commit() -> None:
            if request.method in ("GET", "HEAD") and request.path not in PROBES:
                waited = writelock.wait_released(yield_s)
                if waited:
                    metrics.count_read_yield(waited)

    @app.after_request
    def _retry_after(resp: Response) -> Response:
        seconds = g.get("hub_retry_after")
        if seconds is not None:
            resp.headers["Retry-After"] = str(seconds)
        return resp


def retry_after(resp: Response, seconds: int = RETRY_AFTER) -> Response:
    """Set a short ``Retry-After`` that survives the rate limiter's hook (see :func:`init_app`)."""
    g.hub_retry_after = seconds
    resp.headers["Retry-After"] = str(seconds)
    return resp


def admitted(view: Callable[..., Response]) -> Callable[..., Response]:
    """Run the view in a write slot, or answer 503 with ``Retry-After``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            with current_app.extensions["hub.admission"].slot():
                return view(*args, **kwargs)
        except Overloaded:  # counted by the latency metric as status 503 of the batch route
            return retry_after(
                problem(
                    503,
                    "Service Unavailable",
                    "The hub is busy with other batch writes; retry after the time in Retry-After.",
                )
            )

    return wrapper
