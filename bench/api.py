"""HTTP benchmark against `hub serve` (gunicorn, 2 workers) on 127.0.0.1.

    .venv/bin/python bench/api.py [--records 50000] [--batch 500] [--json FILE]

Measures, in one run: batch ingest over HTTP (fresh, then unchanged re-delivery), the
write path alone on the same records (bench/ingest.py's figure, wall clock), reading the
whole change feed, and reading list pages. Two client threads post concurrently so both
workers are used; the unchanged re-delivery is also timed from one client thread and set
against ``json.loads`` of the same records' JSON (re-delivering a national file must cost
little more than reading it), once with ``requests``' ``json=`` (the client encodes every
record) and once as NDJSON bytes made beforehand (``*_ndjson``: the hub's cost). Last,
one NDJSON batch of nearly 10 MiB is posted and the peak resident memory of the worker
that took it and of its writer process is compared with the body's size (``VmHWM`` of
every worker and writer, reset through ``/proc/PID/clear_refs`` just before): the largest
rise of one process (the target), and a worker's and its writer's rises added up.

``BENCH_SERVE_ARGS`` adds options to `hub serve`, e.g. ``--threads 1 --no-admission``
for the sync workers without admission control (the serving configuration before issue
18) against the defaults.
"""

from __future__ import annotations

import gc
import json
import os
import re
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


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``hub serve``: gunicorn's graceful stop can take longer than 10 s on a busy
    machine, and the figures measured must not be lost to it."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def start_server(tmp: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": f"sqlite:///{tmp}/api.sqlite3",
        "HUB_INSTANCE_PATH": tmp,
        "HUB_RATE_LIMIT": "1000000/minute",
    }
    run = lambda *a: subprocess.run([*HUB, *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731
    run("init")
    run("members", "policy", "VN", "auto")
    cred = json.loads(
        run(
            "clients",
            "create",
            "--country",
            "VN",
            "--name",
            "bench",
            "--scopes",
            "exchange:read exchange:write",
            "--json",
        ).stdout
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            *HUB,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            *os.environ.get("BENCH_SERVE_ARGS", "").split(),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            requests.get(base + "/", timeout=5)
            return proc, base, cred
        except requests.RequestException:  # not listening yet, or slow on a busy machine
            time.sleep(0.1)
    proc.terminate()
    proc.wait(30)
    raise RuntimeError("hub serve did not answer within a minute")


def ingest(base: str, headers: dict[str, str], records: list[dict], batch: int, expected: str) -> float:
    chunks = [records[i : i + batch] for i in range(0, len(records), batch)]

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
            http.get(
                f"{base}/api/v1/products", params={"q": q, "rating_min": 4, "limit": 100}, headers=headers, timeout=60
            ).raise_for_status()
            filtered.append(time.perf_counter() - t)
    return {
        "list_page_100_p50_ms": round(statistics.median(timings) * 1000, 1),
        "list_page_100_max_ms": round(max(timings) * 1000, 1),
        "list_filtered_q_max_ms": round(max(filtered) * 1000, 1),
    }


def json_parse_rate(records: list[dict]) -> float:
    """records/s of ``json.loads`` on the records' JSON text, best of three (wall clock)."""
    texts = [json.dumps(r) for r in records]
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for text in texts:
            json.loads(text)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return round(best, 1)


def ingest_one_thread(base: str, headers: dict[str, str], records: list[dict], batch: int) -> float:
    with requests.Session() as http:
        start = time.perf_counter()
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            r = http.post(f"{base}/api/v1/products/batch", json={"records": chunk}, headers=headers, timeout=300)
            assert r.status_code == 200 and r.json()["summary"]["unchanged"] == len(chunk), r.text[:300]
        return round(len(records) / (time.perf_counter() - start), 1)


def ingest_file_one_thread(base: str, headers: dict[str, str], records: list[dict], batch: int) -> float:
    """The same from one thread, sending NDJSON bytes made before the clock starts (a
    national file as read from disk): the hub's own cost, without the client's JSON
    encoding of every record (``json=`` above encodes them anew for every request)."""
    bodies = [b"\n".join(orjson.dumps(r) for r in records[i : i + batch]) for i in range(0, len(records), batch)]
    ndjson = headers | {"Content-Type": "application/x-ndjson"}
    with requests.Session() as http:
        start = time.perf_counter()
        for body in bodies:
            r = http.post(f"{base}/api/v1/products/batch", data=body, headers=ndjson, timeout=300)
            assert r.status_code == 200 and r.json()["summary"]["unchanged"] == body.count(b"\n") + 1, r.text[:300]
        return round(len(records) / (time.perf_counter() - start), 1)


def _status(pid: int, key: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/PID/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def workers(server: int) -> list[int]:
    """The gunicorn workers: children of the server process."""
    kids = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return [int(k) for k in kids]


def with_writers(worker: int) -> list[int]:
    """A worker and its writer processes (hub/api/writers.py), which take its batches."""
    kids = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
    return [worker, *(int(k) for k in kids)]


def big_batch_memory(base: str, headers: dict[str, str], server: int) -> dict[str, float]:
    """Post one NDJSON batch of nearly 10 MiB; the largest rise of a worker's peak RSS."""
    filler = ("Đặc sản vùng cao, chế biến thủ công. " * 260).strip()  # 9,619 characters (limit 10,000)
    lines = [
        json.dumps(dict(rec, id=f"mem-{i}", description={"vi": filler}), ensure_ascii=False)
        for i, rec in enumerate(products(1000, seed=99))
    ]
    body = ("\n".join(lines) + "\n").encode()
    while len(body) > 10 * 1024 * 1024 - 1024:  # under the 10 MiB limit
        lines.pop()
        body = ("\n".join(lines) + "\n").encode()
    groups = [with_writers(w) for w in workers(server)]
    before = {}
    for pid in (pid for group in groups for pid in group):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak to the current RSS
        before[pid] = _status(pid, "VmHWM")
    r = requests.post(
        f"{base}/api/v1/products/batch",
        data=body,
        timeout=600,
        headers={**headers, "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["summary"]["created"] == len(lines), r.text[:300]
    # the target is per process (the writer parses and validates, the worker reads the body);
    # a worker's and its writer's peaks added up bound what the batch cost the machine
    rises = [[_status(pid, "VmHWM") - before[pid] for pid in group] for group in groups]
    rise, both = max(max(r) for r in rises), max(sum(r) for r in rises)
    return {
        "big_batch_bytes": len(body),
        "big_batch_records": len(lines),
        "big_batch_peak_rss_rise_mb": round(rise / 1e6, 1),
        "big_batch_peak_rss_rise_vs_body": round(rise / len(body), 2),
        "big_batch_worker_and_writer_rise_mb": round(both / 1e6, 1),
        "big_batch_worker_and_writer_rise_vs_body": round(both / len(body), 2),
    }


def main() -> int:
    args = arguments(__doc__)
    records = list(products(args.records))
    gc.freeze()  # the generated records live to the end: keep the collector off them
    figures: dict[str, object] = {"records": len(records), "batch": args.batch}
    figures.update(write_path(records, args.batch))
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, cred = start_server(tmp)
        try:
            token = requests.post(
                f"{base}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(cred["client_id"], cred["client_secret"]),
                timeout=10,
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            figures["http_fresh"] = ingest(base, headers, records, args.batch, "created")
            figures["http_unchanged"] = ingest(base, headers, records, args.batch, "unchanged")
            figures["json_parse"] = json_parse_rate(records)
            figures["http_unchanged_one_thread"] = ingest_one_thread(base, headers, records, args.batch)
            figures["http_unchanged_one_thread_ndjson"] = ingest_file_one_thread(base, headers, records, args.batch)
            figures["feed_read"] = read_feed(base, headers, len(records))
            figures.update(read_lists(base, headers))
            figures.update(big_batch_memory(base, headers, proc.pid))
        finally:
            stop(proc)
    figures["http_fresh_vs_write_path"] = round(figures["http_fresh"] / figures["write_path_fresh_wall"], 2)
    figures["http_unchanged_vs_http_fresh"] = round(figures["http_unchanged"] / figures["http_fresh"], 2)
    figures["http_unchanged_one_thread_vs_json_parse"] = round(
        figures["http_unchanged_one_thread"] / figures["json_parse"], 3
    )
    figures["http_unchanged_one_thread_ndjson_vs_json_parse"] = round(
        figures["http_unchanged_one_thread_ndjson"] / figures["json_parse"], 3
    )
    figures["targets"] = {
        "http_fresh_vs_write_path >= 1.2": figures["http_fresh_vs_write_path"] >= 1.2,
        "http_unchanged_vs_http_fresh >= 3": figures["http_unchanged_vs_http_fresh"] >= 3,
        "feed_read >= 50,000/s": figures["feed_read"] >= 50_000,
        "http_unchanged_one_thread_vs_json_parse >= 0.3": figures["http_unchanged_one_thread_vs_json_parse"] >= 0.3,
        "big_batch_peak_rss_rise_vs_body < 10": figures["big_batch_peak_rss_rise_vs_body"] < 10,
    }
    figures["targets_met"] = all(figures["targets"].values())
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
