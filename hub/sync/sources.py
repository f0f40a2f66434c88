"""Source files: one TOML file per source in ``sources_dir`` (``config/sources/``).

Three types (``[source] type``):

- ``csv``: a file in ``data_dir`` or at a URL, mapped row by row (``[id]``, ``[fields.*]``,
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
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from croniter import croniter

from schemas import KINDS

from ..actors import Actor
from .mapping import Mapping, MappingConfigError, from_dict

TYPES = ("csv", "json", "hub")
DELETES = ("never", "report", "apply")
STYLES = ("none", "page", "offset", "cursor", "link")
REVIEW = ("trust", "local")
NIGHTLY = "0 2 * * *"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # fullmatch: no trailing newline
_COMMON = frozenset({"name", "type", "description", "schedule", "deletes", "max_deletes", "timeout",
                     "retries", "retry_budget", "batch_size"})
_HUB_KEYS = _COMMON | {"url", "kinds", "countries", "review", "auth"}
_JSON_KEYS = _COMMON | {"url", "kind", "country", "items", "pagination", "params", "auth",
                        "since_param", "since_field"}
_PAGINATION_KEYS = frozenset({"style", "size", "page_param", "first_page", "size_param", "offset_param",
                              "cursor_param", "next_cursor"})
_AUTH_KEYS = frozenset({"header", "scheme", "token_env", "username_env", "password_env", "client_id",
                        "client_id_env", "client_secret_env", "private_key_env", "scope"})


class SourceConfigError(ValueError):
    """A source file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Pagination:
    """How a JSON API pages: ``page`` numbers, ``offset``/limit, a ``cursor`` in the
    body, a ``link`` header (``rel="next"``), or ``none`` (one response)."""

    style: str = "none"
    size: int = 100
    page_param: str = "page"
    first_page: int = 1
    size_param: str | None = None
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    next_cursor: str = "next"


@dataclass(frozen=True)
class Auth:
    """Credentials by environment variable name (never the secret itself)."""

    header: str = "Authorization"
    scheme: str = "Bearer"
    token_env: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    client_id: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    private_key_env: str | None = None
    scope: str | None = None

    @staticmethod
    def env(name: str, source: str) -> str:
        value = os.environ.get(name)
        if not value:
            raise SourceConfigError(f"source '{source}': environment variable {name} is not set")
        return value


@dataclass(frozen=True)
class Source:
    """A loaded source file."""

    name: str
    type: str
    kind: str | None = None
    country: str | None = None
    path: str | None = None
    url: str | None = None
    mapping: Mapping | None = None
    description: str = ""
    schedule: str = NIGHTLY
    deletes: str = "report"
    max_deletes: float = 0.5
    timeout: float | None = None
    retries: int | None = None
    retry_budget: int | None = None
    batch_size: int | None = None
    items: str = ""
    pagination: Pagination = field(default_factory=Pagination)
    params: dict[str, Any] = field(default_factory=dict)
    auth: Auth | None = None
    since_param: str | None = None
    since_field: str | None = None
    kinds: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    review: str = "trust"
    origin: str = ""
    digest: str = ""

    @property
    def snapshot(self) -> bool:
        """Whether every pass delivers the whole source (so deletions can be detected)."""
        return self.type == "csv" or (self.type == "json" and not self.since_param)

    @property
    def actor(self) -> Actor:
        """Who writes: ``sync:NAME``, bound to the source's country (hub sources with
        several countries may write any of them)."""
        country = self.country or (self.countries[0] if len(self.countries) == 1 else None)
        return Actor(f"sync:{self.name}", country)

    def file(self, data_dir: str | Path) -> Path:
        assert self.path is not None
        p = Path(self.path).expanduser()
        return p if p.is_absolute() else Path(data_dir) / p

    def where(self, data_dir: str | Path) -> str:
        """The URL or file the source reads, for messages."""
        return self.url or str(self.file(data_dir))


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
    try:
        return from_data(data, origin=str(path), digest=hashlib.sha256(raw).hexdigest())
    except MappingConfigError as exc:
        raise SourceConfigError(str(exc)) from None


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

    source = data.get("source")
    if not isinstance(source, dict):
        raise bad("missing [source]")
    kind_of = source.get("type", "csv")
    if kind_of not in TYPES:
        raise bad(f"[source] type '{kind_of}' is not one of {', '.join(TYPES)}")
    name = source.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise bad("[source] needs a 'name' of letters, digits, '.', '_' and '-' (at most 100)")
    common = _common(source, kind_of, bad)
    if kind_of == "hub":
        return _hub(data, source, common, origin, digest, bad)
    mapping = None
    if kind_of == "csv" or "fields" in data or "id" in data:
        mapping = from_dict(data, origin=origin)  # checks [source], [id], [fields], [[skip]]
    else:
        _known(source, _JSON_KEYS, "[source]", bad)
        unknown = set(data) - {"source"}
        if unknown:
            raise bad(f"unknown table(s) {', '.join(sorted(unknown))}")
        if source.get("kind") not in KINDS:
            raise bad(f"[source] needs a 'kind', one of {', '.join(KINDS)}")
        if not _country(source.get("country")):
            raise bad("[source] needs a 'country' such as 'TH' (the writer's country)")
    path, url = source.get("path"), source.get("url")
    if kind_of == "json":
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad("[source] a json source needs a 'url' (http or https)")
        if path is not None:
            raise bad("[source] a json source has a 'url', not a 'path'")
    elif path is not None and url is not None:
        raise bad("[source] give 'path' (a file) or 'url', not both")
    elif url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise bad("[source] 'url' must start with http:// or https://")
    since_param, since_field = source.get("since_param"), source.get("since_field")
    if (since_param is None) != (since_field is None):
        raise bad("[source] 'since_param' and 'since_field' go together (incremental reads)")
    if kind_of == "csv" and since_param is not None:
        raise bad("[source] a csv source is always read whole: no 'since_param'")
    items = source.get("items", "")
    if not isinstance(items, str):
        raise bad("[source] 'items' is the dotted path of the list of items in a page ('' for the body)")
    params = source.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, (str, int, float, bool)) for v in params.values()):
        raise bad("[source.params] is a table of query parameters with text or number values")
    return Source(name=name, type=kind_of,
                  kind=mapping.kind if mapping else source["kind"],
                  country=mapping.country if mapping else source["country"],
                  path=path, url=url, mapping=mapping, items=items,
                  pagination=_pagination(source.get("pagination"), kind_of, bad),
                  params={k: str(v) for k, v in params.items()},
                  auth=_auth(source.get("auth"), bad) if "auth" in source else None,
                  since_param=since_param, since_field=since_field, origin=origin, digest=digest,
                  **common)


def _hub(data: dict[str, Any], source: dict[str, Any], common: dict[str, Any], origin: str, digest: str,
         bad: Any) -> Source:
    _known(source, _HUB_KEYS, "[source]", bad)
    if set(data) != {"source"}:
        raise bad("a hub source has [source] only: records come in the standard already")
    url = source.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad("[source] a hub source needs the remote hub's 'url' (http or https)")
    kinds = _strings(source.get("kinds", []), "kinds", bad)
    if set(kinds) - set(KINDS):
        raise bad(f"[source] kinds: unknown {', '.join(sorted(set(kinds) - set(KINDS)))}")
    countries = _strings(source.get("countries", []), "countries", bad)
    if not all(_country(c) for c in countries):
        raise bad("[source] countries are ISO 3166-1 alpha-2 codes such as 'VN'")
    review = source.get("review", "trust")
    if review not in REVIEW:
        raise bad("[source] review is 'trust' (publish what the remote hub published) or 'local'")
    auth = _auth(source.get("auth"), bad)
    if not (auth.client_id or auth.client_id_env) or not (auth.client_secret_env or auth.private_key_env):
        raise bad("[source.auth] needs client_id (or client_id_env) and client_secret_env "
                  "(or private_key_env): the remote hub's client credentials")
    if "deletes" not in source:
        common["deletes"] = "apply"
    return Source(name=source["name"], type="hub", url=url.rstrip("/"), kinds=tuple(kinds),
                  countries=tuple(countries), review=review, auth=auth, origin=origin, digest=digest,
                  **common)


def _common(source: dict[str, Any], kind_of: str, bad: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"description": str(source.get("description", ""))}
    schedule = source.get("schedule", NIGHTLY)
    if not isinstance(schedule, str) or not croniter.is_valid(schedule):
        raise bad(f"[source] schedule {schedule!r} is not a cron expression such as '0 2 * * *'")
    out["schedule"] = schedule
    deletes = source.get("deletes", "report")
    if deletes not in DELETES:
        raise bad(f"[source] deletes is one of {', '.join(DELETES)}")
    out["deletes"] = deletes
    max_deletes = source.get("max_deletes", 0.5)
    if not isinstance(max_deletes, (int, float)) or isinstance(max_deletes, bool) or not 0 <= max_deletes <= 1:
        raise bad("[source] max_deletes is a fraction between 0 and 1 (0.5: at most half the records)")
    out["max_deletes"] = float(max_deletes)
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


def _pagination(raw: Any, kind_of: str, bad: Any) -> Pagination:
    if raw is None:
        return Pagination()
    if kind_of != "json":
        raise bad("[source.pagination] is for json sources")
    if not isinstance(raw, dict):
        raise bad("[source.pagination] must be a table")
    _known(raw, _PAGINATION_KEYS, "[source.pagination]", bad)
    style = raw.get("style", "page")
    if style not in STYLES:
        raise bad(f"[source.pagination] style is one of {', '.join(STYLES)}")
    size = raw.get("size", 100)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 10_000:
        raise bad("[source.pagination] size is a whole number from 1 to 10000")
    default_size = {"page": "per_page", "offset": "limit"}.get(style)
    values = {k: v for k, v in raw.items() if k != "style"}
    for key, value in values.items():
        if key not in ("size", "first_page") and not isinstance(value, str):
            raise bad(f"[source.pagination] {key} is text")
    if not isinstance(values.get("first_page", 1), int):
        raise bad("[source.pagination] first_page is a whole number")
    return Pagination(style=style, **{"size_param": default_size, **values})


def _auth(raw: Any, bad: Any) -> Auth:
    if not isinstance(raw, dict):
        raise bad("[source.auth] must be a table")
    for key in ("token", "secret", "password", "client_secret", "private_key"):
        if key in raw:
            raise bad(f"[source.auth] secrets never go into the file: name the environment variable ({key}_env)")
    _known(raw, _AUTH_KEYS, "[source.auth]", bad)
    for key, value in raw.items():
        if not isinstance(value, str) or not value:
            raise bad(f"[source.auth] {key} is text")
    return Auth(**raw)


def _strings(value: Any, key: str, bad: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"[source] {key} is a list of text")
    return value


def _country(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()


def _known(table: dict[str, Any], keys: frozenset[str], where: str, bad: Any) -> None:
    unknown = set(table) - keys
    if unknown:
        raise bad(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(keys))})")
