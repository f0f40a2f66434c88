"""``hub sync ...`` and ``hub scheduler``.

Every refusal is one line on stderr and a non-zero exit; a run that fails says why in
its report (and in ``hub sync status``) and makes ``hub sync run`` exit 1.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from ..clictx import command_hub as _hub
from ..operations import logs
from ..records.representation import rfc3339
from ..services import Hub
from ..shapes import Quarantined, Run
from ..store import locks, syncruns
from ..store.db import transaction
from ..store.models import utcnow
from ..store.syncruns import Quarantine, SyncRun
from .progress import Progress
from .runner import Runner, RunResult
from .schedule import Scheduler, next_fire
from .sources import Source, scan, shipped_examples


def _sources(hub: Hub, names: tuple[str, ...]) -> tuple[list[Source], list[str]]:
    found, errors = scan(hub.settings.sources_dir)
    if not names:
        return list(found.values()), errors
    missing = [n for n in names if n not in found]
    if missing:
        known = ", ".join(sorted(found)) or "none"
        hint = f"; {len(errors)} source file(s) in error: {errors[0]}" if errors else ""
        raise click.ClickException(f"unknown source '{missing[0]}' (known: {known}){hint}")
    return [found[n] for n in names], []


@click.group("sync", help="Sync sources: national files and APIs, other hubs (docs/sync.md).")
def sync() -> None:
    pass


@sync.command("run", help="Run sources now (all of them without SOURCE names).")
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read, map and validate; write nothing; report what would be created, updated and deleted.",
)
@click.option("--restart", is_flag=True, help="Ignore the checkpoint: read the source from its start.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option(
    "--queue",
    "queue",
    is_flag=True,
    help='Send the runs to the Celery workers instead of running them here (jobs = "celery"; docs/workers.md).',
)
@click.pass_context
def run(
    ctx: click.Context, names: tuple[str, ...], dry_run: bool, restart: bool, progress: bool | None, queue: bool
) -> None:
    hub = _hub(ctx)
    sources, errors = _sources(hub, names)
    for message in errors:
        click.echo(f"Error: {message}", err=True)
    if not sources and not errors:
        raise click.ClickException(
            f"no sources in {hub.settings.sources_dir} (setting sources_dir; example sources: hub sync examples)"
        )
    if queue:
        if dry_run:
            raise click.ClickException("--dry-run runs here and writes nothing: it cannot be queued")
        from .jobs.cli import enqueue

        for name, task_id in enqueue(hub.settings, [s.name for s in sources], restart=restart):
            click.echo(f"{name}: queued as task {task_id} (hub sync status {name} shows its run)")
        if errors:
            ctx.exit(1)
        return
    failed = bool(errors)
    for source in sources:
        runner = Runner(
            hub,
            source,
            trigger="cli",
            dry_run=dry_run,
            restart=restart,
            progress=Progress(source.name, enabled=progress),
        )
        try:
            result = runner.run()
        except locks.Busy as exc:
            click.echo(f"Error: {source.name} not run: {exc}", err=True)
            failed = True
            continue
        assert result is not None
        _report(hub, result)
        failed = failed or not result.ok
    if failed:
        ctx.exit(1)


def _report(hub: Hub, result: RunResult) -> None:
    click.echo(result.summary())
    report = result.report
    for note in report.get("notes", []):
        click.echo(f"  note: {note}")
    for text, n in (report.get("warnings") or {}).items():
        click.echo(f"  warning {text}: {n}")
    for reason, n in (report.get("skipped") or {}).items():
        click.echo(f"  skipped {n}: {reason}")
    for problem in report.get("problems", [])[:20]:
        click.echo(f"  problem: {problem}")
    deletes = report.get("deletes")
    if deletes and deletes.get("candidates"):
        shown = ", ".join(deletes["uids"][:5]) + (", ..." if deletes["candidates"] > 5 else "")
        verb = {
            "apply": f"deleted {deletes['applied']}",
            "report": 'nothing deleted (deletes = "report")',
            "never": "ignored",
        }.get(deletes["policy"], "")
        click.echo(f"  deletions: {deletes['candidates']} record(s) no longer in the source ({shown}); {verb}")
    ignored = report.get("deletes_not_applied")
    if ignored:
        click.echo(f'  deletions announced but not applied (deletes is not "apply"): {ignored["count"]}')
    if not result.dry_run:
        with hub.sessions() as session:
            open_count = syncruns.open_quarantine(session, result.source)
        if open_count:
            click.echo(f"  quarantined: {open_count} open (hub sync quarantine {result.source})")


@sync.command("status", help="Each source: schedule, last run with its counts, quarantine, checkpoint.")
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def status(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    hub = _hub(ctx)
    folder = Path(hub.settings.sources_dir)
    notes: list[str] = []
    sources: list[Source] = []
    errors: list[str] = []
    if folder.is_dir():
        found, errors = scan(folder)
        sources = [found[n] for n in names if n in found] if names else list(found.values())
    else:  # an installed hub may have no sources folder: its run history is still shown
        notes.append(
            f"no sources folder at {folder} (setting sources_dir): sources are shown from their runs; "
            "example sources: hub sync examples"
        )
    now = utcnow()
    out: dict[str, Any] = {}
    with hub.sessions() as session:
        for source in sources:
            out[source.name] = {
                "type": source.type,
                "kind": source.kind,
                "country": source.country,
                "where": source.where(hub.settings.data_dir),
                "schedule": source.schedule,
                "next_run": _stamp(next_fire(source.schedule, now)),
                "deletes": source.deletes,
                **syncruns.status(session, source.name, hub.settings.sync_abandoned_max),
            }
        # sources that ran but have no file (any more): their history
        ran = set(session.scalars(sa.select(SyncRun.source).distinct()))
        for name in names or sorted(ran):
            if name in out:
                continue
            if name not in ran:
                known = ", ".join(sorted(set(out) | ran)) or "none"
                errors.insert(0, f"unknown source '{name}': no source file and no runs (known: {known})")
                continue
            out[name] = {
                "type": None,
                "kind": None,
                "country": None,
                "where": "no source file",
                "schedule": None,
                "next_run": None,
                "deletes": None,
                **syncruns.status(session, name, hub.settings.sync_abandoned_max),
            }
        for shown in out.values():
            shown["last_run"] = Run().dump(shown["last_run"]) if shown["last_run"] is not None else None
            shown["checkpoint_at"] = rfc3339(shown["checkpoint_at"])
    if as_json:
        click.echo(json.dumps({"sources": out, "errors": errors, "notes": notes}, ensure_ascii=False, indent=2))
        return
    for message in errors:
        click.echo(f"Error: {message}", err=True)
    for message in notes:
        click.echo(f"Note: {message}", err=True)
    for name, s in out.items():
        if s["type"] is None:
            click.echo(f"{name}: {s['where']}")
        else:
            what = f"{s['type']}" + (f", {s['kind']} {s['country']}" if s["kind"] else "")
            click.echo(f"{name} ({what}): {s['where']}")
            click.echo(f"  schedule {s['schedule']} (next {s['next_run']}); deletes {s['deletes']}")
        last = s["last_run"]
        if last is None:
            click.echo("  never run")
        else:
            counts = ", ".join(f"{k} {v}" for k, v in last["counts"].items())
            click.echo(
                f"  last run #{last['id']} {last['status']} at {last['started_at']} ({last['trigger']}): {counts}"
            )
            if last["error"]:
                click.echo(f"  error: {last['error']}")
        click.echo(f"  quarantined: {s['quarantined']} open")
        if s["parked"]:
            click.echo(
                f"  PARKED after {s['abandoned_in_a_row']} abandoned runs in a row: not run until "
                f"'hub sync release {name}'"
            )
        if s["running"]:
            click.echo(f"  running now: {s['running']}")
    if errors:
        ctx.exit(1)


@sync.command("examples", help="Example sources shipped with the hub, one per shape of file (docs/sync.md).")
@click.option("--path", "path_only", is_flag=True, help="Print only their folder (to copy from or --show them).")
def examples(path_only: bool) -> None:
    folder = shipped_examples()
    if path_only:
        click.echo(folder)
        return
    found, errors = scan(folder)
    click.echo(f"example sources in {folder} (copy one into sources_dir to use it; check: python -m hub.sync FILE):")
    for source in found.values():
        what = source.type + (f", {source.kind} {source.country}" if source.kind else "")
        click.echo(f"  {Path(source.origin).name}: {source.name} ({what})")
        if source.description:
            click.echo(f"      {source.description}")
    for message in errors:  # a broken shipped example is a defect: say so rather than hide it
        click.echo(f"Error: {message}", err=True)
    if errors:
        raise SystemExit(1)


@sync.command(
    "release",
    help="Release a parked source (parked after sync_abandoned_max abandoned "
    "runs in a row), so it runs again; audited.",
)
@click.argument("name", metavar="SOURCE")
@click.pass_context
def release(ctx: click.Context, name: str) -> None:
    from ..store import parking

    hub = _hub(ctx)
    with transaction(hub.sessions) as session:
        done = parking.release(session, name, "cli:sync-release", hub.settings.sync_abandoned_max)
    if not done:
        raise click.ClickException(f"{name} is not parked")
    click.echo(f"{name} released; its next run resumes at the last checkpoint")


@sync.command("quarantine", help="Records a source could not accept: where, why, and the raw payload.")
@click.argument("name", required=False, metavar="[SOURCE]")
@click.option("--all", "show_all", is_flag=True, help="Resolved entries too.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Entries per page.")
@click.option(
    "--before",
    type=click.IntRange(1),
    default=None,
    metavar="ID",
    help="The page of entries older than #ID (the listing says which ID comes next).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def quarantine(
    ctx: click.Context, name: str | None, show_all: bool, limit: int, before: int | None, as_json: bool
) -> None:
    hub = _hub(ctx)
    state = "all" if show_all else "open"
    with hub.sessions() as session:
        rows, following = syncruns.quarantine(session, name, state, limit, before)
        items = Quarantined(many=True).dump(rows)
        total = session.scalar(
            sa.select(sa.func.count())
            .select_from(Quarantine)
            .where(
                *([Quarantine.source == name] if name else []),
                *([] if show_all else [Quarantine.resolved_at.is_(None)]),
            )
        )
    if not as_json and items:
        more = (
            f"; next page: hub sync quarantine {name + ' ' if name else ''}{'--all ' if show_all else ''}"
            f"--before {following}"
            if following
            else ""
        )
        click.echo(
            f"{total} {'entries' if show_all else 'open entries'}, showing {len(items)} from #{items[0]['id']}{more}"
        )
    for q in items:
        if as_json:
            click.echo(json.dumps(q, ensure_ascii=False))
            continue
        state = f" [{q['resolution']}]" if q["resolved_at"] else ""
        click.echo(f"#{q['id']} {q['source']} {q['locator']} {q['uid'] or ''} {q['status']}{state}")
        for e in q["errors"]:
            click.echo(f"    {e.get('path')}: {e.get('code')}: {e.get('message')}")
        click.echo(f"    payload: {json.dumps(q['payload'], ensure_ascii=False)[:300]}")
    if not items and not as_json:
        click.echo("nothing in quarantine")


@click.command("scheduler", help="Run sources on their schedules and deliver webhooks, in the foreground.")
@click.option("--once", is_flag=True, help="One tick: run what is due, deliver what is due, exit.")
@click.option(
    "--tick",
    type=click.IntRange(1, 3600),
    default=None,
    help="Seconds between ticks (default: setting scheduler_tick).",
)
@click.pass_context
def scheduler(ctx: click.Context, once: bool, tick: int | None) -> None:
    hub = _hub(ctx)
    if hub.settings.jobs == "celery":
        raise click.ClickException(
            'jobs = "celery": Celery beat schedules sync runs and webhook deliveries '
            '(hub beat, with hub worker); hub scheduler is for jobs = "embedded"'
        )
    logs.configure(hub.settings.log_format, hub.settings.log_level)  # text or JSON lines (docs/operations.md)
    stop = threading.Event()
    job = Scheduler(hub, stop=stop)
    if once:
        results, delivered = job.once()
        for result in results:
            _report(hub, result)
        click.echo(
            f"sources run: {len(results)}; webhooks: "
            + (", ".join(f"{k} {v}" for k, v in sorted(delivered.items())) or "nothing due")
        )
        if any(not r.ok for r in results):
            ctx.exit(1)
        return

    def halt(signum: int, _frame: Any) -> None:
        logging.getLogger("hub.scheduler").info("signal %s: stopping after the current page", signum)
        stop.set()

    signal.signal(signal.SIGTERM, halt)
    signal.signal(signal.SIGINT, halt)
    every = tick or hub.settings.scheduler_tick
    click.echo(f"scheduler: sources from {hub.settings.sources_dir}, tick {every} s (Ctrl-C stops)", err=True)
    job.serve(every)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
