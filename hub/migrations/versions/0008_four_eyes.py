"""Members get ``four_eyes``: the reviewer of a revision must not be its submitter.

On for every existing member (it matters where review is required); its own branch off
0007, so migrations other work adds after 0007 need no renumbering (``hub init``
upgrades every head).

Revision ID: 0008_four_eyes
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_four_eyes"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("four_eyes", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("four_eyes")
