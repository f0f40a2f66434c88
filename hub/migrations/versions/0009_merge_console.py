"""Merge the console sessions (0008_console) and four eyes (0008_four_eyes) branches.

Revision ID: 0009_merge_console
Revises: 0008_console, 0008_four_eyes
"""
from typing import Sequence, Union

revision: str = "0009_merge_console"
down_revision: Union[str, Sequence[str], None] = ("0008_console", "0008_four_eyes")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Nothing to change: the two branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
