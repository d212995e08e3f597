"""The audit log: every decision, who took it, when, and from which process step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, IdMixin, enum_type
from models.enums import Stage


class AuditEntry(IdMixin, Base):
    """One recorded decision or change; rows are only ever added."""

    __tablename__ = "audit_log"
    # what happened to one thing (a proposal before it became a task): the public timeline
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("CURRENT_TIMESTAMP"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    # Who acted when no user did, e.g. "worker:council.tally" or "system".
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    stage: Mapped[Stage | None] = mapped_column(enum_type(Stage))
    bpmn_element_id: Mapped[str | None] = mapped_column(String(200))
    process_instance_key: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The job (service task or user task) that did it: a job delivered twice finds its entry.
    job_key: Mapped[int | None] = mapped_column(BigInteger, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
