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

from typing import Any, Iterator
from urllib.parse import urljoin

from .http import FetchError, Http, json_body
from .pages import Item, Page, dig, flatten, map_item
from .sources import Auth, Source

MAX_REPEATS = 3


class JsonFetcher:
    def __init__(self, source: Source, http: Http) -> None:
        self.source, self.http = source, http
        self.snapshot = source.snapshot
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
        self.state = {"generation": int(state.get("generation", 0)) + 1, "pass_run": run_id,
                      "position": self._first(), "done": 0, "since": since, "max_seen": since,
                      "complete": False}

    def _first(self) -> dict[str, Any]:
        p = self.source.pagination
        return {"page": {"page": p.first_page}, "offset": {"offset": 0}, "cursor": {"cursor": None},
                "link": {"url": None}, "none": {"url": None}}[p.style]

    def pages(self) -> Iterator[Page]:
        p = self.source.pagination
        position, skip = self.state["position"], int(self.state.get("done", 0))
        repeats, number = 0, 0
        while position is not None:
            number += 1
            url, params = self._request(position)
            resp, body = self.http.call("GET", url, json_body, params=params, headers=self.headers,
                                        auth=self.auth)
            raw_items = dig(body, self.source.items)
            if not isinstance(raw_items, list):
                raise FetchError(f"GET {resp.url}: no list of items at '{self.source.items or '(the body)'}'")
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
                raise FetchError(f"GET {resp.url}: the source sent the same next {p.style} "
                                 f"{MAX_REPEATS + 1} times in a row: its pagination does not advance")
            stamps = [i.stamp for i in items if i.stamp]
            seen = max([s for s in [self.state.get("max_seen"), *stamps] if s], default=None)
            start = {**self.state, "position": position, "done": 0}
            self.state = {**self.state, "position": nxt, "done": 0, "max_seen": seen}
            yield Page(items[skip:], {**start, "done": skip}, dict(self.state), label)
            skip = 0
            position = nxt

    def _request(self, position: dict[str, Any]) -> tuple[str, dict[str, str]]:
        p = self.source.pagination
        params = dict(self.source.params)
        if self.source.since_param and self.state.get("since"):
            params[self.source.since_param] = self.state["since"]
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
        assert self.source.url is not None
        return self.source.url, params

    def _item(self, raw: Any, locator: str) -> Item:
        source = self.source
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
            uid = f"{country}/{source.kind}/{rid}" if isinstance(rid, str) and isinstance(country, str) else None
            item = Item(locator, raw, record=record, uid=uid, kind=source.kind)
        item.stamp = stamp
        return item

    def end_state(self) -> dict[str, Any]:
        return {**self.state, "position": None, "done": 0, "complete": True,
                "since": self.state.get("max_seen") or self.state.get("since")}

    def close(self) -> None:
        pass


def _credentials(source: Source) -> tuple[dict[str, str], tuple[str, str] | None]:
    auth: Auth | None = source.auth
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
    text = {"page": f"page {value}", "offset": f"offset {value}",
            "cursor": f"cursor {value}" if value else "the first page",
            "url": value or "the first page"}[key]
    return f"{text} (after {done} items)" if done else text


def _not_object() -> dict[str, str]:
    return {"path": "$", "code": "type", "message": "An item is a JSON object."}
