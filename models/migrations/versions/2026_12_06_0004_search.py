"""Accent-free search index (tasks, people), the people's choice to show their contact data, and
indexes the public pages read by: the audit log by entity (a task's timeline reads its
proposal's entries) and results by publication day.

The index tables are plain tables; the full-text machinery over them is the database's own
(SQLite FTS5 with triggers, PostgreSQL's tsvector column with a GIN index) and is created by
`models.search.create_machinery`, then filled from the domain tables by `models.search.rebuild`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 02:14:42.382546
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models import search

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])
    op.create_index(
        op.f("ix_result_registrations_published_on"), "result_registrations", ["published_on"]
    )
    op.create_table(
        "task_search",
        sa.Column("task_id", _ID, autoincrement=False, nullable=False),
        sa.Column("total_budget", sa.BigInteger(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "none",
                "accepted",
                "failed",
                "registered",
                "published",
                name="resultstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("facets_doc", sa.Text(), nullable=False),
        sa.Column("title_doc", sa.Text(), nullable=False),
        sa.Column("names_doc", sa.Text(), nullable=False),
        sa.Column("body_doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_search_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_search")),
    )
    op.create_index(op.f("ix_task_search_result"), "task_search", ["result"])
    op.create_index(op.f("ix_task_search_title_key"), "task_search", ["title_key"])
    op.create_index(op.f("ix_task_search_total_budget"), "task_search", ["total_budget"])
    op.create_table(
        "person_search",
        sa.Column("person_id", _ID, autoincrement=False, nullable=False),
        sa.Column("name_doc", sa.Text(), nullable=False),
        sa.Column("profile_doc", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_search_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_search")),
    )
    op.create_index(op.f("ix_person_search_name_key"), "person_search", ["name_key"])
    connection = op.get_bind()
    search.create_machinery(connection)
    search.rebuild(connection)


def downgrade() -> None:
    """Revert this revision."""
    search.drop_machinery(op.get_bind())
    op.drop_index(op.f("ix_person_search_name_key"), table_name="person_search")
    op.drop_table("person_search")
    op.drop_index(op.f("ix_task_search_total_budget"), table_name="task_search")
    op.drop_index(op.f("ix_task_search_title_key"), table_name="task_search")
    op.drop_index(op.f("ix_task_search_result"), table_name="task_search")
    op.drop_table("task_search")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_result_registrations_published_on"), table_name="result_registrations")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("contact_public")
