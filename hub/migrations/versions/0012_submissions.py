"""Submissions (review by batch) and background review jobs.

Every batch a door writes (an API call, an import, a sync run) becomes a submission;
revisions name theirs (``submission_id``, empty for revisions written before). A review
job records the progress of a decision on a large set.

Revision ID: 0012_submissions
Revises: 0011_superseded
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_submissions"
down_revision: Union[str, Sequence[str], None] = "0011_superseded"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", JSONDoc, nullable=False),
        sa.Column("warnings", JSONDoc, nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("key", name=op.f("uq_submissions_key")),
    )
    op.create_table(
        "review_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_jobs")),
    )
    with op.batch_alter_table("revisions") as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_revisions_submission_id_submissions"), "submissions", ["submission_id"], ["id"]
        )
        batch_op.create_index(
            "ix_revisions_submission", ["submission_id", "review_state", "uid", "version"], unique=False
        )
        batch_op.create_index("ix_revisions_state_uid", ["review_state", "uid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch_op:
        batch_op.drop_index("ix_revisions_state_uid")
        batch_op.drop_index("ix_revisions_submission")
        batch_op.drop_constraint(op.f("fk_revisions_submission_id_submissions"), type_="foreignkey")
        batch_op.drop_column("submission_id")
    op.drop_table("review_jobs")
    op.drop_table("submissions")
