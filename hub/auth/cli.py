"""``hub clients ...`` and ``hub users ...``: the operator's side of the access model.

Secrets are printed once (at creation and rotation); ``--json`` gives scripts one
JSON object. Every refusal is one line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from ..clictx import command_hub as _hub
from ..store import audit
from ..store.db import transaction
from . import clients as registry
from . import sessions as staff_sessions
from . import users as staff
from .models import SCOPES, OAuthClient, aware

BY = "cli"


def _emit(data: dict[str, Any] | list[Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _read_jwks(path: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise click.ClickException(f"{path} is not JSON: {exc}") from None


@click.group(help="Partner systems: OAuth clients bound to one member country.")
def clients() -> None:
    pass


@clients.command("create", help="Register a partner system; prints client_id and client_secret once.")
@click.option("--country", required=True, help="The member country the client writes for.")
@click.option("--name", required=True, help="Who runs the system, e.g. 'VN OCOP portal'.")
@click.option(
    "--scopes",
    default=None,
    show_default="exchange:read exchange:write",
    help=f"Comma or space separated, among: {' '.join(SCOPES)}.",
)
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The partner's public JWKS file: the client authenticates with private_key_jwt and gets no secret.",
)
@click.option("--allow-duplicate-name", is_flag=True, help="Register even if an active client already has this name.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def clients_create(
    ctx: click.Context,
    country: str,
    name: str,
    scopes: str | None,
    jwks_file: str | None,
    allow_duplicate_name: bool,
    as_json: bool,
) -> None:
    jwks = _read_jwks(jwks_file) if jwks_file else None
    try:
        with transaction(_hub(ctx).sessions) as session:
            same = [
                c.client_id
                for c in session.scalars(
                    sa.select(OAuthClient).where(
                        OAuthClient.revoked_at.is_(None), sa.func.lower(OAuthClient.name) == name.strip().lower()
                    )
                )
            ]
            if same and not allow_duplicate_name:
                raise click.ClickException(
                    f"an active client is already named '{name.strip()}' ({', '.join(same)}): choose "
                    "another name, revoke it, or pass --allow-duplicate-name"
                )
            creds = registry.create(
                session, BY, country=country, name=name, scopes=registry.parse_scopes(scopes), jwks=jwks
            )
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        _emit(creds.as_dict())
        return
    c = creds.client
    click.echo(f"client_id:     {creds.client_id}")
    if creds.client_secret:
        click.echo(f"client_secret: {creds.client_secret}")
    click.echo(f"country {c.country}; scopes {c.scope}; authentication {c.auth_method}")
    if creds.client_secret:
        click.echo("The secret is shown this once: the hub keeps only its hash.")


@clients.command("list", help="List clients (never their secrets).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def clients_list(ctx: click.Context, as_json: bool) -> None:
    with _hub(ctx).sessions() as session:
        rows = registry.listing(session)
    if as_json:
        _emit([{"client_id": c.client_id, **registry.describe(c)} for c in rows])
        return
    for c in rows:
        created = aware(c.created_at).date().isoformat()
        click.echo(
            f"{c.client_id}  {c.country}  {'active' if c.active else 'revoked':<7}  "
            f"{c.auth_method:<15}  {created}  {c.scope}  {c.name}"
        )


@clients.command("revoke", help="Revoke a client; its live tokens stop working at once.")
@click.argument("client_id")
@click.pass_context
def clients_revoke(ctx: click.Context, client_id: str) -> None:
    try:
        with transaction(_hub(ctx).sessions) as session:
            killed = registry.revoke(session, BY, client_id)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"client {client_id} revoked; {killed} live token(s) revoked")


@clients.command("rotate", help="Give a client a new secret; the old one stays valid for a grace period.")
@click.argument("client_id")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds the old secret stays valid (default: the secret_rotation_grace setting).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def clients_rotate(ctx: click.Context, client_id: str, grace: int | None, as_json: bool) -> None:
    hub = _hub(ctx)
    grace = hub.settings.secret_rotation_grace if grace is None else grace
    try:
        with transaction(hub.sessions) as session:
            secret, until = registry.rotate(session, BY, client_id, grace)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    until_text = until.isoformat(timespec="seconds")
    if as_json:
        _emit(
            {
                "client_id": client_id,
                "client_secret": secret,
                "previous_secret_valid_until": until_text if grace else None,
            }
        )
        return
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo(
        f"The previous secret stays valid until {until_text}." if grace else "The previous secret no longer works."
    )


@clients.command("keys", help="Replace the public JWKS of a private_key_jwt client.")
@click.argument("client_id")
@click.option("--jwks", "jwks_file", type=click.Path(dir_okay=False), required=True)
@click.pass_context
def clients_keys(ctx: click.Context, client_id: str, jwks_file: str) -> None:
    jwks = _read_jwks(jwks_file)
    try:
        with transaction(_hub(ctx).sessions) as session:
            client = registry.replace_keys(session, BY, client_id, jwks)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"client {client_id}: {len(client.jwks['keys'])} public key(s) registered")  # type: ignore[index]  # a JWKS client has its keys


@click.group(help="Staff accounts: reviewers, secretariat, admins.")
def users() -> None:
    pass


@users.command("create", help="Create a staff account; the password is read from stdin.")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(staff.ROLES))
@click.option("--country", default=None, help="Reviewers only: the member whose revisions they review.")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (required).",
)
@click.pass_context
def users_create(ctx: click.Context, email: str, role: str, country: str | None, password_stdin: bool) -> None:
    password = _password_from_stdin(password_stdin)
    try:
        with transaction(_hub(ctx).sessions) as session:
            user = staff.create(session, BY, email=email, role=role, country=country, password=password)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    where = f" for {user.country}" if user.country else ""
    click.echo(f"user {user.email} created: {user.role}{where}")


@users.command("list", help="List staff accounts.")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    with _hub(ctx).sessions() as session:
        for u in staff.listing(session):
            state = "disabled" if u.disabled_at else "active"
            click.echo(f"{u.email}  {u.role:<11}  {u.country or '*':<2}  {state}")


def _password_from_stdin(password_stdin: bool) -> str:
    if not password_stdin:
        raise click.ClickException("pass the password on stdin with --password-stdin (never on the command line)")
    return sys.stdin.readline().rstrip("\r\n")


def _set_state(ctx: click.Context, email: str, disabled: bool) -> None:
    try:
        with transaction(_hub(ctx).sessions) as session:
            ended = staff.set_disabled(session, BY, email, disabled)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"user {email.strip().lower()} disabled; {ended} session(s) ended"
        if disabled
        else f"user {email.strip().lower()} enabled"
    )


@users.command("disable", help="Disable a staff account; its console sessions end at once.")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    _set_state(ctx, email, True)


@users.command("enable", help="Enable a disabled staff account again.")
@click.argument("email")
@click.pass_context
def users_enable(ctx: click.Context, email: str) -> None:
    _set_state(ctx, email, False)


@users.command("password", help="Set a new password (read from stdin); the user's sessions end.")
@click.argument("email")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (required).",
)
@click.pass_context
def users_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    password = _password_from_stdin(password_stdin)
    try:
        with transaction(_hub(ctx).sessions) as session:
            ended = staff.reset_password(session, BY, email, password)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {email.strip().lower()}: new password set; {ended} session(s) ended")


def _limits(ctx: click.Context) -> staff_sessions.Limits:
    settings = _hub(ctx).settings
    return staff_sessions.Limits(settings.console_session_lifetime, settings.console_idle_timeout)


@users.command("sessions", help="List open console sessions (of one user with --email).")
@click.option("--email", default=None)
@click.pass_context
def users_sessions(ctx: click.Context, email: str | None) -> None:
    with _hub(ctx).sessions() as session:
        try:
            user_id = staff.get(session, email).id if email else None
        except staff.UserError as exc:
            raise click.ClickException(str(exc)) from None
        for row in staff_sessions.active(session, _limits(ctx), user_id=user_id):
            seen = aware(row.last_seen_at).isoformat(timespec="seconds")
            click.echo(f"{row.id}  {row.user.email}  last active {seen}  {row.address or '-'}  {row.agent[:60]}")


@users.command("end-session", help="End one console session (by the id 'hub users sessions' shows).")
@click.argument("session_id", type=int)
@click.pass_context
def users_end_session(ctx: click.Context, session_id: int) -> None:
    with transaction(_hub(ctx).sessions) as session:
        row = staff_sessions.end_by_id(session, session_id)
        if row is None:
            raise click.ClickException(f"there is no open session {session_id}")
        audit.record(session, BY, "session.end", f"user:{row.user.email}", {"session": session_id})
    click.echo(f"session {session_id} of {row.user.email} ended")


def register(group: click.Group) -> None:
    """Add ``clients`` and ``users`` to the ``hub`` command."""
    group.add_command(clients, "clients")
    group.add_command(users, "users")
