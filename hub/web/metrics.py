"""``/metrics`` in the Prometheus text format, and the latency of every request.

Access: with the setting ``metrics_token``, a scrape must send ``Authorization: Bearer
<metrics_token>`` (from anywhere); without it, only clients on the loopback interface
are answered (Prometheus or an agent on the same machine). Behind a reverse proxy on
the same machine every request comes from loopback: set ``metrics_token`` there, or
do not forward ``/metrics`` (docs/operations.md).
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Flask, Response, request

from .. import hub_of
from ..operations import metrics
from . import requestid
from .errors import problem

bp = Blueprint("metrics", __name__)
UNMATCHED = "<unmatched>"


@bp.get("/metrics")
def scrape() -> Response:
    token = hub_of().settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            resp = problem(401, "Unauthorized", "Scrapes need 'Authorization: Bearer <metrics_token>'.")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="ovop-hub-metrics"'
            return resp
    elif not _loopback(request.remote_addr):
        return problem(
            403, "Forbidden", "Metrics are served to loopback clients only unless the setting metrics_token is set."
        )
    body, content_type = metrics.exposition(hub_of().sessions)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _loopback(addr: str | None) -> bool:
    try:
        return ipaddress.ip_address(addr or "").is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    """Time every request (until its response starts) by URL rule, method and status."""
    app.register_blueprint(bp)
    metrics.prepare()  # in the worker, at boot: not on its first request

    @app.after_request
    def observe(resp: Response) -> Response:
        seconds = requestid.elapsed()  # the request's clock, started by hub.web.requestid
        if seconds is not None:
            rule = request.url_rule
            metrics.observe_request(
                rule.rule if rule is not None else UNMATCHED, request.method, resp.status_code, seconds
            )
        return resp
