"""Metrics under real gunicorn with two workers: every scrape shows the sum of both
workers' counts (prometheus_client multiprocess mode, set up by ``hub serve``)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_feed_concurrency import HUB, free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_LOG_FORMAT": "json",
    }
    env.pop("HUB_CONFIG", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([*HUB, "init"], env=env, check=True, capture_output=True)
    stale = tmp_path / "metrics"
    stale.mkdir()
    (stale / "counter_999999.db").write_bytes(b"left by a process that is gone")
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [*HUB, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # workers boot slowly on a busy machine
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base, tmp_path
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def healthz_count(text: str) -> float:
    return sum(
        s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name == "hub_http_request_duration_seconds_count" and s.labels["route"] == "/healthz"
    )


def test_a_scrape_sums_every_worker(server) -> None:  # type: ignore[no-untyped-def]
    base, root = server

    def worker_pids() -> set[str]:
        return {f.name.rsplit("_", 1)[1] for f in (root / "metrics").glob("*.db")}

    before = healthz_count(requests.get(base + "/metrics", timeout=10).text)

    def probe(_: int) -> int:
        return requests.get(base + "/healthz", headers={"Connection": "close"}, timeout=10).status_code

    sent = 0
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:  # bursts of concurrent connections until both workers answered
        while sent == 0 or (len(worker_pids()) < 2 and time.monotonic() < deadline):
            assert set(pool.map(probe, range(40))) == {200}
            sent += 40
    pids = worker_pids()
    assert "999999.db" not in pids, "files of dead processes are removed at start"
    assert requests.get(base + "/", headers={"X-Request-Id": "landing-1"}, timeout=10).status_code == 200
    scrapes = [
        healthz_count(requests.get(base + "/metrics", headers={"Connection": "close"}, timeout=10).text)
        for _ in range(4)
    ]
    assert all(n - before == sent for n in scrapes), (before, sent, scrapes)
    assert len(pids) == 2, f"expected the files of both workers: {sorted(pids)}"
    lines = [json.loads(ln) for ln in (root / "server.log").read_text().splitlines() if ln.startswith("{")]
    assert any(ln.get("logger") == "hub.request" and ln.get("request_id") == "landing-1" for ln in lines)
    assert any(ln.get("logger", "").startswith("gunicorn") for ln in lines)
    assert not any(ln.get("logger") == "gunicorn.access" for ln in lines)  # the hub's request line replaces it
