"""Rules as the law writes them: regulation editions, council items and ballots, decisions,
restrictions, the job key in the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 02:25:20.182727
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "decisions",
        sa.Column(
            "kind",
            sa.Enum(
                "list_approval",
                "selection_approval",
                "selection_cancellation",
                "suspension",
                "termination",
                "recognition",
                name="decisionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column(
            "issuer",
            sa.Enum("people_committee", "department", name="issuer", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_decisions_kind_number")),
    )
    op.create_table(
        "decision_tasks",
        sa.Column(
            "decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_tasks_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_decision_tasks_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("decision_id", "task_id", name=op.f("pk_decision_tasks")),
    )
    op.create_table(
        "restrictions",
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "failed_acceptance",
                "refund_outstanding",
                "terminated",
                name="restrictionreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_restrictions_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_restrictions_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_restrictions_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
    )
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_restrictions_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_restrictions_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_restrictions_task_id"), ["task_id"], unique=False)

    op.create_table(
        "council_items",
        sa.Column(
            "council_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_council_items_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_council_items_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_council_items_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_items")),
        sa.UniqueConstraint(
            "council_id",
            "task_id",
            "application_id",
            name=op.f("uq_council_items_council_id_task_id_application_id"),
        ),
    )
    with op.batch_alter_table("council_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_items_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_council_items_task_id"), ["task_id"], unique=False)

    op.create_table(
        "council_item_reviewers",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["council_items.id"],
            name=op.f("fk_council_item_reviewers_item_id_council_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_council_item_reviewers_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_item_reviewers")),
        sa.UniqueConstraint(
            "item_id", "member_id", name=op.f("uq_council_item_reviewers_item_id_member_id")
        ),
    )
    with op.batch_alter_table("acceptance_dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("too_late", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("rated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("completion_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("work_done", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("refund_amount", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("acceptance_ratings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_acceptance_ratings_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_acceptance_ratings_meeting_id_meetings"),
            "meetings",
            ["meeting_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "counting_role",
                sa.Enum("head", "member", name="countingrole", native_enum=False, length=32),
                nullable=True,
            )
        )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_key", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_job_key"), ["job_key"], unique=False)

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("terminated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("refund_amount", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("council_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("user_side", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "field",
                sa.Enum(
                    "natural_sciences",
                    "engineering_technology",
                    "medical_pharmaceutical",
                    "agricultural",
                    "social_sciences",
                    "humanities",
                    name="field",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "edition", sa.String(length=10), server_default=sa.text("'2014'"), nullable=False
            )
        )

    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "inspection",
                    "annual_evaluation",
                    name="inspectionkind",
                    native_enum=False,
                    length=32,
                ),
                server_default="inspection",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("funding_continues", sa.Boolean(), nullable=True))

    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mode",
                sa.Enum(
                    "in_person", "online", "mixed", name="meetingmode", native_enum=False, length=32
                ),
                server_default="in_person",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("documents_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))

    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("void", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_score_sheets_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_score_sheets_meeting_id_meetings"),
            "meetings",
            ["meeting_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "edition", sa.String(length=10), server_default=sa.text("'2014'"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("edition_bound_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("edition_bound_on")
        batch_op.drop_column("edition")

    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_score_sheets_meeting_id_meetings"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_score_sheets_meeting_id"))
        batch_op.drop_column("void")
        batch_op.drop_column("meeting_id")

    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("documents_sent_on")
        batch_op.drop_column("mode")

    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_column("funding_continues")
        batch_op.drop_column("kind")

    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_column("edition")
        batch_op.drop_column("year")
        batch_op.drop_column("field")

    with op.batch_alter_table("council_members", schema=None) as batch_op:
        batch_op.drop_column("user_side")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("refund_amount")
        batch_op.drop_column("terminated_on")
        batch_op.drop_column("suspended_on")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_job_key"))
        batch_op.drop_column("job_key")

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_column("counting_role")

    with op.batch_alter_table("acceptance_ratings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_acceptance_ratings_meeting_id_meetings"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_acceptance_ratings_meeting_id"))
        batch_op.drop_column("meeting_id")

    with op.batch_alter_table("acceptance_dossiers", schema=None) as batch_op:
        batch_op.drop_column("refund_amount")
        batch_op.drop_column("work_done")
        batch_op.drop_column("completed_on")
        batch_op.drop_column("completion_due_on")
        batch_op.drop_column("rated_on")
        batch_op.drop_column("too_late")

    op.drop_table("council_item_reviewers")
    with op.batch_alter_table("council_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_items_task_id"))
        batch_op.drop_index(batch_op.f("ix_council_items_application_id"))

    op.drop_table("council_items")
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restrictions_task_id"))
        batch_op.drop_index(batch_op.f("ix_restrictions_person_id"))
        batch_op.drop_index(batch_op.f("ix_restrictions_organisation_id"))

    op.drop_table("restrictions")
    op.drop_table("decision_tasks")
    op.drop_table("decisions")
