"""Which reader reads a file: by ``format``, or by the file's extension when none is given.

Every reader yields ``(number, locator, row)``: ``number`` is the line or sheet row (the
resume position and what problems name), ``locator`` says where a human finds the row
(``line 12``, ``sheet 'Phụ lục' row 9``, ``$.batches[2].products[0]``), ``row`` maps
column names to text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .documents import read_json, read_ndjson
from .readers import FileOptions, read_csv
from .workbooks import WORKBOOKS, read_workbook

__all__ = ["FORMATS", "WORKBOOKS", "guess", "rows"]

FORMATS = ("csv", "tsv", "json", "ndjson", *WORKBOOKS)
_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    **{f".{w}": w for w in WORKBOOKS},
}


def guess(location: str) -> str:
    """The format a file name or URL implies (``csv`` when it implies none)."""
    suffix = Path(location.split("?", 1)[0]).suffix.lower()
    return _BY_SUFFIX.get(suffix, "csv")


def rows(
    path: Path, opts: FileOptions, columns: frozenset[str] = frozenset()
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Every data row of a file in its format; ``columns`` (the mapping's) find a sheet's header."""
    fmt = opts.format
    if fmt in ("csv", "tsv"):
        delimiter = "\t" if fmt == "tsv" else opts.delimiter
        for line, row in read_csv(path, opts.encoding, delimiter):
            yield line, f"line {line}", row
    elif fmt == "json":  # only the mapping's columns are read (all of them for a lookup table)
        yield from read_json(path, opts.items, columns or None)
    elif fmt == "ndjson":
        yield from read_ndjson(path, opts.items, opts.encoding, columns or None)
    else:
        yield from read_workbook(path, opts, columns)
