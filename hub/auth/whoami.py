"""``GET /api/v1/whoami``: who the hub thinks the caller is (client, country, scopes).

The first thing a partner calls after getting a token; also handy to check a token.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from ..web.limits import per_client
from .protect import current_actor, require

blp = Blueprint("whoami", __name__, url_prefix="/api/v1", description="The authenticated caller")


class WhoAmI(ma.Schema):
    actor = ma.fields.String(metadata={"description": "Actor id, e.g. client:vn-0123456789abcdef"})
    client_id = ma.fields.String(allow_none=True)
    country = ma.fields.String(allow_none=True, metadata={"description": "The only country it writes"})
    scopes = ma.fields.List(ma.fields.String())


@blp.route("/whoami", methods=["GET"])
@require("exchange:read")
@per_client()
@blp.doc(
    security=[{"oauth2": ["exchange:read"]}],
    responses={
        401: {"description": "Missing, malformed, expired or revoked token"},
        403: {"description": "The token lacks scope exchange:read"},
        429: {"description": "Rate limit exceeded; see Retry-After"},
    },
)
@blp.response(200, WhoAmI)
def whoami() -> dict[str, Any]:
    """The client, country and scopes of the access token."""
    actor = current_actor()
    assert actor is not None
    client_id = actor.id.removeprefix("client:") if actor.id.startswith("client:") else None
    return {"actor": actor.id, "client_id": client_id, "country": actor.country, "scopes": sorted(actor.scopes)}
