"""Source files: one TOML file per source in ``sources_dir`` (``config/sources/``).

The types (``[source] type``), each a module that parses its own keys and fetches, and
one line of :data:`TYPES`:

- ``file`` (also ``csv``): a file in ``data_dir`` or at a URL, CSV, TSV, JSON, NDJSON or a
  workbook (:mod:`hub.sync.inputs`), mapped row by row (``[id]``, ``[fields.*]``,
  :mod:`hub.sync.mapping`); a full snapshot every time.
- ``json``: a national REST API, paged (``[source.pagination]``); items mapped like rows
  (nested keys become dotted columns), or taken as standard records when the file has no
  ``[fields.*]``. A full snapshot, or incremental with ``since_param``/``since_field``.
- ``hub``: another hub's change feed, read with client credentials (``[source.auth]``):
  federation between hubs, or a partner country's own mirror.

Schedules, delete policy and retry settings are keys of ``[source]`` too; secrets are
never in the file, only the names of environment variables that hold them.
docs/sync.md explains every key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from croniter import croniter

from . import federation, files, rest
from .base import Bad, FetchContext, Fetcher, Source, SourceConfigError
from .screen import REPEATS

__all__ = [
    "TYPES",
    "SourceType",
    "Source",
    "SourceConfigError",
    "load",
    "load_all",
    "scan",
    "from_data",
    "open_fetcher",
]

DELETES = ("never", "report", "apply")
NIGHTLY = "0 2 * * *"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # fullmatch: no trailing newline
#: keys of ``[source]`` every type has; the rest are the type's own
COMMON = frozenset(
    {
        "name",
        "type",
        "description",
        "schedule",
        "deletes",
        "max_deletes",
        "timeout",
        "retries",
        "retry_budget",
        "batch_size",
        "repeats",
        "group",
    }
)


@dataclass(frozen=True)
class SourceType:
    """One source type: how its keys are parsed, how it is fetched, and its defaults."""

    #: ``(whole file, [source], the common keys, origin, bad) -> the type's keys``
    parse: Callable[[dict[str, Any], dict[str, Any], frozenset[str], str, Bad], Any]
    #: ``(source, context) -> a Fetcher``
    open: Callable[[Source, FetchContext], Fetcher]
    #: the ``deletes`` policy when the file names none
    deletes: str = "report"


#: The registry: ``[source] type`` -> its parser and fetcher. A new type is a module and a line here.
TYPES: dict[str, SourceType] = {
    "file": SourceType(files.parse, files.open_fetcher),
    "csv": SourceType(files.parse, files.open_fetcher),  # the name "file" had before it read more than CSV
    "json": SourceType(rest.parse, rest.open_fetcher),
    "hub": SourceType(federation.parse, federation.open_fetcher, deletes="apply"),
}


def open_fetcher(source: Source, ctx: FetchContext) -> Fetcher:
    """The fetcher of a source's type."""
    return TYPES[source.type].open(source, ctx)


def load(path: str | Path) -> Source:
    """Read and check one source file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise SourceConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceConfigError(f"{path}: not valid TOML ({exc})") from None
    return from_data(data, origin=str(path), digest=hashlib.sha256(raw).hexdigest())


def shipped_examples() -> Path:
    """The example sources shipped inside the package (``hub/sync/examples``), one per
    shape of national file: found wherever the hub is installed, never in ``sources_dir``."""
    return Path(str(resources.files(__package__) / "examples"))


def load_all(folder: str | Path) -> dict[str, Source]:
    """Every ``*.toml`` source in a folder, by name; the first bad file raises."""
    sources, errors = scan(folder)
    if errors:
        raise SourceConfigError(errors[0])
    return sources


def scan(folder: str | Path) -> tuple[dict[str, Source], list[str]]:
    """Every usable source in a folder, and one message per file that is not usable."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}, [f"sources folder {folder} does not exist (setting sources_dir)"]
    out: dict[str, Source] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            source = load(path)
        except SourceConfigError as exc:
            errors.append(str(exc))
            continue
        if source.name in out:
            errors.append(f"{path}: source name '{source.name}' is used twice")
            continue
        out[source.name] = source
    return out, errors


def from_data(data: dict[str, Any], origin: str = "<source>", digest: str = "") -> Source:
    """Build a source from parsed TOML (tests build small ones inline)."""

    def bad(message: str) -> SourceConfigError:
        return SourceConfigError(f"{origin}: {message}")

    table = data.get("source")
    if not isinstance(table, dict):
        raise bad("missing [source]")
    name_of_type = table.get("type", "csv")
    type_ = TYPES.get(name_of_type)
    if type_ is None:
        raise bad(f"[source] type '{name_of_type}' is not one of {', '.join(TYPES)}")
    name = table.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise bad("[source] needs a 'name' of letters, digits, '.', '_' and '-' (at most 100)")
    common = _common(table, type_, bad)
    keys = type_.parse(data, table, COMMON, origin, bad)
    return Source(name=name, type=name_of_type, keys=keys, origin=origin, digest=digest, **common)


def _common(source: dict[str, Any], type_: SourceType, bad: Bad) -> dict[str, Any]:
    out: dict[str, Any] = {"description": str(source.get("description", ""))}
    schedule = source.get("schedule", NIGHTLY)
    if not isinstance(schedule, str) or not croniter.is_valid(schedule):
        raise bad(f"[source] schedule {schedule!r} is not a cron expression such as '0 2 * * *'")
    out["schedule"] = schedule
    deletes = source.get("deletes", type_.deletes)
    if deletes not in DELETES:
        raise bad(f"[source] deletes is one of {', '.join(DELETES)}")
    out["deletes"] = deletes
    max_deletes = source.get("max_deletes", 0.5)
    if not isinstance(max_deletes, (int, float)) or isinstance(max_deletes, bool) or not 0 <= max_deletes <= 1:
        raise bad("[source] max_deletes is a fraction between 0 and 1 (0.5: at most half the records)")
    out["max_deletes"] = float(max_deletes)
    repeats = source.get("repeats", "quarantine")
    if repeats not in REPEATS:
        raise bad(f"[source] repeats is one of {', '.join(REPEATS)} (what a second row with the same id does)")
    out["repeats"] = repeats
    group = source.get("group")
    if group is not None and (not isinstance(group, str) or not _NAME_RE.match(group)):
        raise bad("[source] group is a name of letters, digits, '.', '_' and '-'")
    out["group"] = group
    timeout = source.get("timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise bad("[source] timeout is a number of seconds")
    out["timeout"] = float(timeout) if timeout is not None else None
    for key, low, high in (("retries", 0, 100), ("retry_budget", 0, 10_000), ("batch_size", 1, 1000)):
        value = source.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            raise bad(f"[source] {key} is a whole number from {low} to {high}")
        out[key] = value
    return out
