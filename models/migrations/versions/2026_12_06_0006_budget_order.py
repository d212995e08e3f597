"""The list "highest budget first" read from an index on PostgreSQL (tasks without a budget
last): `models.search.BUDGET_HIGH_INDEX`. SQLite needs none: its plan was already quick, and
its CREATE INDEX cannot say NULLS LAST.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from models import search

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(search.BUDGET_HIGH_DDL)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {search.BUDGET_HIGH_INDEX}")
