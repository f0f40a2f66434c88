"""The OVOP Exchange Hub: ``create_app()`` assembles the web application in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from . import config
from .services import Hub


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the WSGI app; ``overrides`` replace settings (tests use this)."""
    settings = config.load(overrides)
    app = Flask(__name__, instance_path=None)
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    hub = Hub(settings)
    app.extensions["hub"] = hub

    from .operations import logs

    logs.install_context()  # handlers and format: hub serve / hub scheduler (docs/operations.md)
    from .web import bodies, errors, health, home, metrics, requestid

    bodies.init_app(app)
    requestid.init_app(app)  # first: the request id is in the log context for what follows
    metrics.init_app(app)
    errors.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    from . import api

    api.init_app(app, settings)
    from . import auth

    auth.init_app(app)  # after the API: /api/v1/whoami joins its OpenAPI document
    from . import console

    console.init_app(app)
    return app


def hub_of(app: Flask | None = None) -> Hub:
    """The services of an app, by default the one answering the request: the one way the
    doors (API, console, OAuth endpoints, health and metrics pages) reach them."""
    return (app or current_app).extensions["hub"]
