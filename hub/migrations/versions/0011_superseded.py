"""Review state ``superseded``: a pending revision that a later revision replaced.

The write path now marks an earlier pending revision ``superseded`` when a later one of
the same record arrives, so it can no longer be approved (a stale version is never
published). Existing pending revisions that are not their record's latest are marked
here. ``review_state`` is a plain ``String(10)`` without a check constraint, so no column
changes.

Revision ID: 0011_superseded
Revises: 0010_console
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0011_superseded"
down_revision: Union[str, Sequence[str], None] = "0010_console"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # decided_at: when the next version arrived, which is when it was superseded
    op.execute(
        "UPDATE revisions SET review_state = 'superseded', decided_at = "
        "(SELECT later.created_at FROM revisions later WHERE later.uid = revisions.uid "
        "AND later.version = revisions.version + 1) "
        "WHERE review_state = 'pending' AND version < "
        "(SELECT latest_version FROM records WHERE records.uid = revisions.uid)"
    )


def downgrade() -> None:
    op.execute("UPDATE revisions SET review_state = 'pending', decided_at = NULL WHERE review_state = 'superseded'")
