"""A fake national system on 127.0.0.1: paged JSON and CSV files, with faults on demand.

Real HTTP on a free port (werkzeug's server in a thread). Endpoints:

- ``/products?page=N&per_page=S``: page numbers; ``/offset?offset=O&limit=S``;
  ``/cursor?cursor=C`` (next cursor in the body); ``/link?page=N`` (``Link: rel="next"``);
  every body is ``{"data": [...], ...}``;
- ``/files/NAME``: a CSV (or any) file, with an ETag; ``If-None-Match`` answers 304.

Faults (``server.fault(kind, ...)``) apply to the next matching requests, in order:

- ``"500"`` / ``"503"``: that status; ``"429"``: 429 with ``Retry-After: arg``;
- ``"timeout"``: answer only after ``arg`` seconds (the client has given up by then);
- ``"truncate"``: a body cut in half under the full ``Content-Length`` (the connection
  closes early); ``"garble"``: a complete response whose JSON is cut short;
- ``"stutter"``: a cursor/link page whose next pointer is the page itself (the page is
  served again, as an at-least-once API does);
- pages served out of order: ``server.order = {1: 2, 2: 1}`` maps the asked page to the
  one served.

``server.log`` records every request: (monotonic time of arrival, path, query, status).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Fault:
    kind: str
    times: int = 1
    arg: float = 0
    when: Callable[[Request], bool] | None = None


@dataclass
class FakeNational:
    items: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    order: dict[int, int] = field(default_factory=dict)
    log: list[tuple[float, str, dict[str, str], int]] = field(default_factory=list)
    delay: float = 0.0  # seconds before every answer (to kill a runner mid-run)
    token: str | None = None  # when set, requests need "Authorization: Bearer <token>"

    def start(self) -> "FakeNational":
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fault(self, kind: str, times: int = 1, arg: float = 0, when: Callable[[Request], bool] | None = None) -> None:
        self.faults.append(Fault(kind, times, arg, when))

    def requests(self, path: str | None = None) -> list[tuple[float, str, dict[str, str], int]]:
        return [r for r in self.log if path is None or r[1] == path]

    # -- the WSGI app ----------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        arrived = time.monotonic()
        response = self.answer(request)
        self.log.append((arrived, request.path, dict(request.args), response.status_code))
        self.log.sort(key=lambda entry: entry[0])
        return response(environ, start_response)

    def _next_fault(self, request: Request) -> Fault | None:
        for f in self.faults:
            if f.times > 0 and (f.when is None or f.when(request)):
                f.times -= 1
                return f
        return None

    def answer(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response("no", status=401)
        fault = self._next_fault(request)
        kind = fault.kind if fault else None
        if kind in ("500", "503"):
            return Response("server error", status=int(kind))
        if kind == "429":
            return Response("slow down", status=429, headers={"Retry-After": str(int(fault.arg))})  # type: ignore[union-attr]
        if kind == "timeout":
            time.sleep(fault.arg)  # type: ignore[union-attr]
        if request.path.startswith("/files/"):
            return self._file(request, kind)
        body, headers = self._page(request, kind)
        data = orjson.dumps(body)
        if kind == "truncate":
            return _cut(Response(data[: len(data) // 2], headers=headers, mimetype="application/json"), len(data))
        if kind == "garble":
            return Response(data[: len(data) // 2], headers=headers, mimetype="application/json")
        return Response(data, headers=headers, mimetype="application/json")

    def _file(self, request: Request, kind: str | None) -> Response:
        name = request.path[len("/files/") :]
        if name not in self.files:
            return Response("not found", status=404)
        data = self.files[name]
        tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == tag:
            return Response(status=304, headers={"ETag": tag})
        if kind == "truncate":
            return _cut(Response(data[: len(data) // 2], headers={"ETag": tag}, mimetype="text/csv"), len(data))
        return Response(data, headers={"ETag": tag}, mimetype="text/csv")

    def _slice(self, start: int, size: int) -> list[dict[str, Any]]:
        return self.items[start : start + size]

    def _page(self, request: Request, kind: str | None) -> tuple[dict[str, Any], dict[str, str]]:
        args = request.args
        if request.path == "/products":
            size = int(args.get("per_page", 10))
            page = self.order.get(int(args.get("page", 1)), int(args.get("page", 1)))
            return {"data": self._slice((page - 1) * size, size), "page": page}, {}
        if request.path == "/offset":
            size, offset = int(args.get("limit", 10)), int(args.get("offset", 0))
            return {"data": self._slice(offset, size)}, {}
        if request.path == "/cursor":
            size = 10
            offset = int(args.get("cursor", 0))
            items = self._slice(offset, size)
            nxt = offset if kind == "stutter" else offset + size
            return {"data": items, "meta": {"next": str(nxt) if nxt < len(self.items) else None}}, {}
        if request.path == "/link":
            size, page = 10, int(args.get("page", 1))
            nxt = page if kind == "stutter" else page + 1
            headers = {}
            if (nxt - 1) * size < len(self.items):
                headers["Link"] = f'</link?page={nxt}>; rel="next"'
            return {"data": self._slice((page - 1) * size, size)}, headers
        return {"error": "no such endpoint"}, {}


def _cut(response: Response, promised: int) -> Response:
    """Promise the whole length, send less: the server closes the connection early."""
    response.headers["Content-Length"] = str(promised)
    return response


def api_item(i: int, **over: Any) -> dict[str, Any]:
    """An item as the fake national API sends it (mapped by :data:`JSON_MAPPING`)."""
    item = {
        "code": f"P{i:04d}",
        "name": f"Gạo ST25 lô {i}",
        "price": f"{100_000 + i:,}",
        "updated_at": "2025-01-01T00:00:00+00:00",
        "meta": {"stars": 4},
    }
    item.update(over)
    return item


JSON_MAPPING = """
[id]
template = "api-{code}"

[fields."name.vi"]
from = "name"
required = true

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"

[fields.source_updated_at]
from = "updated_at"

[fields."price.amount"]
from = "price"
transforms = ["number"]

[fields."price.currency"]
value = "VND"
when = "price.amount"
"""


def json_source(name: str, url: str, style: str = "page", size: int = 10, extra: str = "", pagination: str = "") -> str:
    """A json source file for the fake API."""
    return f"""
[source]
name = "{name}"
type = "json"
kind = "products"
country = "VN"
url = "{url}"
items = "data"
timeout = 0.5
{extra}

[source.pagination]
style = "{style}"
size = {size}
{pagination}
{JSON_MAPPING}"""
