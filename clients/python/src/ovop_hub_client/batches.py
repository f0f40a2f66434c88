"""Send a large NDJSON (or JSON) file as batches under the hub's limits.

The file is streamed line by line and cut into chunks of at most ``max_records``
records and ``max_bytes`` bytes (the hub's defaults: 1,000 and 10 MiB). Each chunk
is one ``POST /api/v1/{kind}/batch`` with an ``Idempotency-Key`` made from its content,
so sending a file again after a crash gets the stored answers of the chunks already
written. Results are reported by line of the file.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .client import HubClient

NDJSON = "application/x-ndjson"
MAX_RECORDS = 1000
MAX_BYTES = 10 * 1024 * 1024 - 64 * 1024  # under the hub's 10 MiB default, with room to spare


@dataclass
class BatchReport:
    """What happened to the file: counts by status, and every result with errors or
    warnings as ``(line, result)``; ``chunks`` requests were sent."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return not (self.counts["invalid"] or self.counts["forbidden"])


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, record as one JSON line) from NDJSON, a JSON array or {"records": [...]}."""
    with path.open("rb") as fh:
        head = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        records = json.loads(path.read_bytes().lstrip(b"\xef\xbb\xbf"))
    elif head.startswith(b"{") and head.lstrip(b"{ \t\r\n").startswith(b'"records"'):
        records = json.loads(path.read_bytes().lstrip(b"\xef\xbb\xbf"))["records"]
    else:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.strip().lstrip(b"\xef\xbb\xbf")
                if line:
                    yield number, line
        return
    for number, record in enumerate(records, start=1):  # a JSON document: "line" is the record's index
        yield number, json.dumps(record, ensure_ascii=False).encode()


def _chunks(lines: Iterator[tuple[int, bytes]], max_records: int, max_bytes: int,
            report: BatchReport) -> Iterator[tuple[list[int], bytes]]:
    numbers: list[int] = []
    parts: list[bytes] = []
    size = 0
    for number, line in lines:
        if len(line) + 1 > max_bytes:
            report.counts["invalid"] += 1
            report.problems.append((number, {"status": "invalid", "errors": [{
                "path": "$", "code": "too_large",
                "message": f"Line {number} has {len(line):,} bytes, more than a batch may carry."}]}))
            continue
        if parts and (len(parts) == max_records or size + len(line) + 1 > max_bytes):
            yield numbers, b"\n".join(parts) + b"\n"
            numbers, parts, size = [], [], 0
        numbers.append(number)
        parts.append(line)
        size += len(line) + 1
    if parts:
        yield numbers, b"\n".join(parts) + b"\n"


def send_file(client: "HubClient", kind: str, path: str | Path, *, max_records: int = MAX_RECORDS,
              max_bytes: int = MAX_BYTES) -> BatchReport:
    """Write every record of ``path`` to the hub; one request per chunk, in order."""
    report = BatchReport()
    for numbers, body in _chunks(_lines(Path(path)), max_records, max_bytes, report):
        key = hashlib.sha256(kind.encode() + b"\0" + body).hexdigest()
        resp = client.post(f"/api/v1/{kind}/batch", data=body,
                           headers={"Content-Type": NDJSON, "Idempotency-Key": key})
        if resp.status_code not in (200, 207):
            resp.raise_for_status()
            raise RuntimeError(f"unexpected answer {resp.status_code} to a batch")
        report.chunks += 1
        for result in resp.json()["results"]:
            number = numbers[result["index"]]
            report.counts[result["status"]] += 1
            if result.get("errors") or result.get("warnings"):
                report.problems.append((number, result))
    report.problems.sort(key=lambda p: p[0])
    return report
