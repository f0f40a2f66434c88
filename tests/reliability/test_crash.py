"""Crash safety: SIGKILL the server (master and workers) while batches stream in.

SPEC 3.1: when a batch's response is sent, its records are committed; a crash before the
response loses the whole request, never half of it. After each kill the server restarts on
the same database and the test checks that every acknowledged batch is there in full, no
batch is there by half, a retry with the same Idempotency-Key is not applied twice, the
change feed has no gap or duplicate, and ``hub audit verify`` passes.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import requests
import sqlalchemy as sa

from hub.store.models import Record
from tests.conftest import product

from .conftest import Prepared
from .server import HTTP_TIMEOUT, HubServer, hub_cli, token

THREADS = 4
PER_BATCH = 20  # records of a batch besides its writer's counter record
ROUNDS = 3
ACKS_PER_ROUND = 6  # acknowledged batches before each kill
AIM_SECONDS = 2.0  # how long to wait for a batch committed but not yet answered


@dataclass(eq=False)
class Batch:
    """One request: records ``b{n}-{i}`` of its own, plus its writer's record ``t{thread}``
    set to ``batch {n}`` (so the writer's record gets one version per applied batch)."""

    thread: int
    n: int
    status: int | None = None
    body: dict[str, Any] | None = None
    error: str | None = None
    replayed: bool = False

    @property
    def key(self) -> str:
        return f"crash-batch-{self.n}"

    @property
    def records(self) -> list[dict[str, Any]]:
        return [product(id=f"b{self.n}-{i}") for i in range(PER_BATCH)] + [
            product(id=f"t{self.thread}", package=f"batch {self.n}")
        ]

    @property
    def own(self) -> set[str]:
        return {f"VN/products/b{self.n}-{i}" for i in range(PER_BATCH)}

    @property
    def acked(self) -> bool:
        return self.status in (200, 207)


class Stream:
    """Writer threads posting batches until stopped or their connection dies."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.batches: list[Batch] = []
        self.unexpected: list[str] = []
        self.cond = threading.Condition()
        self.flying: set[Batch] = set()
        self.acks = 0
        self.counter = itertools.count(1)
        self.stop = threading.Event()

    def run_until_killed(self, server: HubServer, committed: Callable[[list[Batch]], bool]) -> None:
        """Stream until enough acknowledgements, then SIGKILL with requests in flight.

        The kill aims at the narrowest window: a batch committed whose answer has not
        arrived (``committed`` polls the database); after a bound it kills anyway.
        """
        self.stop.clear()
        self.acks = 0
        threads = [threading.Thread(target=self._writer, args=(server.base, k), daemon=True) for k in range(THREADS)]
        for t in threads:
            t.start()
        try:
            with self.cond:
                ready = self.cond.wait_for(
                    lambda: self.unexpected or (self.acks >= ACKS_PER_ROUND and len(self.flying) >= 2), timeout=60
                )
            assert ready and not self.unexpected, self.unexpected or "writers made no progress"
            deadline = time.monotonic() + AIM_SECONDS
            while time.monotonic() < deadline:
                with self.cond:
                    flying = [b for b in self.flying if b.status is None]
                if flying and committed(flying):
                    break
            server.kill()
        finally:
            self.stop.set()
            for t in threads:
                t.join(HTTP_TIMEOUT + 5)
        assert not any(t.is_alive() for t in threads), "a writer hangs after the kill"
        assert not self.unexpected, self.unexpected

    def _writer(self, base: str, thread: int) -> None:
        with requests.Session() as http:
            while not self.stop.is_set():
                with self.cond:
                    batch = Batch(thread, next(self.counter))
                    self.batches.append(batch)
                    self.flying.add(batch)
                try:
                    r = http.post(
                        f"{base}/api/v1/products/batch",
                        json={"records": batch.records},
                        headers={**self.headers, "Idempotency-Key": batch.key},
                        timeout=HTTP_TIMEOUT,
                    )
                except requests.RequestException as exc:  # the server died under us
                    batch.error = repr(exc)
                    return
                finally:
                    with self.cond:
                        self.flying.discard(batch)
                        self.cond.notify_all()
                with self.cond:
                    batch.status = r.status_code
                    if not batch.acked:
                        self.unexpected.append(f"batch {batch.n}: {r.status_code} {r.text[:300]}")
                        self.cond.notify_all()
                        return
                    batch.body = r.json()
                    self.acks += 1
                    self.cond.notify_all()


def stored_versions(prepared: Prepared) -> dict[str, tuple[int, int | None]]:
    """uid -> (latest version, published version), read from the database directly."""
    with prepared.hub.sessions() as session:
        rows = session.execute(sa.select(Record.uid, Record.latest_version, Record.published_version))
        return {uid: (latest, published) for uid, latest, published in rows}


def committed_probe(prepared: Prepared) -> Callable[[list[Batch]], bool]:
    """Whether any of these batches is committed (its first record is stored)."""

    def committed(batches: list[Batch]) -> bool:
        firsts = [f"VN/products/b{b.n}-0" for b in batches]
        with prepared.hub.sessions() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(Record).where(Record.uid.in_(firsts))) > 0

    return committed


def check_whole_or_absent(stream: Stream, prepared: Prepared) -> set[int]:
    """After a crash: acknowledged batches in full, the others in full or not at all."""
    stored = stored_versions(prepared)
    present: set[int] = set()
    for b in stream.batches:
        there = b.own & stored.keys()
        assert there in (set(), b.own), f"batch {b.n} is there by half: {len(there)} of {PER_BATCH} records"
        assert there or not b.acked, f"acknowledged batch {b.n} ({b.status}) is lost"
        if there:
            present.add(b.n)
    for k in range(THREADS):  # the writer's record: one version per applied batch of that writer
        applied = [b for b in stream.batches if b.thread == k and b.n in present]
        assert stored.get(f"VN/products/t{k}", (0, None))[0] == len(applied)
    return present


def retry_unacknowledged(stream: Stream, headers: dict[str, str], base: str, present: set[int]) -> int:
    """The same request again with its Idempotency-Key: replayed if it was committed."""
    retried = 0
    with requests.Session() as http:
        for b in stream.batches:
            if b.acked:
                continue
            for _ in range(60):  # 409: the killed server's orphaned worker still holds the key
                r = http.post(
                    f"{base}/api/v1/products/batch",
                    json={"records": b.records},
                    headers={**headers, "Idempotency-Key": b.key},
                    timeout=HTTP_TIMEOUT,
                )
                if r.status_code != 409:
                    break
                time.sleep(float(r.headers["Retry-After"]))  # as the partner guide says
            assert r.status_code == 200, r.text
            assert (r.headers.get("Idempotent-Replayed") == "true") == (b.n in present), (
                f"batch {b.n}: committed={b.n in present} but replayed={r.headers.get('Idempotent-Replayed')}"
            )
            b.status, b.body, b.replayed = r.status_code, r.json(), b.n in present
            retried += 1
    return retried


def read_feed(base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    with requests.Session() as http:
        while True:
            page = http.get(f"{base}/api/v1/changes", params=params, headers=headers, timeout=HTTP_TIMEOUT)
            assert page.status_code == 200, page.text
            body = page.json()
            changes.extend(body["changes"])
            if not body["has_more"]:
                return changes
            params["after"] = body["next_cursor"]


def test_sigkill_while_batches_stream_loses_nothing_acknowledged(prepared: Prepared, server: HubServer) -> None:
    base = server.start()
    headers = {"Authorization": f"Bearer {token(base, prepared.client_id, prepared.secret)}"}
    stream = Stream(headers)
    retried = committed_unacknowledged = 0
    for _ in range(ROUNDS):
        stream.run_until_killed(server, committed_probe(prepared))
        present = check_whole_or_absent(stream, prepared)
        committed_unacknowledged += sum(1 for b in stream.batches if not b.acked and b.n in present)
        base = server.start()
        retried += retry_unacknowledged(stream, headers, base, present)
    assert retried, "no request was in flight at any kill: the test proved nothing"

    batches = stream.batches
    assert check_whole_or_absent(stream, prepared) == {b.n for b in batches}
    # Every answer, first or replayed, names the right versions.
    for k in range(THREADS):
        for position, b in enumerate((b for b in batches if b.thread == k), start=1):
            assert b.body is not None and b.status == 200
            results = b.body["results"]
            assert [(r["status"], r["version"]) for r in results[:PER_BATCH]] == [("created", 1)] * PER_BATCH
            assert (results[-1]["status"], results[-1]["version"]) == (
                "created" if position == 1 else "updated",
                position,
            )
    stored = stored_versions(prepared)
    expected = {uid: (1, 1) for b in batches for uid in b.own} | {
        f"VN/products/t{k}": (n, n) for k in range(THREADS) if (n := sum(1 for b in batches if b.thread == k))
    }
    assert stored == expected

    feed = read_feed(base, headers)
    assert [c["seq"] for c in feed] == list(range(1, len(feed) + 1)), "gap or duplicate in the change feed"
    assert sorted((c["uid"], c["version"]) for c in feed) == sorted(
        (uid, v) for uid, (latest, _) in expected.items() for v in range(1, latest + 1)
    )
    for k in range(THREADS):
        assert [c["version"] for c in feed if c["uid"] == f"VN/products/t{k}"] == list(
            range(1, expected[f"VN/products/t{k}"][0] + 1)
        )

    verified = hub_cli(prepared.env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log intact")
    print(
        f"{len(batches)} batches, {retried} retried after a kill, "
        f"{committed_unacknowledged} of them committed before the kill"
    )
