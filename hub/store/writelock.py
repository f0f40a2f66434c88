"""Who holds the database's write lock, so that reads can let the holder finish first.

Every write transaction takes one lock (:func:`hub.store.audit.lock`), and while a batch
holds it every other writer waits. A read that takes the interpreter, or a core, from the
holder lengthens that wait for all of them; a read that waits a moment for the commit
costs only itself. The write path marks its transactions here once it has the lock
(:func:`holding`), and :func:`wait_released` lets a read wait, for a bounded time, until
no transaction is marked (admission control, :mod:`hub.api.admission`).

Within one process the mark is a counter under a condition. :func:`share`, called by
``hub serve`` before gunicorn forks its workers, adds a table in shared memory with the
pid of each process holding the lock (workers and their writer processes,
:mod:`hub.api.writers`), so that a read in one worker also waits while a batch of
another process holds it; a slot left by a process that died holding it is cleared by
whoever sees it end (:func:`forget`: gunicorn's ``child_exit`` hook for a worker, the
worker for one of its writer processes).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

#: processes that may hold a slot at once (the lock has one holder; a commit and the next
#: holder's mark may overlap, and a pid stays until its transaction has ended)
SLOTS = 64
#: seconds between looks at the shared table while a read waits: the first soon after,
#: then doubling up to the last (a read waiting 100 ms wakes about 15 times)
POLL_S = (0.001, 0.008)

_cond = threading.Condition()
_holders = 0  # threads of this process inside a marked transaction
_slot: int | None = None  # this process's slot in the shared table while _holders > 0
_table: Any = None  # RawArray of pids (0: free), shared with forked workers
_table_lock: Any = None


def share() -> None:
    """Share the marks with processes started from now on: ``hub serve``'s workers inherit
    them, its writer processes get them through :func:`shared` and :func:`adopt`."""
    global _table, _table_lock
    ctx = multiprocessing.get_context("spawn")  # objects a spawned process may receive too
    _table, _table_lock = ctx.RawArray("l", SLOTS), ctx.Lock()


def shared() -> tuple[Any, Any] | None:
    """The shared table and its lock, to hand to a process being spawned (or None)."""
    return None if _table is None else (_table, _table_lock)


def adopt(table: tuple[Any, Any] | None) -> None:
    """In a spawned process: mark into the table :func:`shared` gave."""
    global _table, _table_lock
    if table is not None:
        _table, _table_lock = table


def forget(pid: int) -> None:
    """Clear the slot of a process that ended (a worker killed inside a transaction)."""
    if _table is None:
        return
    with _table_lock:
        for i in range(SLOTS):
            if _table[i] == pid:
                _table[i] = 0


def held() -> bool:
    """Whether a transaction holds the write lock (in any worker, once shared)."""
    return bool(_holders) or (_table is not None and any(_table))


@contextmanager
def holding() -> Iterator[Callable[[], None]]:
    """Around a write transaction: call the yielded function once the lock is taken; the
    mark lasts until the block ends (after the commit or the rollback)."""
    marked = False

    def mark() -> None:
        nonlocal marked
        if not marked:
            _enter()
            marked = True

    try:
        yield mark
    finally:
        if marked:
            _leave()


def _enter() -> None:
    global _holders, _slot
    with _cond:
        _holders += 1
        if _holders == 1 and _table is not None:
            with _table_lock:
                free = next((i for i in range(SLOTS) if _table[i] == 0), None)
                if free is not None:  # a full table only costs the marks of this process
                    _table[free] = os.getpid()
                    _slot = free


def _leave() -> None:
    global _holders, _slot
    with _cond:
        _holders -= 1
        if _holders == 0:
            if _slot is not None:
                _table[_slot] = 0
                _slot = None
            _cond.notify_all()


def wait_released(timeout: float) -> float:
    """Wait until no transaction holds the write lock, at most ``timeout`` seconds; the
    seconds waited (0.0 at once when none holds it)."""
    if not held():
        return 0.0
    start = time.monotonic()
    if _table is None:
        with _cond:
            _cond.wait_for(lambda: not _holders, timeout)
    else:
        deadline, pause = start + timeout, POLL_S[0]
        while held() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(pause, left))
            pause = min(pause * 2, POLL_S[1])
    return time.monotonic() - start
