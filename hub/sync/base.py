"""What every source type shares: the loaded :class:`Source`, the :class:`Fetcher` protocol
the runner drives, and the helpers a type's key parser checks its ``[source]`` keys with.

A source type is one module that parses its own keys and fetches pages
(:mod:`.files`, :mod:`.rest`, :mod:`.federation`) plus one line in
:data:`hub.sync.sources.TYPES`; docs/sync.md, "Writing a source type".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from ..actors import Actor
from .http import RetryPolicy
from .mapping import known
from .pages import Page

__all__ = [
    "WRITE_SOURCE",
    "SourceConfigError",
    "Bad",
    "Keys",
    "Source",
    "FetchContext",
    "Fetcher",
    "Auth",
    "parse_auth",
    "known",
    "strings",
    "is_country",
    "is_http_url",
    "data_file",
]


#: ``Revision.source`` of what sync runs write; the actor (``sync:NAME``) names the source
WRITE_SOURCE = "sync"


class SourceConfigError(ValueError):
    """A source file that cannot be used; the message names the file and the key."""


#: builds the error for a message, prefixed with the source file's name
Bad = Callable[[str], SourceConfigError]


class Keys(Protocol):
    """A type's own ``[source]`` keys, parsed and checked by its module."""

    @property
    def kind(self) -> str | None:
        """The one kind the source writes (``None``: several, named by each item)."""
        ...

    @property
    def country(self) -> str | None:
        """The country it writes for (``None``: any of several)."""
        ...

    @property
    def snapshot(self) -> bool:
        """Whether every complete pass delivers the whole source (deletions can be detected)."""
        ...

    def where(self, data_dir: str | Path) -> str:
        """The URL or file the source reads, for messages."""
        ...


@dataclass(frozen=True)
class Source:
    """A loaded source file: the keys every type has, and the type's own (``keys``)."""

    name: str
    type: str
    keys: Keys  # CsvKeys, JsonKeys, HubKeys: each type module narrows it to its own
    description: str = ""
    schedule: str = "0 2 * * *"
    deletes: str = "report"
    max_deletes: float = 0.5
    timeout: float | None = None
    retries: int | None = None
    retry_budget: int | None = None
    batch_size: int | None = None
    #: repeats of one record id in one pass: "quarantine" (default), "first", "last"
    repeats: str = "quarantine"
    #: sources of one group may write the same records (the later write wins)
    group: str | None = None
    origin: str = ""
    digest: str = ""

    @property
    def kind(self) -> str | None:
        return self.keys.kind

    @property
    def country(self) -> str | None:
        return self.keys.country

    @property
    def snapshot(self) -> bool:
        return self.keys.snapshot

    @property
    def actor(self) -> Actor:
        """Who writes: ``sync:NAME``, bound to the source's country (a source of several
        countries may write any of them)."""
        return Actor(f"sync:{self.name}", self.country)

    def where(self, data_dir: str | Path) -> str:
        """The URL or file the source reads, for messages."""
        return self.keys.where(data_dir)


@dataclass(frozen=True)
class FetchContext:
    """What a fetcher gets besides its source: where files are, how to retry, how big a
    page is, and the runner's hooks (keep the lock while waiting; sleep, for tests)."""

    data_dir: str
    policy: RetryPolicy
    batch: int
    on_wait: Callable[[float], None] | None
    sleep: Callable[[float], None]


class Fetcher(Protocol):
    """Reads one source from a checkpoint, page by page (:mod:`.pages`)."""

    #: every complete pass delivers the whole source, so deletions can be detected
    snapshot: bool
    #: a change feed: items come in order, successive versions of a record are written
    #: in turn, and nothing is screened as stale or as a second delivery
    ordered: bool
    #: what upstream published is published here too (approved in the write's transaction)
    trusts_review: bool
    #: the checkpoint of the pass in progress (``generation``: which pass a snapshot is in)
    state: dict[str, Any]
    #: ``begin`` found nothing new: the run ends at once
    not_modified: bool
    #: one line for the run's report (resumed, not modified, ...), or ""
    note: str

    @property
    def retries(self) -> int:
        """Retries spent so far (the run records them)."""
        ...

    def begin(self, state: dict[str, Any], run_id: int, restart: bool) -> None:
        """Decide from the last checkpoint: not modified, resume, or start a new pass."""
        ...

    def pages(self) -> Iterator[Page]:
        """The pages of this pass, each with the checkpoint to commit after it."""
        ...

    def end_state(self) -> dict[str, Any]:
        """The checkpoint once the pass is complete."""
        ...

    def close(self) -> None:
        """Free what the fetcher holds (temporary files, connections)."""
        ...


# -- helpers for key parsers -------------------------------------------------------------------


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


AUTH_KEYS = frozenset(
    {
        "header",
        "scheme",
        "token_env",
        "username_env",
        "password_env",
        "client_id",
        "client_id_env",
        "client_secret_env",
        "private_key_env",
        "scope",
    }
)


def parse_auth(raw: Any, bad: Bad) -> Auth:
    """``[source.auth]``: names of environment variables, never secrets."""
    if not isinstance(raw, dict):
        raise bad("[source.auth] must be a table")
    for key in ("token", "secret", "password", "client_secret", "private_key"):
        if key in raw:
            raise bad(f"[source.auth] secrets never go into the file: name the environment variable ({key}_env)")
    known(raw, AUTH_KEYS, "[source.auth]", bad)
    for key, value in raw.items():
        if not isinstance(value, str) or not value:
            raise bad(f"[source.auth] {key} is text")
    return Auth(**raw)


def strings(value: Any, key: str, bad: Bad) -> list[str]:
    """A list of text (one text is a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"[source] {key} is a list of text")
    return value


def is_country(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def data_file(path: str, data_dir: str | Path) -> Path:
    """A source file's path: absolute, or relative to ``data_dir``."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(data_dir) / p
