"""Access tokens of a ``hub`` source: asked of the remote hub's token endpoint under the
same retry policy as its change feed (:class:`~hub.sync.http.Http`).

A token request answered ``429`` or ``503`` (``Retry-After`` honoured), another ``5xx``,
a connection fault or a body cut short is retried with backoff from the run's budget,
like a feed page; an OAuth refusal (``400``/``401``, e.g. ``invalid_client``) fails at
once. Either way the error names the token request, not the feed request it was for.
The client authentication (``client_secret_basic``/``_post``, ``private_key_jwt`` with a
fresh assertion each attempt) is that of :class:`ovop_hub_client.HubClient`'s session.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.oauth2.rfc6749 import OAuth2Token
from ovop_hub_client import HubClient

from .http import BodyError, Http, json_body

#: Ask for a new token this many seconds before the current one expires (more than the
#: session's own leeway, so Authlib never renews it behind the retry policy's back).
RENEW_BEFORE = 120


class UpstreamTokens:
    """Sends feed requests with a valid token of ``client``, fetched through ``http``."""

    def __init__(self, client: HubClient, http: Http) -> None:
        self.client, self.http = client, http
        self.session = client.session

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """A request with a valid token; on ``401`` once more with a new token (it may
        have been revoked)."""
        token = self.session.token
        if not token or token.is_expired(leeway=max(RENEW_BEFORE, self.session.leeway + 30)):
            self.fetch()
        resp = self.session.request(method, url, **kwargs)
        if resp.status_code == 401:
            resp.close()
            self.fetch()
            resp = self.session.request(method, url, **kwargs)
        return resp

    def fetch(self) -> OAuth2Token:
        """A new token from the token endpoint, retried like any other request."""
        data = {"grant_type": "client_credentials"}
        if self.session.scope:
            data["scope"] = self.session.scope
        _, body = self.http.call(
            "POST",
            self.client.token_endpoint,
            _token,
            send=self._post,
            data=data,
            headers={"Accept": "application/json"},
        )
        self.session.token = body
        return self.session.token

    def _post(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        auth = self.session.client_auth(self.session.token_endpoint_auth_method)
        return self.session.request(method, url, withhold_token=True, auth=auth, **kwargs)


def _token(resp: requests.Response) -> dict[str, Any]:
    """A usable token response, else a :class:`BodyError` (retried: a body cut short or a
    proxy's page in place of the token)."""
    body = json_body(resp)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise BodyError("the token response has no access_token")
    if str(body.get("token_type", "")).lower() != "bearer":
        raise BodyError(f"the token type is {body.get('token_type')!r}, not Bearer")
    if "expires_in" in body and not isinstance(body["expires_in"], int):
        raise BodyError("expires_in is not a number of seconds")
    return body
