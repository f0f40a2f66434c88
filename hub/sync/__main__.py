"""Check a source without a database: ``python -m hub.sync SOURCES_DIR/X.toml --show 3``.

Every source type (files in any format, downloads, JSON APIs) is fetched by its own
fetcher and goes through the same steps as a real run's dry run (:mod:`.dryrun`): the
mapping, the screen, and the write path's ``preview()`` on a scratch hub (an empty
database with the configured members, deleted afterwards): the same validation and member
and actor checks a real run's writes go through, so the counts are those a first real run
would report. Prints N mapped records, the counts, the warnings and the first problems,
each with where it is (line, sheet row and column, JSON path). Exit code 0 when every item
maps and validates, 1 otherwise, 2 when the source file or its data cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .. import config
from ..services import Hub
from .base import FetchContext, SourceConfigError
from .dryrun import dry_run
from .http import FetchError, RetryPolicy
from .mapping import ROW_IDS
from .pages import Page
from .readers import SourceError
from .sources import load, open_fetcher

#: references name records the scratch hub cannot hold: not a finding of the mapping
UNCHECKED = ("reference_unknown",)
ORDER = ("created", "updated", "unchanged", "invalid", "skipped", "stale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.sync", description=__doc__.splitlines()[0])
    parser.add_argument("mapping", help="a source file, e.g. config/sources/vn-buudien-ocop-products.toml")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder of source files with a relative path (default: the data_dir setting, $HUB_DATA_DIR; "
        "unset: 'data' in the hub's home, docs/operations.md)",
    )
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N records as JSON")
    parser.add_argument("--problems", type=int, default=20, metavar="N", help="print at most N problems (default 20)")
    args = parser.parse_args(argv)
    shown: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    report: dict[str, Any] = {}

    def keep(page: Page) -> None:
        for item in page.items:
            if len(shown) < args.show and item.record is not None and not item.errors:
                shown.append(item.record)

    try:
        source = load(args.mapping)
        with tempfile.TemporaryDirectory(prefix="hub-dry-run-") as scratch:
            settings = config.load(
                {
                    "database_url": f"sqlite:///{Path(scratch) / 'hub.sqlite3'}",
                    "instance_path": scratch,
                    "secret_key": "scratch",
                }
            )
            data_dir = args.data_dir or settings.data_dir
            hub = Hub(settings)
            fetcher = open_fetcher(
                source, FetchContext(data_dir, RetryPolicy.from_settings(settings), 500, None, time.sleep)
            )
            try:
                hub.init()
                fetcher.begin({}, 0, True)
                dry_run(hub, source, fetcher, counts, warnings, report, keep)
            finally:
                fetcher.close()
                hub.engine.dispose()
    except (SourceConfigError, SourceError, FetchError, config.ConfigError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    for record in shown:
        print(json.dumps(record, ensure_ascii=False))
    summary = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts[k])
    print(f"{source.name}: {counts['fetched']} items -> {summary or 'nothing'}")
    mapping = getattr(source.keys, "mapping", None)
    if mapping is not None and mapping.row_ids:
        print(f"  note: {ROW_IDS}")
    for text, n in warnings.most_common():
        if not text.endswith(UNCHECKED):
            print(f"  warning {text}: {n}")
    problems: list[str] = report.get("problems", [])
    for text in problems[: args.problems]:
        print(f"  {text}")
    if counts["invalid"] > min(len(problems), args.problems):
        print(f"  ... and {counts['invalid'] - min(len(problems), args.problems)} more")
    return 1 if counts["invalid"] else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
