"""Merge the review (0003) and sync (0003_sync) branches into one line of history.

Revision ID: 0004
Revises: 0003, 0003_sync
"""
from typing import Sequence, Union

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = ("0003", "0003_sync")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Nothing to change: the two branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
