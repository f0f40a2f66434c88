"""``hub backup PATH`` and ``hub restore PATH [--force]`` (docs/operations.md)."""

from __future__ import annotations

import click
import sqlalchemy.exc

from .. import config
from ..services import Hub
from ..store import audit, migrate
from ..store.models import WriteHead
from . import backup


def _settings() -> config.Settings:
    try:
        return config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("backup", help="Write a consistent copy of the database to PATH (safe while the hub runs).")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_cmd(path: str) -> None:
    settings = _settings()
    try:
        config.require_database(settings)
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        done = backup.backup(settings.database_url, path, pg_bin_dir=settings.pg_bin_dir)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{done.engine} backup written to {done.path} ({done.bytes:,} bytes)")


@click.command("restore", help="Replace the database with the backup at PATH; stop the server and scheduler first.")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds tables.")
@click.pass_context
def restore_cmd(ctx: click.Context, path: str, force: bool) -> None:
    settings = _settings()
    try:
        backup.restore(settings.database_url, path, force=force, pg_bin_dir=settings.pg_bin_dir)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    hub = Hub(settings)
    try:
        with hub.sessions() as session:
            problems = audit.verify(session)
            head = session.get(WriteHead, 1)
        current = migrate.is_current(hub.engine)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise click.ClickException(
            f"restored, but the database cannot be read as a hub: "
            f"{' '.join(str(getattr(exc, 'orig', None) or exc).split())[:200]}"
        ) from None
    finally:
        hub.engine.dispose()
    click.echo(
        f"restored {path}: {head.change_seq if head else 0} changes, {head.audit_seq if head else 0} audit entries"
    )
    if not current:
        click.echo("the schema is older than this version: run 'hub init' to migrate it", err=True)
    if problems:
        for p in problems:
            click.echo(p, err=True)
        raise click.ClickException(f"audit log damaged: {len(problems)} problem(s)")
    click.echo("audit log intact")
