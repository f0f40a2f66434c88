"""The hub a command-line invocation works on: one per invocation, closed when it ends."""

from __future__ import annotations

import click

from . import config
from .services import Hub


def command_hub(ctx: click.Context) -> Hub:
    """The hub of this ``hub`` command (``hub.hub_of()`` is a web request's): built from the
    settings on first use, its engine disposed when the command ends.

    Disposing matters where commands run in one process (tests, scripts calling ``main``):
    pooled PostgreSQL connections would otherwise stay open until garbage-collected.
    Only ``hub init`` may create the database: every other command refuses a missing one.
    """
    root = ctx.find_root()
    if root.obj is None:
        try:
            settings = config.load()
            if ctx.command.name != "init":
                config.require_database(settings)
            root.obj = Hub(settings)
        except config.ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        root.call_on_close(root.obj.engine.dispose)
    return root.obj
