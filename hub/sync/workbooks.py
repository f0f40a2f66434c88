"""Workbooks (XLSX, XLS, XLSB, ODS) row by row, the way ministries publish them.

Read with python-calamine: cells are the values the workbook stores (a formula is its
last computed value, never evaluated here), rows come one at a time. What this module
adds is what national workbooks need: a sheet by name or position, title rows above the
header skipped, the header row given (``header_row``) or found (the first row holding
every column the mapping reads), a header over several rows (``header_rows = 2``: a
merged group title above its sub-columns gives "Group / Sub"), merged cells filled with
their value across the range, blank rows dropped. Subtotal and group rows are the
mapping's ``[[skip]]`` rules.

A workbook is a zip archive: before it is opened, the sum of its members' uncompressed
sizes is checked against ``max_unzipped_mb`` (a zip bomb dressed as XLSX is refused, not
unpacked).
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Iterator

import python_calamine as calamine

from .readers import FileOptions, SourceError, check_header

#: how far down a header row is looked for when ``header_row`` is not given
SEARCH_ROWS = 30
WORKBOOKS = ("xlsx", "xlsm", "xls", "xlsb", "ods")
#: the column that names a row's sheet (a mapping may read it: ``from = "_sheet"``)
SHEET = "_sheet"


def read_workbook(path: Path, opts: FileOptions, wanted: frozenset[str]) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Yield ``(row number, locator, row)`` for every data row of the chosen sheet(s); each
    row also has the column ``_sheet``, the name of its sheet."""
    _check_archive(path, opts.max_unzipped_mb)
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        chosen = _sheets(book, opts.sheet, path)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for a broken file
        raise _unreadable(path, opts, exc) from None
    for index in chosen:
        try:
            sheet = book.get_sheet_by_index(index)
            merged = _merged(sheet)
            rows = sheet.iter_rows()
        except Exception as exc:  # noqa: BLE001
            raise _unreadable(path, opts, exc) from None
        yield from _sheet_rows(path, opts, wanted - {SHEET}, sheet, merged, rows)


def _unreadable(path: Path, opts: FileOptions, exc: Exception) -> SourceError:
    if isinstance(exc, calamine.PasswordError) or "password" in str(exc).lower():
        return SourceError(f"{path}: the workbook is password-protected; save an unprotected copy")
    detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return SourceError(f"{path}: not a readable {opts.format.upper()} workbook ({detail})")


def _sheet_rows(
    path: Path,
    opts: FileOptions,
    wanted: frozenset[str],
    sheet: Any,
    merged: dict[tuple[int, int], tuple[int, int]],
    rows: Any,
) -> Iterator[tuple[int, str, dict[str, str]]]:
    name = sheet.name
    offset_row, offset_col = sheet.start or (0, 0)
    tops = set(merged.values())
    seen: dict[tuple[int, int], str] = {}
    pending: list[list[str]] = []  # rows read while looking for the header
    number = offset_row
    header: list[str] | None = None
    height = max(1, opts.header_rows)
    for values in rows:
        number += 1
        cells = _cells(values, number - 1, offset_col, merged, seen, tops)
        if header is None:
            pending.append(cells)
            header = _find_header(pending, opts, wanted, height, offset_row)
            if header is None:
                if opts.header_row is not None and number >= opts.header_row + height - 1:
                    raise SourceError(f"{path}: sheet '{name}' row {opts.header_row} is not a header row")
                if opts.header_row is None and len(pending) >= SEARCH_ROWS:
                    break
                continue
            header = check_header(header, f"{path}: sheet '{name}'")
            continue
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, cells))
        if len(cells) < len(header):
            row.update({n: "" for n in header[len(cells) :]})
        row[SHEET] = name
        yield number, f"sheet '{name}' row {number}", row
    if header is None:
        missing = ", ".join(sorted(wanted)) or "any column"
        where = f"row {opts.header_row}" if opts.header_row else f"the first {min(SEARCH_ROWS, len(pending))} rows"
        raise SourceError(f"{path}: sheet '{name}': no header row with {missing} in {where}")


def sheet_height(path: Path, opts: FileOptions) -> int:
    """How many rows the sheet has (for progress); 0 when unknown."""
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        return sum(int(book.get_sheet_by_index(i).height) for i in _sheets(book, opts.sheet, path))
    except Exception:  # noqa: BLE001 - progress is a courtesy; reading reports the real error
        return 0


def _check_archive(path: Path, limit_mb: int) -> None:
    if not zipfile.is_zipfile(path):
        return  # XLS (an OLE file) or not a workbook at all: calamine says which
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path}: not a readable workbook ({exc})") from None
    if size > limit_mb * 1024 * 1024:
        raise SourceError(
            f"{path}: the workbook unpacks to {size // (1024 * 1024)} MB, more than "
            f"max_unzipped_mb = {limit_mb}; refused (raise the setting if the file is genuine)"
        )


def _sheets(book: Any, wanted: str | int | tuple[str | int, ...] | None, path: Path) -> list[int]:
    """The 0-based positions of the sheets to read: by name or position from 1, a list of
    them, or ``"*"`` (every sheet in order); the first sheet when none is named."""
    names = list(book.sheet_names)
    if wanted == "*":
        return list(range(len(names)))
    out = []
    for one in wanted if isinstance(wanted, tuple) else (1 if wanted is None else wanted,):
        if isinstance(one, int):
            if not 1 <= one <= len(names):
                raise SourceError(
                    f"{path}: sheet {one} does not exist (the workbook has {len(names)}: {', '.join(names)})"
                )
            out.append(one - 1)
        elif one in names:
            out.append(names.index(one))
        else:
            raise SourceError(f"{path}: no sheet named '{one}' (sheets: {', '.join(names)})")
    return out


def _merged(sheet: Any) -> dict[tuple[int, int], tuple[int, int]]:
    """Every cell of a merged range -> the range's top-left cell (absolute 0-based)."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ():
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    out[(r, c)] = (r0, c0)
    return out


def _cells(
    values: list[Any],
    row: int,
    offset_col: int,
    merged: dict[tuple[int, int], tuple[int, int]],
    seen: dict[tuple[int, int], str],
    tops: set[tuple[int, int]],
) -> list[str]:
    """A row's cells as text; a cell inside a merged range gets the range's value
    (``seen`` remembers the top-left values of rows already read)."""
    cells = [cell_text(v) for v in values]
    if merged:
        for c, text in enumerate(cells):
            here = (row, c + offset_col)
            if here in merged:
                cells[c] = seen.get(merged[here], text)
            elif text and here in tops:
                seen[here] = text
    return cells


def _find_header(
    pending: list[list[str]], opts: FileOptions, wanted: frozenset[str], height: int, offset_row: int
) -> list[str] | None:
    """The header's column names once its rows are read; None while still looking."""
    if len(pending) < height:
        return None
    rows = pending[-height:]
    first = offset_row + len(pending) - height + 1  # 1-based row number of the header's first row
    if opts.header_row is not None:
        return _names(rows) if first == opts.header_row else None
    names = _names(rows)  # the header holds every column wanted, each once (not a group row alone)
    return names if wanted and wanted <= set(names) and len(set(names)) == len(names) else None


def _names(rows: list[list[str]]) -> list[str]:
    """Column names of a header over one or more rows: "Group / Sub", one part when equal."""
    width = max(len(r) for r in rows)
    out = []
    for c in range(width):
        parts: list[str] = []
        for r in rows:
            text = " ".join(r[c].split()) if c < len(r) else ""
            if text and text not in parts:
                parts.append(text)
        out.append(" / ".join(parts))
    while out and not out[-1]:
        out.pop()
    return [name or f"column {_letters(c)}" for c, name in enumerate(out)]


def _letters(index: int) -> str:
    """0 -> A, 27 -> AB: a column's name in the spreadsheet."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_text(value: Any) -> str:
    """A stored cell value as text: whole numbers without ".0", dates as ISO."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
