"""``python -m schemas validate KIND FILE``: check a file offline before sending it."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from . import KINDS, STANDARD_VERSION, validate
from .io import read_records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas", description=f"Validate records against the OVOP exchange standard {STANDARD_VERSION}."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate", help="validate a JSON or NDJSON file")
    check.add_argument("kind", choices=KINDS)
    check.add_argument("file")
    check.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    try:
        for line in read_records(args.file):
            if line.error:
                counts["invalid"] += 1
                print(f"line {line.number}: $: json: {line.error}")
                continue
            result = validate(args.kind, line.record)
            counts["valid" if result.ok else "invalid"] += 1
            rid = line.record.get("id") if isinstance(line.record, dict) else None
            for kind_of, findings in (("error", result.errors), ("warning", result.warnings)):
                for f in findings if not args.quiet else ():
                    print(f"line {line.number} ({rid}): {kind_of} {f.path}: {f.code}: {f.message}")
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"{counts['valid']} valid, {counts['invalid']} invalid (standard {STANDARD_VERSION})")
    return 1 if counts["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main())
