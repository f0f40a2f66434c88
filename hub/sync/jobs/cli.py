"""``hub worker`` and ``hub beat``: Celery's worker and beat with the hub's settings.

Arguments after the command go to Celery (``hub worker --concurrency 4``,
``hub worker -- --help``). A bad or missing setting, or Celery not installed, is one line
and exit 1; Celery is imported only here, when one of these commands runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ... import config

if TYPE_CHECKING:
    from .factory import HubCelery

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h"]}


def celery_app(settings: config.Settings) -> "HubCelery":
    """The app for ``settings``, or a one-line :class:`click.ClickException`."""
    if settings.jobs != "celery":
        raise click.ClickException(
            'jobs is "embedded": set jobs = "celery" (HUB_JOBS=celery) and '
            "celery_broker_url to use Celery workers; or run `hub scheduler`"
        )
    try:
        from .factory import make_app
    except ImportError as exc:
        raise click.ClickException(
            f"Celery is not installed ({exc.name}): pip install 'ovop-exchange-hub[celery]'"
        ) from None
    return make_app(settings)


def _hub_logging(settings: config.Settings) -> None:
    """Celery's processes log as ``hub serve`` does: ``log_format``, ``log_level`` and the
    context fields (``sync_run``, ``sync_source``). With a receiver connected to
    ``setup_logging``, Celery leaves the root logger to it; forked children inherit it."""
    from celery import signals

    from ...operations import logs

    def setup(**_kwargs: object) -> None:
        logs.install_context()
        logs.configure(settings.log_format, settings.log_level)

    signals.setup_logging.connect(setup, weak=False)


def _settings() -> config.Settings:
    try:
        return config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _require_database(settings: config.Settings) -> None:
    """A worker or beat without the database would create an empty one: only `hub init` may."""
    try:
        config.require_database(settings)
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.command(
    "worker",
    context_settings=PASS_THROUGH,
    help='A Celery worker: runs sync sources and webhook deliveries (jobs = "celery"; '
    "docs/workers.md). Further arguments go to `celery worker`.",
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    settings = _settings()
    app = celery_app(settings)
    _require_database(settings)
    _hub_logging(settings)
    app.worker_main(["worker", f"--loglevel={settings.log_level.upper()}", *celery_args])


@click.command(
    "beat",
    context_settings=PASS_THROUGH,
    help="Celery beat: sends each source's run on its cron schedule (UTC) and webhook "
    "passes every scheduler_tick seconds. Run exactly one. Further arguments go to "
    "`celery beat`.",
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    settings = _settings()
    app = celery_app(settings)
    _require_database(settings)
    args = list(celery_args)
    if not any(a in ("-s", "--schedule") or a.startswith("--schedule=") for a in args):
        Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
        args += ["--schedule", str(Path(settings.instance_path) / "celerybeat-schedule")]
    _hub_logging(settings)
    app.start(["beat", f"--loglevel={settings.log_level.upper()}", *args])


def enqueue(settings: config.Settings, names: list[str], *, restart: bool = False) -> list[tuple[str, str]]:
    """Send one ``hub.sync_source`` per source name; ``(name, task id)`` for each."""
    app = celery_app(settings)
    from kombu.exceptions import OperationalError
    from kombu.utils.url import maybe_sanitize_url

    from .factory import SYNC_SOURCE

    sent = []
    try:
        for name in names:
            result = app.send_task(SYNC_SOURCE, kwargs={"name": name, "restart": restart})
            sent.append((name, result.id))
    except OperationalError as exc:
        where = maybe_sanitize_url(settings.celery_broker_url)
        raise click.ClickException(f"cannot reach the broker at {where}: {' '.join(str(exc).split())}") from None
    return sent
