"""The ``hub`` command: operator interface of SPEC section 9.

Every failure a person can cause (bad file, unknown kind, database not initialised)
ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import sqlalchemy.exc

import schemas

from . import config
from .actors import Actor
from .clictx import command_hub as _hub
from .curation import members
from .records import exports
from .store import audit
from .store.db import transaction
from .store.models import WriteHead

KIND = click.Choice(schemas.KINDS)


class Failure(click.ClickException):
    """One-line error, exit code 1."""


@click.group(help="Operate the OVOP Exchange Hub.")
def cli() -> None:
    pass


@cli.command(help="Create or migrate the database and add members; safe to repeat.")
@click.pass_context
def init(ctx: click.Context) -> None:
    hub = _hub(ctx)
    added = hub.init()
    click.echo(f"database ready at {hub.engine.url.render_as_string(hide_password=True)}; {added} member(s) added")


@cli.command(help="Load the demo data set (published through the review path); safe to repeat.")
@click.pass_context
def demo(ctx: click.Context) -> None:
    from .demo import load_demo

    counts = load_demo(_hub(ctx))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@cli.command(
    help="Re-derive certificates' active and band as of today; publish the records whose state "
    "changed to the feed (run daily)."
)
@click.pass_context
def refresh(ctx: click.Context) -> None:
    from .records.derived import refresh as refresh_derived

    click.echo(f"{refresh_derived((h := _hub(ctx)).sessions, h.writes)} record(s) republished")


@cli.command(help="Serve the hub with gunicorn (settings: docs/operations.md).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker (reads are served beside a running batch write).",
)
@click.option(
    "--timeout",
    default=120,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds a silent worker lives before it is killed and replaced.",
)
@click.option(
    "--graceful-timeout",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds requests in flight get to finish on SIGTERM.",
)
@click.option("--keepalive", default=5, show_default=True, type=click.IntRange(0), help="Keep-alive seconds.")
@click.option(
    "--max-requests",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Recycle a worker after this many requests (0: never).",
)
@click.option(
    "--max-requests-jitter",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Random extra requests before recycling, so workers do not restart together.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1,::1",
    show_default=True,
    help="Proxies trusted for X-Forwarded-Proto (comma-separated, or '*').",
)
@click.option(
    "--admission/--no-admission",
    default=True,
    show_default=True,
    help="Bound concurrent batch writes per worker, answering 503 + Retry-After beyond "
    "(write_slots, write_queue); off: a baseline for benchmarks.",
)
def serve(**options: Any) -> None:
    from .operations.serve import ServerOptions
    from .operations.serve import serve as run

    click.echo(f"OVOP Exchange Hub on http://{options['host']}:{options['port']}/  (Ctrl-C stops)")
    try:
        run(ServerOptions(**options))
    except config.ConfigError as exc:
        raise Failure(str(exc)) from None


@cli.command("import", help="Import a JSON or NDJSON file of KIND through the write path.")
@click.argument("kind", type=KIND)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--country", required=True, help="The member country the records belong to.")
@click.pass_context
def import_(ctx: click.Context, kind: str, file: str, country: str) -> None:
    from .records.importer import import_file

    hub = _hub(ctx)
    if country not in hub.settings.members:
        raise Failure(f"{country} is not a member (members: {' '.join(hub.settings.members)})")
    try:
        report = import_file(hub.writes, Actor(f"cli:import:{country}", country), kind, file)
    except OSError as exc:
        raise Failure(f"cannot read {file}: {exc.strerror or exc}") from None
    for number, result in report.problems:
        for label, findings in (("error", result.errors), ("warning", result.warnings)):
            for f in findings:
                click.echo(
                    f"line {number} ({result.uid or '?'}): {label} {f['path']}: {f['code']}: {f['message']}",
                    err=label == "error",
                )
    summary = ", ".join(
        f"{s} {report.counts.get(s, 0)}" for s in ("created", "updated", "unchanged", "invalid", "forbidden")
    )
    click.echo(summary)
    if report.failed:
        ctx.exit(1)


@cli.command(
    help="Write published records of KIND to stdout; the last line is the trailer "
    "(count and feed position, docs/api.md)."
)
@click.argument("kind", type=KIND)
@click.option("--format", "fmt", type=click.Choice(["ndjson", "csv", "jsonld"]), default="ndjson", show_default=True)
@click.pass_context
def export(ctx: click.Context, kind: str, fmt: str) -> None:
    hub = _hub(ctx)
    out = sys.stdout.buffer
    with hub.sessions() as session:
        for chunk in exports.stream(session, kind, fmt):
            out.write(chunk)
    out.flush()


@cli.group("members", help="Member countries, their review policy and the four-eyes rule.")
def members_() -> None:
    pass


@members_.command(
    "list", help="List members, their review policy and four eyes (on: a submitter never reviews its own revisions)."
)
@click.pass_context
def members_list(ctx: click.Context) -> None:
    with _hub(ctx).sessions() as session:
        for m in members.listing(session):
            eyes = "four-eyes" if m.four_eyes else "own-review"
            click.echo(f"{m.country}  {m.review_policy:<8}  {eyes:<10}  {m.name}")


@members_.command("policy", help="Set a member's review policy: auto or required.")
@click.argument("country")
@click.argument("policy", type=click.Choice(members.POLICIES))
@click.pass_context
def members_policy(ctx: click.Context, country: str, policy: str) -> None:
    try:
        with transaction(_hub(ctx).sessions) as session:
            members.set_policy(session, "cli", country.upper(), policy)
    except LookupError as exc:
        raise Failure(str(exc.args[0])) from None
    click.echo(f"{country.upper()}: review {policy}")


@members_.command(
    "four-eyes",
    help="on (default): the reviewer of a revision must be another client or "
    "a staff user than its submitter; off: a client with exchange:write "
    "and review may approve its own revisions.",
)
@click.argument("country")
@click.argument("setting", type=click.Choice(("on", "off")))
@click.pass_context
def members_four_eyes(ctx: click.Context, country: str, setting: str) -> None:
    try:
        with transaction(_hub(ctx).sessions) as session:
            members.set_four_eyes(session, "cli", country.upper(), setting == "on")
    except LookupError as exc:
        raise Failure(str(exc.args[0])) from None
    click.echo(f"{country.upper()}: four eyes {setting}")


@cli.group("audit", help="The hash-chained audit log.")
def audit_() -> None:
    pass


@audit_.command("verify", help="Check the audit log's hash chain end to end.")
@click.option(
    "--head",
    "head_file",
    type=click.File("r", encoding="utf-8"),
    help="Also check the chain passes through a head published with 'hub audit head'.",
)
@click.pass_context
def audit_verify(ctx: click.Context, head_file: Any) -> None:
    from .store import audit_head

    published = None
    if head_file is not None:
        try:
            published = audit_head.parse(head_file.read())
        except ValueError as exc:
            raise Failure(f"{head_file.name}: {exc}") from None
    with _hub(ctx).sessions() as session:
        problems = audit.verify(session)
        if published is not None:
            problems += audit_head.check(session, published)
        count = session.get(WriteHead, 1)
    if problems:
        for p in problems:
            click.echo(p, err=True)
        raise Failure(f"audit log damaged: {len(problems)} problem(s)")
    click.echo(
        f"audit log intact: {count.audit_seq if count else 0} entries"
        + (f", through the published head {published['seq']}" if published else "")
    )


@audit_.command(
    "head",
    help="Print the chain's head (sequence, hash, time) as one line of JSON "
    "to publish or countersign; check it later with 'hub audit verify --head FILE'.",
)
@click.pass_context
def audit_head_(ctx: click.Context) -> None:
    from .store import audit_head

    with _hub(ctx).sessions() as session:
        click.echo(audit_head.publishable(audit_head.current(session)))


from .auth import cli as auth_cli  # noqa: E402  (clients and users groups)

auth_cli.register(cli)
from .sync import cli as sync_cli  # noqa: E402  (sync, scheduler)

cli.add_command(sync_cli.sync)
cli.add_command(sync_cli.scheduler)
from .webhooks import cli as subscriptions_cli  # noqa: E402  (webhook subscriptions, replay)

cli.add_command(subscriptions_cli.subscriptions)
cli.add_command(subscriptions_cli.webhooks_group)
from .sync.jobs import cli as jobs_cli  # noqa: E402  (worker, beat: jobs = "celery")

cli.add_command(jobs_cli.worker)
cli.add_command(jobs_cli.beat)
from .operations import backup_cli  # noqa: E402  (backup, restore)

cli.add_command(backup_cli.backup_cmd)
cli.add_command(backup_cli.restore_cmd)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: turns database errors into one line instead of a traceback."""
    try:
        return cli.main(args=argv, prog_name="hub", standalone_mode=True)
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError) as exc:
        # OperationalError: unreachable or locked; ProgrammingError: PostgreSQL's missing table.
        msg = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        # a missing table or column: a database older than this code's migrations
        hint = (
            " (run 'hub init' first)"
            if any(m in msg for m in ("no such table", "no such column", "does not exist"))
            else ""
        )
        click.echo(f"Error: database: {msg}{hint}", err=True)
        sys.exit(2)
    except RuntimeError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
