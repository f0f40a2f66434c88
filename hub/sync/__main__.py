"""Dry run of a mapping, without a database: ``python -m hub.sync config/sources/X.toml``.

Reads the source file, maps every row, validates every record against the standard
(as the hub would on write) and prints a summary with the first problems, each with its
line and column. Exit code 0 when every row maps and validates, 1 otherwise, 2 when the
mapping file or the source file cannot be used at all.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

import schemas

from .mapping import MappingConfigError, load
from .readers import SourceError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.sync", description=__doc__.splitlines()[0])
    parser.add_argument("mapping", help="a mapping file, e.g. config/sources/vn-buudien-ocop-products.toml")
    parser.add_argument("--data-dir", default=os.environ.get("HUB_DATA_DIR") or str(Path("..") / "shared" / "data"),
                        help="folder of source files with a relative path (default: $HUB_DATA_DIR or ../shared/data)")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N records as JSON")
    parser.add_argument("--problems", type=int, default=20, metavar="N", help="print at most N problems (default 20)")
    args = parser.parse_args(argv)
    try:
        mapping = load(args.mapping)
        if mapping.path.startswith(("http://", "https://")):
            print(f"error: {mapping.name} reads {mapping.path}: check it with "
                  f"'hub sync run {mapping.name} --dry-run'", file=sys.stderr)
            return 2
        rows = list(mapping.read(args.data_dir))
    except (MappingConfigError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    problems: list[str] = []
    shown = 0
    for row in rows:
        if row.skipped:
            counts["skipped"] += 1
            continue
        if row.error:
            counts["mapping error"] += 1
            problems.append(f"mapping: {row.error}")
            continue
        assert row.record is not None
        result = schemas.validate(mapping.kind, row.record)
        counts["valid" if result.ok else "invalid"] += 1
        for f in result.errors:
            problems.append(f"line {row.line} ({row.record.get('id')}): invalid {f.path}: {f.code}: {f.message}")
        warnings.update(f"{f.path} {f.code}" for f in result.warnings)
        if shown < args.show:
            print(json.dumps(row.record, ensure_ascii=False))
            shown += 1
    print(f"{mapping.name}: {len(rows)} rows -> " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for text, n in warnings.most_common():
        print(f"  warning {text}: {n}")
    for text in problems[: args.problems]:
        print(f"  {text}")
    if len(problems) > args.problems:
        print(f"  ... and {len(problems) - args.problems} more")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
