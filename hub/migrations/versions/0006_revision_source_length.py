"""Revision.source holds up to 200 characters, like the actor (``sync:NAME`` fits).

SQLite never enforced the old limit of 20, so only other engines change; rebuilding the
revisions table on SQLite for nothing would cost a large hub minutes.

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("revisions", "source", type_=sa.String(200), existing_type=sa.String(20),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("revisions", "source", type_=sa.String(20), existing_type=sa.String(200),
                        existing_nullable=False)
