"""``require()``: the exact refusals of SPEC 7, and the actor it hands to the write path."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.actors import Actor
from hub.auth import current_actor, require
from hub.auth.protect import actor_for_token
from hub.store.models import Revision
from tests.auth.helpers import bearer, expire
from tests.conftest import product

PROBLEM = "application/problem+json"


def test_the_token_actor_reaches_the_write_path_forbidden_per_record(client, token, hub) -> None:  # type: ignore[no-untyped-def]
    tok = token("VN", scope="exchange:write")
    r = client.post(
        "/api/v1/products/batch",
        headers=bearer(tok),
        json={"records": [product(1), product(2, country="TH"), product(3)]},
    )
    assert r.status_code == 207
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == ["created", "forbidden", "created"]
    assert results[1]["errors"][0]["code"] == "forbidden"
    with hub.sessions() as session:
        actors = set(session.scalars(sa.select(Revision.actor)))
    assert len(actors) == 1 and actors.pop().startswith("client:vn-")


def test_401_answers_are_problems_with_a_bearer_challenge(client, token, hub) -> None:  # type: ignore[no-untyped-def]
    tok = token("VN")
    expire(hub, tok)
    for headers, detail in (
        ({}, "no access token"),
        ({"Authorization": "Basic abc"}, "not 'Bearer <token>'"),
        (bearer("unknown"), "unknown"),
        (bearer(tok), "expired"),
    ):
        r = client.get("/api/v1/whoami", headers=headers)
        assert r.status_code == 401 and r.mimetype == PROBLEM
        body = r.get_json()
        assert body["type"] and body["title"] == "Unauthorized" and body["status"] == 401
        assert body["code"] == "invalid_token" and detail in body["detail"]
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="ovop-hub", error="invalid_token", error_description="')
        assert r.headers["Cache-Control"] == "no-store"


def test_403_names_the_missing_scope(client, token) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/whoami", headers=bearer(token("VN", ("exchange:write",))))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert r.get_json()["code"] == "insufficient_scope" and r.get_json()["status"] == 403
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ovop-hub", error="insufficient_scope"')
    assert 'scope="exchange:read"' in challenge


def test_country_param_refuses_another_country(app, client, token) -> None:  # type: ignore[no-untyped-def]
    @app.put("/_test/records/<country>/<rid>")
    @require("exchange:write", country_param="country")
    def put(country: str, rid: str):  # type: ignore[no-untyped-def]
        return {"actor": current_actor().country, "country": country}  # type: ignore[union-attr]

    tok = token("VN")
    assert client.put("/_test/records/VN/1", headers=bearer(tok)).status_code == 200
    r = client.put("/_test/records/TH/1", headers=bearer(tok))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert r.get_json()["code"] == "forbidden" and "VN only" in r.get_json()["detail"]


def test_authlibs_challenge_survives_stock_flask_smorest(hub, client, token) -> None:  # type: ignore[no-untyped-def]
    """flask-smorest's stock app-wide error handler drops WWW-Authenticate from raised
    errors: require() answers instead of raising, so the challenge gets through."""
    from flask import Flask
    from flask_smorest import Api, Blueprint

    other = Flask("probe")
    other.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.1.0", TESTING=True)
    other.extensions["hub"] = hub
    api = Api(other)  # the stock handler, not the hub's ProblemApi
    blp = Blueprint("probe", __name__)

    @blp.route("/probe")
    @require("exchange:read")
    @blp.response(200)
    def probe():  # type: ignore[no-untyped-def]
        return {"ok": True}

    api.register_blueprint(blp)
    web = other.test_client()
    r = web.get("/probe")
    assert r.status_code == 401 and r.mimetype == PROBLEM
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert web.get("/probe", headers=bearer(token("VN"))).get_json() == {"ok": True}


def test_require_knows_the_scopes() -> None:
    with pytest.raises(ValueError):
        require("exchange:everything")


def test_actor_of_a_token(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    from hub.auth.server import find_token
    from tests.auth.helpers import get_token

    cid, secret = new_client("KR", ("exchange:read", "review"))
    actor = actor_for_token(find_token(hub, get_token(client, cid, secret)))  # type: ignore[arg-type]
    assert actor == Actor(id=f"client:{cid}", country="KR", scopes=frozenset({"exchange:read", "review"}))
