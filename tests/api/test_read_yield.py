"""Reads let the write lock's holder commit first (hub/store/writelock.py, admission
control): a GET arriving while a batch holds the lock waits for the commit, never longer
than ``read_yield_ms``; probes never wait; marks cross ``hub serve``'s worker processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest

from hub import config, create_app
from hub.actors import Actor
from hub.store import writelock
from tests.auth.helpers import partner_headers
from tests.conftest import product

VN = Actor("client:vn", "VN")


@pytest.fixture
def per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks of this process only (the state of a process that ``hub serve`` did not start)."""
    monkeypatch.setattr(writelock, "_table", None)
    monkeypatch.setattr(writelock, "_table_lock", None)


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared table, as ``hub serve`` makes before forking; dropped after the test."""
    monkeypatch.setattr(writelock, "_table", None)
    monkeypatch.setattr(writelock, "_table_lock", None)
    writelock.share()


def _holder(started: threading.Event, release: threading.Event, mark: bool = True) -> threading.Thread:
    def run() -> None:
        with writelock.holding() as marked:
            if mark:
                marked()
            started.set()
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(5)
    return thread


def test_a_transaction_is_held_from_its_mark_to_its_end_even_when_it_fails(per_process: None) -> None:
    assert not writelock.held() and writelock.wait_released(5) == 0.0
    with pytest.raises(RuntimeError):
        with writelock.holding() as mark:
            assert not writelock.held()  # waiting for the lock is not holding it
            mark()
            mark()  # once is enough
            assert writelock.held()
            raise RuntimeError("rolled back")
    assert not writelock.held()


def test_a_waiting_read_goes_on_at_the_commit_and_never_waits_longer_than_asked(per_process: None) -> None:
    started, release = threading.Event(), threading.Event()
    holder = _holder(started, release)
    try:
        assert 0.05 <= writelock.wait_released(0.05) < 2  # bounded: the holder is still there
        threading.Timer(0.2, release.set).start()
        waited = writelock.wait_released(10)
        assert 0.1 < waited < 5 and not writelock.held()  # woken by the end of the transaction
    finally:
        release.set()
        holder.join(5)


def test_the_write_path_marks_its_transactions_once_it_has_the_lock(hub: Any, per_process: None) -> None:
    seen: list[bool] = []
    with hub.writes.transaction(VN, "test") as txn:
        seen.append(writelock.held())
        txn.write(hub.writes.prepare(VN, "products", [product(1)]))
    assert seen == [True] and not writelock.held()
    with pytest.raises(RuntimeError):
        with hub.writes.transaction(VN, "test"):
            raise RuntimeError("rolled back")
    assert not writelock.held()


def _child_holds(started: Any, release: Any, leave: bool, table: Any = None) -> None:
    writelock.adopt(table)  # a spawned writer process gets the table this way; a forked worker inherits it
    with writelock.holding() as mark:
        mark()
        started.set()
        release.wait(10)
        if not leave:  # a worker killed inside its transaction: nothing clears its mark
            import os

            os._exit(0)


@pytest.mark.parametrize(
    "leave, start", [(True, "fork"), (False, "fork"), (True, "spawn")], ids=["commits", "dies", "writer process"]
)
def test_a_read_in_one_worker_waits_for_a_transaction_of_another(shared: None, leave: bool, start: str) -> None:
    ctx = multiprocessing.get_context(start)
    started, release = ctx.Event(), ctx.Event()
    table = writelock.shared() if start == "spawn" else None
    child = ctx.Process(target=_child_holds, args=(started, release, leave, table))
    child.start()
    try:
        assert started.wait(30)
        assert writelock.held()
        threading.Timer(0.2, release.set).start()
        if leave:
            assert 0.1 < writelock.wait_released(10) < 5 and not writelock.held()
        else:
            child.join(10)
            assert writelock.held()  # its slot outlives it ...
            writelock.forget(child.pid)  # ... until the master hears it ended (child_exit)
            assert not writelock.held()
    finally:
        release.set()
        child.join(10)


def _app(settings: config.Settings, **over: Any) -> Any:
    return create_app(
        {"database_url": settings.database_url, "secret_key": "test-secret", "instance_path": settings.instance_path}
        | over
    )


def _get_in_thread(client: Any, path: str, headers: dict[str, str]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(client.get(path, headers=headers)))
    thread.start()
    return thread, answers


def test_a_read_waits_for_the_commit_of_a_batch_holding_the_lock(settings, hub, per_process) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import REGISTRY

    app = _app(settings, read_yield_ms=10_000)
    client = app.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:read",))
    before = REGISTRY.get_sample_value("hub_read_yield_seconds_total") or 0.0
    started, release = threading.Event(), threading.Event()
    holder = _holder(started, release)
    try:
        reader, answers = _get_in_thread(client, "/api/v1/products", headers)
        probe = client.get("/healthz")  # probes never wait
        assert probe.status_code == 200 and writelock.held()
        reader.join(0.5)
        assert reader.is_alive() and not answers  # waiting for the commit
        release.set()
        reader.join(10)
        assert answers[0].status_code == 200
    finally:
        release.set()
        holder.join(5)
        app.extensions["hub"].engine.dispose()
    assert (REGISTRY.get_sample_value("hub_read_yield_seconds_total") or 0.0) - before >= 0.4


@pytest.mark.parametrize(
    "over", [{"read_yield_ms": 100}, {"read_yield_ms": 0}, {"write_slots": 0, "read_yield_ms": 10_000}]
)
def test_a_read_waits_at_most_read_yield_ms_and_not_at_all_when_off(settings, hub, per_process, over) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, **over)
    client = app.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:read",))
    started, release = threading.Event(), threading.Event()
    holder = _holder(started, release)  # a transaction that does not end during the read
    try:
        t0 = time.monotonic()
        answer = client.get("/api/v1/products", headers=headers)
        took = time.monotonic() - t0
        assert answer.status_code == 200 and writelock.held()
        if over.get("read_yield_ms") and over.get("write_slots", 1):
            assert took >= 0.1  # waited its bound, then was served anyway
        else:
            assert took < 5  # off (or no admission control, the baseline): served without waiting
    finally:
        release.set()
        holder.join(5)
        app.extensions["hub"].engine.dispose()


def test_hub_serve_shares_the_marks_with_its_workers_and_forgets_a_dead_one(monkeypatch, shared) -> None:  # type: ignore[no-untyped-def]
    from hub.operations.serve import ServerOptions, gunicorn_options, serve

    options = gunicorn_options(ServerOptions(), config.load({"database_url": "sqlite:///x"}))
    with writelock.holding() as mark:
        mark()
        dead = type("Worker", (), {"pid": __import__("os").getpid()})()
        options["child_exit"](None, dead)  # as gunicorn's master calls it
        assert not any(writelock._table)
    monkeypatch.setattr(writelock, "_table", None)
    monkeypatch.setattr("hub.operations.serve._Gunicorn.run", lambda self: None)
    monkeypatch.setattr("hub.operations.metrics.use_directory", lambda folder: folder)
    monkeypatch.setattr("hub.config.require_database", lambda settings: None)
    monkeypatch.setenv("HUB_PUBLIC_URL", "")
    serve(ServerOptions())
    assert writelock._table is not None  # made before gunicorn forks
