"""Webhook subscriptions get an owner; deliveries remember when their dead letter was replayed.

Existing subscriptions: one made through the API (``created_by`` is ``client:<id>``)
is owned by that client, as it was the only one meant to manage it; one made with the
CLI (``created_by`` is ``cli``) gets no owner: the operator's, seen in the console and
the CLI but by no API client (``hub subscriptions create --owner`` makes new ones a
client's). docs/sync.md, "Webhooks", says the same.

Revision ID: 0009_webhook_owner
Revises: 0008_four_eyes
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009_webhook_owner"
down_revision: Union[str, Sequence[str], None] = "0008_four_eyes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_webhook_subscriptions_owner", ["owner", "created_at"], unique=False)
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE webhook_subscriptions SET owner = substr(created_by, 8) "
               "WHERE created_by LIKE 'client:%'")


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("replayed_at")
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_subscriptions_owner")
        batch_op.drop_column("owner")
