"""``hub`` sources: another hub's change feed, read with its client credentials.

Federation between a regional and an international hub, or a partner country's own
mirror: the remote hub's ``GET /api/v1/changes`` is followed from the saved cursor
with the client credentials of :class:`hub.partner.HubClient`; its tokens are fetched
and renewed under the run's retry policy (:mod:`.tokens`). The feed
holds only published changes, in order, so a revision pending or rejected at the remote
hub never arrives, and an approval arrives as the next change. Records come in the
standard already: upserts go through the write path as they are (the hub's own fields
are ignored on input), deletions become tombstones.

The checkpoint is the feed cursor, plus how many changes of the page at that cursor
are written (``done``): the feed is append-only, so the same cursor gives the same
changes again.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..partner import HubClient
from .http import FetchError, Http, RetryPolicy, json_body
from .pages import Item, Page
from .sources import Auth, Source
from .tokens import UpstreamTokens


class HubFetcher:
    snapshot = False

    def __init__(self, source: Source, policy: RetryPolicy, batch: int, *, on_wait: Any = None,
                 sleep: Any = None) -> None:
        self.source, self.batch = source, min(batch, 1000)
        auth = source.auth
        assert auth is not None and source.url is not None
        client_id = auth.client_id or Auth.env(auth.client_id_env or "", source.name)
        secret = Auth.env(auth.client_secret_env, source.name) if auth.client_secret_env else None
        key = Auth.env(auth.private_key_env, source.name) if auth.private_key_env and not secret else None
        self.client = HubClient(source.url, client_id, client_secret=secret, private_key=key,
                                scope=auth.scope, timeout=policy.timeout)
        extra = {"sleep": sleep} if sleep is not None else {}
        self.http = Http(policy, send=self._send, on_wait=on_wait, **extra)
        self.tokens = UpstreamTokens(self.client, self.http)  # token requests retried like feed pages
        self.state: dict[str, Any] = {}
        self.not_modified = False
        self.note = ""

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.tokens.send(method, url, **kwargs)

    def begin(self, state: dict[str, Any], run_id: int, restart: bool) -> None:
        self.state = {"cursor": None, "done": 0} if restart else {"cursor": None, "done": 0, **state}
        if self.state.get("cursor"):
            self.note = f"continued the feed after cursor {self.state['cursor']}"

    def pages(self) -> Iterator[Page]:
        src = self.source
        cursor, skip = self.state.get("cursor"), int(self.state.get("done", 0))
        repeats = 0
        while True:
            params: dict[str, Any] = {"limit": self.batch}
            if cursor:
                params["after"] = cursor
            if len(src.kinds) == 1:
                params["kind"] = src.kinds[0]
            if len(src.countries) == 1:
                params["country"] = src.countries[0]
            _, body = self.http.call("GET", src.url + "/api/v1/changes", json_body, params=params)
            changes = body.get("changes") if isinstance(body, dict) else None
            if not isinstance(changes, list) or "next_cursor" not in body:
                raise FetchError(f"{src.url}/api/v1/changes: not a change feed page")
            items = [self._item(c) for c in changes]
            nxt, more = body.get("next_cursor") or cursor, bool(body.get("has_more"))
            label = (f"changes {changes[0].get('seq')}-{changes[-1].get('seq')}" if changes
                     else "no new changes")
            start = {"cursor": cursor, "done": skip}
            self.state = {"cursor": nxt, "done": 0}
            yield Page(items[skip:], start, dict(self.state), label)
            skip = 0
            if not more:
                return
            repeats = repeats + 1 if nxt == cursor else 0
            if repeats > 3:
                raise FetchError(f"{src.url}: the change feed does not advance past cursor {cursor}")
            cursor = nxt

    def _item(self, change: Any) -> Item:
        src = self.source
        if not isinstance(change, dict) or not isinstance(change.get("uid"), str):
            return Item("change ?", change, errors=[{"path": "$", "code": "type",
                                                     "message": "A change is an object with a uid."}])
        seq, uid, kind = change.get("seq"), change["uid"], change.get("kind")
        locator = f"change {seq}"
        country = uid.split("/", 1)[0]
        if src.kinds and kind not in src.kinds:
            return Item(locator, None, uid=uid, kind=kind, skipped=f"kind {kind} is not synced")
        if src.countries and country not in src.countries:
            return Item(locator, None, uid=uid, kind=kind, skipped=f"country {country} is not synced")
        if change.get("op") == "delete":
            return Item(locator, change, uid=uid, kind=kind, op="delete")
        record = change.get("record")
        if not isinstance(record, dict):
            return Item(locator, change, uid=uid, kind=kind, errors=[{
                "path": "record", "code": "type", "message": "An upsert carries the record."}])
        return Item(locator, record, record=record, uid=uid, kind=kind)

    def end_state(self) -> dict[str, Any]:
        return dict(self.state)

    def close(self) -> None:
        self.client.close()
