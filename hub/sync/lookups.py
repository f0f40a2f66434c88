"""Lookups: named tables a field reads through (``transforms = ["lookup:codes:area"]``).

``[lookups.NAME]`` is a second file (``path``, in ``data_dir`` unless absolute, in any
format the source reads: a code table in CSV, a sheet of a workbook with ``sheet``) or
an inline TOML list (``rows = [{...}, ...]``), keyed by one or more columns (``key``).
The value a field has so far is the key; for a key over several columns the field builds
it with a template joined by ``|`` (``template = "{province}|{district}"``). A key the
table lacks is an error for the row (``missing = "error"``, the default), an empty value
with a warning the run counts (``missing = "warning"``), or an empty value alone
(``missing = "empty"``); the field's ``default`` and ``required`` then decide.

Files are read once per pass, when the source's rows are first read.
"""

from __future__ import annotations

import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import inputs
from .readers import FileOptions, SourceError
from .transforms import TransformError, is_empty

KEYS = frozenset(
    {"path", "rows", "key", "missing", "format", "sheet", "header_row", "header_rows", "encoding", "delimiter"}
)
SEP = "|"
MISSING = ("error", "warning", "empty")
#: the lookups a row missed with ``missing = "warning"``, collected while it is mapped
_missed: ContextVar[list[str] | None] = ContextVar("lookups_missed", default=None)


@contextmanager
def watching() -> Iterator[list[str]]:
    """Collect the names of the lookups that miss a key (``missing = "warning"``) meanwhile."""
    missed: list[str] = []
    token = _missed.set(missed)
    try:
        yield missed
    finally:
        _missed.reset(token)


def _norm(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


@dataclass
class Table:
    """One lookup table: its key columns, where it comes from, and (once read) its rows by key."""

    name: str
    key: tuple[str, ...]
    missing: str = "error"
    path: str | None = None
    options: FileOptions = FileOptions()
    rows: dict[str, dict[str, str]] | None = None
    columns: set[str] = field(default_factory=set)
    stamp: tuple[str, int, int] | None = None

    def file(self, data_dir: str | Path) -> Path:
        assert self.path is not None
        p = Path(self.path).expanduser()
        return p if p.is_absolute() else Path(data_dir) / p

    def load(self, data_dir: str | Path) -> None:
        """Read the table's file, again only when it changed since (a worker runs many passes)."""
        if self.path is None:
            return
        file = self.file(data_dir)
        try:
            info = file.stat()
        except OSError:
            raise SourceError(f"{file}: lookup '{self.name}': file not found (data_dir is {data_dir})") from None
        if self.rows is not None and self.stamp == (str(file), info.st_mtime_ns, info.st_size):
            return
        self.stamp = (str(file), info.st_mtime_ns, info.st_size)
        out: dict[str, dict[str, str]] = {}
        # a sheet's header is found by the key; a JSON table gives every key (any may be asked for)
        wanted = frozenset() if self.options.format in ("json", "ndjson") else frozenset(self.key)
        for _, locator, row in inputs.rows(file, self.options, wanted):
            missing = [k for k in self.key if k not in row]
            if missing:
                raise SourceError(f"{file}: lookup '{self.name}': no column {', '.join(missing)}")
            key = SEP.join(_norm(row[k]) for k in self.key)
            if key in out and out[key] != row:
                raise SourceError(f"{file}: lookup '{self.name}': key '{key}' twice with different values ({locator})")
            out[key] = row
        self.rows = out

    def get(self, key: Any, column: str) -> Any:
        if self.rows is None:
            raise TransformError(f"lookup '{self.name}' is not loaded")
        row = self.rows.get(SEP.join(_norm(part) for part in str(key).split(SEP)))
        if row is None:
            if self.missing == "warning":
                missed = _missed.get()
                if missed is not None:
                    missed.append(self.name)
                return ""
            if self.missing == "empty":
                return ""
            raise TransformError(f"'{key}' is not in lookup '{self.name}'")
        if column not in row:
            raise TransformError(f"lookup '{self.name}' has no column '{column}'")
        return row[column]


class Tables(dict[str, Table]):
    """The lookups of one mapping, by name."""

    @property
    def warns(self) -> bool:
        """Whether a missing key is a warning in one of them (rows are then watched)."""
        return any(t.missing == "warning" for t in self.values())

    def load(self, data_dir: str | Path) -> None:
        for table in self.values():
            table.load(data_dir)

    def files(self, data_dir: str | Path) -> list[Path]:
        """The tables' files (a changed code table makes a new pass of the source)."""
        return [t.file(data_dir) for t in self.values() if t.path is not None]

    def transform(self, arg: str) -> Callable[[Any], Any]:
        """``lookup:NAME:COLUMN`` -> the transform; ValueError when the lookup is not declared."""
        name, _, column = arg.partition(":")
        if name not in self:
            raise ValueError(f"lookup '{name}' is not declared ([lookups.{name}])")
        if not column:
            raise ValueError(f"name the column to return: 'lookup:{name}:COLUMN'")
        table = self[name]
        if table.path is None and table.columns and column not in table.columns:
            raise ValueError(f"lookup '{name}' has no column '{column}'")

        def run(value: Any) -> Any:
            if is_empty(value):
                return value
            if isinstance(value, list):
                return [table.get(v, column) for v in value]
            return table.get(value, column)

        return run


def parse(raw: Any, bad: Callable[[str], Exception]) -> Tables:
    """``[lookups.*]`` of a mapping file."""
    tables = Tables()
    if raw is None:
        return tables
    if not isinstance(raw, dict):
        raise bad("[lookups] is a table of named lookups: [lookups.codes]")
    for name, spec in raw.items():
        where = f"[lookups.{name}]"
        if not isinstance(spec, dict):
            raise bad(f"{where} must be a table")
        unknown = set(spec) - KEYS
        if unknown:
            raise bad(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(KEYS))})")
        key = spec.get("key")
        key = [key] if isinstance(key, str) else key
        if not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key):
            raise bad(f"{where}: 'key' is a column or a list of columns")
        missing = spec.get("missing", "error")
        if missing not in MISSING:
            raise bad(f"{where}: 'missing' is 'error', 'warning' or 'empty'")
        if ("path" in spec) == ("rows" in spec):
            raise bad(f"{where}: give 'path' (a file) or 'rows' (an inline list of tables)")
        table = Table(name, tuple(key), missing)
        if "rows" in spec:
            rows = spec["rows"]
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise bad(f'{where}: \'rows\' is a list of tables such as {{code = "01", name = "..."}}')
            table.rows = {}
            for r in rows:
                if not all(k in r for k in key):
                    raise bad(f"{where}: a row lacks the key column(s) {', '.join(key)}")
                text = {k: str(v) for k, v in r.items()}
                table.rows[SEP.join(_norm(text[k]) for k in key)] = text
                table.columns |= set(text)
        else:
            path = spec["path"]
            if not isinstance(path, str) or not path:
                raise bad(f"{where}: 'path' is a file name")
            fmt = spec.get("format", inputs.guess(path))
            if fmt not in inputs.FORMATS:
                raise bad(f"{where}: format '{fmt}' is not supported (supported: {', '.join(inputs.FORMATS)})")
            sheet = spec.get("sheet")
            table.path = path
            table.options = FileOptions(
                format=fmt,
                encoding=spec.get("encoding", "utf-8-sig"),
                delimiter=spec.get("delimiter", ","),
                sheet=sheet,
                header_row=spec.get("header_row"),
                header_rows=spec.get("header_rows", 1),
            )
        tables[name] = table
    return tables
