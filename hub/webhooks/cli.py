"""``hub subscriptions ...`` (webhook subscriptions and their delivery log) and ``hub webhooks
replay`` (dead letters back in line), from the shell. The operator sees every subscription.

Every refusal is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import sys

import click

from .. import shapes
from ..auth import clients as registry
from ..clictx import command_hub as _hub
from ..store.db import transaction
from . import subscriptions as webhooks

BY = "cli"


@click.group("subscriptions", help="Webhook subscriptions (SPEC 6) and their delivery log.")
def subscriptions() -> None:
    pass


@subscriptions.command("create", help="Subscribe a URL to published changes.")
@click.option("--url", required=True)
@click.option("--kind", "kinds", multiple=True, help="Only these kinds (repeat; default all).")
@click.option("--country", "countries", multiple=True, help="Only these countries (repeat; default all).")
@click.option("--secret-stdin", is_flag=True, help="Read the shared secret from stdin (default: generate one).")
@click.option(
    "--owner",
    metavar="CLIENT_ID",
    help="The partner system that owns it and sees it in the API (default: none, the operator's own).",
)
@click.pass_context
def subscriptions_create(
    ctx: click.Context,
    url: str,
    kinds: tuple[str, ...],
    countries: tuple[str, ...],
    secret_stdin: bool,
    owner: str | None,
) -> None:
    hub = _hub(ctx)
    secret = sys.stdin.readline().strip() if secret_stdin else None
    try:
        with transaction(hub.sessions) as session:
            if owner is not None:
                registry.get(session, owner)
            sub, generated = webhooks.create(
                session, hub.settings, BY, url, list(kinds), [c.upper() for c in countries], secret, owner=owner
            )
    except (webhooks.SubscriptionError, registry.RegistryError) as exc:
        raise click.ClickException(str(exc)) from None
    shown = shapes.Subscription(exclude=("deliveries",)).dump(webhooks.Overview(sub, secret=generated))
    click.echo(json.dumps(shown, indent=2))


@subscriptions.command("list", help="Active subscriptions with their owner and delivery counts.")
@click.pass_context
def subscriptions_list(ctx: click.Context) -> None:
    with _hub(ctx).sessions() as session:
        for sub in webhooks.listing(session, everyone=True):
            c = webhooks.counts(session, sub.id)
            click.echo(
                f"{sub.id}  {sub.url}  owner={sub.owner or '-'}  kinds={','.join(sub.kinds) or 'all'} "
                f"countries={','.join(sub.countries) or 'all'}  delivered {c['delivered']}, "
                f"pending {c['pending']}, dead {c['dead']}"
            )


@subscriptions.command("remove", help="Stop a subscription (its delivery log stays).")
@click.argument("sub_id")
@click.pass_context
def subscriptions_remove(ctx: click.Context, sub_id: str) -> None:
    with transaction(_hub(ctx).sessions) as session:
        if not webhooks.remove(session, sub_id, BY, everyone=True):
            raise click.ClickException(f"no active subscription {sub_id}")
    click.echo(f"{sub_id}: removed")


@subscriptions.command("deliveries", help="The delivery log of a subscription, newest first.")
@click.argument("sub_id")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def subscriptions_deliveries(ctx: click.Context, sub_id: str, limit: int) -> None:
    with _hub(ctx).sessions() as session:
        if webhooks.get(session, sub_id, everyone=True) is None:
            raise click.ClickException(f"no subscription {sub_id}")
        rows, _ = webhooks.deliveries(session, sub_id, limit=limit)
        for d in rows:
            click.echo(
                f"#{d.id} {d.status} changes {d.first_seq}-{d.last_seq} ({d.count}), "
                f"{d.attempts} attempt(s), last: {d.last_status_code or '-'} {d.last_error or ''}".rstrip()
            )


@click.group("webhooks", help='Webhook deliveries: replay dead letters (docs/sync.md, "Webhooks").')
def webhooks_group() -> None:
    pass


@webhooks_group.command(
    "replay",
    help="Put a subscription's dead-lettered deliveries back in line, "
    "oldest first (audited); the scheduler or workers send them.",
)
@click.argument("sub_id")
@click.pass_context
def replay(ctx: click.Context, sub_id: str) -> None:
    try:
        with transaction(_hub(ctx).sessions) as session:
            ids = webhooks.replay(session, sub_id, BY, everyone=True)
    except LookupError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except webhooks.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from None
    if not ids:
        click.echo(f"{sub_id}: no dead letters")
        return
    click.echo(f"{sub_id}: {len(ids)} dead letter(s) queued again, in order: " + ", ".join(f"#{i}" for i in ids))
