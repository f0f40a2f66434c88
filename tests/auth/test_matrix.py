"""The authorization matrix: every route of the app against every kind of credential.

The test enumerates ``app.url_map``; nothing lists the API's routes by hand. Each
route is either in the public allowlist (``hub.auth.protect.PUBLIC_ENDPOINTS``), an
OAuth endpoint protected by client authentication, or protected by ``require()``,
whose view carries the scope it needs (and the URL parameter naming the country for
country-bound routes). A route added without protection fails here.

Console pages (``console.*``) are protected by a staff session instead: without one,
every page but the console's own public ones (``hub.console.PUBLIC_ENDPOINTS``)
redirects to the login page, whatever bearer token is sent.

Cases: no token, malformed tokens, an expired token, a revoked token, a token of a
revoked client, a token lacking the scope, a token of another country, a proper token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from hub.auth import clients
from hub.auth.protect import CLIENT_AUTH_ENDPOINTS, PUBLIC_ENDPOINTS, REALM
from hub.console import PUBLIC_ENDPOINTS as CONSOLE_PUBLIC
from hub.store.db import transaction
from tests.auth.helpers import ALL_SCOPES, bearer, expire, get_token, make_client

PROBLEM = "application/problem+json"
CASES = ("no token", "malformed", "expired", "revoked", "revoked client", "lacking scope", "other country", "proper")


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str
    scope: str | None
    country_param: str | None

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule} ({self.rule.endpoint})"


def routes(app: Flask) -> Iterator[Route]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(rule, method, getattr(view, "_hub_scope", None), getattr(view, "_hub_country_param", None))


def url(route: Route, country: str = "VN") -> str:
    """A URL for the rule: first choice of ``any(...)``, 1 for ints, the country where named."""
    values: dict[str, Any] = {}
    for arg in route.rule.arguments:
        conv = route.rule._converters[arg]
        if isinstance(conv, AnyConverter):
            values[arg] = sorted(conv.items)[0]
        elif isinstance(conv, IntegerConverter):
            values[arg] = 1
        elif arg == route.country_param or arg == "country":
            values[arg] = country
        else:
            values[arg] = "x1"
    return route.rule.build(values, append_unknown=False)[1]  # type: ignore[index]


class Tokens:
    """One token for each case, issued by the real token endpoint."""

    def __init__(self, hub, client) -> None:  # type: ignore[no-untyped-def]
        vn, vn_secret = make_client(hub, "VN", ALL_SCOPES)
        th, th_secret = make_client(hub, "TH", ALL_SCOPES)
        self.proper = get_token(client, vn, vn_secret)
        self.other_country = get_token(client, th, th_secret)
        self.lacking = {
            s: get_token(client, vn, vn_secret, " ".join(x for x in ALL_SCOPES if x != s)) for s in ALL_SCOPES
        }
        self.expired = get_token(client, vn, vn_secret)
        expire(hub, self.expired)
        self.revoked = get_token(client, vn, vn_secret)
        assert client.post("/oauth/revoke", data={"token": self.revoked}, auth=(vn, vn_secret)).status_code == 200
        gone, gone_secret = make_client(hub, "VN", ALL_SCOPES)
        self.revoked_client = get_token(client, gone, gone_secret)
        with transaction(hub.sessions) as session:
            clients.revoke(session, "test", gone)


def call(client, route: Route, headers: dict[str, str], country: str = "VN"):  # type: ignore[no-untyped-def]
    body = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
    return client.open(url(route, country), method=route.method, headers=headers, **body)


def check_401(resp) -> str | None:  # type: ignore[no-untyped-def]
    challenge = resp.headers.get("WWW-Authenticate", "")
    if resp.status_code != 401:
        return f"status {resp.status_code}, expected 401"
    if not (challenge.startswith(f'Bearer realm="{REALM}"') and 'error="invalid_token"' in challenge):
        return f"WWW-Authenticate is {challenge!r}"
    if resp.mimetype != PROBLEM or resp.get_json().get("status") != 401:
        return f"body is {resp.mimetype}, not problem+json"
    return None


def check_console(case: str, route: Route, client, tokens: Tokens) -> str | None:  # type: ignore[no-untyped-def]
    """Console pages are protected by a staff session, not by tokens: whatever token is
    sent, a page outside the console's public list redirects to the login page."""
    token = {
        "proper": tokens.proper,
        "other country": tokens.other_country,
        "expired": tokens.expired,
        "revoked": tokens.revoked,
        "revoked client": tokens.revoked_client,
    }.get(case)
    resp = call(client, route, bearer(token) if token else {})
    if route.rule.endpoint in CONSOLE_PUBLIC:
        return f"public console page answered {resp.status_code}" if resp.status_code >= 500 else None
    if resp.status_code != 302 or not resp.headers.get("Location", "").startswith("/console/login"):
        return f"status {resp.status_code} without a staff session, expected a redirect to /console/login"
    return None


def check(case: str, route: Route, client, tokens: Tokens) -> str | None:  # type: ignore[no-untyped-def]
    """What is wrong with the route's answer in this case (None: as it should be)."""
    if route.rule.endpoint.startswith("console."):
        return check_console(case, route, client, tokens)
    if route.rule.endpoint in PUBLIC_ENDPOINTS:
        resp = call(client, route, {})
        return f"public route answered {resp.status_code}" if resp.status_code >= 500 else None
    if route.rule.endpoint in CLIENT_AUTH_ENDPOINTS:
        resp = client.open(
            url(route), method=route.method, data={"token": tokens.proper, "grant_type": "client_credentials"}
        )
        if resp.status_code not in (400, 401) or resp.get_json().get("error") != "invalid_client":
            return f"answered {resp.status_code} without client authentication"
        return None
    if route.scope is None:
        return "not protected: add @require(scope) or list it in PUBLIC_ENDPOINTS"
    if case == "no token":
        return check_401(call(client, route, {}))
    if case == "malformed":
        for header in (
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Bearer not-a-token!",
            "token",
            f"Bearer {tokens.proper}x",
            f"MAC {tokens.proper}",
        ):
            problem = check_401(call(client, route, {"Authorization": header}))
            if problem:
                return f"Authorization: {header[:20]}...: {problem}"
        return None
    if case in ("expired", "revoked", "revoked client"):
        tok = {"expired": tokens.expired, "revoked": tokens.revoked, "revoked client": tokens.revoked_client}[case]
        return check_401(call(client, route, bearer(tok)))
    if case == "lacking scope":
        resp = call(client, route, bearer(tokens.lacking[route.scope]))
        challenge = resp.headers.get("WWW-Authenticate", "")
        if (
            resp.status_code != 403
            or 'error="insufficient_scope"' not in challenge
            or f'scope="{route.scope}"' not in challenge
            or resp.mimetype != PROBLEM
        ):
            return f"status {resp.status_code}, WWW-Authenticate {challenge!r}"
        return None
    if case == "other country":
        resp = call(client, route, bearer(tokens.other_country), country="VN")
        if route.country_param is None:  # not country-bound: any member's token is proper
            return (
                None
                if resp.status_code not in (401, 403) and resp.status_code < 500
                else f"status {resp.status_code} for another member's token"
            )
        if resp.status_code != 403 or resp.mimetype != PROBLEM or resp.get_json().get("code") != "forbidden":
            return f"status {resp.status_code} {resp.get_json()}, expected 403 forbidden"
        return None
    resp = call(client, route, bearer(tokens.proper))
    if resp.status_code in (401, 403) or resp.status_code >= 500:
        return f"status {resp.status_code} with a proper token: {resp.get_data(as_text=True)[:200]}"
    return None


def matrix(app: Flask, client, tokens: Tokens, case: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{route}: {problem}" for route in routes(app) if (problem := check(case, route, client, tokens))]


@pytest.fixture
def tokens(hub, client) -> Tokens:  # type: ignore[no-untyped-def]
    return Tokens(hub, client)


@pytest.fixture(autouse=True)
def _refusals_unlimited(app) -> None:  # type: ignore[no-untyped-def]
    """The matrix sends hundreds of refused requests from one address: it checks the
    401s, not the refused-request limit (tests/auth/test_limits.py does)."""
    from dataclasses import replace

    app.extensions["hub"].settings = replace(app.extensions["hub"].settings, refused_rate_limit="100000/minute")


@pytest.mark.parametrize("case", CASES)
def test_every_route(app, client, tokens, case) -> None:  # type: ignore[no-untyped-def]
    problems = matrix(app, client, tokens, case)
    assert not problems, "\n".join(problems)


def test_the_matrix_sees_the_routes(app) -> None:  # type: ignore[no-untyped-def]
    found = {r.rule.endpoint: r for r in routes(app)}
    assert "whoami.whoami" in found and found["whoami.whoami"].scope == "exchange:read"
    assert {"oauth.token", "oauth.revoke", "oauth.introspect", "oauth.metadata"} <= set(found)
    protected = [r for r in found.values() if r.scope]
    assert protected, "no protected route at all"


def test_an_unprotected_route_fails_the_matrix(app, client, hub) -> None:  # type: ignore[no-untyped-def]
    app.add_url_rule("/api/v1/leak", "leak", lambda: {"secret": True})
    problems = matrix(app, client, Tokens(hub, client), "no token")
    assert problems == ["GET /api/v1/leak (leak): not protected: add @require(scope) or list it in PUBLIC_ENDPOINTS"]


def test_a_country_bound_route_is_checked_for_the_country(app, client, hub) -> None:  # type: ignore[no-untyped-def]
    """The 'other country' case on routes with a {country} parameter (write routes)."""
    from hub.auth import require

    app.add_url_rule(
        "/_test/<country>/things",
        "country_bound",
        methods=["PUT"],
        view_func=require("exchange:write", country_param="country")(lambda country: {"ok": country}),
    )
    leaky = require("exchange:write")(lambda country: {"ok": country})  # forgot country_param...
    leaky._hub_country_param = "country"  # type: ignore[attr-defined]  # ...but claims to check it
    app.add_url_rule("/_test/<country>/leaky", "leaky", methods=["PUT"], view_func=leaky)
    tokens = Tokens(hub, client)
    assert matrix(app, client, tokens, "proper") == []
    assert [p.split(":")[0] for p in matrix(app, client, tokens, "other country")] == [
        "PUT /_test/<country>/leaky (leaky)"
    ]
