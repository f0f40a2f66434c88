"""Ingest benchmark: validation alone vs the write path, fresh and unchanged.

    .venv/bin/python bench/ingest.py [--records 50000] [--batch 500] [--json FILE]

Runs on a temporary SQLite database (WAL, synchronous=FULL) with the VN member on the
`auto` review policy, so the fresh run also publishes to the change feed.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemas  # noqa: E402
from bench.generate import arguments, products, report  # noqa: E402
from hub import config  # noqa: E402
from hub.actors import Actor  # noqa: E402
from hub.db import transaction  # noqa: E402
from hub.members import set_policy  # noqa: E402
from hub.services import Hub  # noqa: E402


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


def write_path(records: list[dict], batch: int) -> dict[str, float]:
    """records/s through the write path on a fresh SQLite database: fresh, then unchanged."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(config.load({"database_url": f"sqlite:///{tmp}/bench.sqlite3",
                               "secret_key": "bench", "instance_path": tmp}))
        hub.init()
        with transaction(hub.sessions) as s:
            set_policy(s, "bench", "VN", "auto")
        actor = Actor("bench", "VN")
        for label, expected in (("write_path_fresh", "created"), ("write_path_unchanged", "unchanged")):
            start = time.perf_counter()
            for i in range(0, len(records), batch):
                out = hub.writes.write(actor, "products", records[i:i + batch], source="bench")
                assert all(r.status == expected for r in out.results), out.summary
            figures[label] = rate(len(records), time.perf_counter() - start)
        hub.engine.dispose()
    return figures


def main() -> int:
    args = arguments(__doc__)
    records = list(products(args.records))

    start = time.perf_counter()
    for rec in records:
        assert schemas.validate("products", rec).ok
    validation = rate(len(records), time.perf_counter() - start)

    figures = {"records": len(records), "batch": args.batch, "validation_only": validation,
               **write_path(records, args.batch)}

    figures["fresh_vs_validation"] = round(figures["write_path_fresh"] / validation, 2)
    figures["unchanged_vs_validation"] = round(figures["write_path_unchanged"] / validation, 2)
    figures["targets_met"] = figures["fresh_vs_validation"] >= 0.5 and figures["unchanged_vs_validation"] >= 2
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
