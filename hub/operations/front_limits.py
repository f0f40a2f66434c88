"""gunicorn's request limits, answered as problem+json like every other error of the hub.

gunicorn refuses a request line longer than ``limit_request_line`` (``414``) and header
fields past ``limit_request_fields`` or ``limit_request_field_size`` (``431``) itself,
before the app sees the request, with an HTML page. The workers here send those two as
RFC 9457 problem+json (with a ``code``), so a partner's client parses every refusal the
same way. Other refusals of malformed HTTP (what no HTTP library sends) keep gunicorn's.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker as _ThreadWorker
from gunicorn.workers.sync import SyncWorker as _SyncWorker

# gunicorn's defaults, named here because docs/partner-guide.md promises them.
REQUEST_LINE = 4094  # bytes: method, path with query, protocol
HEADER_FIELDS = 100  # header fields per request
HEADER_FIELD_SIZE = 8190  # bytes per header field (name and value)


def settings() -> dict[str, int]:
    """gunicorn's settings for the limits above."""
    return {
        "limit_request_line": REQUEST_LINE,
        "limit_request_fields": HEADER_FIELDS,
        "limit_request_field_size": HEADER_FIELD_SIZE,
    }


def answer(exc: BaseException) -> bytes | None:
    """The whole HTTP answer to a request gunicorn refused for a limit; None for others."""
    if isinstance(exc, LimitRequestLine):
        status, title, code = 414, "URI Too Long", "request_line_too_long"
        detail = f"The request line (method, path and query) is longer than {REQUEST_LINE} bytes."
    elif isinstance(exc, LimitRequestHeaders):
        status, title, code = 431, "Request Header Fields Too Large", "header_fields_too_large"
        detail = f"More than {HEADER_FIELDS} header fields, or a header field longer than {HEADER_FIELD_SIZE} bytes."
    else:
        return None
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {title}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _ProblemLimits:
    """Mixin for a gunicorn worker: its limit refusals as problem+json."""

    log: Any

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        data = answer(exc)
        if data is None:
            super().handle_error(req, client, addr, exc)  # type: ignore[misc]
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, data)
        except OSError:
            self.log.debug("Failed to send error message.")


class SyncWorker(_ProblemLimits, _SyncWorker):
    """gunicorn's sync worker (one request at a time)."""


class ThreadWorker(_ProblemLimits, _ThreadWorker):
    """gunicorn's gthread worker (``--threads`` above 1)."""


def worker_class(threads: int) -> type:
    """The worker gunicorn itself would pick for this many threads, with problem+json limits."""
    return ThreadWorker if threads > 1 else SyncWorker
