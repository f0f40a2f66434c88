"""Scale benchmark: a million products through the hub, on SQLite or PostgreSQL.

    .venv/bin/python bench/scale.py [--records 1000000] [--database-url URL] [--skip-sync] ...

Phases, each printed as it ends (``== phase: PASS|FAIL``) and summed up as JSON at the end:

- ``ingest``: N generated products through the one write path (``hub.writes.write``, as
  ``bench/ingest.py``), batches of 1,000, the member on ``auto`` so every record is also
  published to the change feed. Records/s overall and in the first and last tenth: the
  last tenth must keep at least half the first's rate (no collapse as tables grow).
  Then the counts and a gapless feed (seq 1..N, the write head at N) are asserted.
- ``feed``: a page of 1,000 changes through ``hub.records.reads.changes`` and ``FeedPage.json``
  (what ``GET /api/v1/changes`` runs) at the start, middle and end of the feed; the end
  page must take at most 1.5 x the start page. The whole feed is also walked once and
  checked to be gapless.
- ``lists``: the list filters of SPEC section 4 (``hub.records.reads.list_records``, what
  ``GET /api/v1/{kind}`` runs), 100 per page, first page and a deep page (keyset cursor at
  90 % of the uid order): p50/p95, and the plan (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL
  ``EXPLAIN``). A plan that scans ``records`` or ``revisions`` fails.
- ``sync``: a generated CSV of N rows through the real sync engine (``hub.sync.runner``,
  the mapping of ``bench/sync.py``) into a fresh database, in a child process: rows/s and
  the child's peak RSS (``ru_maxrss``), which must stay under 300 MB.

``--database-url`` defaults to a new SQLite file in a temporary directory. Given a
PostgreSQL URL (``postgresql+psycopg://hub@127.0.0.1:54330/bench``) the script drops and
creates that database (and ``<name>_sync`` for the sync phase) through the server's
``postgres`` database, and drops them at the end unless ``--keep``. A SQLite URL must
name a file that does not exist yet. ``--skip-ingest`` reuses a database a previous
``--keep`` run filled (to iterate on the read phases).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.expression import ClauseElement, Executable  # noqa: E402

from bench.generate import products  # noqa: E402
from bench.sync import MAPPING, write_csv  # noqa: E402
from hub import config  # noqa: E402
from hub.actors import Actor  # noqa: E402
from hub.curation.members import set_policy  # noqa: E402
from hub.records import cursors, reads  # noqa: E402
from hub.services import Hub  # noqa: E402
from hub.store.db import transaction  # noqa: E402
from hub.store.models import Change, Record, Revision, WriteHead  # noqa: E402

BATCH = 1000
FEED_PAGE = 1000
LIST_PAGE = 100
FEED_RATIO_MAX = 1.5
INGEST_TAIL_MIN = 0.5  # last tenth's rate / first tenth's
RSS_MAX_MB = 300.0
SCAN_JUDGED = 100_000


# -- databases ------------------------------------------------------------------------------


def server(url: str) -> bool:
    return make_url(url).get_backend_name() != "sqlite"


def fresh_database(url: str) -> None:
    """Drop and create the database a server URL names; a SQLite file must not exist yet."""
    parsed = make_url(url)
    if not server(url):
        if parsed.database and Path(parsed.database).exists():
            raise SystemExit(f"{parsed.database} exists: give a new file (or --skip-ingest to reuse it)")
        return
    if "bench" not in (parsed.database or ""):  # it is dropped: never a hub's own database
        raise SystemExit(
            f"refusing to drop and recreate database '{parsed.database}': "
            "name a throwaway database with 'bench' in its name"
        )
    with _admin(url) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')


def drop_database(url: str) -> None:
    if server(url):
        with _admin(url) as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _admin(url: str) -> sa.Connection:
    admin = make_url(url).set(database="postgres")
    return sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool).connect()


def sibling(url: str, suffix: str, tmp: str) -> str:
    """Another database next to ``url``: ``<name>_<suffix>`` on the server, or a file in ``tmp``."""
    if server(url):
        parsed = make_url(url)
        return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)
    return f"sqlite:///{tmp}/{suffix}.sqlite3"


def open_hub(url: str, tmp: str, **extra: Any) -> Hub:
    hub = Hub(config.load({"database_url": url, "secret_key": "bench", "instance_path": tmp, **extra}))
    hub.init()
    return hub


def settings_of(hub: Hub) -> dict[str, str]:
    """The engine settings that decide durability and speed (recorded with the figures)."""
    with hub.engine.connect() as conn:
        if hub.settings.sqlite:
            import sqlite3

            pragmas = {
                p: str(conn.exec_driver_sql(f"PRAGMA {p}").scalar())
                for p in ("journal_mode", "synchronous", "cache_size", "page_size")
            }
            return {"engine": f"SQLite {sqlite3.sqlite_version}", **pragmas}
        names = (
            "server_version",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "wal_level",
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "checkpoint_timeout",
            "random_page_cost",
        )
        return {"engine": "PostgreSQL", **{n: str(conn.exec_driver_sql(f"SHOW {n}").scalar()) for n in names}}


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


# -- ingest ----------------------------------------------------------------------------------


def ingest(hub: Hub, n: int) -> dict[str, Any]:
    """N products in batches of 1,000 through the write path; only the writes are timed."""
    with transaction(hub.sessions) as s:
        set_policy(s, "bench", "VN", "auto")
    actor = Actor("bench", "VN")
    tenth = max(1, n // 10)
    spent: list[tuple[int, float]] = []  # (records done, write seconds so far)
    total, done, wall = 0.0, 0, time.perf_counter()
    generated = products(n)
    while batch := list(itertools.islice(generated, BATCH)):
        started = time.perf_counter()
        out = hub.writes.write(actor, "products", batch, source="bench")
        total += time.perf_counter() - started
        if out.summary["created"] != len(batch):
            raise AssertionError(f"batch at {done}: {out.summary}")
        done += len(batch)
        spent.append((done, total))
        if done % (tenth or 1) < BATCH:
            print(f"  ingest {done:,}: {done / total:,.0f} records/s ({load()})", file=sys.stderr, flush=True)
    first = next(t for d, t in spent if d >= tenth)
    before_last = max((t for d, t in spent if d <= n - tenth), default=0.0)
    last_n = n - max((d for d, _ in spent if d <= n - tenth), default=0)
    figures = {
        "records": n,
        "batch": BATCH,
        "write_seconds": round(total, 1),
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "records_per_s": round(n / total),
        "first_tenth_per_s": round(spent_rate(spent, tenth, first)),
        "last_tenth_per_s": round(last_n / (total - before_last)),
    }
    figures["last_vs_first"] = round(figures["last_tenth_per_s"] / figures["first_tenth_per_s"], 2)
    figures["checks"] = check_counts(hub, n)
    # A tenth smaller than ten batches is a batch or two: too few to judge a trend on.
    figures["pass"] = figures["last_vs_first"] >= INGEST_TAIL_MIN or n < 10 * BATCH
    return figures


def spent_rate(spent: list[tuple[int, float]], tenth: int, seconds: float) -> float:
    done = next(d for d, _ in spent if d >= tenth)
    return done / seconds


def check_counts(hub: Hub, n: int) -> str:
    """Every record stored once, one revision each, one change each, seq 1..n without gaps."""
    with hub.sessions() as s:

        def count(model: Any) -> int:
            return s.scalar(sa.select(sa.func.count()).select_from(model)) or 0

        records, revisions = count(Record), count(Revision)
        changes, low, high = s.execute(
            sa.select(sa.func.count(), sa.func.min(Change.seq), sa.func.max(Change.seq))
        ).one()
        head = s.get(WriteHead, 1)
    assert records == n and revisions == n, f"{records} records, {revisions} revisions for {n}"
    assert (changes, low, high) == (n, 1, n), f"feed: {changes} changes, seq {low}..{high} for {n}"
    assert head is not None and head.change_seq == n, f"write head at {head and head.change_seq}"
    return f"{n} records, {n} revisions, {n} changes with seq 1..{n}, write head at {n}"


# -- the change feed ---------------------------------------------------------------------------


def feed(hub: Hub, n: int, repeats: int) -> dict[str, Any]:
    """Page time at the start, middle and end of the feed (median of interleaved repeats)."""
    walked = walk_feed(hub, n)
    points = {"start": 0, "middle": n // 2, "end": max(0, n - FEED_PAGE)}
    figures: dict[str, Any] = {"page": FEED_PAGE, "repeats": repeats, **walked}
    for kind in (None, "products"):
        times: dict[str, list[float]] = {k: [] for k in points}
        for _ in range(repeats):
            for label, after in points.items():
                times[label].append(feed_page(hub, after, kind))
        label = "feed" if kind is None else f"feed_kind_{kind}"
        figures[label] = {f"{k}_ms": round(statistics.median(v) * 1000, 2) for k, v in times.items()}
        figures[label] |= {f"{k}_min_ms": round(min(v) * 1000, 2) for k, v in times.items()}
        # Judged on the fastest of the repeats: other processes on the machine only add time.
        figures[label]["end_vs_start"] = round(min(times["end"]) / min(times["start"]), 2)
    figures["pass"] = all(figures[k]["end_vs_start"] <= FEED_RATIO_MAX for k in ("feed", "feed_kind_products"))
    return figures


def feed_page(hub: Hub, after: int, kind: str | None) -> float:
    """Seconds for one page as the API's view makes it: a session, the query, the body."""
    started = time.perf_counter()
    with hub.sessions() as session:
        page = reads.changes(session, after, FEED_PAGE, kind)
    body = page.json(cursors.encode(page.last))
    elapsed = time.perf_counter() - started
    assert len(page.rows) == min(FEED_PAGE, max(0, _feed_total - after)) and body
    return elapsed


_feed_total = 0


def walk_feed(hub: Hub, n: int) -> dict[str, Any]:
    """Read the whole feed page by page: every seq once, in order, none missing."""
    global _feed_total
    _feed_total = n
    after, expected, started = 0, 1, time.perf_counter()
    while True:
        with hub.sessions() as session:
            page = reads.changes(session, after, FEED_PAGE)
        for row in page.rows:
            assert row[0] == expected, f"feed gap: seq {row[0]} after {expected - 1}"
            expected += 1
        after = page.last
        if not page.has_more:
            break
    assert expected - 1 == n, f"feed ends at {expected - 1}, not {n}"
    seconds = time.perf_counter() - started
    return {"walk_changes_per_s": round(n / seconds), "walk": f"seq 1..{n}, gapless"}


# -- filtered lists ----------------------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """``EXPLAIN <select>`` compiled by the dialect's own compiler (binds as usual)."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any], prefix: str) -> None:
        self.statement, self.prefix = statement, prefix


@compiles(Explain)
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


def plan(hub: Hub, query: sa.Select[Any]) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN" if hub.settings.sqlite else "EXPLAIN"
    with hub.engine.connect() as conn:
        rows = conn.execute(Explain(query, prefix)).all()
    return [str(r[-1]) for r in rows]


def scans(lines: list[str], sqlite: bool) -> list[str]:
    """Plan lines that read a whole table of records or revisions."""
    bad = []
    for line in lines:
        text = line.strip().lstrip("->").strip()
        if sqlite and (
            text.startswith("SCAN records")
            or text.startswith("SCAN revisions")
            or text.startswith("SCAN TABLE records")
            or text.startswith("SCAN TABLE revisions")
        ):
            bad.append(text)
        if not sqlite and ("Seq Scan on records" in text or "Seq Scan on revisions" in text):
            bad.append(text)
    return bad


def indexes(lines: list[str]) -> list[str]:
    import re

    found = re.findall(
        r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan(?: Backward)? using|"
        r"Bitmap Index Scan on) (\w+)",
        "\n".join(lines),
    )
    return sorted(set(found))


def probes(hub: Hub, n: int) -> dict[str, reads.Filters]:
    """The filters to time, with values taken from the data (common and rare ones)."""
    with hub.sessions() as s:

        def ranked(col: Any) -> list[Any]:
            return [
                v
                for v, _ in s.execute(
                    sa.select(col, sa.func.count())
                    .where(col.is_not(None))
                    .group_by(col)
                    .order_by(sa.func.count().desc(), col)
                )
            ]

        cats, areas, natives = ranked(Record.common_category), ranked(Record.area), ranked(Record.native_category)
        # A batch's records share one instant: after the instant of seq k, the batches after k's.
        marks = [max(1, int(n * 0.5)), max(1, int(n * 0.9)), max(1, n - BATCH)]
        stamps = list(s.scalars(sa.select(Change.created_at).where(Change.seq.in_(marks)).order_by(Change.seq)))
    native_parent = natives[0].rsplit(".", 1)[0] if "." in natives[0].split(":", 1)[1] else natives[0]
    out = {
        "none": reads.Filters(),
        "country": reads.Filters(country="VN"),
        "category_common": reads.Filters(category=cats[0]),
        "category_common_rare": reads.Filters(category=cats[-1]),
        "category_native": reads.Filters(category=native_parent),
        "rating_min_4": reads.Filters(rating_min=4),
        "rating_min_5": reads.Filters(rating_min=5),
        "area": reads.Filters(area=areas[0]),
        "area_rare": reads.Filters(area=areas[-1]),
        "updated_after_half": reads.Filters(updated_after=_aware(stamps[0])),
        "updated_after_tenth": reads.Filters(updated_after=_aware(stamps[1])),
        "updated_after_last_batch": reads.Filters(updated_after=_aware(stamps[-1])),
        "q_common": reads.Filters(q="mac ca"),
        "country_category_area": reads.Filters(country="VN", category=cats[0], area=areas[0]),
    }
    return out


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def lists(hub: Hub, n: int, repeats: int) -> dict[str, Any]:
    """p50/p95 of first and deep pages per filter, with the plan of each."""
    with hub.sessions() as s:
        deep_uid = s.scalar(sa.select(Record.uid).order_by(Record.country, Record.uid).offset(int(n * 0.9)).limit(1))
    deep = cursors.encode(deep_uid)
    figures: dict[str, Any] = {"page": LIST_PAGE, "repeats": repeats, "deep_cursor_at": deep_uid}
    failed = []
    for name, f in probes(hub, n).items():
        entry: dict[str, Any] = {"filters": {k: str(v) for k, v in vars(f).items() if v is not None}}
        for depth, cursor in (("first", None), ("deep", deep)):
            times, count = [], 0
            for _ in range(repeats):
                started = time.perf_counter()
                with hub.sessions() as session:
                    items, _nxt = reads.list_records(session, "products", f, LIST_PAGE, cursor)
                times.append(time.perf_counter() - started)
                count = len(items)
            lines = plan(hub, reads.list_query("products", f, LIST_PAGE, cursor))
            bad = scans(lines, hub.settings.sqlite)
            entry[depth] = {
                "p50_ms": round(_pct(times, 50) * 1000, 2),
                "p95_ms": round(_pct(times, 95) * 1000, 2),
                "items": count,
                "indexes": indexes(lines),
                "sort": _sorts(lines),
                "scan": bad or None,
            }
            entry[depth]["plan"] = lines
            if bad:
                failed.append(f"{name}/{depth}")
        figures[name] = entry
        print(
            f"  {name}: first p50 {entry['first']['p50_ms']} ms, deep p50 {entry['deep']['p50_ms']} ms, "
            f"indexes {entry['first']['indexes']}{' SCAN' if failed and failed[-1].startswith(name) else ''}",
            file=sys.stderr,
            flush=True,
        )
    figures["scans"] = failed
    # On a small table a sequential scan is PostgreSQL's right choice: scans are judged
    # from SCAN_JUDGED records on (and reported below that).
    figures["pass"] = not failed or n < SCAN_JUDGED
    return figures


def _sorts(lines: list[str]) -> bool:
    return any("TEMP B-TREE FOR ORDER BY" in ln or ln.strip().lstrip("->").strip().startswith("Sort") for ln in lines)


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# -- sync ------------------------------------------------------------------------------------------


def sync(url: str, n: int, tmp: str) -> dict[str, Any]:
    """Sync a CSV of n rows in a child process; its peak RSS from the parent's rusage."""
    csv_dir = Path(tmp) / "sync"
    csv_dir.mkdir(exist_ok=True)
    write_csv(csv_dir / "gen.csv", n)
    (csv_dir / "gen.toml").write_text(
        MAPPING.format(name="gen", type="csv", where='path = "gen.csv"', extra=""), encoding="utf-8"
    )
    target = sibling(url, "sync", tmp)
    fresh_database(target)
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = subprocess.run(
            [sys.executable, __file__, "--sync-child", str(csv_dir), "--database-url", target],
            capture_output=True,
            text=True,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if out.returncode != 0:
            raise RuntimeError(f"sync child failed:\n{out.stderr[-3000:]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        drop_database(target)
    assert peak > before, "the sync child's rusage is not the largest child's (run it first)"
    figures["peak_rss_mb"] = round(peak / 1024, 1)
    figures["pass"] = figures["peak_rss_mb"] < RSS_MAX_MB and figures["counts"]["created"] == n
    return figures


def sync_child(csv_dir: str, url: str) -> None:
    """The child: one run of the generated source; prints rows/s and RSS over time."""
    from hub.sync import sources
    from hub.sync.runner import Runner

    hub = open_hub(url, csv_dir, data_dir=csv_dir, sources_dir=csv_dir)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append(_rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    result = Runner(hub, sources.load(Path(csv_dir) / "gen.toml")).run()
    seconds = time.perf_counter() - started
    stop.set()
    thread.join()
    assert result is not None and result.ok, result and result.error
    quarters = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.25, 0.5, 0.75)] if samples else []
    print(
        json.dumps(
            {
                "rows": result.counts["fetched"],
                "seconds": round(seconds, 1),
                "rows_per_s": round(result.counts["fetched"] / seconds),
                "counts": result.counts,
                "rss_mb_at_quarters": [round(q, 1) for q in quarters] + [round(_rss_mb(), 1)],
            }
        )
    )
    hub.engine.dispose()


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- main ---------------------------------------------------------------------------------------------


def phase(name: str, run: Callable[[], dict[str, Any]], out: dict[str, Any]) -> None:
    print(f"== {name} ({load()})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    load_before = load()
    figures = run()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    figures["machine"] = f"{load_before}; after: {load()}"
    out[name] = figures
    print(f"== {name}: {'PASS' if figures['pass'] else 'FAIL'}", flush=True)
    print(json.dumps({k: v for k, v in figures.items() if k != "plans"}, default=str), flush=True)


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    ap.add_argument("--repeats", type=int, default=20, help="timings per list query and feed page")
    for name in ("ingest", "feed", "lists", "sync"):
        ap.add_argument(f"--skip-{name}", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the server database (to rerun with --skip-ingest)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--sync-child", help=argparse.SUPPRESS)
    return ap.parse_args()


def main() -> int:
    args = arguments()
    if args.sync_child:
        sync_child(args.sync_child, args.database_url)
        return 0
    out: dict[str, Any] = {
        "records": args.records,
        "started": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores; {load()}",
    }
    with tempfile.TemporaryDirectory(prefix="hub-scale-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/scale.sqlite3"
        if not args.skip_ingest:
            fresh_database(url)
        hub = open_hub(url, tmp)
        out["settings"] = settings_of(hub)
        print(json.dumps({"settings": out["settings"], "machine": out["machine"]}), flush=True)
        try:
            n = args.records
            if args.skip_ingest:
                with hub.sessions() as s:
                    n = s.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
                out["records"] = n
            else:
                phase("ingest", lambda: ingest(hub, n), out)
            if not hub.settings.sqlite:
                with hub.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")  # what autovacuum does after a bulk load
            if not args.skip_feed:
                phase("feed", lambda: feed(hub, n, max(5, args.repeats // 2)), out)
            if not args.skip_lists:
                phase("lists", lambda: lists(hub, n, args.repeats), out)
        finally:
            hub.engine.dispose()
            if not args.keep and not args.skip_ingest:
                drop_database(url)
        if not args.skip_sync:
            phase("sync", lambda: sync(url, args.records, tmp), out)
    verdicts = {k: v["pass"] for k, v in out.items() if isinstance(v, dict) and "pass" in v}
    out["pass"] = all(verdicts.values())
    text = json.dumps(out, indent=2, default=str)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(
        "== result: "
        + ("PASS" if out["pass"] else "FAIL")
        + " "
        + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in verdicts.items()),
        flush=True,
    )
    return 0 if out["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
