"""HTTP benchmark against `hub serve` (gunicorn, 2 workers) on 127.0.0.1.

    .venv/bin/python bench/api.py [--records 50000] [--batch 500] [--json FILE]

Measures, in one run: batch ingest over HTTP (fresh, then unchanged re-delivery), the
write path alone on the same records (bench/ingest.py's figure), reading the whole
change feed, and reading list pages. Two client threads post concurrently so both
workers are used.
"""
from __future__ import annotations

import gc
import json
import re
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import orjson
import requests
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import arguments, products, report  # noqa: E402
from bench.ingest import write_path  # noqa: E402

HUB = [sys.executable, "-c", "from hub.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{tmp}/api.sqlite3", "HUB_INSTANCE_PATH": tmp,
           "HUB_RATE_LIMIT": "1000000/minute"}
    run = lambda *a: subprocess.run([*HUB, *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731
    run("init")
    run("members", "policy", "VN", "auto")
    cred = json.loads(run("clients", "create", "--country", "VN", "--name", "bench",
                          "--scopes", "exchange:read exchange:write", "--json").stdout)
    port = free_port()
    proc = subprocess.Popen([*HUB, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/", timeout=1)
            break
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to start on a busy machine
            time.sleep(0.05)
    return proc, base, cred


def ingest(base: str, headers: dict[str, str], records: list[dict], batch: int, expected: str) -> float:
    chunks = [records[i:i + batch] for i in range(0, len(records), batch)]

    def post(chunk: list[dict]) -> None:
        r = requests.post(f"{base}/api/v1/products/batch", json={"records": chunk}, headers=headers, timeout=300)
        assert r.status_code == 200 and r.json()["summary"][expected] == len(chunk), r.text[:300]

    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(post, chunks))
    return round(len(records) / (time.perf_counter() - start), 1)


HEAD = re.compile(rb'^\{"next_cursor":"([^"]*)","has_more":(true|false)')


def _count(body: bytes) -> int:
    return len(orjson.loads(body)["changes"])


def read_feed(base: str, headers: dict[str, str], total: int) -> float:
    """Follow the feed from the start. The next request leaves as soon as the cursor
    (first in the body) is known; pages are parsed in a second process, so the figure
    is the hub's serving rate rather than one Python thread's JSON parsing."""
    http = urllib3.PoolManager()
    cursor, seen, pending = None, 0, []
    with ProcessPoolExecutor(1) as parser:
        parser.submit(_count, b'{"changes":[]}').result()  # start the process before timing
        start = time.perf_counter()
        while True:
            query = "limit=1000" + (f"&after={cursor}" if cursor else "")
            body = http.request("GET", f"{base}/api/v1/changes?{query}", headers=headers, timeout=60).data
            head = HEAD.match(body)
            assert head, body[:200]
            pending.append(parser.submit(_count, body))
            cursor = head.group(1).decode()
            if head.group(2) == b"false":
                break
        seen = sum(f.result() for f in pending)
        elapsed = time.perf_counter() - start
    assert seen == total, (seen, total)
    return round(seen / elapsed, 1)


def read_lists(base: str, headers: dict[str, str]) -> dict[str, float]:
    timings = []
    with requests.Session() as http:
        cursor = None
        for _ in range(50):
            params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            t = time.perf_counter()
            page = http.get(f"{base}/api/v1/products", params=params, headers=headers, timeout=60).json()
            timings.append(time.perf_counter() - t)
            cursor = page["next_cursor"]
        filtered = []
        for q in ("mac ca", "nuoc mam", "tra"):
            t = time.perf_counter()
            http.get(f"{base}/api/v1/products", params={"q": q, "rating_min": 4, "limit": 100},
                     headers=headers, timeout=60).raise_for_status()
            filtered.append(time.perf_counter() - t)
    return {"list_page_100_p50_ms": round(statistics.median(timings) * 1000, 1),
            "list_page_100_max_ms": round(max(timings) * 1000, 1),
            "list_filtered_q_max_ms": round(max(filtered) * 1000, 1)}


def main() -> int:
    args = arguments(__doc__)
    records = list(products(args.records))
    gc.freeze()  # the generated records live to the end: keep the collector off them
    figures: dict[str, object] = {"records": len(records), "batch": args.batch}
    figures.update(write_path(records, args.batch))
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, cred = start_server(tmp)
        try:
            token = requests.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(cred["client_id"], cred["client_secret"]), timeout=10).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            figures["http_fresh"] = ingest(base, headers, records, args.batch, "created")
            figures["http_unchanged"] = ingest(base, headers, records, args.batch, "unchanged")
            figures["feed_read"] = read_feed(base, headers, len(records))
            figures.update(read_lists(base, headers))
        finally:
            proc.terminate()
            proc.wait(10)
    figures["http_fresh_vs_write_path"] = round(figures["http_fresh"] / figures["write_path_fresh"], 2)
    figures["http_unchanged_vs_http_fresh"] = round(figures["http_unchanged"] / figures["http_fresh"], 2)
    figures["targets_met"] = (figures["http_fresh_vs_write_path"] >= 0.7
                              and figures["http_unchanged_vs_http_fresh"] >= 3
                              and figures["feed_read"] >= 50_000)
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
