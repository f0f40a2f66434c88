"""The access model: OAuth 2.0 authorization server, client registry, staff accounts,
and the one mechanism that protects every API route (SPEC sections 1 and 7).

- :mod:`.models`     OAuthClient, AccessToken, StaffUser (secrets and tokens stored hashed)
- :mod:`.clients`    the client registry: create, list, revoke, rotate (audited)
- :mod:`.users`      staff accounts (argon2) and ``actor_for_user``
- :mod:`.server`     Authlib authorization server, grant, client authentication methods
- :mod:`.endpoints`  /oauth/token, /oauth/revoke, /oauth/introspect, /.well-known/...
- :mod:`.limits`     rate limits of the OAuth endpoints and of requests refused for their token
- :mod:`.claimed`    the client id an OAuth request claims (for limits and the audit log)
- :mod:`.protect`    ``require(scope)``, ``current_actor()``, the public-endpoint allowlist
- :mod:`.whoami`     GET /api/v1/whoami
- :mod:`.cli`        ``hub clients ...`` and ``hub users ...``
"""

from __future__ import annotations

import atexit
import logging
import weakref

from flask import Flask, Response

from .. import hub_of
from ..store import audit
from .protect import PUBLIC_ENDPOINTS, current_actor, require
from .users import actor_for_user

__all__ = ["init_app", "require", "current_actor", "actor_for_user", "PUBLIC_ENDPOINTS"]


def init_app(app: Flask) -> None:
    """Mount the authorization server and its endpoints on ``app`` (after ``hub`` is set).

    ``/api/v1/whoami`` is registered through flask-smorest when the API is already
    initialised (so it is in the OpenAPI document), else as a plain blueprint.
    """
    from . import endpoints, whoami
    from .server import HubAuthorizationServer

    tally = app.extensions[audit.TALLY_KEY] = audit.Tally(hub_of(app).sessions)
    app.after_request(_flusher(tally))
    atexit.register(_flush_at_exit, weakref.ref(tally))
    app.extensions["oauth_server"] = HubAuthorizationServer(app, hub_of(app))
    app.register_blueprint(endpoints.bp)
    smorest = app.extensions.get("flask-smorest")
    if smorest and smorest.get("apis"):
        next(iter(smorest["apis"].values()))["ext_obj"].register_blueprint(whoami.blp)
    else:
        app.register_blueprint(whoami.blp)


log = logging.getLogger(__name__)


def _flusher(tally: audit.Tally):  # type: ignore[no-untyped-def]
    """After a request, write the tally's closed windows (about once a minute)."""

    def flush(resp: Response) -> Response:
        if tally.due():
            try:
                tally.flush()
            except Exception:  # noqa: BLE001 - the counts are kept for the next try
                log.exception("could not write security counts to the audit log; kept for the next try")
        return resp

    return flush


def _flush_at_exit(ref: "weakref.ref[audit.Tally]") -> None:
    """A worker that stops writes what it counted, open windows included."""
    tally = ref()
    if tally is not None and tally.pending():
        try:
            tally.flush(everything=True)
        except Exception:  # noqa: BLE001 - at exit, nothing more can be done
            log.warning("security counts lost at exit: the audit log could not be written")
