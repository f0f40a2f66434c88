"""``hub serve``: the app under gunicorn, the production WSGI server.

Settings worth knowing (docs/operations.md): ``workers`` processes (CPU-bound
validation: about one per core), ``threads`` per worker (reads beside a batch write:
with admission control, :mod:`hub.api.admission`, one batch per process runs, a few
wait, the other threads serve reads, and a read arriving while a batch of any worker
holds the write lock waits for its commit, up to ``read_yield_ms``; ``admission=False``
turns it off), ``timeout`` (a worker silent this long is killed and replaced),
``graceful_timeout`` (on SIGTERM, requests in flight get this long to finish),
``max_requests`` (+ jitter: workers are recycled, bounding slow leaks),
``forwarded_allow_ips`` (proxies trusted for ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .. import config
from ..store import writelock
from ..web import liveness
from . import front_limits, logs, metrics


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 8
    timeout: int = 120
    graceful_timeout: int = 30
    keepalive: int = 5
    max_requests: int = 0
    max_requests_jitter: int = 0
    forwarded_allow_ips: str = "127.0.0.1,::1"
    admission: bool = True


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from .. import create_app

        return create_app()


def gunicorn_options(opts: ServerOptions, settings: config.Settings) -> dict[str, Any]:
    """gunicorn's settings for these options (its access log is replaced by the hub's
    request line, which carries the request id; its request limits answer problem+json)."""
    values = asdict(opts)
    host, port = values.pop("host"), values.pop("port")
    values.pop("admission")
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": bind,
        **values,
        "accesslog": None,
        "logconfig_dict": logs.gunicorn_config(settings.log_format, settings.log_level),
        "worker_class": front_limits.worker_class(opts.threads),
        **front_limits.settings(),
        "post_worker_init": liveness.attach,
        "child_exit": _child_exit,
    }


def _child_exit(server: Any, worker: Any) -> None:
    """gunicorn's master, after a worker ended: its write-lock mark, if any, goes too."""
    writelock.forget(worker.pid)


def public_url(opts: ServerOptions, settings: config.Settings) -> str:
    """The ``public_url`` to serve under: the setting, else the bound address when it is
    loopback; on any other address the hub refuses to guess (a Host header must never
    decide the OAuth issuer, the token audience or the links it hands out)."""
    if settings.public_url:
        return settings.public_url
    host = opts.host.strip("[]")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise config.ConfigError(
            f"set public_url (environment HUB_PUBLIC_URL), e.g. https://hub.example.org: "
            f"the hub binds {opts.host}, not loopback, and will not take its URL from "
            "the Host header"
        )
    return f"http://[{host}]:{opts.port}" if ":" in host else f"http://{host}:{opts.port}"


def serve(opts: ServerOptions) -> None:
    """Run until interrupted; each worker builds its own app (no shared state but the DB
    and the metrics folder, ``PROMETHEUS_MULTIPROC_DIR``, default ``<instance>/metrics``)."""
    if not opts.admission:  # the workers inherit it (a baseline without admission control)
        os.environ["HUB_WRITE_SLOTS"] = "0"
    settings = config.load()
    queue = max(0, min(settings.write_queue, opts.threads - settings.write_slots - 1))
    if settings.write_slots > 0 and queue < settings.write_queue:
        # fewer threads than writers may hold: keep one for reads (the workers inherit it)
        os.environ["HUB_WRITE_QUEUE"] = str(queue)
    os.environ["HUB_PUBLIC_URL"] = public_url(opts, settings)  # what every worker's app reads
    config.require_database(settings)  # each worker would otherwise create an empty one
    folder = os.environ.get(metrics.ENV) or Path(settings.instance_path) / "metrics"
    try:
        metrics.use_directory(folder)
    except OSError as exc:
        raise RuntimeError(f"cannot use the metrics folder {folder}: {exc.strerror or exc}") from None
    writelock.share()  # before the fork: a read in one worker waits for another's commit
    _Gunicorn(gunicorn_options(opts, settings)).run()
