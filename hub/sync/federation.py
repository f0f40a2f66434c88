"""``hub`` sources: another hub's change feed, read with its client credentials.

Federation between a regional and an international hub, or a partner country's own
mirror: the remote hub's ``GET /api/v1/changes`` is followed from the saved cursor
with the client credentials of :class:`ovop_hub_client.HubClient`, the partners' own client
(clients/python); its tokens are fetched and renewed under the run's retry policy
(:mod:`.tokens`). The feed
holds only published changes, in order, so a revision pending or rejected at the remote
hub never arrives, and an approval arrives as the next change. Records come in the
standard already: upserts go through the write path as they are (the hub's own fields
are ignored on input), deletions become tombstones.

The checkpoint is the feed cursor, plus how many changes of the page at that cursor
are written (``done``): the feed is append-only, so the same cursor gives the same
changes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ovop_hub_client import HubClient

from schemas import KINDS

from .base import Auth, Bad, FetchContext, Source, is_country, is_http_url, known, parse_auth, strings
from .http import FetchError, Http, RetryPolicy, json_body
from .pages import Item, Page
from .tokens import UpstreamTokens

KEYS = frozenset({"url", "kinds", "countries", "review", "auth"})
REVIEW = ("trust", "local")


@dataclass(frozen=True)
class HubKeys:
    """A hub source: the remote hub's ``url`` and client credentials, which kinds and
    countries to take, and whether to publish what it published (``review = "trust"``)."""

    url: str
    auth: Auth
    kinds: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    review: str = "trust"
    #: a change feed: a pass delivers what changed, never the whole source
    snapshot = False

    @property
    def kind(self) -> None:
        return None  # several: each change names its kind

    @property
    def country(self) -> str | None:
        """The writer's country: the one synced country, else any."""
        return self.countries[0] if len(self.countries) == 1 else None

    def where(self, data_dir: str | Path) -> str:
        return self.url


def parse(data: dict[str, Any], table: dict[str, Any], common: frozenset[str], origin: str, bad: Bad) -> HubKeys:
    """The keys of a hub source; records come in the standard, so there is no mapping."""
    known(table, common | KEYS, "[source]", bad)
    if set(data) != {"source"}:
        raise bad("a hub source has [source] only: records come in the standard already")
    url = table.get("url")
    if not isinstance(url, str) or not is_http_url(url):
        raise bad("[source] a hub source needs the remote hub's 'url' (http or https)")
    kinds = strings(table.get("kinds", []), "kinds", bad)
    if set(kinds) - set(KINDS):
        raise bad(f"[source] kinds: unknown {', '.join(sorted(set(kinds) - set(KINDS)))}")
    countries = strings(table.get("countries", []), "countries", bad)
    if not all(is_country(c) for c in countries):
        raise bad("[source] countries are ISO 3166-1 alpha-2 codes such as 'VN'")
    review = table.get("review", "trust")
    if review not in REVIEW:
        raise bad("[source] review is 'trust' (publish what the remote hub published) or 'local'")
    auth = parse_auth(table.get("auth"), bad)
    if not (auth.client_id or auth.client_id_env) or not (auth.client_secret_env or auth.private_key_env):
        raise bad(
            "[source.auth] needs client_id (or client_id_env) and client_secret_env "
            "(or private_key_env): the remote hub's client credentials"
        )
    return HubKeys(url=url.rstrip("/"), auth=auth, kinds=tuple(kinds), countries=tuple(countries), review=review)


class HubFetcher:
    snapshot = False
    ordered = True

    def __init__(
        self, source: Source, policy: RetryPolicy, batch: int, *, on_wait: Any = None, sleep: Any = None
    ) -> None:
        assert isinstance(source.keys, HubKeys)
        self.source = source
        self.keys: HubKeys = source.keys
        self.batch = min(batch, 1000)
        self.trusts_review = source.keys.review == "trust"
        auth = source.keys.auth
        client_id = auth.client_id or Auth.env(auth.client_id_env or "", source.name)
        secret = Auth.env(auth.client_secret_env, source.name) if auth.client_secret_env else None
        key = Auth.env(auth.private_key_env, source.name) if auth.private_key_env and not secret else None
        self.client = HubClient(
            source.keys.url,
            client_id,
            client_secret=secret,
            private_key=key,
            scope=auth.scope,
            timeout=policy.timeout,
            retries=0,
        )
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
        src = self.keys
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
            if not isinstance(body, dict) or not isinstance(changes, list) or "next_cursor" not in body:
                raise FetchError(f"{src.url}/api/v1/changes: not a change feed page")
            items = [self._item(c) for c in changes]
            nxt, more = body.get("next_cursor") or cursor, bool(body.get("has_more"))
            label = f"changes {changes[0].get('seq')}-{changes[-1].get('seq')}" if changes else "no new changes"
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
        src = self.keys
        if not isinstance(change, dict) or not isinstance(change.get("uid"), str):
            return Item(
                "change ?",
                change,
                errors=[{"path": "$", "code": "type", "message": "A change is an object with a uid."}],
            )
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
            return Item(
                locator,
                change,
                uid=uid,
                kind=kind,
                errors=[{"path": "record", "code": "type", "message": "An upsert carries the record."}],
            )
        return Item(locator, record, record=record, uid=uid, kind=kind)

    def end_state(self) -> dict[str, Any]:
        return dict(self.state)

    @property
    def retries(self) -> int:
        return self.http.spent

    def close(self) -> None:
        self.client.close()


def open_fetcher(source: Source, ctx: FetchContext) -> HubFetcher:
    return HubFetcher(source, ctx.policy, ctx.batch, on_wait=ctx.on_wait, sleep=ctx.sleep)
