"""File sources (types ``file`` and ``csv``): a file in ``data_dir`` or at a URL, in any
format :mod:`.inputs` reads (CSV, TSV, JSON, NDJSON, XLSX, XLS, ODS), row by row in pages.

A file is a full snapshot. Its identity is the SHA-256 of its bytes and of the source
file (a changed mapping reads the data anew); the checkpoint names the identity and
how many rows are written, so a run stopped half-way resumes at the next row of the
same file, and a new file starts a new pass. A file identical to the last complete
pass is not read again. At a URL the file is downloaded first (streamed to a temporary
file: memory stays bounded), conditionally (``If-None-Match`` / ``If-Modified-Since``
from the last complete pass: a ``304`` ends the run at once); a download that breaks off
is retried whole.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import requests

from . import mapping as mappings
from .base import Bad, FetchContext, Source, data_file, is_http_url
from .documents import ndjson_lines
from .http import Http
from .mapping import Mapping, MappingConfigError
from .pages import Item, Page, map_item
from .readers import EXTRA, SourceError
from .workbooks import sheet_height

#: keys of ``[source]`` besides the mapping's own (:data:`hub.sync.mapping.SOURCE_KEYS`)
KEYS = frozenset({"path", "url"})


@dataclass(frozen=True)
class CsvKeys:
    """A csv source: a file (``path``, in ``data_dir`` unless absolute) or a ``url``, and
    the mapping of its rows."""

    mapping: Mapping
    path: str | None = None
    url: str | None = None
    #: every pass reads the whole file: deletions can be detected
    snapshot = True

    @property
    def kind(self) -> str:
        return self.mapping.kind

    @property
    def country(self) -> str:
        return self.mapping.country

    def file(self, data_dir: str | Path) -> Path:
        assert self.path is not None
        return data_file(self.path, data_dir)

    def where(self, data_dir: str | Path) -> str:
        return self.url or str(self.file(data_dir))


def parse(data: dict[str, Any], table: dict[str, Any], common: frozenset[str], origin: str, bad: Bad) -> CsvKeys:
    """The keys of a file source: ``path`` or ``url``, and the mapping (``[id]``, ``[fields.*]``)."""
    if "since_param" in table:
        raise bad("[source] a file is always read whole: no 'since_param'")
    path, url = table.get("path"), table.get("url")
    if path is not None and url is not None:
        raise bad("[source] give 'path' (a file) or 'url', not both")
    if url is not None and not is_http_url(url):
        raise bad("[source] 'url' must start with http:// or https://")
    try:  # checks [source]'s mapping keys, [id], [fields.*], [[skip]]
        mapping = mappings.from_dict(data, origin=origin, others=common | KEYS)
    except MappingConfigError as exc:
        raise bad(str(exc).removeprefix(f"{origin}: ")) from None
    return CsvKeys(mapping, path, url)


class CsvFetcher:
    snapshot = True
    ordered = False
    trusts_review = False

    def __init__(self, source: Source, data_dir: str, http: Http, batch: int) -> None:
        assert isinstance(source.keys, CsvKeys)
        self.source = source
        self.keys: CsvKeys = source.keys
        self.http = http
        self.batch = batch
        self.mapping = source.keys.mapping
        self.data_dir = data_dir
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.file: Path | None = None
        self.state: dict[str, Any] = {}
        self.skip = 0
        self.lines = 0
        self.not_modified = False
        self.note = ""

    # -- the pass ---------------------------------------------------------------------
    def begin(self, state: dict[str, Any], run_id: int, restart: bool) -> None:
        """Get the file, and decide: not modified, resume the pass, or start a new one."""
        previous = {} if restart else state
        validators: dict[str, str] = {}
        if self.keys.url:
            if previous.get("complete"):
                validators = {
                    k: v
                    for k, v in (
                        ("If-None-Match", previous.get("etag")),
                        ("If-Modified-Since", previous.get("last_modified")),
                    )
                    if v
                }
            if not self._download(validators):
                self.not_modified, self.note = True, "not modified at the source (HTTP 304)"
                self.state = state
                return
        else:
            self.file = self.keys.file(self.data_dir)
            if not self.file.is_file():
                raise SourceError(f"{self.file}: file not found (data_dir is {self.data_dir})")
        assert self.file is not None
        identity = _digest(self.file) + ":" + self.source.digest[:16]
        tables = self.mapping.lookups.files(self.data_dir)
        if tables:  # a changed code table is a new pass too
            identity += (
                ":"
                + hashlib.sha256("".join(_digest(t) if t.is_file() else "-" for t in tables).encode()).hexdigest()[:16]
            )
        self.lines = self._size()
        if previous.get("identity") == identity and previous.get("complete"):
            self.not_modified, self.note = True, "the file is the one the last complete pass read"
            self.state = state
            return
        if previous.get("identity") == identity and not previous.get("complete"):
            self.skip = int(previous.get("rows", 0)) + int(previous.get("done", 0))
            self.state = {**previous, "rows": self.skip, "done": 0}
            self.note = f"resumed the interrupted pass after row {self.skip}"
            return
        self.state = {
            "generation": int(state.get("generation", 0)) + 1,
            "pass_run": run_id,
            "identity": identity,
            "rows": 0,
            "complete": False,
            "etag": self.etag,
            "last_modified": self.last_modified,
        }
        if previous.get("identity") and not previous.get("complete"):
            self.note = "the file changed since the interrupted pass: a new pass"

    def pages(self) -> Iterator[Page]:
        assert self.file is not None
        done, items, first_line = 0, [], None
        try:
            rows = self.mapping.rows(self.file, self.data_dir)
            for line, locator, row in rows:
                done += 1
                if done <= self.skip:
                    continue
                raw = {("_extra" if k == EXTRA else k): v for k, v in row.items()}
                items.append(map_item(self.mapping, row, locator, raw, line))
                first_line = first_line or line
                if len(items) >= self.batch:
                    yield self._page(items, done, first_line, line)
                    items, first_line = [], None
        except SourceError as exc:  # the URL's temporary file is no name for the reader
            raise SourceError(str(exc).replace(str(self.file), self.keys.where(self.data_dir))) from None
        if items:
            yield self._page(items, done, first_line or 0, self.lines)
        self.state = {**self.state, "rows": done, "done": 0}

    def _size(self) -> int:
        """The file's lines or sheet rows, for progress (0: unknown). An NDJSON file is
        checked whole here: a bad line fails the run before anything is written."""
        assert self.file is not None
        fmt = self.mapping.format
        try:
            if fmt == "ndjson":
                return sum(1 for _ in ndjson_lines(self.file, self.mapping.encoding))
        except SourceError as exc:
            raise SourceError(str(exc).replace(str(self.file), self.keys.where(self.data_dir))) from None
        if fmt in ("csv", "tsv"):
            return _count_lines(self.file)
        if fmt == "json":
            return 0
        return sheet_height(self.file, self.mapping.options)

    def _page(self, items: list[Item], done: int, first: int, last: int) -> Page:
        start = dict(self.state)
        self.state = {**self.state, "rows": done, "done": 0}
        progress = min(1.0, last / self.lines) if self.lines else None
        return Page(items, start, dict(self.state), f"lines {first}-{last}", progress)

    def end_state(self) -> dict[str, Any]:
        return {**self.state, "complete": True}

    @property
    def retries(self) -> int:
        return self.http.spent

    def close(self) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    # -- download ---------------------------------------------------------------------
    etag: str | None = None
    last_modified: str | None = None

    def _download(self, validators: dict[str, str]) -> bool:
        """Stream the URL to a temporary file; False when the source answers 304."""
        self.tmp = tempfile.TemporaryDirectory(prefix="hub-sync-")
        target = Path(self.tmp.name) / f"source.{self.mapping.format}"

        def save(resp: requests.Response) -> int:
            size = 0
            with open(target, "wb") as out:
                for chunk in resp.iter_content(1 << 16):
                    out.write(chunk)
                    size += len(chunk)
            return size

        assert self.keys.url is not None
        resp, _ = self.http.call("GET", self.keys.url, save, ok=(304,), headers=validators, stream=True)
        if resp.status_code == 304:
            return False
        self.file = target
        self.etag, self.last_modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        return True


def open_fetcher(source: Source, ctx: FetchContext) -> CsvFetcher:
    return CsvFetcher(source, ctx.data_dir, Http(ctx.policy, on_wait=ctx.on_wait, sleep=ctx.sleep), ctx.batch)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            count += chunk.count(b"\n")
    return count + 1
