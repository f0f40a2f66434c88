"""Exports for people: the standard flattened into columns, as CSV and as an XLSX workbook.

A spreadsheet user wants one value per cell, not JSON. The columns of a kind are fixed
(derived from its schema, so a header can be written before the first record):

- a language text gets one column per language (``name.en``, ``name.vi``, ...: the
  languages of :data:`LANGS`) and ``name.other`` for any other tag (``tag: text``);
- a nested object is flattened into dotted columns (``price.amount``, ``origin.area``);
- a code gets a label column beside it (``category.code.label``, ``category.common.label``,
  ``origin.area.label``), in English;
- a list of objects (certifications) gets one column per field, the values of the items
  joined by `` | `` in item order; a list of strings is joined the same way;
- ``warnings`` holds the warning codes, joined.

CSV starts with a UTF-8 byte-order mark so that spreadsheet programs read Vietnamese and
Thai correctly; XLSX is written with openpyxl in write-only mode (a header row, frozen
panes, column widths) to a temporary file and streamed from there.
"""

from __future__ import annotations

import csv
import io
import tempfile
from functools import partial
from typing import Any, Callable, Iterable, Iterator

import orjson
from marshmallow import Schema, fields

from schemas import areas, codelists
from schemas.fields import Code, LangText
from schemas.records import SCHEMAS

BOM = "\ufeff"
#: Languages with a column of their own: English and the member states' languages.
LANGS = ("en", "vi", "th", "id", "ms", "fil", "km", "lo", "my")
JOIN = " | "
HUB_COLUMNS = ("uid", "version", "review", "hub_updated_at", "content_hash")
#: Values the hub derives (``schemas.enrich``) that the input schemas do not declare.
DERIVED = {"category": ("common",), "certifications": ("band", "active")}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Getter = Callable[[dict[str, Any]], str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def _at(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _area_label(code: Any) -> str:
    area = areas.lookup(code) if isinstance(code, str) else None
    return area.name if area else ""


def _category_label(category: Any) -> str:
    if not isinstance(category, dict) or not category.get("code"):
        return ""
    return codelists.label(f"categories-{category.get('scheme')}", str(category["code"])) or ""


def _common_label(code: Any) -> str:
    return (codelists.label("categories-common", code) or "") if isinstance(code, str) else ""


def _joined(values: Iterable[Any]) -> str:
    return JOIN.join(_text(v) for v in values if v is not None)


def _other_langs(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    return "; ".join(f"{tag}: {text}" for tag, text in value.items() if tag not in LANGS)


def _value(path: tuple[str, ...], rec: dict[str, Any]) -> str:
    return _text(_at(rec, path))


def _other(path: tuple[str, ...], rec: dict[str, Any]) -> str:
    return _other_langs(_at(rec, path))


def _list(path: tuple[str, ...], rec: dict[str, Any]) -> str:
    return _joined(_at(rec, path) or [])


def _items(path: tuple[str, ...], key: str, rec: dict[str, Any]) -> str:
    return _joined(item.get(key) for item in (_at(rec, path) or []) if isinstance(item, dict))


def _code_label(codelist: str, path: tuple[str, ...], rec: dict[str, Any]) -> str:
    value = _at(rec, path)
    return (codelists.label(codelist, value) or "") if isinstance(value, str) else ""


def _area(path: tuple[str, ...], rec: dict[str, Any]) -> str:
    return _area_label(_at(rec, path))


def _category(rec: dict[str, Any]) -> str:
    return _category_label(rec.get("category"))


def _common(rec: dict[str, Any]) -> str:
    return _common_label(_at(rec, ("category", "common")))


def _warning_codes(rec: dict[str, Any]) -> str:
    return _joined(w.get("code") for w in rec.get("warnings") or [] if isinstance(w, dict))


class Columns:
    """The fixed columns of one kind and how each is read from a shown record."""

    def __init__(self, kind: str) -> None:
        self.names: list[str] = []
        self.getters: list[Getter] = []
        for name in HUB_COLUMNS:
            self._add(name, partial(_value, (name,)))
        self._schema(SCHEMAS[kind](), ())
        self._add("warnings", _warning_codes)

    def _add(self, name: str, getter: Getter) -> None:
        self.names.append(name)
        self.getters.append(getter)

    def _schema(self, schema: Schema, path: tuple[str, ...]) -> None:
        for name, field in schema.fields.items():
            self._field(field, (*path, name))
        for extra in DERIVED.get(".".join(path), ()) if path else ():
            if extra in schema.fields:
                continue
            self._add(".".join((*path, extra)), partial(_value, (*path, extra)))
            if path == ("category",) and extra == "common":
                self._add("category.common.label", _common)

    def _field(self, field: fields.Field[Any], path: tuple[str, ...]) -> None:
        dotted = ".".join(path)
        if isinstance(field, LangText):
            for lang in LANGS:
                self._add(f"{dotted}.{lang}", partial(_value, (*path, lang)))
            self._add(f"{dotted}.other", partial(_other, path))
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            self._schema(field.schema, path)
            if path == ("category",):
                self._add("category.code.label", _category)
        elif (
            isinstance(field, fields.List)
            and isinstance(field.inner, fields.Nested)
            and isinstance(field.inner.schema, Schema)
        ):
            inner = field.inner.schema
            keys = list(inner.fields) + [k for k in DERIVED.get(dotted, ()) if k not in inner.fields]
            for key in keys:
                self._add(f"{dotted}.{key}", partial(_items, path, key))
        elif isinstance(field, fields.List):
            self._add(dotted, partial(_list, path))
        else:
            self._add(dotted, partial(_value, path))
            if isinstance(field, Code):
                self._add(f"{dotted}.label", partial(_code_label, field.codelist, path))
            elif path[-1] == "area":
                self._add(f"{dotted}.label", partial(_area, path))

    def row(self, rec: dict[str, Any]) -> list[str]:
        return [get(rec) for get in self.getters]


def csv_rows(kind: str, records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text, byte-order mark and header first, one flattened row per record."""
    columns = Columns(kind)
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns.names)
    for rec in records:
        writer.writerow(columns.row(rec))
        if buf.tell() > 65536:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx(kind: str, records: Iterator[dict[str, Any]], chunk: int = 65536) -> Iterator[bytes]:
    """An XLSX workbook of the flattened records: bold header row, panes frozen below it
    and after the uid column, column widths from the header and the first rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = Columns(kind)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    sheet.freeze_panes = "B2"
    first: list[list[str]] = []
    rows = iter(records)
    for rec in rows:  # widths must be set before the first row is written
        first.append(columns.row(rec))
        if len(first) == 50:
            break
    for i, name in enumerate(columns.names, start=1):
        longest = max([len(name), *(len(r[i - 1]) for r in first)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 60)
    bold = Font(bold=True)
    header = []
    for name in columns.names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for values in first:
        sheet.append(values)
    for rec in rows:
        sheet.append(columns.row(rec))
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while block := out.read(chunk):
            yield block
