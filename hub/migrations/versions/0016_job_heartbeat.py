"""Review jobs that can be found interrupted and resumed: heartbeat, runner, their set.

A set decision in the background used to keep its keys in memory only: when the process
running it died (a recycled gunicorn worker, a restart), its row stayed ``running`` for
ever. The job now keeps what it was asked (the keys in order, the reason and comment),
who runs it (``runner``, ``host:pid:nonce``) and when that runner last reported
(``heartbeat_at``, renewed with every chunk); ``state`` grows to hold ``interrupted``
and ``abandoned``. Jobs from before this migration have no keys: they can be abandoned,
not resumed.

Revision ID: 0016_job_heartbeat
Revises: 0015_submission_counts
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_job_heartbeat"
down_revision: Union[str, Sequence[str], None] = "0015_submission_counts"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("review_jobs") as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=10), type_=sa.String(length=12))
        batch_op.add_column(sa.Column("keys", JSONDoc, nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("runner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE review_jobs SET state = 'failed' WHERE state IN ('interrupted', 'abandoned')")
    with op.batch_alter_table("review_jobs") as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("runner")
        batch_op.drop_column("comment")
        batch_op.drop_column("reason")
        batch_op.drop_column("keys")
        batch_op.alter_column("state", existing_type=sa.String(length=12), type_=sa.String(length=10))
