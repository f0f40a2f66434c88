"""Review benchmark: approving a filtered set of a submission, and the queue's first page.

    .venv/bin/python bench/review.py [--records 10000] [--queue 100000] [--batch 1000] [--json FILE]

Targets (issue 15):

- approving a filtered set of ``--records`` pending products (one submission, filtered
  on kind and new records, which all of them are) publishes them at no
  less than half the rate of the fresh write path (``bench/ingest.py``'s
  ``write_path_fresh``, measured in the same run on the same records);
- the review queue's first page (``GET /console/reviews``, submissions first) with
  ``--queue`` pending records renders in under 300 ms server time (best of five
  requests through the app, wall clock).

Temporary SQLite databases (WAL). Rates are records per CPU second of this process
(SQLite runs in it), as in ``bench/ingest.py``, so the ratio holds on a shared machine;
the wall-clock rates are printed beside them.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import products, report  # noqa: E402
from bench.ingest import rate, write_path  # noqa: E402
from hub import config, create_app  # noqa: E402
from hub.actors import Actor  # noqa: E402
from hub.auth import users  # noqa: E402
from hub.curation import submissions  # noqa: E402
from hub.curation.members import set_policy  # noqa: E402
from hub.services import Hub  # noqa: E402
from hub.store.db import transaction  # noqa: E402

QUEUE_TARGET_MS = 300
WRITER = Actor("bench", "VN")
REVIEWER = Actor("user:reviewer@vn.example", "VN", frozenset({"exchange:read", "exchange:write", "review"}), "reviewer")
PASSWORD = "bench password 1"


def _hub(tmp: str) -> Hub:
    hub = Hub(
        config.load({"database_url": f"sqlite:///{tmp}/bench.sqlite3", "secret_key": "bench", "instance_path": tmp})
    )
    hub.init()
    with transaction(hub.sessions) as s:
        set_policy(s, "bench", "VN", "required")
    return hub


def _submit(hub: Hub, records: list[dict[str, Any]], batch: int, key: str) -> None:
    for i in range(0, len(records), batch):
        hub.writes.write(WRITER, "products", records[i : i + batch], source="bench", submission=key)


def approve_set(records: list[dict[str, Any]], batch: int) -> dict[str, float]:
    """Select a submission's filtered set and approve it, as the console does."""
    with tempfile.TemporaryDirectory() as tmp:
        hub = _hub(tmp)
        _submit(hub, records, batch, "bench:approve")
        wall, cpu = time.perf_counter(), time.process_time()
        with hub.sessions() as s:
            (summary,) = submissions.queue(s, REVIEWER)
            items = submissions.select(  # as the console's decision does: only the keys are needed
                s,
                REVIEWER,
                submissions.Selection(summary.submission.id, kind="products", change="new"),
                documents=False,
            )
            keys = submissions.plan(items)
        job_id = submissions.start(hub.sessions, REVIEWER, summary.submission.id, keys, "approve", background=False)
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
        with hub.sessions() as s:
            job = submissions.job(s, REVIEWER, job_id)
            assert job is not None and job.state == "done" and job.done == len(records) == len(keys), (
                job.state,
                job.done,
                len(keys),
                job.message,
            )
        hub.engine.dispose()
    return {"approve_set": rate(len(records), cpu_s), "approve_set_wall": rate(len(records), wall_s)}


def queue_page(records: list[dict[str, Any]], batch: int) -> dict[str, float]:
    """Server time of the queue's first page with ``len(records)`` pending revisions."""
    with tempfile.TemporaryDirectory() as tmp:
        hub = _hub(tmp)
        for n, start in enumerate(range(0, len(records), 10_000)):  # ten submissions
            _submit(hub, records[start : start + 10_000], batch, f"bench:queue:{n}")
        with transaction(hub.sessions) as s:
            users.create(s, "bench", email="reviewer@vn.example", role="reviewer", country="VN", password=PASSWORD)
        app = create_app({"database_url": hub.settings.database_url, "secret_key": "bench", "instance_path": tmp})
        client = app.test_client()
        page = client.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert (
            client.post(
                "/console/login", data={"email": "reviewer@vn.example", "password": PASSWORD, "csrf_token": token}
            ).status_code
            == 302
        )
        best = float("inf")
        for _ in range(5):
            wall = time.perf_counter()
            r = client.get("/console/reviews")
            best = min(best, time.perf_counter() - wall)
            assert r.status_code == 200 and "Submissions waiting" in r.get_data(as_text=True)
        hub.engine.dispose()
    return {"queue_first_page_ms": round(best * 1000, 1)}


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--queue", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    records = list(products(args.records))
    figures: dict[str, Any] = {"records": args.records, "queue": args.queue}
    figures["write_path_fresh"] = write_path(records, args.batch)["write_path_fresh"]
    figures.update(approve_set(records, args.batch))
    figures.update(queue_page(list(products(args.queue, seed=11)), args.batch))
    figures["approve_to_write_ratio"] = round(figures["approve_set"] / figures["write_path_fresh"], 2)
    figures["targets"] = {
        "approve_set >= 0.5 x write_path_fresh": figures["approve_to_write_ratio"] >= 0.5,
        f"queue_first_page_ms < {QUEUE_TARGET_MS}": figures["queue_first_page_ms"] < QUEUE_TARGET_MS,
    }
    figures["targets_met"] = all(figures["targets"].values())
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
