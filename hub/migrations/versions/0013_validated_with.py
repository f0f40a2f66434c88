"""Standard 1.1: each revision records the standard and codelist versions that validated it.

``revisions.validated_with`` names a row of ``codelist_sets`` (standard version and every
codelist's version). Existing revisions keep null: they were validated before the hub
recorded it, and no version is invented for them.

Revision ID: 0013_validated_with
Revises: 0012_submissions
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_validated_with"
down_revision: Union[str, Sequence[str], None] = "0012_submissions"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('codelist_sets',
                    sa.Column('key', sa.String(length=40), nullable=False),
                    sa.Column('standard', sa.String(length=10), nullable=False),
                    sa.Column('versions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                              nullable=False),
                    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('key', name=op.f('pk_codelist_sets')))
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validated_with', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('validated_with')
    op.drop_table('codelist_sets')
