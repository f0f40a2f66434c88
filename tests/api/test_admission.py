"""Admission control: batch writes beyond a process's slots and queue are refused at
once with 503 and Retry-After, while reads go on; off with ``write_slots = 0``."""

from __future__ import annotations

import threading
import time

import pytest

from hub import config, create_app
from hub.api.admission import Admission, Overloaded
from hub.operations.serve import ServerOptions, gunicorn_options
from hub.web import liveness
from tests.auth.helpers import partner_headers
from tests.conftest import product


def test_one_runs_the_queue_waits_and_the_next_writer_is_refused_at_once() -> None:
    gate = Admission(slots=1, queue=1, wait_s=5)
    started, release, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with gate.slot():
            started.set()
            release.wait(5)
            order.append("first")

    def second() -> None:
        with gate.slot():
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    started.wait(5)
    threads[1].start()
    time.sleep(0.1)  # the second is queued behind the first
    t0 = time.monotonic()
    with pytest.raises(Overloaded):
        with gate.slot():
            pass
    assert time.monotonic() - t0 < 0.05  # refused at once, not queued
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["first", "second"]
    with gate.slot():  # everything released
        pass


def test_a_queued_writer_gives_up_after_the_wait() -> None:
    gate = Admission(slots=1, queue=1, wait_s=0.1)
    with gate.slot():
        outcome = []
        t = threading.Thread(target=lambda: outcome.append(_try(gate)))
        t.start()
        t.join(5)
    assert outcome == ["refused"]


def _try(gate: Admission) -> str:
    try:
        with gate.slot():
            return "ran"
    except Overloaded:
        return "refused"


@pytest.mark.parametrize("slots", [1, 0])
def test_a_busy_process_refuses_batches_with_retry_after_and_still_serves_reads(settings, hub, slots) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            "write_slots": slots,
            "write_queue": 0,
        }
    )
    client = app.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    try:
        with app.extensions["hub.admission"].slot():  # another thread's batch holds the slot
            refused = client.post("/api/v1/products/batch", json={"records": [product(1)]}, headers=headers)
            read = client.get("/api/v1/products", headers=headers)
        assert read.status_code == 200
        if slots:
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
            assert refused.mimetype == "application/problem+json"
            again = client.post("/api/v1/products/batch", json={"records": [product(1)]}, headers=headers)
            assert again.status_code in (200, 207)  # the slot is free again
        else:  # admission control off: the baseline queues nothing and refuses nothing
            assert refused.status_code in (200, 207)
    finally:
        app.extensions["hub"].engine.dispose()


def test_hub_serve_runs_threaded_workers_with_heartbeats_and_a_switch_for_the_baseline(monkeypatch) -> None:
    options = gunicorn_options(ServerOptions(), config.load({"database_url": "sqlite:///x"}))
    assert options["threads"] == 8 and options["workers"] == 2
    assert options["post_worker_init"] is liveness.attach and "admission" not in options
    ran = []
    monkeypatch.setattr("hub.operations.serve._Gunicorn.run", lambda self: ran.append(self.options))
    monkeypatch.setattr("hub.operations.metrics.use_directory", lambda folder: folder)
    monkeypatch.setattr("hub.config.require_database", lambda settings: None)  # no database needed here
    monkeypatch.setenv("HUB_WRITE_SLOTS", "1")  # restored (to absent) after the test
    monkeypatch.setenv("HUB_PUBLIC_URL", "")  # serve() sets it for its workers: restored too
    monkeypatch.setattr("hub.store.writelock._table", None)  # serve() shares the lock marks: restored too
    monkeypatch.setattr("hub.store.writelock._table_lock", None)
    from hub.operations.serve import serve

    serve(ServerOptions())
    assert ran and config.load().write_slots == 1
    monkeypatch.setenv("HUB_WRITE_QUEUE", "5")
    serve(ServerOptions(threads=4))  # 1 running + 5 queued writes would hold every thread
    assert config.load().write_queue == 2  # so the queue shrinks: one thread stays for reads
    serve(ServerOptions(admission=False, threads=1))  # the workers inherit the environment
    assert config.load().write_slots == 0


def test_the_partner_client_waits_as_retry_after_says_and_its_batch_then_goes_through(settings, hub) -> None:  # type: ignore[no-untyped-def]
    client_module = pytest.importorskip(
        "ovop_hub_client", reason="the partner client (clients/python) is not installed"
    )
    from werkzeug.serving import make_server

    from hub.curation.members import set_policy
    from hub.store.db import transaction
    from tests.auth.helpers import make_client

    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            "write_queue": 0,
        }
    )
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    cid, secret = make_client(hub, "VN", ("exchange:read", "exchange:write"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gate, held = app.extensions["hub.admission"], threading.Event()

    def busy_writer() -> None:  # another partner's batch holds the slot for a while
        with gate.slot():
            held.set()
            time.sleep(1.2)

    other = threading.Thread(target=busy_writer)
    other.start()
    try:
        assert held.wait(5)
        t0 = time.monotonic()
        with client_module.HubClient(
            f"http://127.0.0.1:{server.server_port}", cid, client_secret=secret, backoff=0.01
        ) as partner:
            r = partner.post("/api/v1/products/batch", json={"records": [product(1)]})
        assert r.status_code == 200 and r.json()["summary"]["created"] == 1
        assert time.monotonic() - t0 >= 1.0  # refused with 503, waited Retry-After: 1, retried
    finally:
        other.join(5)
        server.shutdown()
        app.extensions["hub"].engine.dispose()
