"""The same Idempotency-Key twice at once: the second is answered 409 with Retry-After
while the first runs, then replays the first's answer; a failed write frees the key."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.api import idempotency
from hub.store.db import transaction
from hub.store.models import IdempotencyKey, utcnow
from tests.conftest import product


def post(client, headers, key, *records):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/products/batch", json={"records": list(records)}, headers={**headers, "Idempotency-Key": key}
    )


def test_a_second_request_with_the_key_in_flight_gets_409_then_the_first_answer(app, client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    hub = app.extensions["hub"]
    real, started, proceed = hub.writes.prepare, threading.Event(), threading.Event()

    def slow_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        assert proceed.wait(10)
        return real(*args, **kwargs)

    hub.writes.prepare = slow_write
    first: list = []
    thread = threading.Thread(target=lambda: first.append(post(app.test_client(), vn_writer, "k", product(1))))
    thread.start()
    try:
        assert started.wait(10)  # the first request holds the key and is writing
        hub.writes.prepare = real
        second = post(client, vn_writer, "k", product(1))
        assert second.status_code == 409 and second.headers["Retry-After"] == "1"
        assert second.mimetype == "application/problem+json"
        assert post(client, vn_writer, "k", product(2)).status_code == 422  # another body: refused as ever
    finally:
        proceed.set()
        thread.join(10)
    assert first[0].status_code == 200 and first[0].get_json()["summary"]["created"] == 1
    replay = post(client, vn_writer, "k", product(1))
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first[0].get_json()


def test_requests_racing_for_one_key_write_once_and_agree(app, vn_writer) -> None:  # type: ignore[no-untyped-def]
    barrier, answers = threading.Barrier(4), []

    def race() -> None:
        client = app.test_client()
        barrier.wait(10)
        answers.append(post(client, vn_writer, "race", product(7)))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(a.status_code for a in answers)
    assert len(answers) == 4 and statuses.count(200) >= 1 and set(statuses) <= {200, 409}, statuses
    bodies = [a.get_json() for a in answers if a.status_code == 200]
    assert all(b == bodies[0] for b in bodies)  # a replay, never a second, different answer
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers if a.status_code == 200) == 1
    hub = app.extensions["hub"]
    with hub.sessions() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM revisions WHERE uid = 'VN/products/p7'")) == 1


def test_a_claim_of_a_process_that_died_is_taken_over_at_once(app, client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from hub import processes

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    hub = app.extensions["hub"]
    with transaction(hub.sessions) as s:  # a worker killed mid-write (gunicorn timeout, OOM, SIGKILL)
        s.add(
            IdempotencyKey(
                actor=_actor_of(client, vn_writer),
                key="k3",
                body_hash=_digest(json.dumps({"records": [product(1)]}).encode()),
                status=idempotency.IN_FLIGHT,
                response={"holder": f"{processes.HOST}:{dead}:x"},
                created_at=utcnow(),
            )
        )
    body = json.dumps({"records": [product(1)]}).encode()
    first = client.post(
        "/api/v1/products/batch",
        data=body,
        content_type="application/json",
        headers={**vn_writer, "Idempotency-Key": "k3"},
    )
    assert first.status_code == 200 and first.get_json()["summary"]["created"] == 1


def _actor_of(client, headers) -> str:  # type: ignore[no-untyped-def]
    return "client:" + client.get("/api/v1/whoami", headers=headers).get_json()["client_id"]


def _digest(body: bytes) -> str:
    return hashlib.sha256(b"products\0" + body).hexdigest()


def test_a_failed_write_releases_the_key_and_a_stale_claim_is_taken_over(app, client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    hub = app.extensions["hub"]
    real = hub.writes.prepare

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the write failed")

    hub.writes.prepare = broken
    assert post(client, vn_writer, "k2", product(1)).status_code == 500
    hub.writes.prepare = real
    assert post(client, vn_writer, "k2", product(1)).status_code == 200  # not stuck at 409
    with transaction(hub.sessions) as s:  # a claim left by a process that died mid-write
        s.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.key == "k2")
            .values(
                status=idempotency.IN_FLIGHT,
                response={},
                created_at=utcnow() - idempotency.CLAIM_STALE - timedelta(seconds=1),
            )
        )
    again = post(client, vn_writer, "k2", product(1))
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert again.get_json()["summary"]["unchanged"] == 1


@pytest.fixture(autouse=True)
def _no_propagation(app):  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False
