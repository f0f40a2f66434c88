"""``python -m schemas validate KIND FILE`` checks a file offline before sending it;
``python -m schemas jsonschema [KIND]`` prints the standard as JSON Schema 2020-12."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from . import KINDS, validate
from .io import read_records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas", description="Validate records against the OVOP exchange standard v1."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate", help="validate a JSON or NDJSON file")
    check.add_argument("kind", choices=KINDS)
    check.add_argument("file")
    check.add_argument("--quiet", action="store_true", help="print only the summary")
    publish = sub.add_parser("jsonschema", help="print the standard as JSON Schema 2020-12")
    publish.add_argument(
        "kind", nargs="?", choices=KINDS, help="one kind's record; without it, every kind in one document"
    )
    publish.add_argument("--batch", action="store_true", help='the batch body {"records": [...]} instead')
    args = parser.parse_args(argv)
    if args.command == "jsonschema":
        return _jsonschema(args.kind, args.batch)
    return _validate(args.kind, args.file, args.quiet)


def _jsonschema(kind: str | None, batch: bool) -> int:
    from . import jsonschema  # apispec is needed for this command only

    if kind is None:
        doc = jsonschema.bundle()
    else:
        doc = jsonschema.batch_document(kind) if batch else jsonschema.document(kind)
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _validate(kind: str, path: str, quiet: bool) -> int:
    counts: Counter[str] = Counter()
    try:
        for line in read_records(path):
            if line.error:
                counts["invalid"] += 1
                print(f"{line.where}: $: json: {line.error}")
                continue
            result = validate(kind, line.record)
            counts["valid" if result.ok else "invalid"] += 1
            rid = line.record.get("id") if isinstance(line.record, dict) else None
            for kind_of, findings in (("error", result.errors), ("warning", result.warnings)):
                for f in findings if not quiet else ():
                    print(f"{line.where} ({rid}): {kind_of} {f.path}: {f.code}: {f.message}")
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"{counts['valid']} valid, {counts['invalid']} invalid")
    return 1 if counts["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main())
