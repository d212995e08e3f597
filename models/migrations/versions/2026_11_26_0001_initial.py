"""Initial schema of the domain database (all five steps).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 13:05:29.548389
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "calls",
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "cancelled",
                name="callstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "reopens_call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reopens_call_id"], ["calls.id"], name=op.f("fk_calls_reopens_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("number", name=op.f("uq_calls_number")),
    )
    op.create_table(
        "certificate_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_counters")),
    )
    op.create_table(
        "organisations",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("short_name", sa.String(length=50), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "government_agency",
                "university",
                "research_institute",
                "enterprise",
                "hospital",
                "other",
                name="organisationkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("tax_code", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "people",
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column(
            "degree",
            sa.Enum(
                "bachelor",
                "engineer",
                "master",
                "doctor",
                "doctor_of_science",
                name="degree",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "academic_title",
            sa.Enum(
                "associate_professor",
                "professor",
                name="academictitle",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("biography", sa.Text(), nullable=True),
        sa.Column("is_expert", sa.Boolean(), nullable=False),
        sa.Column("public_profile", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_full_name"), ["full_name"], unique=False)

    op.create_table(
        "affiliations",
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_affiliations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_affiliations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliations")),
    )
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_affiliations_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "expertise",
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
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
            nullable=False,
        ),
        sa.Column("speciality", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_expertise_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expertise")),
        sa.UniqueConstraint(
            "person_id", "field", "speciality", name=op.f("uq_expertise_person_id_field_speciality")
        ),
    )
    with op.batch_alter_table("expertise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expertise_field"), ["field"], unique=False)

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_users_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("person_id", name=op.f("uq_users_person_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "proposals",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
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
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "research_topic",
                "pilot_project",
                "scheme",
                name="taskkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "proposer_organisation_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "proposer_person_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("expected_results", sa.Text(), nullable=False),
        sa.Column("estimated_budget", sa.BigInteger(), nullable=True),
        sa.Column(
            "suggested_method",
            sa.Enum("selection", "direct", name="method", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "screened_in",
                "rejected",
                "recommended",
                "not_recommended",
                "approved",
                "withdrawn",
                name="proposalstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screening_note", sa.Text(), nullable=True),
        sa.Column(
            "screened_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["proposer_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_proposals_proposer_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_person_id"],
            ["people.id"],
            name=op.f("fk_proposals_proposer_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["screened_by_id"], ["users.id"], name=op.f("fk_proposals_screened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_year"), ["year"], unique=False)

    op.create_table(
        "stored_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("original_name", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column(
            "uploaded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_stored_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_files_sha256")),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "public",
                "scientist",
                "council_member",
                "staff",
                "leader",
                "admin",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_roles_user_id_role")),
    )
    op.create_table(
        "tasks",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
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
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "research_topic",
                "pilot_project",
                "scheme",
                name="taskkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum("selection", "direct", name="method", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "task-list",
                "selection",
                "implementation",
                "acceptance",
                "registration",
                name="stage",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "approved",
                "selecting",
                "contracted",
                "in_progress",
                "under_acceptance",
                "accepted",
                "failed",
                "registered",
                "closed",
                "cancelled",
                name="taskstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("expected_results", sa.Text(), nullable=False),
        sa.Column(
            "proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "host_organisation_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "principal_investigator_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("process_instance_key", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["host_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tasks_host_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["principal_investigator_id"],
            ["people.id"],
            name=op.f("fk_tasks_principal_investigator_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_tasks_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("code", name=op.f("uq_tasks_code")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_tasks_proposal_id")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_field"), ["field"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_host_organisation_id"), ["host_organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_principal_investigator_id"),
            ["principal_investigator_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_process_instance_key"), ["process_instance_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_year"), ["year"], unique=False)

    op.create_table(
        "acceptance_dossiers",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "level",
            sa.Enum("base", "department", name="acceptancelevel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted", "valid", "invalid", name="dossierstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("valid_on", sa.Date(), nullable=True),
        sa.Column("council_due_on", sa.Date(), nullable=True),
        sa.Column(
            "council_rating",
            sa.Enum("excellent", "pass", "fail", name="rating", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("decision_number", sa.String(length=50), nullable=True),
        sa.Column("decision_on", sa.Date(), nullable=True),
        sa.Column(
            "final_rating",
            sa.Enum("excellent", "pass", "fail", name="rating", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_acceptance_dossiers_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_dossiers")),
        sa.UniqueConstraint("task_id", "level", name=op.f("uq_acceptance_dossiers_task_id_level")),
    )
    op.create_table(
        "applications",
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "principal_investigator_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("requested_budget", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "valid",
                "invalid",
                "recommended",
                "not_recommended",
                "selected",
                "withdrawn",
                name="applicationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("validity_note", sa.Text(), nullable=True),
        sa.Column("average_score", sa.Double(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_applications_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_applications_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["principal_investigator_id"],
            ["people.id"],
            name=op.f("fk_applications_principal_investigator_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_applications_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "call_id",
            "task_id",
            "organisation_id",
            name=op.f("uq_applications_call_id_task_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_task_id"), ["task_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "actor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "task-list",
                "selection",
                "implementation",
                "acceptance",
                "registration",
                name="stage",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("bpmn_element_id", sa.String(length=200), nullable=True),
        sa.Column("process_instance_key", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_audit_log_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_audit_log_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_process_instance_key"), ["process_instance_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_task_id"), ["task_id"], unique=False)

    op.create_table(
        "budget_lines",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "state_budget",
                "counterpart",
                "other",
                name="fundingsource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_budget_lines_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_lines")),
        sa.UniqueConstraint("task_id", "source", name=op.f("uq_budget_lines_task_id_source")),
    )
    op.create_table(
        "call_items",
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_items_call_id_calls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_call_items_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_items")),
        sa.UniqueConstraint("call_id", "task_id", name=op.f("uq_call_items_call_id_task_id")),
    )
    with op.batch_alter_table("call_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_items_task_id"), ["task_id"], unique=False)

    op.create_table(
        "change_requests",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "extension",
                "budget",
                "personnel",
                "content",
                name="changekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_end_date", sa.Date(), nullable=True),
        sa.Column("requested_budget", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="decisionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_change_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_change_requests_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    op.create_table(
        "contracts",
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "signed",
                "liquidated",
                "terminated",
                name="contractstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("liquidated_on", sa.Date(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_contracts_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("number", name=op.f("uq_contracts_number")),
        sa.UniqueConstraint("task_id", name=op.f("uq_contracts_task_id")),
    )
    op.create_table(
        "councils",
        sa.Column(
            "type",
            sa.Enum(
                "advisory",
                "selection",
                "acceptance",
                name="counciltype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("decision_number", sa.String(length=50), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "forming",
                "convened",
                "concluded",
                "dissolved",
                name="councilstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "administrative_secretary_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["administrative_secretary_id"],
            ["users.id"],
            name=op.f("fk_councils_administrative_secretary_id_users"),
        ),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_councils_call_id_calls")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_councils_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_councils")),
    )
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_councils_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_councils_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_councils_type"), ["type"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column(
            "inspector_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column(
            "conclusion",
            sa.Enum(
                "on_track",
                "behind",
                "seriously_behind",
                name="inspectionconclusion",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_inspections_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_inspections_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_table(
        "progress_reports",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "stored_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["stored_file_id"],
            ["stored_files.id"],
            name=op.f("fk_progress_reports_stored_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_progress_reports_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint("task_id", "period", name=op.f("uq_progress_reports_task_id_period")),
    )
    op.create_table(
        "result_registrations",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("result_key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("certificate_number", sa.String(length=50), nullable=True),
        sa.Column("certificate_issued_on", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_result_registrations_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_registrations")),
        sa.UniqueConstraint(
            "certificate_number", name=op.f("uq_result_registrations_certificate_number")
        ),
        sa.UniqueConstraint(
            "task_id", "result_key", name=op.f("uq_result_registrations_task_id_result_key")
        ),
    )
    with op.batch_alter_table("result_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_result_registrations_task_id"), ["task_id"], unique=False
        )

    op.create_table(
        "task_members",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "role",
            sa.Enum(
                "principal_investigator",
                "secretary",
                "member",
                name="taskmemberrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_task_members_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_members_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_members")),
        sa.UniqueConstraint("task_id", "person_id", name=op.f("uq_task_members_task_id_person_id")),
    )
    with op.batch_alter_table("task_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_members_person_id"), ["person_id"], unique=False)

    op.create_table(
        "application_members",
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_members_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_application_members_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_members")),
        sa.UniqueConstraint(
            "application_id",
            "person_id",
            name=op.f("uq_application_members_application_id_person_id"),
        ),
    )
    with op.batch_alter_table("application_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_members_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "council_members",
        sa.Column(
            "council_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "role",
            sa.Enum(
                "chair",
                "vice_chair",
                "reviewer",
                "member",
                "secretary",
                name="councilrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_council_members_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_council_members_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_members")),
        sa.UniqueConstraint(
            "council_id", "person_id", name=op.f("uq_council_members_council_id_person_id")
        ),
    )
    with op.batch_alter_table("council_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_members_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "dossier_documents",
        sa.Column(
            "kind",
            sa.Enum(
                "B1-1-DON",
                "B1-2a",
                "B1-2b",
                "B1-2c",
                "B1-2d",
                "B1-3-LLTC",
                "B1-4-LLCN",
                "B1-5-PHNC",
                "mau-5",
                "final_report",
                "summary_report",
                "result_data",
                "council_minutes",
                "authors_agreement",
                "mau-8",
                "self_assessment",
                "progress_report",
                "contract",
                "decision",
                "certificate",
                "other",
                name="documentkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "stored_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "acceptance_dossier_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(CASE WHEN application_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN acceptance_dossier_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN registration_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_dossier_documents_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["acceptance_dossier_id"],
            ["acceptance_dossiers.id"],
            name=op.f("fk_dossier_documents_acceptance_dossier_id_acceptance_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_dossier_documents_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["result_registrations.id"],
            name=op.f("fk_dossier_documents_registration_id_result_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stored_file_id"],
            ["stored_files.id"],
            name=op.f("fk_dossier_documents_stored_file_id_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_documents")),
    )
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_documents_acceptance_dossier_id"),
            ["acceptance_dossier_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_dossier_documents_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dossier_documents_registration_id"), ["registration_id"], unique=False
        )

    op.create_table(
        "meetings",
        sa.Column(
            "council_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "held",
                "no_quorum",
                "cancelled",
                name="meetingstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_meetings_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_table(
        "tranches",
        sa.Column(
            "contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_tranches_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tranches")),
        sa.UniqueConstraint(
            "contract_id", "sequence", name=op.f("uq_tranches_contract_id_sequence")
        ),
    )
    op.create_table(
        "acceptance_ratings",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "rating",
            sa.Enum("excellent", "pass", "fail", name="rating", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("points", sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=True),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_acceptance_ratings_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_acceptance_ratings_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_ratings")),
        sa.UniqueConstraint(
            "member_id", "task_id", name=op.f("uq_acceptance_ratings_member_id_task_id")
        ),
    )
    op.create_table(
        "attendance",
        sa.Column(
            "meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_attendance_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_attendance_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint(
            "meeting_id", "member_id", name=op.f("uq_attendance_meeting_id_member_id")
        ),
    )
    op.create_table(
        "reviews",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "opinion",
            sa.Enum(
                "approve",
                "approve_with_changes",
                "reject",
                name="reviewopinion",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_reviews_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_reviews_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_reviews_proposal_id_proposals")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_reviews_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_member_id"), ["member_id"], unique=False)

    op.create_table(
        "score_sheets",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_score_sheets_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_score_sheets_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheets")),
        sa.UniqueConstraint(
            "member_id", "application_id", name=op.f("uq_score_sheets_member_id_application_id")
        ),
    )
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_score_sheets_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "votes",
        sa.Column(
            "meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("in_favour", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_votes_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["council_members.id"],
            name=op.f("fk_votes_member_id_council_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_votes_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
        sa.UniqueConstraint(
            "meeting_id",
            "member_id",
            "proposal_id",
            name=op.f("uq_votes_meeting_id_member_id_proposal_id"),
        ),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "scores",
        sa.Column("sheet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("criterion", sa.String(length=50), nullable=False),
        sa.Column("points", sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=False),
        sa.Column("max_points", sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheets.id"],
            name=op.f("fk_scores_sheet_id_score_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
        sa.UniqueConstraint("sheet_id", "criterion", name=op.f("uq_scores_sheet_id_criterion")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("scores")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_votes_proposal_id"))

    op.drop_table("votes")
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheets_application_id"))

    op.drop_table("score_sheets")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_member_id"))

    op.drop_table("reviews")
    op.drop_table("attendance")
    op.drop_table("acceptance_ratings")
    op.drop_table("tranches")
    op.drop_table("meetings")
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_documents_registration_id"))
        batch_op.drop_index(batch_op.f("ix_dossier_documents_application_id"))
        batch_op.drop_index(batch_op.f("ix_dossier_documents_acceptance_dossier_id"))

    op.drop_table("dossier_documents")
    with op.batch_alter_table("council_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_members_person_id"))

    op.drop_table("council_members")
    with op.batch_alter_table("application_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_members_person_id"))

    op.drop_table("application_members")
    with op.batch_alter_table("task_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_members_person_id"))

    op.drop_table("task_members")
    with op.batch_alter_table("result_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_registrations_task_id"))

    op.drop_table("result_registrations")
    op.drop_table("progress_reports")
    op.drop_table("inspections")
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_councils_type"))
        batch_op.drop_index(batch_op.f("ix_councils_task_id"))
        batch_op.drop_index(batch_op.f("ix_councils_call_id"))

    op.drop_table("councils")
    op.drop_table("contracts")
    op.drop_table("change_requests")
    with op.batch_alter_table("call_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_items_task_id"))

    op.drop_table("call_items")
    op.drop_table("budget_lines")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_task_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_process_instance_key"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_task_id"))
        batch_op.drop_index(batch_op.f("ix_applications_call_id"))

    op.drop_table("applications")
    op.drop_table("acceptance_dossiers")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_year"))
        batch_op.drop_index(batch_op.f("ix_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_tasks_stage"))
        batch_op.drop_index(batch_op.f("ix_tasks_process_instance_key"))
        batch_op.drop_index(batch_op.f("ix_tasks_principal_investigator_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_host_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_field"))

    op.drop_table("tasks")
    op.drop_table("user_roles")
    op.drop_table("stored_files")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_year"))
        batch_op.drop_index(batch_op.f("ix_proposals_status"))

    op.drop_table("proposals")
    op.drop_table("users")
    with op.batch_alter_table("expertise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expertise_field"))

    op.drop_table("expertise")
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affiliations_organisation_id"))

    op.drop_table("affiliations")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_full_name"))

    op.drop_table("people")
    op.drop_table("organisations")
    op.drop_table("certificate_counters")
    op.drop_table("calls")
