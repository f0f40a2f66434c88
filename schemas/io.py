"""Read records from JSON or NDJSON files, keeping line numbers for error reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson


@dataclass(frozen=True, slots=True)
class Line:
    """One input record and where it came from; ``error`` when the line is not JSON.

    ``number`` counts lines of NDJSON and records (from 1) of a JSON document; ``pointer``
    is the record's JSON path in a document (``$.records[3]``), empty for NDJSON.
    """

    number: int
    record: Any = None
    error: str | None = None
    pointer: str = ""

    @property
    def where(self) -> str:
        """``line 4`` in NDJSON, ``record 4 ($.records[3])`` in a JSON document."""
        return f"record {self.number} ({self.pointer})" if self.pointer else f"line {self.number}"


def read_records(path: str | Path) -> Iterator[Line]:
    """Yield records from a JSON array, ``{"records": [...]}``, one object, or NDJSON.

    NDJSON is streamed line by line (bounded memory); a JSON document is loaded whole.
    A malformed NDJSON line yields a Line with ``error`` and reading goes on.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"[") or (head.startswith(b"{") and _is_single_document(path)):
        yield from _from_document(path)
    else:
        yield from _from_ndjson(path)


def _is_single_document(path: Path) -> bool:
    try:
        orjson.loads(path.read_bytes().lstrip(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return False
    return True


def _from_document(path: Path) -> Iterator[Line]:
    text = path.read_bytes().lstrip(b"\xef\xbb\xbf")
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        yield Line(1, error=f"not valid JSON: {exc}", pointer="$")
        return
    wrapped = isinstance(doc, dict) and "records" in doc
    records = doc["records"] if wrapped else [doc] if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        yield Line(1, error='expected a JSON array, {"records": [...]} or NDJSON', pointer="$")
        return
    if not isinstance(doc, list) and not wrapped:
        yield Line(1, doc, pointer="$")
        return
    base = "$.records" if wrapped else "$"
    for i, rec in enumerate(records, start=1):
        yield Line(i, rec, pointer=f"{base}[{i - 1}]")


def _from_ndjson(path: Path) -> Iterator[Line]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            raw = raw.strip().lstrip(b"\xef\xbb\xbf")
            if not raw:
                continue
            try:
                yield Line(number, orjson.loads(raw))
            except orjson.JSONDecodeError as exc:
                yield Line(number, error=f"not valid JSON: {exc}")
