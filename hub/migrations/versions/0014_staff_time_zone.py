"""Staff accounts get ``time_zone``: the IANA zone the console shows their times in.

Null (every existing account) means the hub's ``console_time_zone`` setting.

Revision ID: 0014_staff_time_zone
Revises: 0013_validated_with
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_staff_time_zone"
down_revision: Union[str, Sequence[str], None] = "0013_validated_with"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.drop_column("time_zone")
