"""List indexes in list order: equality filters end with (country, uid); published_at.

A filtered page (deep ones included) becomes one index range scan in list order instead
of a sort of every match; the rating band index is dropped (a range over five bands is
served by walking the list order), ``published_at`` gets one for ``updated_after``.
Measured with bench/scale.py (bench/README.md, "Scale").

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index("ix_records_kind_category", table_name="records")
    op.drop_index("ix_records_kind_area", table_name="records")
    op.drop_index("ix_records_kind_band", table_name="records")
    op.create_index("ix_records_kind_category", "records", ["kind", "common_category", "country", "uid"])
    op.create_index("ix_records_kind_area", "records", ["kind", "area", "country", "uid"])
    op.create_index("ix_records_kind_published", "records", ["kind", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_records_kind_published", table_name="records")
    op.drop_index("ix_records_kind_area", table_name="records")
    op.drop_index("ix_records_kind_category", table_name="records")
    op.create_index("ix_records_kind_band", "records", ["kind", "rating_band"])
    op.create_index("ix_records_kind_area", "records", ["kind", "area"])
    op.create_index("ix_records_kind_category", "records", ["kind", "common_category"])
