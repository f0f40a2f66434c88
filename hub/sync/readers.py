"""Readers: national files row by row, with the line number each row starts on.

This module reads CSV and TSV and holds what every format's reader shares
(:class:`FileOptions`, :class:`SourceError`, the header check); workbooks are
:mod:`.workbooks`, JSON and NDJSON :mod:`.documents`, and :mod:`.inputs` picks the reader.

A reader yields ``(line, row)`` where ``row`` maps header names to text. Problems with
the file as a whole (missing, wrong encoding, no header) raise :class:`SourceError`
with a message a data steward can act on; problems with one row are left to the
mapping, which reports them per row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

# A row with more fields than the header keeps the surplus under this key, so that the
# mapping can report the row instead of silently dropping values.
EXTRA = "\x00extra"


class SourceError(Exception):
    """The file cannot be read at all (not found, wrong encoding, no header)."""


#: the default bound on a workbook's uncompressed size (``max_unzipped_mb``)
MAX_UNZIPPED_MB = 512


@dataclass(frozen=True)
class FileOptions:
    """How a file is read: its format and the format's own options (``[source]`` keys)."""

    format: str = "csv"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    #: a workbook's sheet(s): a name or a position from 1, several, or "*" (the first by default)
    sheet: str | int | tuple[str | int, ...] | None = None
    #: the header's (first) row number in a sheet, from 1; None: found by the mapping's columns
    header_row: int | None = None
    #: how many rows the header spans ("Group / Sub" names)
    header_rows: int = 1
    #: where the items are in a JSON document (``batches.products``)
    items: str = ""
    max_unzipped_mb: int = MAX_UNZIPPED_MB


def check_header(names: list[str], where: str) -> list[str]:
    """Header names as given, refused when one is empty or repeated."""
    if any(not n for n in names):
        raise SourceError(f"{where}: the header has an empty column name (column {names.index('') + 1})")
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise SourceError(f"{where}: the header names column '{n}' twice")
        seen.add(n)
    return names


def read_csv(
    path: str | Path, encoding: str = "utf-8-sig", delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for every data row of a CSV file.

    ``line`` is the 1-based line the row starts on (a quoted field may span lines).
    A byte-order mark is dropped whatever the encoding; blank rows are skipped; short
    rows are padded with empty strings; surplus fields go under :data:`EXTRA`.
    """
    path = Path(path)
    try:
        handle = open(path, encoding=encoding, newline="")
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except LookupError:
        raise SourceError(f"{path}: unknown encoding '{encoding}'") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=False)
        try:
            yield from _rows(reader, path)
        except UnicodeDecodeError as exc:
            where = _undecodable(path, encoding) or f"byte 0x{exc.object[exc.start]:02x}"
            raise SourceError(
                f"{path}: {where} is not valid {encoding} text; set 'encoding' in [source] to the "
                f"file's real encoding (e.g. 'cp1258' for Vietnamese, 'cp874' or 'tis-620' for Thai)"
            ) from None
        except csv.Error as exc:
            raise SourceError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from None


def _rows(reader: Any, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise SourceError(f"{path}: no header row")
    names = check_header([h.lstrip("\ufeff").strip() for h in header], str(path))
    end = reader.line_num
    for fields in reader:
        start, end = end + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        row = dict(zip(names, fields))
        if len(fields) < len(names):
            row.update({n: "" for n in names[len(fields) :]})
        elif len(fields) > len(names):
            row[EXTRA] = _join(fields[len(names) :])
        yield start, row


def _undecodable(path: Path, encoding: str) -> str | None:
    """``line N (byte 0x..)`` of the first line that does not decode (decoding is buffered,
    so the csv reader's own position is not where the bad byte is)."""
    try:
        with open(path, "rb") as raw:
            for number, line in enumerate(raw, 1):
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as exc:
                    return f"line {number} (byte 0x{line[exc.start]:02x})"
    except (OSError, LookupError):
        return None
    return None


def _join(values: list[str]) -> str:
    """The surplus fields of a row, for an error message."""
    buf = io.StringIO()
    csv.writer(buf).writerow(values)
    return buf.getvalue().strip()
