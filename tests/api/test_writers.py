"""Batch writes in writer processes (hub/api/writers.py): the same answers as in the
request's thread, Idempotency-Keys stored by the writer, a dead writer answered 503 and
replaced (``hub serve`` with its writer processes: tests/reliability/test_writer_processes.py)."""

from __future__ import annotations

import os
from typing import Any, Iterator

import orjson
import pytest

from hub import create_app
from hub.actors import Actor
from hub.api import writers
from hub.curation.members import set_policy
from hub.store.db import transaction
from tests.auth.helpers import partner_headers
from tests.conftest import product


@pytest.fixture
def app_with_writer(settings, hub) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    app = create_app(
        {"database_url": settings.database_url, "secret_key": "test-secret", "instance_path": settings.instance_path}
    )
    writers.start(app)  # what hub serve does in each worker
    pool = app.extensions["hub.writers"]
    try:
        yield app
    finally:
        pool.stop()
        app.extensions["hub"].engine.dispose()


def _post(client: Any, headers: dict[str, str], body: bytes, **extra: str) -> Any:
    return client.post(
        "/api/v1/products/batch", data=body, headers={**headers, "Content-Type": "application/json", **extra}
    )


def test_a_writer_process_writes_the_batch_and_answers_as_the_thread_would(app_with_writer, hub) -> None:  # type: ignore[no-untyped-def]
    client = app_with_writer.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    body = orjson.dumps({"records": [product(1), product(2), product(3, gtin="1")]})
    first = _post(client, headers, body, **{"Idempotency-Key": "k-1", "X-Request-ID": "req-writer-1"})
    assert first.status_code == 207 and first.mimetype == "application/json"
    assert [r["status"] for r in first.get_json()["results"]] == ["created", "created", "invalid"]
    again = _post(client, headers, body, **{"Idempotency-Key": "k-1"})  # stored by the writer, in its transaction
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert client.get("/api/v1/products/VN/p1", headers=headers).status_code == 200
    bad = _post(client, headers, b'{"records": [', **{"X-Request-ID": "req-writer-2"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["request_id"] == "req-writer-2"  # the request's id reached the writer
    ndjson = client.post(
        "/api/v1/products/batch",
        data=b"\n".join(orjson.dumps(product(i)) for i in (4, 5)) + b"\nnot json\n",
        headers={**headers, "Content-Type": "application/x-ndjson"},
    )
    assert [r["status"] for r in ndjson.get_json()["results"]] == ["created", "created", "invalid"]
    assert app_with_writer.extensions["hub.writers"]._all[0].process.pid != os.getpid()


def test_a_writer_that_died_is_answered_503_and_replaced(app_with_writer, hub) -> None:  # type: ignore[no-untyped-def]
    client = app_with_writer.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:write",))
    pool = app_with_writer.extensions["hub.writers"]
    dead = pool._all[0].process
    dead.kill()
    dead.join(10)
    refused = _post(client, headers, orjson.dumps({"records": [product(1)]}), **{"Idempotency-Key": "k-dead"})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.mimetype == "application/problem+json"
    retried = _post(client, headers, orjson.dumps({"records": [product(1)]}), **{"Idempotency-Key": "k-dead"})
    assert retried.status_code == 200 and retried.get_json()["summary"]["created"] == 1  # the key was released
    assert pool._all[0].process.pid != dead.pid and pool._all[0].process.is_alive()


@pytest.mark.parametrize("over", [{"write_slots": 0}, {"write_processes": False}])
def test_no_writer_processes_without_admission_control_or_when_turned_off(settings, hub, over) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {"database_url": settings.database_url, "secret_key": "test-secret", "instance_path": settings.instance_path}
        | over
    )
    try:
        writers.start(app)
        assert "hub.writers" not in app.extensions  # the batch runs in the request's thread
    finally:
        app.extensions["hub"].engine.dispose()


def test_an_idle_writer_asked_to_stop_ends_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    writer = writers.Writer(settings)  # as its worker's exit asks it (multiprocessing terminates daemons)
    try:
        job = writers.BatchJob("products", b"", "text/plain", Actor("client:vn", "VN"), None, "")
        assert writer.run(job).status == 415  # answered: it is up and waiting for the next
        writer.process.terminate()
        writer.process.join(30)
        assert writer.process.exitcode == 0
    finally:
        writer.stop()
