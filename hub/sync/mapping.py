"""Declarative mappings: a TOML file turns the rows of a national file into standard records.

A mapping names its source file (``[source]``), how to build the record id (``[id]``),
and one ``[fields."target.path"]`` entry per field of the record: where the value comes
from (``from`` a column, a constant ``value``, a ``template``), ``transforms`` to clean
it, ``rules`` or a ``map`` onto codelist codes, a ``default``, and what an empty value
means (``required``, ``skip_if_empty``, ``when``). ``[[skip]]`` entries drop rows that
are not records (totals, units outside the standard). docs/sync.md explains every key.

A row that cannot be mapped raises :class:`MappingError` (line, column, target, reason)
for the caller to report or quarantine; a mistake in the mapping file itself raises
:class:`MappingConfigError` when the file is loaded, before any row is read.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator

from schemas import KINDS

from . import inputs, lookups, words
from .inputs import FORMATS
from .readers import EXTRA, MAX_UNZIPPED_MB, FileOptions, SourceError
from .transforms import Transform, TransformError, build, is_empty

_PATH_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")  # patterns are used with fullmatch
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_FIELD_KEYS = frozenset(
    {
        "from",
        "value",
        "template",
        "transforms",
        "map",
        "unmapped",
        "rules",
        "default",
        "required",
        "skip_if_empty",
        "when",
    }
)
# Keys of [source] read by the sync runner (hub/sync/sources.py checks them); the mapping
# itself only needs to accept them. docs/sync.md, "Running a source", explains each.
#: the mapping's own keys of ``[source]``; the source file's other keys (type, schedule, ...)
#: belong to the source loader (:mod:`hub.sync.sources`), which names them in ``from_dict``
SOURCE_KEYS = frozenset(
    {
        "name",
        "kind",
        "country",
        "format",
        "path",
        "url",
        "encoding",
        "delimiter",
        "description",
        "sheet",
        "header_row",
        "header_rows",
        "items",
        "max_unzipped_mb",
        "drop",
    }
)
#: the column that holds a row's number (line, sheet row, item): for ids only as a last resort
ROW = "_row"
ROW_IDS = (
    "ids are made from row numbers (_row): inserting, removing or reordering rows in the file "
    "changes the ids of the rows after it; name columns that identify a record instead"
)
#: formats whose items need not all have every key (a missing key is an empty cell)
SPARSE = ("json", "ndjson")
_SKIP_KEYS = frozenset({"column", "equals", "regex", "reason"})


class MappingConfigError(ValueError):
    """The mapping file itself is wrong (unknown key, bad regex, unknown transform)."""


_Bad = Callable[[str], MappingConfigError]  # builds an error that names the mapping file


class MappingError(ValueError):
    """One row cannot be mapped: which line, which column, which target, and why."""

    def __init__(
        self, reason: str, *, line: int | None = None, column: str | None = None, target: str | None = None
    ) -> None:
        self.reason, self.line, self.column, self.target = reason, line, column, target
        where = [
            f"line {line}" if line is not None else "",
            f"column '{column}'" if column else "",
            f"-> {target}" if target else "",
        ]
        super().__init__(f"{' '.join(w for w in where if w)}: {reason}" if any(where) else reason)


class _SkipRow(Exception):
    """Internal: the row is deliberately not a record (``skip_if_empty`` or ``[[skip]]``)."""


@dataclass(frozen=True)
class Rule:
    """``{code = "1.2.1", keywords = ["gạo"]}`` or ``{code = ..., regex = "..."}``: first match wins.

    Keywords in scripts written without spaces (Thai, Lao, Khmer, Myanmar) are matched as
    words found by a word segmenter (:mod:`.words`), the others as whole words by regex."""

    code: Any
    pattern: re.Pattern[str] | None
    phrases: tuple[tuple[str, ...], ...] = ()

    def matches(self, text: str) -> bool:
        if self.pattern is not None and self.pattern.search(text) is not None:
            return True
        if self.phrases:
            found = words.words(text)
            return any(words.contains(found, phrase) for phrase in self.phrases)
        return False


@dataclass(frozen=True)
class Skip:
    """``[[skip]]``: rows whose column equals one of ``equals`` or matches ``regex``."""

    column: str
    reason: str
    equals: frozenset[str] = frozenset()
    regex: re.Pattern[str] | None = None

    def matches(self, row: dict[str, str]) -> bool:
        value = _clean(row.get(self.column, ""))
        return value in self.equals or bool(self.regex and self.regex.search(value))


@dataclass(frozen=True)
class Unpivot:
    """``[unpivot]``: each of a set of columns (``columns``, or headers matching ``pattern``)
    becomes a row of its own, its header in the column ``header`` and its cell in
    ``value``; an empty cell makes no row. A wide table (one column per month) is so one
    source: fields read ``from = "month"`` and ``from = "value"``."""

    columns: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    header: str = "_column"
    value: str = "_value"

    def chosen(self, header: list[str]) -> list[str]:
        if self.columns:
            return [c for c in header if c in self.columns]
        assert self.pattern is not None
        return [c for c in header if self.pattern.search(c)]


@dataclass(frozen=True)
class FieldSpec:
    """How one target field of the record is computed from a row."""

    target: str
    sources: tuple[str, ...] = ()
    value: Any = None
    template: str | None = None
    transforms: tuple[Transform, ...] = ()
    map: dict[str, Any] | None = None
    unmapped: str = "error"
    rules: tuple[Rule, ...] = ()
    default: Any = None
    required: bool = False
    skip_if_empty: bool = False
    when: tuple[str, ...] = ()
    #: whether the value can be free text (not a constant, a rule's or map's code, a
    #: number, a date, an area code, a hash): only such values are scanned for personal data
    free_text: bool = True

    @property
    def columns(self) -> set[str]:
        """Every column this field reads."""
        used = set(self.sources)
        if self.template:
            used |= {n for n in _PLACEHOLDER.findall(self.template) if n != "value"}
        return used

    def evaluate(self, row: dict[str, str], line: int | None) -> Any:
        column = self.sources[0] if self.sources else None
        if self.value is not None:
            value: Any = self.value
        elif self.sources:
            if self.rules or len(self.sources) > 1:
                value, column = self._read(row, line)
            else:  # one column, no rules: the common case, without the fallback loop
                column = self.sources[0]
                value = self._transform(_cell(row, column, self.target, line), column, line)
            if self.map is not None and not is_empty(value):
                value = self._lookup(value, column, line)
            if self.template and not is_empty(value):
                value = _fill(self.template, row, value, self.target, line)
        else:
            assert self.template is not None
            value = self._transform(_fill(self.template, row, None, self.target, line), None, line)
        if is_empty(value):
            value = self.default
        if is_empty(value):
            if self.skip_if_empty:
                raise _SkipRow(f"'{column or self.target}' is empty")
            if self.required:
                raise MappingError("required value is empty", line=line, column=column, target=self.target)
            return None
        return value

    def _read(self, row: dict[str, str], line: int | None) -> tuple[Any, str]:
        """The first non-empty column's value after transforms; with rules, each non-empty
        column in turn until a rule matches (a name, then a description)."""
        value: Any = ""
        for column in self.sources:
            value = self._transform(_cell(row, column, self.target, line), column, line)
            if is_empty(value):
                continue
            if not self.rules:
                return value, column
            text = _rule_text(value)
            code = next((r.code for r in self.rules if r.matches(text)), None)
            if code is not None:
                return code, column
        return (None if self.rules else value), self.sources[0]

    def _transform(self, value: Any, column: str | None, line: int | None) -> Any:
        for fn in self.transforms:
            try:
                value = fn(value)
            except TransformError as exc:
                raise MappingError(str(exc), line=line, column=column, target=self.target) from None
        return value

    def _lookup(self, value: Any, column: str | None, line: int | None) -> Any:
        assert self.map is not None
        if isinstance(value, list):
            out = [self._lookup(v, column, line) for v in value]
            return [v for v in out if not is_empty(v)]
        key = str(value)
        if key in self.map:
            return self.map[key]
        if self.unmapped == "keep":
            return value
        if self.unmapped == "drop":
            return None
        raise MappingError(
            f"value '{key}' is not in the map (known: {_preview(self.map)})",
            line=line,
            column=column,
            target=self.target,
        )


@dataclass(frozen=True)
class Mapped:
    """The outcome of one row: a record, a deliberate skip, or a mapping error."""

    line: int
    record: dict[str, Any] | None = None
    skipped: str | None = None
    error: MappingError | None = None


@dataclass(frozen=True)
class Mapping:
    """A loaded mapping file."""

    name: str
    kind: str
    country: str
    path: str
    id: FieldSpec
    fields: tuple[FieldSpec, ...]
    skips: tuple[Skip, ...] = ()
    options: FileOptions = FileOptions()
    description: str = ""
    origin: str = field(default="", compare=False)
    unpivot: Unpivot | None = None
    #: columns never kept, not even in the raw row of a quarantined record (personal data)
    drop: frozenset[str] = frozenset()
    lookups: lookups.Tables = field(default_factory=lookups.Tables, compare=False)

    @property
    def format(self) -> str:
        return self.options.format

    @cached_property
    def watches_lookups(self) -> bool:
        """Whether a missing lookup key is a warning (rows are then watched), decided once."""
        return self.lookups.warns

    @cached_property
    def free_text(self) -> tuple[tuple[str, ...], ...]:
        """The target paths, split, whose values may be free text (scanned for personal data)."""
        return tuple(tuple(spec.target.split(".")) for spec in self.fields if spec.free_text)

    @property
    def row_ids(self) -> bool:
        """Whether the ids come from row numbers (the run says what that costs)."""
        return ROW in self.id.columns

    @property
    def encoding(self) -> str:
        return self.options.encoding

    @property
    def delimiter(self) -> str:
        return self.options.delimiter

    def rows(self, file: Path, data_dir: str | Path | None = None) -> Iterator[tuple[int, str, dict[str, str]]]:
        """``(number, locator, row)`` of every row of the source file in its format; a
        file with a header (CSV, a sheet) must hold every column the mapping reads.
        Lookup files are read first; an unpivoted row gives one row per non-empty cell."""
        self.lookups.load(data_dir if data_dir is not None else file.parent)
        made = {self.unpivot.header, self.unpivot.value} if self.unpivot else set()
        numbered = ROW in self.columns
        wanted = self.columns - made - {ROW}
        sparse = checked = self.format in SPARSE
        unpivot = self.unpivot
        plain = not sparse and not numbered and unpivot is None
        spread: list[str] = []
        source = inputs.rows(file, self.options, frozenset(wanted))
        for number, locator, row in source:
            if not checked:
                missing = sorted(wanted - set(row) - {EXTRA})
                if missing:
                    raise SourceError(
                        f"{file}: column(s) {', '.join(missing)} used by mapping "
                        f"'{self.name}' are not in the file's header"
                    )
                if self.unpivot:
                    spread = self.unpivot.chosen([c for c in row if c != EXTRA])
                    if not spread:
                        raise SourceError(f"{file}: [unpivot] matches no column of the header")
                checked = True
            if sparse:
                row = {**dict.fromkeys(wanted, ""), **row}
            if numbered:
                row[ROW] = str(number)
            if unpivot is None:
                yield number, locator, row
                if plain:  # the header is checked and no row needs more: the rest as read
                    yield from source
                    return
                continue
            if EXTRA in row or any(skip.matches(row) for skip in self.skips):
                yield number, locator, row  # reported or skipped once, not once per cell
                continue
            for column in spread:
                cell = row.get(column, "")
                if cell.strip():
                    yield number, f"{locator} column '{column}'", {**row, unpivot.header: column, unpivot.value: cell}

    @property
    def columns(self) -> set[str]:
        """Every column the mapping reads (checked against the file's header)."""
        used = self.id.columns | {s.column for s in self.skips}
        for spec in self.fields:
            used |= spec.columns
        return used

    def file(self, data_dir: str | Path) -> Path:
        """The source file: ``path`` as is when absolute, else inside ``data_dir``."""
        p = Path(self.path).expanduser()
        return p if p.is_absolute() else Path(data_dir) / p

    def map_row(self, row: dict[str, str], line: int | None = None) -> Mapped:
        """Map one row: ``Mapped(record=...)`` or ``Mapped(skipped=reason)``; MappingError if it cannot."""
        if EXTRA in row:
            raise MappingError(f"the row has more fields than the header (surplus: {row[EXTRA][:80]})", line=line)
        for skip in self.skips:
            if skip.matches(row):
                return Mapped(line or 0, skipped=skip.reason)
        values: dict[str, Any] = {}
        try:
            record_id = self.id.evaluate(row, line)
            for spec in self.fields:
                values[spec.target] = spec.evaluate(row, line)
        except _SkipRow as why:
            return Mapped(line or 0, skipped=str(why))
        for spec in self.fields:
            if spec.when and any(values.get(t) is None for t in spec.when):
                values[spec.target] = None
        record: dict[str, Any] = {
            "id": record_id if isinstance(record_id, str) else str(record_id),
            "country": self.country,
        }
        for target, value in values.items():
            if value is not None:
                _put(record, target, value)
        return Mapped(line or 0, record=_compact(record))

    def read(self, data_dir: str | Path) -> Iterator[Mapped]:
        """Every row of the source file, mapped; row errors are returned, not raised.

        Raises :class:`SourceError` when the file cannot be read or lacks a column the
        mapping uses.
        """
        for line, _, row in self.rows(self.file(data_dir), data_dir):
            try:
                yield self.map_row(row, line)
            except MappingError as exc:
                yield Mapped(line, error=exc)


# ------------------------------------------------------------------ loading


def load(path: str | Path) -> Mapping:
    """Read and check the mapping of one source file (its other ``[source]`` keys are
    the source loader's to check: :func:`hub.sync.sources.load`)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingConfigError(f"{path}: not valid TOML ({exc})") from None
    source = data.get("source")
    others = set(source) - SOURCE_KEYS if isinstance(source, dict) else set()
    return from_dict(data, origin=str(path), others=frozenset(others))


def load_all(folder: str | Path) -> dict[str, Mapping]:
    """Every ``*.toml`` mapping in a folder, by source name."""
    out: dict[str, Mapping] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        mapping = load(path)
        if mapping.name in out:
            raise MappingConfigError(f"{path}: source name '{mapping.name}' is used twice")
        out[mapping.name] = mapping
    return out


def from_dict(data: dict[str, Any], origin: str = "<mapping>", others: frozenset[str] = frozenset()) -> Mapping:
    """Build a mapping from parsed TOML (tests build small ones inline); ``others`` are
    keys of ``[source]`` that the caller checks itself."""

    def bad(message: str) -> MappingConfigError:
        return MappingConfigError(f"{origin}: {message}")

    unknown = set(data) - {"source", "id", "fields", "skip", "unpivot", "lookups"}
    if unknown:
        raise bad(
            f"unknown table(s) {', '.join(sorted(unknown))}; expected [source], [id], [fields.*], [[skip]], "
            f"[unpivot], [lookups.*]"
        )
    source = _table(data.get("source"), "[source]", bad)
    known(source, SOURCE_KEYS | others, "[source]", bad)
    for key in ("name", "kind", "country"):
        if not isinstance(source.get(key), str) or not source[key].strip():
            raise bad(f"[source] needs '{key}'")
    location = source.get("path") or source.get("url")  # a file, or a URL the runner fetches
    if not isinstance(location, str) or not location.strip():
        raise bad("[source] needs 'path' (a file) or 'url'")
    if not _NAME_RE.fullmatch(source["name"]):
        raise bad(f"[source] name '{source['name']}' may hold only letters, digits, '.', '_' and '-'")
    if source["kind"] not in KINDS:
        raise bad(f"[source] kind '{source['kind']}' is not one of {', '.join(KINDS)}")
    country = source["country"]
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        raise bad(f"[source] country '{country}' is not an ISO 3166-1 alpha-2 code such as 'VN'")
    options = _options(source, location, bad)

    tables = lookups.parse(data.get("lookups"), bad)
    unpivot = _unpivot(data.get("unpivot"), bad)
    id_spec = _field("id", _table(data.get("id"), "[id]", bad), bad, required=True, tables=tables)
    raw_fields = _table(data.get("fields"), "[fields]", bad)
    if not raw_fields:
        raise bad('no [fields."..."] entries')
    specs: list[FieldSpec] = []
    for target, spec in raw_fields.items():
        if not _PATH_RE.fullmatch(target):
            raise bad(f"field '{target}': a target is a dotted path such as 'name.vi' or 'certifications.0.rating'")
        if target.split(".")[0] in ("id", "country"):
            raise bad(f"field '{target}': id comes from [id] and country from [source]")
        specs.append(_field(target, _table(spec, f'[fields."{target}"]', bad), bad, tables=tables))
    _check_paths([s.target for s in specs], bad)
    targets = {s.target for s in specs}
    for s in specs:
        for t in s.when:
            if t not in targets:
                raise bad(f"field '{s.target}': 'when' names '{t}', which is not a field of this mapping")
    skips = tuple(_skip(i, s, bad) for i, s in enumerate(_list(data.get("skip"), "[[skip]]", bad)))
    drop = source.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(d, str) and d for d in drop):
        raise bad("[source] drop is a list of column names that are never kept (personal data)")
    used = set().union(id_spec.columns, *(s.columns for s in specs)) & set(drop)
    if used:
        raise bad(f"[source] drop names column(s) {', '.join(sorted(used))} that the mapping reads")
    return Mapping(
        name=source["name"],
        kind=source["kind"],
        country=country,
        path=location,
        drop=frozenset(drop),
        id=id_spec,
        fields=tuple(specs),
        skips=skips,
        options=options,
        description=str(source.get("description", "")),
        origin=origin,
        unpivot=unpivot,
        lookups=tables,
    )


def _unpivot(raw: Any, bad: _Bad) -> Unpivot | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad("[unpivot] must be a table")
    known(raw, frozenset({"columns", "pattern", "header", "value"}), "[unpivot]", bad)
    columns, pattern = raw.get("columns"), raw.get("pattern")
    if (columns is None) == (pattern is None):
        raise bad("[unpivot] give 'columns' (a list of headers) or 'pattern' (a regex over headers)")
    if columns is not None and (
        not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c for c in columns)
    ):
        raise bad("[unpivot] 'columns' is a list of column names")
    try:
        compiled = re.compile(unicodedata.normalize("NFC", pattern)) if pattern is not None else None
    except (re.error, TypeError) as exc:
        raise bad(f"[unpivot] bad pattern ({exc})") from None
    header, value = raw.get("header", "_column"), raw.get("value", "_value")
    if not isinstance(header, str) or not isinstance(value, str) or not header or not value or header == value:
        raise bad("[unpivot] 'header' and 'value' are two different column names")
    return Unpivot(tuple(columns or ()), compiled, header, value)


def _options(source: dict[str, Any], location: str, bad: _Bad) -> FileOptions:
    """The file format (given, or by the file's extension) and its reading options."""
    fmt = source.get("format", inputs.guess(location))
    if fmt not in FORMATS:
        raise bad(f"[source] format '{fmt}' is not supported (supported: {', '.join(FORMATS)})")
    delimiter = source.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise bad("[source] delimiter must be one character")
    encoding = source.get("encoding", "utf-8-sig")
    if not isinstance(encoding, str):
        raise bad("[source] encoding must be text such as 'utf-8-sig'")
    own = {
        "sheet": inputs.WORKBOOKS,
        "header_row": inputs.WORKBOOKS,
        "header_rows": inputs.WORKBOOKS,
        "max_unzipped_mb": inputs.WORKBOOKS,
        "items": SPARSE,
    }
    for key, formats in own.items():
        if key in source and fmt not in formats:
            raise bad(f"[source] '{key}' does not apply to format '{fmt}'")
    sheet = source.get("sheet")
    listed = sheet if isinstance(sheet, list) else [sheet]
    if sheet is not None and (
        not listed
        or any(isinstance(s, bool) or not isinstance(s, (str, int)) or (isinstance(s, int) and s < 1) for s in listed)
    ):
        raise bad('[source] sheet is a sheet\'s name or position from 1, a list of them, or "*" (every sheet)')
    if isinstance(sheet, list):
        sheet = tuple(sheet)
    for key, low, high in (("header_row", 1, 10_000), ("header_rows", 1, 5), ("max_unzipped_mb", 1, 100_000)):
        value = source.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            raise bad(f"[source] {key} is a whole number from {low} to {high}")
    items = source.get("items", "")
    if not isinstance(items, str):
        raise bad("[source] 'items' is the path of the items in the document, such as 'batches.products'")
    return FileOptions(
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        header_row=source.get("header_row"),
        header_rows=source.get("header_rows", 1),
        items=items,
        max_unzipped_mb=source.get("max_unzipped_mb", MAX_UNZIPPED_MB),
    )


def _field(
    target: str, spec: dict[str, Any], bad: _Bad, required: bool = False, tables: lookups.Tables | None = None
) -> FieldSpec:
    where = "[id]" if target == "id" else f"field '{target}'"
    known(spec, _FIELD_KEYS, where, bad)
    sources = spec.get("from")
    if isinstance(sources, str):
        sources = [sources]
    if sources is not None and (
        not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources)
    ):
        raise bad(f"{where}: 'from' is a column name or a list of column names")
    has_value = "value" in spec
    template = spec.get("template")
    if template is not None and not isinstance(template, str):
        raise bad(f"{where}: 'template' must be text")
    if has_value and (sources or template):
        raise bad(f"{where}: give 'value' alone, or 'from' and/or 'template'")
    if has_value and any(k in spec for k in ("transforms", "rules", "map")):
        raise bad(f"{where}: a constant 'value' is used as written (no transforms, rules or map)")
    if not (has_value or sources or template):
        raise bad(f"{where}: needs 'from', 'value' or 'template'")
    if template and not _PLACEHOLDER.search(template):
        raise bad(f"{where}: template '{template}' has no {{column}} placeholder")
    if template and "{value}" in template and not sources:
        raise bad(f"{where}: template uses {{value}} but there is no 'from'")
    try:
        transforms = tuple(_transform(t, tables) for t in _list(spec.get("transforms"), f"{where} transforms", bad))
    except ValueError as exc:
        raise bad(f"{where}: {exc}") from None
    mapping = spec.get("map")
    if mapping is not None and not isinstance(mapping, dict):
        raise bad(f"{where}: 'map' is a table of source value = code")
    unmapped = spec.get("unmapped", "error")
    if unmapped not in ("error", "keep", "drop"):
        raise bad(f"{where}: 'unmapped' is 'error', 'keep' or 'drop'")
    rules = tuple(_rule(where, i, r, bad) for i, r in enumerate(_list(spec.get("rules"), f"{where} rules", bad)))
    if rules and not sources:
        raise bad(f"{where}: 'rules' need a 'from' column to look at")
    when = spec.get("when", [])
    when = [when] if isinstance(when, str) else when
    if not isinstance(when, list) or not all(isinstance(w, str) for w in when):
        raise bad(f"{where}: 'when' is a target path or a list of them")
    for flag in ("required", "skip_if_empty"):
        if not isinstance(spec.get(flag, False), bool):
            raise bad(f"{where}: '{flag}' is true or false")
    names = [t.partition(":")[0] for t in _list(spec.get("transforms"), where, bad) if isinstance(t, str)]
    coded = bool(names) and names[-1] in CODED and template is None
    return FieldSpec(
        free_text=not (has_value or rules or mapping is not None or coded),
        target=target,
        sources=tuple(sources or ()),
        value=spec.get("value"),
        template=template,
        transforms=transforms,
        map=mapping,
        unmapped=unmapped,
        rules=rules,
        default=spec.get("default"),
        required=required or spec.get("required", False),
        skip_if_empty=spec.get("skip_if_empty", False),
        when=tuple(when),
    )


#: transforms whose result is no free text (a number, a date, a code, a hash): a field
#: whose last transform is one of them is not scanned for personal data
CODED = frozenset(
    {
        "number",
        "int",
        "be_year",
        "th_fiscal_year_start",
        "th_fiscal_year_end",
        "date",
        "date_be",
        "month",
        "month_start",
        "month_end",
        "th_fiscal_month_start",
        "th_fiscal_month_end",
        "year",
        "amount",
        "scale",
        "area_code",
        "slug",
        "hash",
    }
)


def _transform(spec: Any, tables: lookups.Tables | None) -> Transform:
    """A transform by name; ``lookup:NAME:COLUMN`` reads the mapping's own lookups."""
    if isinstance(spec, str) and spec.startswith("lookup:"):
        try:
            return (tables if tables is not None else lookups.Tables()).transform(spec.removeprefix("lookup:"))
        except ValueError as exc:
            raise ValueError(f"transform '{spec}': {exc}") from None
    return build(spec)


def _rule(where: str, index: int, raw: Any, bad: _Bad) -> Rule:
    here = f"{where} rule {index + 1}"
    if not isinstance(raw, dict):
        raise bad(f'{here}: a rule is a table such as {{code = "1.2.1", keywords = ["gạo"]}}')
    known(raw, frozenset({"code", "keywords", "regex"}), here, bad)
    if "code" not in raw:
        raise bad(f"{here}: needs 'code'")
    keywords, regex = raw.get("keywords"), raw.get("regex")
    if (keywords is None) == (regex is None):
        raise bad(f"{here}: give either 'keywords' or 'regex'")
    phrases: list[tuple[str, ...]] = []
    if keywords is not None:
        if (
            not isinstance(keywords, list)
            or not keywords
            or not all(isinstance(k, str) and k.strip() for k in keywords)
        ):
            raise bad(f"{here}: 'keywords' is a list of words or phrases")
        spaced = [unicodedata.normalize("NFC", k.strip()) for k in keywords]
        phrases = [words.words(k) for k in spaced if words.needs_words(k)]
        plain = [k for k in spaced if not words.needs_words(k)]
        regex = rf"(?<!\w)(?:{'|'.join(re.escape(k) for k in plain)})(?!\w)" if plain else None
    try:
        pattern = re.compile(unicodedata.normalize("NFC", str(regex)), re.IGNORECASE) if regex is not None else None
    except re.error as exc:
        raise bad(f"{here}: bad regex ({exc})") from None
    return Rule(raw["code"], pattern, tuple(p for p in phrases if p))


def _skip(index: int, raw: Any, bad: _Bad) -> Skip:
    here = f"[[skip]] {index + 1}"
    if not isinstance(raw, dict):
        raise bad(f"{here}: expected a table")
    known(raw, _SKIP_KEYS, here, bad)
    if not isinstance(raw.get("column"), str) or not isinstance(raw.get("reason"), str):
        raise bad(f"{here}: needs 'column' and 'reason'")
    equals = raw.get("equals", [])
    equals = [equals] if isinstance(equals, str) else equals
    if not isinstance(equals, list) or not all(isinstance(e, str) for e in equals):
        raise bad(f"{here}: 'equals' is a value or a list of values")
    if not equals and "regex" not in raw:
        raise bad(f"{here}: give 'equals' or 'regex'")
    try:
        regex = re.compile(unicodedata.normalize("NFC", raw["regex"])) if "regex" in raw else None
    except (re.error, TypeError) as exc:
        raise bad(f"{here}: bad regex ({exc})") from None
    return Skip(raw["column"], raw["reason"], frozenset(_clean(e) for e in equals), regex)


def _table(value: Any, where: str, bad: _Bad) -> dict[str, Any]:
    if value is None:
        raise bad(f"missing {where}")
    if not isinstance(value, dict):
        raise bad(f"{where} must be a table")
    return value


def _list(value: Any, where: str, bad: _Bad) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad(f"{where} must be a list")
    return value


def known(table: dict[str, Any], keys: frozenset[str], where: str, bad: Callable[[str], Exception]) -> None:
    """Refuse keys a table does not have, naming the ones it has."""
    unknown = set(table) - keys
    if unknown:
        raise bad(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(keys))})")


def _check_paths(targets: list[str], bad: _Bad) -> None:
    """No target may be both a value and a container of another ("origin" and "origin.place")."""
    seen = set(targets)
    shape: dict[str, bool] = {}  # container path -> holds list positions
    for t in targets:
        parts = t.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in seen:
                raise bad(f"field '{t}' lies inside field '{parent}'; use one or the other")
            if shape.setdefault(parent, parts[i].isdigit()) != parts[i].isdigit():
                raise bad(f"field '{t}': '{parent}' is used both as a list (numeric position) and as an object")


# ------------------------------------------------------------------ rows


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value or "")).strip()


def _rule_text(value: Any) -> str:
    """What rules look at: NFC text, underscores read as spaces (``_gạo_st25`` has words)."""
    text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return unicodedata.normalize("NFC", text).replace("_", " ")


def _cell(row: dict[str, str], column: str, target: str, line: int | None) -> str:
    if column not in row:
        raise MappingError("no such column in the file", line=line, column=column, target=target)
    return row[column]


def _fill(template: str, row: dict[str, str], value: Any, target: str, line: int | None) -> str:
    """Fill ``{column}`` (trimmed, NFC) and ``{value}``; any empty placeholder empties the result."""
    empty = False

    def sub(m: re.Match[str]) -> str:
        nonlocal empty
        name = m.group(1)
        text = _clean(value) if name == "value" else _clean(_cell(row, name, target, line))
        empty = empty or not text
        return text

    out = _PLACEHOLDER.sub(sub, template)
    return "" if empty else out


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    current: Any = doc
    for here, nxt in zip(parts, parts[1:]):
        empty: Any = [] if nxt.isdigit() else {}
        if isinstance(current, list):
            index = int(here)
            current.extend([None] * (index + 1 - len(current)))
            if current[index] is None:
                current[index] = empty
            current = current[index]
        else:
            current = current.setdefault(here, empty)
    last = parts[-1]
    if isinstance(current, list):
        index = int(last)
        current.extend([None] * (index + 1 - len(current)))
        current[index] = value
    else:
        current[last] = value


def _compact(value: Any) -> Any:
    """Drop the holes a sparse list path leaves (``images.1`` without ``images.0``)."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value if v is not None]
    return value


def _preview(table: dict[str, Any], limit: int = 6) -> str:
    keys = list(table)
    return ", ".join(keys[:limit]) + (", ..." if len(keys) > limit else "")
