"""Concurrent writers on one record against a real server (gunicorn, two workers).

With ``If-Match`` exactly one of several writers holding the same ETag wins and the others
get 412: no lost update. Without it, writers racing to create the same record all succeed
one after the other: no 500 (a unique violation on PostgreSQL), versions without gaps, each
answer's ETag naming the revision that answer reports, and the feed in version order.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest
import requests

from tests.conftest import product

from .conftest import Prepared
from .server import HTTP_TIMEOUT, HubServer, hub_cli, token
from .test_crash import read_feed

WRITERS = 4
ROUNDS = 12


@pytest.fixture
def api(prepared: Prepared, server: HubServer) -> Iterator[tuple[str, dict[str, str]]]:
    base = server.start()
    yield base, {"Authorization": f"Bearer {token(base, prepared.client_id, prepared.secret)}"}


def at_once(
    calls: list[Callable[[requests.Session], requests.Response]],
    sessions: list[requests.Session],
    pool: ThreadPoolExecutor,
) -> list[requests.Response]:
    """Run the calls in parallel, released together by a barrier (one connection each)."""
    barrier = threading.Barrier(len(calls), timeout=HTTP_TIMEOUT)

    def run(i: int) -> requests.Response:
        barrier.wait()
        return calls[i](sessions[i])

    futures = [pool.submit(run, i) for i in range(len(calls))]
    return [f.result(timeout=2 * HTTP_TIMEOUT) for f in futures]


@pytest.fixture
def writers() -> Iterator[tuple[list[requests.Session], ThreadPoolExecutor]]:
    sessions = [requests.Session() for _ in range(WRITERS)]
    with ThreadPoolExecutor(WRITERS) as pool:
        yield sessions, pool
    for s in sessions:
        s.close()


def test_if_match_race_has_exactly_one_winner(
    api: tuple[str, dict[str, str]], writers: Any, prepared: Prepared
) -> None:
    base, headers = api
    url = f"{base}/api/v1/products/VN/race"
    first = requests.put(url, json=product(id="race"), headers=headers, timeout=HTTP_TIMEOUT)
    assert first.status_code == 201, first.text
    tag = first.headers["ETag"]
    winners: list[str] = []
    for rnd in range(ROUNDS):
        calls = [
            lambda http, k=k, tag=tag: http.put(
                url,
                json=product(id="race", package=f"round {rnd} writer {k}"),  # noqa: B023  (called in this round)
                headers={**headers, "If-Match": tag},
                timeout=HTTP_TIMEOUT,
            )
            for k in range(WRITERS)
        ]
        answers = at_once(calls, *writers)
        won = [r for r in answers if r.status_code in (200, 201)]
        lost = [r for r in answers if r.status_code == 412]
        assert (len(won), len(lost)) == (1, WRITERS - 1), [(r.status_code, r.text[:200]) for r in answers]
        assert all(r.headers["Content-Type"] == "application/problem+json" and r.json()["status"] == 412 for r in lost)
        assert won[0].status_code == 200 and won[0].json()["version"] == rnd + 2
        assert won[0].headers["ETag"] != tag
        tag = won[0].headers["ETag"]
        winners.append(won[0].json()["uid"])

    final = requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)
    assert final.json()["version"] == 1 + ROUNDS and final.headers["ETag"] == tag
    history = requests.get(url + "/versions", headers=headers, timeout=HTTP_TIMEOUT).json()
    assert [v["version"] for v in history] == list(range(1, ROUNDS + 2))
    verified = hub_cli(prepared.env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_racing_creates_of_one_record_are_serialised(
    api: tuple[str, dict[str, str]], writers: Any, prepared: Prepared
) -> None:
    """Half the writers PUT, half POST a batch; each writes other content, so each makes a version."""
    base, headers = api
    for rnd in range(ROUNDS):
        rid = f"same{rnd}"
        url = f"{base}/api/v1/products/VN/{rid}"

        def call(k: int) -> Callable[[requests.Session], requests.Response]:
            doc = product(id=rid, package=f"writer {k}")  # noqa: B023  (called in this round)
            if k % 2:
                return lambda http: http.post(
                    f"{base}/api/v1/products/batch", json={"records": [doc]}, headers=headers, timeout=HTTP_TIMEOUT
                )
            return lambda http: http.put(url, json=doc, headers=headers, timeout=HTTP_TIMEOUT)  # noqa: B023  (called in this round)

        answers = at_once([call(k) for k in range(WRITERS)], *writers)
        assert all(r.status_code in (200, 201) for r in answers), [(r.status_code, r.text[:300]) for r in answers]
        results = [r.json()["results"][0] if k % 2 else r.json() for k, r in enumerate(answers)]
        assert sorted(r["version"] for r in results) == list(range(1, WRITERS + 1))
        assert sorted(r["status"] for r in results) == ["created"] + ["updated"] * (WRITERS - 1)
        history = requests.get(url + "/versions", headers=headers, timeout=HTTP_TIMEOUT).json()
        hashes = {v["version"]: v["content_hash"] for v in history}
        assert sorted(hashes) == list(range(1, WRITERS + 1))
        for k, (r, result) in enumerate(zip(answers, results)):
            if not k % 2:  # a PUT's ETag names the revision it wrote, not a later writer's
                assert r.headers["ETag"] == f'"{hashes[result["version"]]}"', (k, result["version"])

    feed = read_feed(base, headers)
    assert [c["seq"] for c in feed] == list(range(1, len(feed) + 1))
    assert [(c["uid"], c["version"]) for c in feed] == [
        (f"VN/products/same{rnd}", v) for rnd in range(ROUNDS) for v in range(1, WRITERS + 1)
    ]
    verified = hub_cli(prepared.env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_put_answers_the_etag_of_its_own_revision(
    app: Any, client: Any, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer commits between a PUT's commit and its answer (the window the race
    above can hit): the ETag must still be the PUT's own revision, else a client's next
    If-Match would overwrite a revision it has never seen."""
    from hub import hub_of
    from hub.actors import Actor
    from hub.curation.members import set_policy
    from hub.store.db import transaction
    from tests.auth.helpers import partner_headers

    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    writes = hub_of(app).writes
    original = writes.write

    def then_another_writer(*args: Any, **kwargs: Any) -> Any:
        outcome = original(*args, **kwargs)
        hub.writes.write(Actor("client:other", "VN"), "products", [product(id="p1", package="other")], source="test")
        return outcome

    monkeypatch.setattr(writes, "write", then_another_writer)
    try:
        r = client.put("/api/v1/products/VN/p1", json=product(id="p1"), headers=headers)
        assert r.status_code == 201 and r.get_json()["version"] == 1
        monkeypatch.undo()
        history = client.get("/api/v1/products/VN/p1/versions", headers=headers).get_json()
        assert [v["version"] for v in history] == [1, 2]
        assert r.headers["ETag"] == f'"{history[0]["content_hash"]}"'
        stale = client.put(
            "/api/v1/products/VN/p1",
            json=product(id="p1", package="mine"),
            headers={**headers, "If-Match": r.headers["ETag"]},
        )
        assert stale.status_code == 412
    finally:  # the app's own pool: left open, its connections warn when collected later
        hub_of(app).engine.dispose()
