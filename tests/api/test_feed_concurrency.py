"""The change feed under concurrent writers: a real server, two gunicorn workers.

Writers of two countries post batches through several connections while a reader
follows the feed from cursor to cursor. Afterwards the reader must have seen every
published change exactly once, in order, with no gap.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from tests import databases
from tests.conftest import product

HUB = [sys.executable, "-c", "from hub.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": databases.database_url(tmp_path),
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_RATE_LIMIT": "100000/minute",
    }
    env.pop("HUB_CONFIG", None)
    run = lambda *a: subprocess.run([*HUB, *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731
    run("init")
    for cc in ("VN", "TH"):
        run("members", "policy", cc, "auto")
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [*HUB, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded CI machine starts gunicorn slowly
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).ok:
                break
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start: " + (tmp_path / "server.log").read_text()) from None
            time.sleep(0.1)
    creds = {}
    for cc in ("VN", "TH"):
        out = json.loads(
            run(
                "clients",
                "create",
                "--country",
                cc,
                "--name",
                f"writer {cc}",
                "--scopes",
                "exchange:read exchange:write",
                "--json",
            ).stdout
        )
        creds[cc] = out
    try:
        yield base, creds
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def token(base: str, cred: dict[str, Any]) -> str:
    r = requests.post(
        base + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cred["client_id"], cred["client_secret"]),
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["access_token"]


def test_feed_has_every_change_once_in_order_while_writers_run(server) -> None:  # type: ignore[no-untyped-def]
    base, creds = server
    written: list[tuple[str, int]] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(cc: str, worker: int) -> None:
        auth = {"Authorization": f"Bearer {token(base, creds[cc])}"}
        with requests.Session() as http:
            for batch in range(8):
                recs = [
                    product(
                        f"w{worker}-{batch}-{i}",
                        country=cc,
                        category={"scheme": "VN-OCOP-2023", "code": "1.1"}
                        if cc == "VN"
                        else {"scheme": "TH-OTOP", "code": "food"},
                        certifications=[],
                        origin={"area": "VN-GSO:01" if cc == "VN" else "TH-90"},
                    )
                    for i in range(25)
                ]
                if batch % 3 == 2:  # some updates of records written earlier
                    recs[:5] = [dict(r, id=f"w{worker}-0-{j}", package=f"{batch} kg") for j, r in enumerate(recs[:5])]
                r = http.post(f"{base}/api/v1/products/batch", json={"records": recs}, headers=auth, timeout=60)
                assert r.status_code == 200, r.text
                with lock:
                    written.extend(
                        (x["uid"], x["version"]) for x in r.json()["results"] if x["status"] in ("created", "updated")
                    )

    seen: list[dict[str, Any]] = []

    def reader() -> None:
        auth = {"Authorization": f"Bearer {token(base, creds['VN'])}"}
        cursor = None
        with requests.Session() as http:
            while True:
                finished = done.is_set()
                params = {"limit": 37} | ({"after": cursor} if cursor else {})
                page = http.get(f"{base}/api/v1/changes", params=params, headers=auth, timeout=30).json()
                seen.extend(page["changes"])
                cursor = page["next_cursor"]
                if finished and not page["has_more"]:
                    return
                if not page["has_more"]:
                    time.sleep(0.01)

    threads = [threading.Thread(target=writer, args=(cc, n)) for n, cc in enumerate(["VN", "TH", "VN", "TH"])]
    follower = threading.Thread(target=reader)
    follower.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    follower.join(60)

    seqs = [c["seq"] for c in seen]
    assert seqs == list(range(1, len(seqs) + 1)), "gap, duplicate or disorder in the feed"
    assert sorted((c["uid"], c["version"]) for c in seen) == sorted(written)
    assert len(written) == 4 * 8 * 25
