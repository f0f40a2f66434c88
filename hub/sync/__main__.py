"""Dry run of a mapping, without a database: ``python -m hub.sync config/sources/X.toml``.

Reads the source file, maps every row, and hands the records to the write path's
``preview()`` on a scratch hub (an empty database with the configured members, deleted
afterwards): the same validation and member checks a real run's writes go through.
Prints a summary with the first problems, each with its line and column. Exit code 0
when every row maps and validates, 1 otherwise, 2 when the mapping file or the source
file cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from .. import config
from ..services import Hub
from .base import SourceConfigError
from .files import CsvKeys
from .readers import SourceError
from .sources import load

#: references name records the scratch hub cannot hold: not a finding of the mapping
UNCHECKED = {"reference_unknown"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.sync", description=__doc__.splitlines()[0])
    parser.add_argument("mapping", help="a mapping file, e.g. config/sources/vn-buudien-ocop-products.toml")
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"folder of source files with a relative path (default: $HUB_DATA_DIR or {config.DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N records as JSON")
    parser.add_argument("--problems", type=int, default=20, metavar="N", help="print at most N problems (default 20)")
    args = parser.parse_args(argv)
    try:
        source = load(args.mapping)
        keys = source.keys
        if not isinstance(keys, CsvKeys) or keys.url:
            print(
                f"error: {source.name} reads {source.where('.')}: check it with 'hub sync run {source.name} --dry-run'",
                file=sys.stderr,
            )
            return 2
        with tempfile.TemporaryDirectory(prefix="hub-dry-run-") as scratch:
            settings = config.load(
                {
                    "database_url": f"sqlite:///{Path(scratch) / 'hub.sqlite3'}",
                    "instance_path": scratch,
                    "secret_key": "scratch",
                }
            )
            data_dir = args.data_dir or settings.data_dir
            rows = list(keys.mapping.read(data_dir))
            hub = Hub(settings)
            try:
                hub.init()
                records = [row.record for row in rows if row.record is not None]
                outcome = hub.writes.preview(source.actor, keys.kind, records)
            finally:
                hub.engine.dispose()
    except (SourceConfigError, SourceError, config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    problems: list[str] = []
    shown = 0
    results = iter(outcome.results)
    for row in rows:
        if row.skipped:
            counts["skipped"] += 1
            continue
        if row.error:
            counts["mapping error"] += 1
            problems.append(f"mapping: {row.error}")
            continue
        assert row.record is not None
        result = next(results)
        ok = result.status not in ("invalid", "forbidden")
        counts["valid" if ok else "invalid"] += 1
        for f in result.errors:
            problems.append(
                f"line {row.line} ({row.record.get('id')}): {result.status} {f['path']}: {f['code']}: {f['message']}"
            )
        warnings.update(f"{w['path']} {w['code']}" for w in result.warnings if w["code"] not in UNCHECKED)
        if shown < args.show:
            print(json.dumps(row.record, ensure_ascii=False))
            shown += 1
    print(f"{source.name}: {len(rows)} rows -> " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for text, n in warnings.most_common():
        print(f"  warning {text}: {n}")
    for text in problems[: args.problems]:
        print(f"  {text}")
    if len(problems) > args.problems:
        print(f"  ... and {len(problems) - args.problems} more")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
