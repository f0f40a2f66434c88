"""``json`` sources: a national REST API, page by page.

Pagination styles (``[source.pagination] style``):

- ``page``: ``?page=N&per_page=S`` from ``first_page``; ends at a short or empty page;
- ``offset``: ``?offset=O&limit=S``; ends at a short or empty page;
- ``cursor``: ``?cursor=C``, the next cursor at the dotted path ``next_cursor`` of the
  body; ends when it is empty;
- ``link``: the ``Link: <...>; rel="next"`` header; ends when there is none;
- ``none``: one response.

The checkpoint is the position of the next request (page, offset, cursor or URL), so a
stopped run resumes there. Without ``since_param`` every pass reads the whole source (a
snapshot: deletions can be detected); with ``since_param``/``since_field`` a pass asks
only for items changed since the greatest ``since_field`` of the last complete pass.
A server that hands out the same cursor or link again and again is caught (the run fails
and says so) instead of looping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin

import schemas
from schemas import KINDS

from . import mapping as mappings
from .base import Auth, Bad, FetchContext, Source, is_country, is_http_url, known, parse_auth
from .http import FetchError, Http, json_body
from .mapping import Mapping, MappingConfigError
from .pages import Item, Page, dig, flatten, map_item

MAX_REPEATS = 3
STYLES = ("none", "page", "offset", "cursor", "link")
KEYS = frozenset({"url", "kind", "country", "items", "pagination", "params", "auth", "since_param", "since_field"})
_PAGINATION_KEYS = frozenset(
    {"style", "size", "page_param", "first_page", "size_param", "offset_param", "cursor_param", "next_cursor"}
)


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
class JsonKeys:
    """A json source: the API's ``url``, where the items are, how it pages, credentials, and
    either a mapping (``[id]``, ``[fields.*]``) or items that are standard records already."""

    url: str
    kind: str
    country: str
    mapping: Mapping | None = None
    items: str = ""
    pagination: Pagination = field(default_factory=Pagination)
    params: dict[str, str] = field(default_factory=dict)
    auth: Auth | None = None
    since_param: str | None = None
    since_field: str | None = None

    @property
    def snapshot(self) -> bool:
        """Without ``since_param`` every pass reads the whole source: deletions can be detected."""
        return not self.since_param

    def where(self, data_dir: str | Path) -> str:
        return self.url


def parse(data: dict[str, Any], table: dict[str, Any], common: frozenset[str], origin: str, bad: Bad) -> JsonKeys:
    """The keys of a json source (``[source.pagination]``, ``[source.auth]`` included)."""
    mapping = None
    if "unpivot" in data:
        raise bad('[unpivot] is for files (type = "file"): an API\'s items are mapped one by one')
    if "fields" in data or "id" in data:
        try:  # checks [source]'s mapping keys, [id], [fields.*], [[skip]]
            # an API answers JSON: 'items' is the rest type's, whatever the URL looks like
            as_json = {**data, "source": {**table, "format": table.get("format", "json")}}
            mapping = mappings.from_dict(as_json, origin=origin, others=common | KEYS)
        except MappingConfigError as exc:
            raise bad(str(exc).removeprefix(f"{origin}: ")) from None
    else:
        known(table, common | KEYS, "[source]", bad)
        unknown = set(data) - {"source"}
        if unknown:
            raise bad(f"unknown table(s) {', '.join(sorted(unknown))}")
        if table.get("kind") not in KINDS:
            raise bad(f"[source] needs a 'kind', one of {', '.join(KINDS)}")
        if not is_country(table.get("country")):
            raise bad("[source] needs a 'country' such as 'TH' (the writer's country)")
    url = table.get("url")
    if not isinstance(url, str) or not is_http_url(url):
        raise bad("[source] a json source needs a 'url' (http or https)")
    if table.get("path") is not None:
        raise bad(
            "[source] a json source reads an API's 'url'; a JSON or NDJSON file on disk is type = \"file\" with 'path'"
        )
    since_param, since_field = table.get("since_param"), table.get("since_field")
    if (since_param is None) != (since_field is None):
        raise bad("[source] 'since_param' and 'since_field' go together (incremental reads)")
    items = table.get("items", "")
    if not isinstance(items, str):
        raise bad("[source] 'items' is the dotted path of the list of items in a page ('' for the body)")
    params = table.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, (str, int, float, bool)) for v in params.values()):
        raise bad("[source.params] is a table of query parameters with text or number values")
    return JsonKeys(
        url=url,
        kind=mapping.kind if mapping else table["kind"],
        country=mapping.country if mapping else table["country"],
        mapping=mapping,
        items=items,
        pagination=_pagination(table.get("pagination"), bad),
        params={k: str(v) for k, v in params.items()},
        auth=parse_auth(table.get("auth"), bad) if "auth" in table else None,
        since_param=since_param,
        since_field=since_field,
    )


def _pagination(raw: Any, bad: Bad) -> Pagination:
    if raw is None:
        return Pagination()
    if not isinstance(raw, dict):
        raise bad("[source.pagination] must be a table")
    known(raw, _PAGINATION_KEYS, "[source.pagination]", bad)
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


class JsonFetcher:
    ordered = False
    trusts_review = False

    def __init__(self, source: Source, http: Http) -> None:
        assert isinstance(source.keys, JsonKeys)
        self.source = source
        self.keys: JsonKeys = source.keys
        self.http = http
        self.snapshot = source.keys.snapshot
        self.state: dict[str, Any] = {}
        self.not_modified = False
        self.note = ""
        self.headers, self.auth = _credentials(source)

    def begin(self, state: dict[str, Any], run_id: int, restart: bool) -> None:
        if state and not restart and not state.get("complete") and "position" in state:
            self.state = dict(state)
            self.note = f"resumed the interrupted pass at {_where(state['position'], state.get('done', 0))}"
            return
        since = None if restart else state.get("since")
        self.state = {
            "generation": int(state.get("generation", 0)) + 1,
            "pass_run": run_id,
            "position": self._first(),
            "done": 0,
            "since": since,
            "max_seen": since,
            "complete": False,
        }

    def _first(self) -> dict[str, Any]:
        p = self.keys.pagination
        first: dict[str, dict[str, Any]] = {
            "page": {"page": p.first_page},
            "offset": {"offset": 0},
            "cursor": {"cursor": None},
            "link": {"url": None},
            "none": {"url": None},
        }
        return first[p.style]

    def pages(self) -> Iterator[Page]:
        p = self.keys.pagination
        position, skip = self.state["position"], int(self.state.get("done", 0))
        repeats, number = 0, 0
        while position is not None:
            number += 1
            url, params = self._request(position)
            resp, body = self.http.call("GET", url, json_body, params=params, headers=self.headers, auth=self.auth)
            raw_items = dig(body, self.keys.items)
            if not isinstance(raw_items, list):
                raise FetchError(f"GET {resp.url}: no list of items at '{self.keys.items or '(the body)'}'")
            label = _where(position, 0)
            items = [self._item(x, f"{label} item {i + 1}") for i, x in enumerate(raw_items)]
            if p.style == "page":
                nxt = None if len(raw_items) < p.size else {"page": position["page"] + 1}
            elif p.style == "offset":
                nxt = None if len(raw_items) < p.size else {"offset": position["offset"] + len(raw_items)}
            elif p.style == "cursor":
                cursor = dig(body, p.next_cursor)
                nxt = {"cursor": str(cursor)} if cursor not in (None, "", False) else None
            elif p.style == "link":
                link = resp.links.get("next", {}).get("url")
                nxt = {"url": urljoin(resp.url, link)} if link else None
            else:
                nxt = None
            repeats = repeats + 1 if nxt is not None and nxt == position else 0
            if repeats > MAX_REPEATS:
                raise FetchError(
                    f"GET {resp.url}: the source sent the same next {p.style} "
                    f"{MAX_REPEATS + 1} times in a row: its pagination does not advance"
                )
            stamps = [i.stamp for i in items if i.stamp]
            seen = max([s for s in [self.state.get("max_seen"), *stamps] if s], default=None)
            start = {**self.state, "position": position, "done": 0}
            self.state = {**self.state, "position": nxt, "done": 0, "max_seen": seen}
            yield Page(items[skip:], {**start, "done": skip}, dict(self.state), label)
            skip = 0
            position = nxt

    def _request(self, position: dict[str, Any]) -> tuple[str, dict[str, str]]:
        p = self.keys.pagination
        params = dict(self.keys.params)
        if self.keys.since_param and self.state.get("since"):
            params[self.keys.since_param] = self.state["since"]
        if p.style == "page":
            params[p.page_param] = str(position["page"])
        elif p.style == "offset":
            params[p.offset_param] = str(position["offset"])
        elif p.style == "cursor" and position.get("cursor") is not None:
            params[p.cursor_param] = position["cursor"]
        if p.style in ("page", "offset") and p.size_param:
            params[p.size_param] = str(p.size)
        if p.style == "link" and position.get("url"):
            return position["url"], {}  # the next link carries its own query
        return self.keys.url, params

    def _item(self, raw: Any, locator: str) -> Item:
        source = self.keys
        stamp = None
        if source.since_field and isinstance(raw, dict):
            value = dig(raw, source.since_field)
            stamp = str(value) if value not in (None, "") else None
        if source.mapping is not None:
            if not isinstance(raw, dict):
                return Item(locator, raw, kind=source.kind, errors=[_not_object()])
            row = {c: "" for c in source.mapping.columns} | flatten(raw, source.mapping.columns)
            item = map_item(source.mapping, row, locator, raw)
        elif not isinstance(raw, dict):
            return Item(locator, raw, kind=source.kind, errors=[_not_object()])
        else:
            record = dict(raw)
            record.setdefault("country", source.country)
            rid, country = record.get("id"), record.get("country")
            uid = schemas.uid(country, source.kind, rid) if isinstance(rid, str) and isinstance(country, str) else None
            item = Item(locator, raw, record=record, uid=uid, kind=source.kind)
        item.stamp = stamp
        return item

    def end_state(self) -> dict[str, Any]:
        return {
            **self.state,
            "position": None,
            "done": 0,
            "complete": True,
            "since": self.state.get("max_seen") or self.state.get("since"),
        }

    @property
    def retries(self) -> int:
        return self.http.spent

    def close(self) -> None:
        pass


def open_fetcher(source: Source, ctx: FetchContext) -> JsonFetcher:
    assert isinstance(source.keys, JsonKeys)
    if source.keys.mapping is not None:
        source.keys.mapping.lookups.load(ctx.data_dir)  # [lookups.*] files, once per pass
    return JsonFetcher(source, Http(ctx.policy, on_wait=ctx.on_wait, sleep=ctx.sleep))


def _credentials(source: Source) -> tuple[dict[str, str], tuple[str, str] | None]:
    assert isinstance(source.keys, JsonKeys)
    auth = source.keys.auth
    if auth is None:
        return {}, None
    if auth.username_env and auth.password_env:
        return {}, (Auth.env(auth.username_env, source.name), Auth.env(auth.password_env, source.name))
    if auth.token_env:
        token = Auth.env(auth.token_env, source.name)
        return {auth.header: f"{auth.scheme} {token}".strip() if auth.scheme else token}, None
    return {}, None


def _where(position: dict[str, Any] | None, done: int) -> str:
    if not position:
        return "the end"
    key, value = next(iter(position.items()))
    text = {
        "page": f"page {value}",
        "offset": f"offset {value}",
        "cursor": f"cursor {value}" if value else "the first page",
        "url": value or "the first page",
    }[key]
    return f"{text} (after {done} items)" if done else text


def _not_object() -> dict[str, str]:
    return {"path": "$", "code": "type", "message": "An item is a JSON object."}
