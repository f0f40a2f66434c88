"""A fake upstream hub on 127.0.0.1 for ``hub`` sources: a token endpoint and a change
feed, with faults on demand at either (the faults of :class:`tests.sync.fakes.FakeNational`,
plus, at the token endpoint, ``"problem429"``: a 429 whose body is problem+json without
OAuth members, ``"refuse"``: 401 ``invalid_client``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from tests.conftest import product
from tests.sync.fakes import FakeNational, _cut

TOKEN = "/oauth/token"
FEED = "/api/v1/changes"


def on_token(request: Request) -> bool:
    return request.path == TOKEN


@dataclass
class FakeHub(FakeNational):
    issued: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"seq": i, "uid": f"VN/products/pup{i}", "kind": "products", "op": "upsert", "record": product(f"up{i}")}
            for i in (1, 2)
        ]
    )
    revoke_after_first_page: bool = False  # then every token issued so far is refused
    revoked: bool = False

    def answer(self, request: Request) -> Response:
        fault = self._next_fault(request)
        kind = fault.kind if fault else None
        if kind in ("500", "503"):
            return Response("<html>server error</html>", status=int(kind), mimetype="text/html")
        if kind == "429":
            return Response("slow down", status=429, headers={"Retry-After": str(int(fault.arg))})  # type: ignore[union-attr]
        if kind == "problem429":
            body = orjson.dumps({"type": "about:blank", "title": "Too Many Requests", "status": 429})
            return Response(
                body, status=429, mimetype="application/problem+json", headers={"Retry-After": str(int(fault.arg))}
            )  # type: ignore[union-attr]
        if request.path == TOKEN:
            return self._token(request, kind)
        if request.path == FEED:
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.issued:
                return Response(
                    orjson.dumps({"title": "Unauthorized", "status": 401}),
                    status=401,
                    mimetype="application/problem+json",
                )
            first = not request.args.get("after")
            page = {
                "changes": self.changes[:1] if first else self.changes[1:],
                "next_cursor": "c1" if first else "c2",
                "has_more": first,
            }
            if first and self.revoke_after_first_page and not self.revoked:
                self.issued.clear()
                self.revoked = True
            return Response(orjson.dumps(page), mimetype="application/json")
        return Response("not found", status=404)

    def _token(self, request: Request, kind: str | None) -> Response:
        if kind == "refuse":
            return Response(
                orjson.dumps({"error": "invalid_client", "error_description": "Client authentication failed."}),
                status=401,
                mimetype="application/json",
            )
        if request.form.get("grant_type") != "client_credentials" or not request.authorization:
            return Response(orjson.dumps({"error": "invalid_request"}), status=400, mimetype="application/json")
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        data = orjson.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        if kind == "truncate":
            return _cut(Response(data[: len(data) // 2], mimetype="application/json"), len(data))
        if kind == "garble":
            return Response(data[: len(data) // 2], mimetype="application/json")
        return Response(data, mimetype="application/json")
