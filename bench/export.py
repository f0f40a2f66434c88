"""Export benchmark: `GET /api/v1/products/export` against `hub serve`, time per 100,000 rows.

    .venv/bin/python bench/export.py [--records 200000] [--engine sqlite|postgresql]
        [--pg-url URL] [--step 100000] [--json FILE]

Loads ``--records`` products through the write path (bench/scale.py's ingest), serves
them with `hub serve` (its defaults), then streams the NDJSON export, timing each
``--step`` rows and checking the trailer (count, complete), times one export batch at
the start, middle and end of the table (``batch_ms_at``), and reads the same products
through the paged list (1,000 a page) for comparison. The export's time per step must
stay flat (last step within 1.5x the first) and its rate at least half the list's. A
PostgreSQL database is dropped and recreated: its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import HUB, free_port  # noqa: E402
from bench.scale import drop_database, fresh_database, ingest, load, open_hub  # noqa: E402

PG_URL = "postgresql+psycopg://hub@127.0.0.1:54329/hub_bench_export"
FLAT_MAX = 1.5


def serve(url: str, tmp: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_INSTANCE_PATH": tmp,
        "HUB_SECRET_KEY": "bench",
        "HUB_RATE_LIMIT": "1000000/minute",
    }
    import os

    env = {**os.environ, **env}
    cred = json.loads(
        subprocess.run(
            [*HUB, "clients", "create", "--country", "VN", "--name", "export", "--scopes", "exchange:read", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    port = free_port()
    proc = subprocess.Popen(
        [*HUB, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(tmp) / "serve.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            requests.get(base + "/healthz", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.05)
    r = requests.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cred["client_id"], cred["client_secret"]),
        timeout=30,
    )
    r.raise_for_status()
    return proc, base, {"Authorization": f"Bearer {r.json()['access_token']}"}


def batch_times(hub: Any, n: int) -> dict[str, float]:
    """Milliseconds to read one export batch (1,000 records) at the start, the middle and
    the end of the table (median of 5): flat when the time per row does not grow."""
    import statistics

    import sqlalchemy as sa

    from hub.records import exports
    from hub.store.models import Record

    out = {}
    with hub.sessions() as s:
        uids = list(
            s.scalars(sa.select(Record.uid).where(Record.kind == "products").order_by(Record.country, Record.uid))
        )
        for label, at in (("start", None), ("middle", uids[n // 2]), ("end", uids[max(0, n - exports.BATCH - 1)])):
            times = []
            for _ in range(5):
                t = time.perf_counter()
                s.scalars(exports.batch_query("products", at)).all()
                times.append((time.perf_counter() - t) * 1000)
                s.expunge_all()
            out[label] = round(statistics.median(times), 1)
    return out


def export(base: str, headers: dict[str, str], n: int, step: int) -> dict[str, Any]:
    steps, rows, trailer = [], 0, None
    start = last = time.perf_counter()
    with requests.get(f"{base}/api/v1/products/export", headers=headers, stream=True, timeout=600) as r:
        r.raise_for_status()
        for line in r.iter_lines(chunk_size=1 << 16):
            if line.startswith(b'{"export"'):
                trailer = orjson.loads(line)["export"]
                continue
            rows += 1
            if rows % step == 0:
                now = time.perf_counter()
                steps.append(round(now - last, 2))
                print(
                    f"  export {rows:,}: {now - last:.1f} s for the last {step:,} ({load()})",
                    file=sys.stderr,
                    flush=True,
                )
                last = now
    seconds = time.perf_counter() - start
    return {
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "seconds_per_step": steps,
        "last_vs_first_step": round(steps[-1] / steps[0], 2) if steps else None,
        "trailer": trailer,
        "trailer_ok": bool(trailer and trailer["complete"] and trailer["count"] == rows == n),
    }


def paged_list(base: str, headers: dict[str, str]) -> dict[str, Any]:
    rows, cursor = 0, None
    start = time.perf_counter()
    with requests.Session() as http:
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = orjson.loads(
                http.get(f"{base}/api/v1/products", params=params, headers=headers, timeout=120).content
            )
            rows += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--step", type=int, default=100_000)
    ap.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--json")
    args = ap.parse_args()
    figures: dict[str, Any] = {"engine": args.engine, "records": args.records, "load_before": load()}
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg_url if args.engine == "postgresql" else f"sqlite:///{tmp}/export.sqlite3"
        fresh_database(url)
        hub = open_hub(url, tmp)
        figures["ingest_records_per_s"] = ingest(hub, args.records)["records_per_s"]
        figures["batch_ms_at"] = batch_times(hub, args.records)
        hub.engine.dispose()
        proc, base, headers = serve(url, tmp)
        try:
            figures["export"] = export(base, headers, args.records, args.step)
            figures["list"] = paged_list(base, headers)
        finally:
            proc.terminate()
            proc.wait(30)
        drop_database(url)
    figures["export_vs_list"] = round(figures["export"]["rows_per_s"] / figures["list"]["rows_per_s"], 2)
    figures["load_after"] = load()
    flat = figures["export"]["last_vs_first_step"]
    figures["targets_met"] = (
        figures["export"]["trailer_ok"] and figures["export_vs_list"] >= 0.5 and (flat is None or flat <= FLAT_MAX)
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0 if figures["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
