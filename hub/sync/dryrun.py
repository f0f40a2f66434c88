"""Dry runs: what a run would do, writing nothing.

Items go through the same steps as in a real run up to the write: the mapping, the
screen for stale records (:mod:`.screen`), and then the write path's
:meth:`~hub.records.writepath.WritePath.preview` (validation, the member and actor checks, the
comparison with the stored revisions), so a dry run counts what a real run would.
Deletions are those a real run's delete detection would find (:mod:`.deletes`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from ..services import Hub
from . import deletes
from .base import Fetcher, Source
from .pages import Item, Page
from .screen import REPEAT, STALE, GroupOf, screen

SHOWN = 100  # problems listed in a report


def dry_run(
    hub: Hub,
    source: Source,
    fetcher: Fetcher,
    counts: Counter[str],
    warnings: Counter[str],
    report: dict[str, Any],
    on_page: Callable[[Page], None] = lambda page: None,
    group_of: GroupOf | None = None,
) -> None:
    """Count what a run of the whole source would do; ``report`` gets the deletions and
    the first problems."""
    seen: set[str] = set()
    problems: list[str] = []
    announced: list[str] = []
    for page in fetcher.pages():
        verdicts = (
            {}
            if fetcher.ordered
            else screen(hub.sessions, source.name, page.items, None, source.repeats, group_of, warnings)
        )
        by_kind: dict[str, list[Item]] = {}
        for item in page.items:
            counts["fetched"] += 1
            if item.uid:
                seen.add(item.uid)
            verdict = verdicts.get(id(item))
            if item.skipped is not None or verdict == REPEAT:
                counts["skipped"] += 1
                item.skip(report)
            elif item.errors:
                counts["invalid"] += 1
                first = item.errors[0]
                mapped = first["code"] == "mapping"  # the mapping's message names its place already
                problems.append(first["message"] if mapped else f"{item.locator}: {first['message']}")
            elif item.op == "delete":
                announced.append(item.uid or "")
            elif verdict == STALE:
                counts["stale"] += 1
            elif isinstance(verdict, dict):
                counts["invalid"] += 1
                problems.append(f"{item.locator} ({item.uid}): {verdict['message']}")
            else:
                by_kind.setdefault(item.kind or source.kind or "products", []).append(item)
        for kind, items in by_kind.items():
            outcome = hub.writes.preview(
                source.actor,
                kind,
                [i.record for i in items],
                findings=[i.flags for i in items] if any(i.warnings for i in items) else None,
            )
            for result in outcome.results:
                item = items[result.index]
                if result.status in ("invalid", "forbidden"):
                    counts["invalid"] += 1
                    first = result.errors[0] if result.errors else {}
                    problems.append(
                        f"{item.locator} ({item.uid}): {result.status} {first.get('path', '$')}: "
                        f"{first.get('code', '?')}: {first.get('message', '')}"
                    )
                else:
                    counts[result.status] += 1
                    warnings.update(item.reported(result.status, result.warnings))
        on_page(page)
    gone = announced
    if fetcher.snapshot and source.deletes != "never":
        with hub.sessions() as session:
            gone = sorted(u for u in deletes.known(session, source.name) if u not in seen)
    counts["deleted"] = len(gone)
    report["deletes"] = deletes.report(source.deletes, gone)
    report["problems"] = problems[:SHOWN]
