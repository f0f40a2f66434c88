"""Load benchmark: partners write while others read and follow the feed (issue 18).

    .venv/bin/python bench/load.py [--engine sqlite|postgresql] [--writers 8] [--readers 4]
        [--followers 4] [--duration 150] [--batch 200] [--seed 20000] [--no-admission]
        [--threads N] [--pg-url URL] [--json FILE]

`hub serve` with its defaults (or `--no-admission`, the baseline) on a fresh database
seeded with ``--seed`` products. Writers post batches of ``--batch`` products (70% new,
20% updates, 10% re-deliveries) with an Idempotency-Key each, honour ``Retry-After``
when refused for load (reconnecting after a 503, so that the retry may reach another
worker), and replay every 25th batch to check the stored answer. Readers
list, search and read single records with ETags; followers follow the change feed.
Writers, readers and followers run in three processes, so one client's interpreter
does not slow another's timings.

Prints throughput, latency p50/p95/p99 per endpoint, follower lag when writes stop,
and the integrity checks: every acknowledged record present with its latest content,
feed gapless, idempotent replays identical, no 5xx, ``hub audit verify`` passes. A
PostgreSQL database is dropped and recreated: its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import HUB, free_port  # noqa: E402
from bench.generate import products  # noqa: E402
from bench.scale import drop_database, fresh_database, load  # noqa: E402

PG_URL = "postgresql+psycopg://hub@127.0.0.1:54329/hub_bench_load"
SEARCHES = ["mac ca", "nuoc mam", "che", "gao thom", "mat ong", "phu quoc", "bao loc", "ha giang"]
REPLAY_EVERY = 25
TARGETS = {"get_p99_ms": 250, "list_p99_ms": 400, "search_p99_ms": 400, "lag_s": 10}


# -- the server ----------------------------------------------------------------------------------


def prepare(url: str, tmp: str, args: argparse.Namespace) -> dict[str, str]:
    """A fresh, seeded database, members on auto review, partner clients; the server's env."""
    fresh_database(url)
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_INSTANCE_PATH": tmp,
        "HUB_SECRET_KEY": "bench",
        "HUB_RATE_LIMIT": "1000000/minute",
    }
    run = lambda *a: subprocess.run([*HUB, *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731
    run("init")
    run("members", "policy", "VN", "auto")
    seed = Path(tmp) / "seed.ndjson"
    with seed.open("wb") as f:
        for doc in products(args.seed, seed=11):
            f.write(orjson.dumps({**doc, "id": f"seed-{doc['id']}"}) + b"\n")
    if args.seed:
        run("import", "products", str(seed), "--country", "VN")
    creds = []
    for k in range(args.writers + args.readers + args.followers):
        creds.append(
            json.loads(
                run(
                    "clients",
                    "create",
                    "--country",
                    "VN",
                    "--name",
                    f"load-{k}",
                    "--scopes",
                    "exchange:read exchange:write",
                    "--json",
                ).stdout
            )
        )
    env["LOAD_CREDS"] = json.dumps(creds)
    return env


def start_server(env: dict[str, str], admission: bool, threads: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [*HUB, "serve", "--host", "127.0.0.1", "--port", str(port)] + ([] if admission else ["--no-admission"])
    cmd += ["--threads", str(threads)] if threads else []
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(Path(env["HUB_INSTANCE_PATH"]) / "serve.log", "wb")
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            requests.get(base + "/healthz", timeout=10)
            return proc, base
        except requests.RequestException:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def token(base: str, cred: dict[str, str]) -> dict[str, str]:
    r = requests.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cred["client_id"], cred["client_secret"]),
        timeout=30,
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# -- clients (each group in its own process) -------------------------------------------------------


class Tally:
    """Latencies per endpoint and answers by status, for one process's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, int] = defaultdict(int)

    def add(self, endpoint: str, seconds: float, status: int) -> None:
        with self.lock:
            self.ms[endpoint].append(seconds * 1000)
            self.status[f"{endpoint} {status}"] += 1


def writers(base: str, creds: list[dict[str, str]], batch: int, deadline: float, out: Any) -> None:
    tally, acked, replays = Tally(), {}, {"checked": 0, "mismatched": 0}
    counts = {"records": 0, "batches": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    template = list(products(500, seed=3))

    def one(k: int, cred: dict[str, str]) -> None:
        rnd, http, headers = random.Random(k), requests.Session(), token(base, cred)
        mine: dict[str, int] = {}  # id -> revision acknowledged
        known: list[str] = []  # the same ids, for random choice
        n = 0
        while time.time() < deadline:
            docs, ids = [], set()
            for _ in range(batch):
                roll = rnd.random()
                if roll < 0.7 or len(mine) < batch:
                    doc_id, rev = f"w{k}-{n}", 0
                    n += 1
                else:
                    doc_id = rnd.choice(known)
                    rev = mine[doc_id] + 1 if roll < 0.9 else mine[doc_id]
                if doc_id in ids:
                    continue
                ids.add(doc_id)
                base_doc = template[hash(doc_id) % len(template)]
                docs.append({**base_doc, "id": doc_id, "name": {**base_doc["name"], "en": f"{doc_id} rev {rev}"}})
            body = orjson.dumps({"records": docs})
            hdrs = {**headers, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
            first = time.perf_counter()
            while True:
                t = time.perf_counter()
                try:
                    r = http.post(f"{base}/api/v1/products/batch", data=body, headers=hdrs, timeout=300)
                except requests.RequestException:
                    with lock:
                        counts["errors"] += 1
                    time.sleep(1)
                    continue
                tally.add("batch", time.perf_counter() - t, r.status_code)
                if r.status_code in (429, 503) and "Retry-After" in r.headers:
                    with lock:
                        counts["refused"] += 1
                    if r.status_code == 503:  # this server process is busy: a new connection
                        http.close()  # may reach another (docs/api.md, "Reads beside writes")
                    time.sleep(float(r.headers["Retry-After"]))
                    continue
                break
            tally.add("batch acked (incl. retries)", time.perf_counter() - first, r.status_code)
            if r.status_code not in (200, 207):
                with lock:
                    counts["errors"] += 1
                continue
            results = r.json()["results"]
            with lock:
                counts["batches"] += 1
                for doc, res in zip(docs, results):
                    if res["status"] in ("created", "updated", "unchanged"):
                        rev = int(doc["name"]["en"].rsplit(" ", 1)[1])
                        if doc["id"] not in mine:
                            known.append(doc["id"])
                        mine[doc["id"]] = rev
                        acked[f"VN/products/{doc['id']}"] = rev
                        counts["records"] += 1
            if counts["batches"] % REPLAY_EVERY == 0:
                again = http.post(f"{base}/api/v1/products/batch", data=body, headers=hdrs, timeout=300)
                with lock:
                    replays["checked"] += 1
                    # the same answer (compared parsed: PostgreSQL's JSONB keeps no key order)
                    if again.json() != r.json() or again.headers.get("Idempotent-Replayed") != "true":
                        replays["mismatched"] += 1

    threads = [threading.Thread(target=one, args=(k, c)) for k, c in enumerate(creds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(max(0.0, deadline - time.time()))  # --writers 0: the readers' run still lasts
    out.put(
        (
            "writers",
            {
                "ms": dict(tally.ms),
                "status": dict(tally.status),
                "counts": counts,
                "acked": acked,
                "replays": replays,
                "ended": time.time(),
                "cpu_s": own_cpu(),
            },
        )
    )


def readers(base: str, creds: list[dict[str, str]], deadline: float, out: Any, rate: float = 0) -> None:
    """Each reader asks again the moment it is answered (closed loop), or, with ``rate``,
    starts a request every ``1 / rate`` seconds (open loop, as a partner system polling on
    a schedule reads; a late answer delays the next start, it does not pile requests up)."""
    tally = Tally()

    def one(k: int, cred: dict[str, str]) -> None:
        rnd, http, headers = random.Random(100 + k), requests.Session(), token(base, cred)
        uids: list[str] = []
        etags: dict[str, str] = {}
        cursor = None
        due = time.time()
        while time.time() < deadline:
            if rate:
                due += 1 / rate
                time.sleep(max(0.0, due - time.time()))
                due = max(due, time.time() - 1 / rate)  # behind schedule: no burst to catch up
            roll = rnd.random()
            if roll < 0.4 and uids:
                uid = rnd.choice(uids)
                hdrs = {**headers, **({"If-None-Match": etags[uid]} if uid in etags else {})}
                t = time.perf_counter()
                country, _, local_id = uid.split("/", 2)
                r = http.get(f"{base}/api/v1/products/{country}/{local_id}", headers=hdrs, timeout=60)
                tally.add("get", time.perf_counter() - t, r.status_code)
                if r.status_code == 200 and "ETag" in r.headers:
                    etags[uid] = r.headers["ETag"]
            elif roll < 0.7 or not uids:
                params = {"limit": 50, **({"cursor": cursor} if cursor and rnd.random() < 0.8 else {})}
                t = time.perf_counter()
                r = http.get(f"{base}/api/v1/products", params=params, headers=headers, timeout=60)
                tally.add("list", time.perf_counter() - t, r.status_code)
                if r.status_code == 200:
                    page = r.json()
                    cursor = page["next_cursor"]
                    uids = (uids + [i["uid"] for i in page["items"]])[-2000:]
            else:
                t = time.perf_counter()
                r = http.get(
                    f"{base}/api/v1/products",
                    params={"q": rnd.choice(SEARCHES), "limit": 50},
                    headers=headers,
                    timeout=60,
                )
                tally.add("search", time.perf_counter() - t, r.status_code)

    threads = [threading.Thread(target=one, args=(k, c)) for k, c in enumerate(creds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(("readers", {"ms": dict(tally.ms), "status": dict(tally.status), "cpu_s": own_cpu()}))


def followers(base: str, creds: list[dict[str, str]], deadline: float, final_head: Any, out: Any) -> None:
    tally, lock = Tally(), threading.Lock()
    report: list[dict[str, Any]] = []
    cpu_at_end: list[float] = []

    def one(cred: dict[str, str]) -> None:
        http, headers = requests.Session(), token(base, cred)
        cursor, last, gaps, seen, at_end, caught_up = None, 0, 0, 0, None, None
        give_up = deadline + 600
        while time.time() < give_up:
            if at_end is None and time.time() >= deadline:
                at_end = last
                with lock:
                    cpu_at_end.append(own_cpu())
            if final_head.value and last >= final_head.value:
                caught_up = time.time() - deadline
                break
            t = time.perf_counter()
            r = http.get(
                f"{base}/api/v1/changes",
                params={"limit": 1000, **({"after": cursor} if cursor else {})},
                headers=headers,
                timeout=60,
            )
            tally.add("feed", time.perf_counter() - t, r.status_code)
            if r.status_code != 200:
                time.sleep(0.5)
                continue
            page = orjson.loads(r.content)
            for change in page["changes"]:
                gaps += change["seq"] != last + 1
                last = change["seq"]
                seen += 1
            cursor = page["next_cursor"]
            if not page["has_more"]:
                time.sleep(0.2)
        with lock:
            report.append({"at_writes_end": at_end, "last": last, "gaps": gaps, "seen": seen, "caught_up_s": caught_up})

    threads = [threading.Thread(target=one, args=(c,)) for c in creds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(
        (
            "followers",
            {
                "ms": dict(tally.ms),
                "status": dict(tally.status),
                "followers": report,
                "cpu_s": min(cpu_at_end, default=own_cpu()),
            },
        )
    )


# -- checks and figures ---------------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> tuple[float, float]:
    """CPU seconds (user + system) of a process and its living descendants, from /proc:
    the server's share of the machine, beside the clients' (which report their own); and
    of the workers' children alone (the writer processes, hub/api/writers.py)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    workers = {pid for pid, (ppid, _) in stats.items() if ppid == root}
    tree, below = {root} | workers, set()
    for _ in range(3):  # workers -> writers (-> their children)
        below |= {pid for pid, (ppid, _) in stats.items() if ppid in workers | below}
    total = sum(stats.get(pid, (0, 0.0))[1] for pid in tree | below)
    return total, sum(stats[pid][1] for pid in below)


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / TICK, sum(ticks) / TICK


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 1)


def feed_head(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT change_seq FROM write_head WHERE id = 1").scalar() or 0)


def lost_or_stale(url: str, acked: dict[str, int]) -> dict[str, int]:
    """Acknowledged records missing, or published with an older revision than acknowledged."""
    import sqlalchemy as sa

    from hub.store.models import Record

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    found: dict[str, int] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Record.uid, Record.document)
            .where(Record.kind == "products", Record.uid.like("VN/products/w%"))
            .execution_options(yield_per=5000)
        )
        for uid, doc in rows:
            if isinstance(doc, str):
                doc = orjson.loads(doc)
            found[uid] = int((doc or {}).get("name", {}).get("en", "x rev -1").rsplit(" ", 1)[1])
    lost = sum(uid not in found for uid in acked)
    stale = sum(uid in found and found[uid] < rev for uid, rev in acked.items())
    return {"acknowledged": len(acked), "lost": lost, "stale": stale}


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument(
        "--read-rate", type=float, default=0, help="requests a second per reader (open loop); 0: closed loop"
    )
    ap.add_argument("--followers", type=int, default=4)
    ap.add_argument("--duration", type=float, default=150)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20_000, help="products in the database before the load")
    ap.add_argument("--no-admission", action="store_true", help="hub serve --no-admission (the baseline)")
    ap.add_argument(
        "--threads",
        type=int,
        help="hub serve --threads (default: hub serve's own); "
        "--no-admission --threads 1 is the hub before admission control",
    )
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    figures: dict[str, Any] = {
        "engine": args.engine,
        "admission": not args.no_admission,
        "threads": args.threads or "default",
        **{k: getattr(args, k) for k in ("writers", "readers", "read_rate", "followers", "duration", "batch", "seed")},
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg_url if args.engine == "postgresql" else f"sqlite:///{tmp}/load.sqlite3"
        env = prepare(url, tmp, args)
        creds = json.loads(env["LOAD_CREDS"])
        head_start = feed_head(url)
        proc, base = start_server(env, not args.no_admission, args.threads)
        figures["load_before"] = load()
        try:
            ctx = mp.get_context("fork")
            out, final_head = ctx.Queue(), ctx.Value("q", 0)
            start = time.time() + 2  # clients get their tokens first
            deadline = start + args.duration
            w, r = args.writers, args.readers
            procs = [
                ctx.Process(target=writers, args=(base, creds[:w], args.batch, deadline, out)),
                ctx.Process(target=readers, args=(base, creds[w : w + r], deadline, out, args.read_rate)),
                ctx.Process(target=followers, args=(base, creds[w + r :], deadline, final_head, out)),
            ]
            for p in procs:
                p.start()
            time.sleep(max(0.0, start - time.time()))
            cpu_start, busy_start = cpu_seconds(proc.pid), machine_busy()
            results: dict[str, Any] = {}
            while "writers" not in results:
                name, value = out.get()
                results[name] = value
            cpu_end, busy_end = cpu_seconds(proc.pid), machine_busy()
            head = feed_head(url)
            final_head.value = head
            while len(results) < 3:
                name, value = out.get()
                results[name] = value
            for p in procs:
                p.join()
            figures["load_after"] = load()
        finally:
            proc.terminate()
            proc.wait(30)
        wr, fo = results["writers"], results["followers"]
        elapsed = wr["ended"] - start
        figures["write_records_per_s"] = round(wr["counts"]["records"] / elapsed, 1)
        figures["writes"] = {**wr["counts"], "seconds": round(elapsed, 1)}
        changes_per_s = (head - head_start) / elapsed
        # CPU seconds while the writers ran: the hub's, each client process's, the machine's
        figures["cpu_s"] = {
            "server": round(cpu_end[0] - cpu_start[0], 1),
            "server_writer_processes": round(cpu_end[1] - cpu_start[1], 1),
            **{name: results[name]["cpu_s"] for name in ("writers", "readers", "followers")},
            "machine_busy": round(busy_end[0] - busy_start[0], 1),
            "machine_total": round(busy_end[1] - busy_start[1], 1),
        }
        figures["server_cpu_ms_per_record"] = (
            round(1000 * figures["cpu_s"]["server"] / wr["counts"]["records"], 3) if wr["counts"]["records"] else None
        )
        figures["latency_ms"] = {}
        for part in (wr, results["readers"], fo):
            for endpoint, values in part["ms"].items():
                figures["latency_ms"][endpoint] = {
                    "n": len(values),
                    "p50": pct(values, 50),
                    "p95": pct(values, 95),
                    "p99": pct(values, 99),
                }
        statuses = {**wr["status"], **results["readers"]["status"], **fo["status"]}
        figures["answers"] = statuses
        server_errors = sum(
            n
            for key, n in statuses.items()
            if int(key.rsplit(" ", 1)[1]) >= 500
            and not key.startswith("batch 503")
            and not key.startswith("batch acked")
        )
        lags = [head - f["at_writes_end"] if f["at_writes_end"] is not None else head for f in fo["followers"]]
        figures["followers"] = {
            "feed_head_at_writes_end": head,
            "lag_changes_max": max(lags, default=0),  # no followers (--followers 0): no lag
            "lag_s_of_writes_max": round(max(lags, default=0) / changes_per_s, 1) if changes_per_s else None,
            "caught_up_s_max": max(((f["caught_up_s"] or -1) for f in fo["followers"]), default=-1),
            "gaps": sum(f["gaps"] for f in fo["followers"]),
            "complete": all(f["last"] == head and f["seen"] == head for f in fo["followers"]),
        }
        integrity = lost_or_stale(url, wr["acked"])
        verify = subprocess.run([*HUB, "audit", "verify"], env=env, capture_output=True, text=True)
        integrity.update(
            {
                "server_errors_5xx": server_errors,
                "replays": wr["replays"],
                "audit_verify": (verify.stdout or verify.stderr).strip().splitlines()[-1:],
            }
        )
        integrity["audit_ok"] = verify.returncode == 0
        figures["integrity"] = integrity
        lat = figures["latency_ms"]
        figures["targets"] = {
            "no_5xx": server_errors == 0,
            "nothing_lost_or_stale": integrity["lost"] == 0 and integrity["stale"] == 0,
            "feed_gapless": figures["followers"]["gaps"] == 0 and figures["followers"]["complete"],
            "replays_match": wr["replays"]["mismatched"] == 0,
            "audit_verify": integrity["audit_ok"],
            "get_p99": lat.get("get", {}).get("p99", 0) < TARGETS["get_p99_ms"],
            "list_search_p99": max(lat.get("list", {}).get("p99", 0), lat.get("search", {}).get("p99", 0))
            < TARGETS["list_p99_ms"],
            "follower_lag": (figures["followers"]["lag_s_of_writes_max"] or 0) < TARGETS["lag_s"],
        }
        drop_database(url)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0 if all(figures["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
