"""Storage model: current records, append-only revisions, the change feed, the audit log.

Types are limited to those that work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


#: 64-bit ids and sequence numbers (SQLite's INTEGER is 64-bit and autoincrements only as such)
BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: sa.DateTime(timezone=True), dict[str, Any]: JSONDoc, list[Any]: JSONDoc}


class Member(Base):
    """A member country, its review policy and whether a submitter may review its own
    revisions (``four_eyes`` off) or not (on, the default: hub.curation.review)."""

    __tablename__ = "members"
    country: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    review_policy: so.Mapped[str] = so.mapped_column(sa.String(10), default="required")
    four_eyes: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())


class Record(Base):
    """The current state of one record, with projection columns of its published revision."""

    __tablename__ = "records"
    uid: so.Mapped[str] = so.mapped_column(sa.String(160), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    country: so.Mapped[str] = so.mapped_column(sa.String(2))
    local_id: so.Mapped[str] = so.mapped_column(sa.String(128))
    latest_version: so.Mapped[int]
    latest_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    input_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    review_state: so.Mapped[str] = so.mapped_column(sa.String(10))
    published_version: so.Mapped[int | None]
    published_at: so.Mapped[datetime | None]
    published_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    deleted: so.Mapped[bool] = so.mapped_column(default=False)
    # ``document`` (the published revision's) is read from ``revisions`` (see the end of
    # this module): stored once, and the write path's hot loop writes it once.
    if TYPE_CHECKING:
        document: dict[str, Any] | None
    warnings: so.Mapped[list[Any] | None]
    common_category: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    native_category: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    rating_band: so.Mapped[int | None]
    area: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    name_folded: so.Mapped[str | None] = so.mapped_column(sa.Text)
    updated_at: so.Mapped[datetime]

    # uid ("CC/kind/id") is the key, so (kind, country, local_id) is unique through it,
    # and uid order is (country, kind, id) order: (kind, country, uid) serves lists of a
    # kind in uid order, with or without a country. An equality filter's index ends with
    # (country, uid) too, so a filtered page, deep ones included, is one range scan in
    # list order, not a sort of every match (bench/scale.py). ``rating_min`` is a range
    # over five bands: no index gives list order over it, and walking the list order and
    # skipping the lower bands reads few rows per page, so it has none. ``updated_after``
    # has one for recent instants (few matches, sorted); the change feed is the way to
    # follow changes. Each index costs every insert, so only SPEC section 4 filters have one.
    __table_args__ = (
        sa.Index("ix_records_kind_country", "kind", "country", "uid"),
        sa.Index("ix_records_kind_category", "kind", "common_category", "country", "uid"),
        sa.Index("ix_records_kind_area", "kind", "area", "country", "uid"),
        sa.Index("ix_records_kind_published", "kind", "published_at"),
    )


class Submission(Base):
    """One batch as a reviewer sees it: an API call, an import, a sync run.

    The write path opens one when a transaction first writes; an import or a sync run
    names a ``key`` so that its several transactions add to the same submission. The
    counts are those of the write (SPEC 3.1 statuses); ``warnings`` counts revisions by
    warning code, ``flagged`` the revisions with any warning."""

    __tablename__ = "submissions"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    key: so.Mapped[str | None] = so.mapped_column(sa.String(200), unique=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(200))
    sender: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]
    counts: so.Mapped[dict[str, Any]]
    warnings: so.Mapped[dict[str, Any]]
    flagged: so.Mapped[int] = so.mapped_column(default=0)


class SubmissionCount(Base):
    """How many revisions of a submission wait for review, per country (a reviewer sees
    their country's): the review queue's first page reads these rows, not the revisions.

    Kept true by database triggers on ``revisions`` (migration 0015), in the same
    transaction as any change of a revision's state: a new pending revision, one that a
    later revision supersedes, a decision. No code path can forget them; a migration that
    rebuilds ``revisions`` on SQLite (batch mode) must create the triggers again
    (``tests/review/test_submission_counts.py`` checks they exist)."""

    __tablename__ = "submission_counts"
    submission_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("submissions.id"), primary_key=True)
    country: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    #: pending revisions
    pending: so.Mapped[int] = so.mapped_column(default=0)
    #: of which first versions (records the hub did not have)
    pending_new: so.Mapped[int] = so.mapped_column(default=0)

    __table_args__ = (
        sa.Index(
            "ix_submission_counts_waiting",
            "submission_id",
            "country",
            sqlite_where=sa.text("pending > 0"),
            postgresql_where=sa.text("pending > 0"),
        ),
    )


class ReviewJob(Base):
    """A decision on a set of revisions, run in the background; its progress."""

    __tablename__ = "review_jobs"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    submission_id: so.Mapped[int | None]
    decision: so.Mapped[str] = so.mapped_column(sa.String(10))
    total: so.Mapped[int]
    done: so.Mapped[int] = so.mapped_column(default=0)
    refused: so.Mapped[int] = so.mapped_column(default=0)
    state: so.Mapped[str] = so.mapped_column(sa.String(10))  # running, done, failed
    message: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime]
    finished_at: so.Mapped[datetime | None]


class Revision(Base):
    """One version of a record, never changed after review (append-only)."""

    __tablename__ = "revisions"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    uid: so.Mapped[str] = so.mapped_column(sa.ForeignKey("records.uid"))
    version: so.Mapped[int]
    document: so.Mapped[dict[str, Any]]
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    deleted: so.Mapped[bool] = so.mapped_column(default=False)
    review_state: so.Mapped[str] = so.mapped_column(sa.String(10))
    warnings: so.Mapped[list[Any]]
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    source: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime]
    decided_at: so.Mapped[datetime | None]
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    submission_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("submissions.id"))
    #: The standard and codelist versions that validated it (a key of ``codelist_sets``);
    #: null for revisions written before standard 1.1 recorded it.
    validated_with: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    __table_args__ = (
        sa.UniqueConstraint("uid", "version"),
        # covering: a submission's pending counts by country and new/changed read no rows
        sa.Index("ix_revisions_submission", "submission_id", "review_state", "uid", "version"),
        # counts by state and country (uid begins with the country): an index range
        sa.Index("ix_revisions_state_uid", "review_state", "uid"),
        # The review queue, in id order: only pending revisions are indexed (most are
        # decided), so its first page reads 50 entries, not every pending revision sorted.
        # review_state leads so that SQLite prefers it to ix_revisions_state_uid here.
        sa.Index(
            "ix_revisions_pending_id",
            "review_state",
            "id",
            sqlite_where=sa.text("review_state = 'pending'"),
            postgresql_where=sa.text("review_state = 'pending'"),
        ),
    )


# The published document, read through the unique (uid, version) index of revisions.
Record.document = so.column_property(  # type: ignore[assignment]  # declared above for the type checker only
    sa.select(Revision.document)
    .where(Revision.uid == Record.uid, Revision.version == Record.published_version)
    .correlate_except(Revision)
    .scalar_subquery()
)


class CodelistSet(Base):
    """One combination of standard and codelist versions that validated revisions."""

    __tablename__ = "codelist_sets"
    key: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    standard: so.Mapped[str] = so.mapped_column(sa.String(10))
    versions: so.Mapped[dict[str, Any]]
    first_used_at: so.Mapped[datetime]


class Change(Base):
    """The change feed: one row per published change, ``seq`` without gaps."""

    __tablename__ = "changes"
    seq: so.Mapped[int] = so.mapped_column(BigInt, primary_key=True, autoincrement=False)
    uid: so.Mapped[str] = so.mapped_column(sa.ForeignKey("records.uid"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    country: so.Mapped[str] = so.mapped_column(sa.String(2))
    op: so.Mapped[str] = so.mapped_column(sa.String(6))
    version: so.Mapped[int]
    created_at: so.Mapped[datetime]
    #: The record as published at this change, serialised once at publication (plain
    #: text, not a JSON column): feed readers get it without parsing or re-serialising.
    record: so.Mapped[str] = so.mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_changes_kind_seq", "kind", "seq"),)


class AuditEntry(Base):
    """A hash-chained audit entry: ``hash = sha256(prev_hash + canonical(entry))``."""

    __tablename__ = "audit_log"
    seq: so.Mapped[int] = so.mapped_column(BigInt, primary_key=True, autoincrement=False)
    at: so.Mapped[datetime]
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    target: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    detail: so.Mapped[dict[str, Any]]
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_target", "target", "seq"),)


class WriteHead(Base):
    """A single row every write transaction locks first.

    It serialises writers (on PostgreSQL as on SQLite), so change-feed and audit
    sequence numbers are handed out and committed in the same order: a feed reader
    can never see seq 11 committed before seq 10.
    """

    __tablename__ = "write_head"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    change_seq: so.Mapped[int] = so.mapped_column(BigInt)
    audit_seq: so.Mapped[int] = so.mapped_column(BigInt)
    audit_hash: so.Mapped[str] = so.mapped_column(sa.String(64))


class IdempotencyKey(Base):
    """A stored batch answer, replayed for 24 h when the same key and body come again."""

    __tablename__ = "idempotency_keys"
    actor: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    body_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    status: so.Mapped[int]
    response: so.Mapped[dict[str, Any]]
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
