"""HubClient: calls the hub with OAuth 2.0 client credentials; tokens are obtained,
renewed and used for you.

Needs only ``requests`` and ``authlib`` (no Flask, nothing of the hub's server side),
so a partner system, or one hub syncing from another, can use it as it is::

    from ovop_hub_client import HubClient

    with HubClient("https://hub.example.org", "vn-0123456789abcdef", client_secret="...") as hub:
        print(hub.get("/api/v1/whoami").json())
        hub.post("/api/v1/products/batch", json={"records": [...]}).raise_for_status()
        for change in hub.changes(after=saved_cursor):
            ...

With a registered public key instead of a secret (``private_key_jwt``, RFC 7523)::

    HubClient(url, client_id, private_key=open("partner-key.pem").read())

A token is fetched on first use and again shortly before it expires (``leeway``
seconds); a request answered ``401`` is retried once with a fresh token (the token
may have been revoked). Connection errors and answers ``429``, ``502``, ``503`` and
``504`` are retried (``retries`` times, waiting as ``Retry-After`` says, else with
exponential backoff): every write of the hub's API is an upsert or a tombstone, so
sending one again is safe. See docs/partner-guide.md.
"""
from __future__ import annotations

from typing import Any, Iterator

import requests
from authlib.integrations.base_client import OAuthError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey, OKPKey, RSAKey

__all__ = ["HubClient", "HubAuthError", "load_private_key"]

AsymmetricKey = RSAKey | ECKey | OKPKey
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
RETRY_STATUSES = (429, 502, 503, 504)


class HubAuthError(Exception):
    """The hub refused to issue a token (``error`` is the OAuth error code)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description = error, description


def load_private_key(key: Any) -> AsymmetricKey:
    """A joserfc key, a JWK dict, or PEM text/bytes of an RSA, EC or Ed25519 private key."""
    if isinstance(key, (RSAKey, ECKey, OKPKey)):
        loaded = key
    elif isinstance(key, dict):
        kinds = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
        if key.get("kty") not in kinds:
            raise ValueError("the private key must be an RSA, EC or OKP JWK")
        loaded = kinds[key["kty"]].import_key(key)
    elif isinstance(key, (str, bytes)):
        for kind in (RSAKey, ECKey, OKPKey):
            try:
                loaded = kind.import_key(key)
                break
            except Exception:  # noqa: BLE001 - joserfc raises various errors for the wrong type
                continue
        else:
            raise ValueError("cannot read the private key: expected PEM of an RSA, EC or Ed25519 key")
    else:
        raise TypeError(f"unsupported private key type {type(key).__name__}")
    if not loaded.is_private:
        raise ValueError("this is a public key: the client signs with its private key")
    return loaded


def _default_alg(key: AsymmetricKey) -> str:
    if isinstance(key, RSAKey):
        return "RS256"
    if isinstance(key, ECKey):
        return {"P-256": "ES256", "P-384": "ES384"}.get(key.curve_name, "ES256")
    return "Ed25519"  # RFC 9864's name; "EdDSA" is deprecated


class HubClient:
    """Calls the hub's API with OAuth 2.0 client credentials.

    :param base_url: the hub, e.g. ``https://hub.example.org`` (paths are appended)
    :param client_id: from ``hub clients create``
    :param client_secret: the secret (``client_secret_basic``; ``auth_method`` may
        say ``client_secret_post``), or
    :param private_key: the private key whose public JWKS was registered
        (``private_key_jwt``); ``kid`` names the key when several are registered
    :param scope: space separated scopes to ask for; default: all the client's scopes
    :param leeway: renew the token this many seconds before it expires
    :param retries: how often a connection error or a 429/502/503/504 answer is retried
        (0: never); ``Retry-After`` is obeyed, else ``backoff`` * 2^n seconds are waited
    """

    def __init__(self, base_url: str, client_id: str, client_secret: str | None = None,
                 private_key: Any = None, scope: str | None = None, *, auth_method: str | None = None,
                 alg: str | None = None, kid: str | None = None, leeway: int = 60,
                 timeout: float = 30.0, verify: bool | str = True, retries: int = 5,
                 backoff: float = 0.5) -> None:
        if (client_secret is None) == (private_key is None):
            raise ValueError("give either client_secret or private_key")
        self.base_url = base_url.rstrip("/")
        self.token_endpoint = self.base_url + "/oauth/token"
        self.revocation_endpoint = self.base_url + "/oauth/revoke"
        if private_key is not None:
            key = load_private_key(private_key)
            method, credential = "private_key_jwt", key
        else:
            method, credential = auth_method or "client_secret_basic", client_secret
            if method not in SECRET_METHODS:
                raise ValueError(f"auth_method must be one of {SECRET_METHODS} with a secret")
        self.session = OAuth2Session(
            client_id, credential, token_endpoint_auth_method=method,
            revocation_endpoint_auth_method=method, scope=scope, leeway=leeway,
            default_timeout=timeout, token_endpoint=self.token_endpoint, grant_type="client_credentials")
        self.session.verify = verify
        if retries:
            adapter = HTTPAdapter(max_retries=Retry(
                total=retries, backoff_factor=backoff, status_forcelist=RETRY_STATUSES,
                allowed_methods=None, respect_retry_after_header=True, raise_on_status=False))
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        if private_key is not None:
            kid = kid or key.kid
            self.session.register_client_auth_method(PrivateKeyJWT(
                self.token_endpoint, headers={"kid": kid} if kid else None, alg=alg or _default_alg(key)))

    # -- tokens -------------------------------------------------------------------

    @property
    def token(self) -> dict[str, Any] | None:
        """The current token (``access_token``, ``expires_at``, ``scope``), if any."""
        return self.session.token

    def fetch_token(self) -> dict[str, Any]:
        """Ask for a new token now (normally not needed: requests do it)."""
        try:
            return self.session.fetch_token(self.token_endpoint, grant_type="client_credentials")
        except OAuthError as exc:
            raise HubAuthError(exc.error or "error", exc.description) from None

    def revoke(self) -> None:
        """Revoke the current token at the hub (RFC 7009), e.g. when shutting down."""
        if self.session.token:
            resp = self.session.revoke_token(self.revocation_endpoint,
                                             token=self.session.token["access_token"],
                                             token_type_hint="access_token")
            resp.raise_for_status()
            self.session.token = None

    # -- requests -----------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request with a valid token; on 401, once more with a fresh token."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if not self.session.token:
            self.fetch_token()
        try:
            resp = self.session.request(method, url, **kwargs)
            if resp.status_code == 401:
                resp.close()
                self.fetch_token()
                resp = self.session.request(method, url, **kwargs)
        except OAuthError as exc:  # renewing an expiring token failed
            raise HubAuthError(exc.error or "error", exc.description) from None
        return resp

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- the change feed ----------------------------------------------------------

    def change_pages(self, after: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Pages of ``GET /api/v1/changes`` from cursor ``after``, until ``has_more`` is false.

        Each page has ``changes``, ``next_cursor`` and ``has_more``; keep the last
        ``next_cursor`` to resume later (cursors never expire). Filters: ``limit``,
        ``kind``, ``country``.
        """
        cursor = after
        while True:
            params = {k: v for k, v in filters.items() if v is not None}
            if cursor is not None:
                params["after"] = cursor
            resp = self.get("/api/v1/changes", params=params)
            resp.raise_for_status()
            page = resp.json()
            yield page
            cursor = page.get("next_cursor") or cursor
            if not page.get("has_more"):
                return

    def changes(self, after: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every change after cursor ``after``, in order, page after page."""
        for page in self.change_pages(after, **filters):
            yield from page.get("changes", [])

    # -- batches, the feed, offline validation -----------------------------------

    def send_file(self, kind: str, path: Any, **limits: Any) -> Any:
        """Stream a large NDJSON/JSON file as batches (:func:`ovop_hub_client.send_file`)."""
        from .batches import send_file
        return send_file(self, kind, path, **limits)

    def follower(self, cursor_file: Any, **filters: Any) -> Any:
        """The change feed from a cursor saved in ``cursor_file`` (:class:`FeedFollower`)."""
        from .feed import FeedFollower
        return FeedFollower(self, cursor_file, **filters)

    def offline_validator(self, kind: str) -> Any:
        """The standard's JSON Schema of ``kind`` as a jsonschema validator (``schemas`` extra)."""
        from .offline import offline_validator
        return offline_validator(self, kind)

    # -- lifetime -----------------------------------------------------------------

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "HubClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
