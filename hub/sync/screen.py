"""Which records of a page not to write: older than what the hub has (``stale``, by
``source_updated_at``); delivered a second time in one pass with other content (the
source's ``repeats`` policy: ``quarantine`` the repeat, the default, keeping the first;
keep the ``first``; or the ``last``); or written by another sync source (refused unless
both sources declare the same ``group``: then the later write wins and is noted).
Ordered feeds are not screened: their order is the truth."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..records.writepath import input_hash
from ..store.models import Record, Revision
from ..store.syncruns import SourceItem
from .pages import Item

#: the verdict of a stale item; any other verdict is the finding of a second delivery
STALE = "stale"
#: the verdict of a repeat the ``repeats`` policy drops (``first``, ``last``): counted as skipped
REPEAT = "repeat"
REPEATS = ("quarantine", "first", "last")
#: the group of a source, by name; None: the source declares none; KeyError: no such source
GroupOf = Callable[[str], str | None]


def screen(
    factory: so.sessionmaker[so.Session],
    source: str,
    items: list[Item],
    generation: int | None,
    repeats: str = "quarantine",
    group_of: GroupOf | None = None,
    notes: Counter[str] | None = None,
) -> dict[int, str | dict[str, str]]:
    """Verdicts by ``id(item)``: :data:`STALE`, :data:`REPEAT`, or a finding (a second
    delivery within pass ``generation``, ``None``: not a snapshot pass; a record another
    source owns). Items without a verdict are written."""
    candidates = [i for i in items if i.record is not None and i.uid and not i.errors and i.skipped is None]
    if not candidates:
        return {}
    verdicts: dict[int, str | dict[str, str]] = {}
    first: dict[str, Item] = {}
    for item in candidates:  # repeats within the page
        assert item.uid is not None
        earlier = first.get(item.uid)
        if earlier is None:
            first[item.uid] = item
        elif input_hash(earlier.record or {}) == input_hash(item.record or {}):
            verdicts[id(item)] = REPEAT  # the same twice: nothing to decide
        elif repeats == "first":
            verdicts[id(item)] = REPEAT
        elif repeats == "last":
            verdicts[id(earlier)] = REPEAT
            first[item.uid] = item
        else:
            verdicts[id(item)] = _repeat(item.uid, earlier)
    candidates = [i for i in candidates if id(i) not in verdicts]
    uids = [i.uid for i in candidates]
    with factory() as session:
        #: uid -> the hash of its last input; writers: uid -> another sync source that wrote it last
        stored: dict[str, str | None]
        writers: dict[str, str] = {}
        if group_of is None:
            stored = dict(session.execute(sa.select(Record.uid, Record.input_hash).where(Record.uid.in_(uids))).all())
        else:  # with who wrote the latest revision, in the same query
            stored = {}
            own = f"sync:{source}"
            for uid, ihash, actor in session.execute(
                sa.select(Record.uid, Record.input_hash, Revision.actor)
                .join(Revision, sa.and_(Revision.uid == Record.uid, Revision.version == Record.latest_version))
                .where(Record.uid.in_(uids))
            ):
                stored[uid] = ihash
                if actor != own and actor.startswith("sync:"):
                    writers[uid] = actor
        stamps: dict[str, Any] = {}
        if any(i.record.get("source_updated_at") for i in candidates if i.record is not None):
            stamps = dict(
                session.execute(
                    sa.select(Revision.uid, Revision.document)
                    .join(Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
                    .where(Revision.uid.in_(uids))
                ).all()
            )
        this_pass: set[str] = set()
        if generation is not None:
            this_pass = set(
                session.scalars(
                    sa.select(SourceItem.uid).where(
                        SourceItem.source == source, SourceItem.generation == generation, SourceItem.uid.in_(uids)
                    )
                )
            )
    for item in candidates:
        record = item.record or {}
        owner = _other_owner(writers[item.uid], source, group_of, notes) if item.uid in writers else None
        if owner:
            verdicts[id(item)] = owner
            continue
        mine, theirs = instant(record.get("source_updated_at")), None
        doc = stamps.get(item.uid or "")
        if isinstance(doc, dict):
            theirs = instant(doc.get("source_updated_at"))
        if mine and theirs and mine < theirs:
            verdicts[id(item)] = STALE
            continue
        if item.uid in this_pass:
            same = item.uid in stored and stored[item.uid] == input_hash(record)
            newer = mine is not None and theirs is not None and mine > theirs
            if same or newer or repeats == "last":
                continue
            verdicts[id(item)] = (
                REPEAT
                if repeats == "first"
                else {
                    "path": "id",
                    "code": "duplicate_in_source",
                    "message": f"{item.uid} was already delivered in this pass with other content; the first "
                    'delivery is kept (set [source] repeats = "first" or "last" to decide)',
                }
            )
    return verdicts


def _repeat(uid: str, earlier: Item) -> dict[str, str]:
    return {
        "path": "id",
        "code": "duplicate_in_source",
        "message": f"{uid} was already delivered in this pass ({earlier.locator}) with other content; the "
        'first delivery is kept (set [source] repeats = "first" or "last" to decide)',
    }


def _other_owner(
    actor: str | None, source: str, group_of: GroupOf | None, notes: Counter[str] | None
) -> dict[str, str] | None:
    """The finding when another sync source wrote the record last; None when this source
    may write it (its own, no source's, a source that is gone, or one of its group)."""
    if actor is None or group_of is None or actor == f"sync:{source}":
        return None
    other = actor.removeprefix("sync:")
    try:
        theirs = group_of(other)
    except KeyError:
        return None  # the source that wrote it is gone: its records are free
    mine = group_of(source)
    if mine is not None and mine == theirs:
        if notes is not None:
            notes[f"id taken_over_in_group {mine} from {other}"] += 1
        return None
    return {
        "path": "id",
        "code": "owned_by_other_source",
        "message": f"the record is written by source '{other}'; two sources write one record only when "
        f"both declare the same [source] group",
    }


def instant(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with its offset, else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
