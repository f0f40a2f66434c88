"""A request id for every request: in the response, in every log line, in problem bodies.

Taken from the caller's ``X-Request-Id`` when it is sane (1-128 characters of
``A-Z a-z 0-9 . _ : = + / -``), so a proxy's or a partner's id follows the request through
the hub; otherwise generated. It is kept in the logging context (:mod:`hub.operations.logs`) for
the time of the request, so the write path's lines carry it too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from ..operations import logs

HEADER = "X-Request-Id"
SANE = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
log = logging.getLogger("hub.request")
#: probed every few seconds: their request lines only at DEBUG, unless they fail
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id() -> str | None:
    """The id of the request being handled (also outside Flask: from the logging context)."""
    return logs.current().get("request_id")


def elapsed() -> float | None:
    """Seconds since this request started (``None`` outside one): one clock for the
    request line here and the latency metric (:mod:`hub.web.metrics`)."""
    started = g.get("request_started")
    return None if started is None else time.perf_counter() - started


def incoming() -> str:
    """The caller's id when it is sane, else a new one."""
    given = request.headers.get(HEADER, "")
    return given if SANE.fullmatch(given) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        g.request_log_token = logs.bind(request_id=incoming())

    @app.after_request
    def finish(resp: Response) -> Response:
        rid = request_id()
        if rid:
            resp.headers[HEADER] = rid
        seconds = elapsed()
        level = logging.DEBUG if request.path in PROBES and resp.status_code < 400 else logging.INFO
        if seconds is not None and log.isEnabledFor(level):
            log.log(level, "%s %s %s %.1f ms", request.method, request.path, resp.status_code, seconds * 1000)
        return resp

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_log_token", None)
        if token is not None:
            logs.unbind(token)
