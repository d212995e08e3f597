"""The inbox: user-task jobs of the engine recorded as work items for people."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import Stage


class InboxState(StrEnum):
    """Where an inbox item stands."""

    OPEN = "open"
    # the form's domain operation is committed; CompleteJob has not been acknowledged yet
    COMPLETING = "completing"
    COMPLETED = "completed"
    # the job no longer exists (instance cancelled, completed elsewhere)
    GONE = "gone"


class InboxItem(IdMixin, TimestampMixin, Base):
    """One user task waiting for a person: an activated `io.camunda.zeebe:userTask` job."""

    __tablename__ = "inbox_items"

    job_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    process_instance_key: Mapped[int] = mapped_column(BigInteger, index=True)
    bpmn_process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    element_instance_key: Mapped[int] = mapped_column(BigInteger)
    # what the task is called in the diagram (Vietnamese, as modelled)
    name: Mapped[str] = mapped_column(String(300), default="")
    # the `io.camunda.zeebe:formKey` header as sent, and the bpmn/forms form it stands for
    form_key: Mapped[str | None] = mapped_column(String(200))
    form_id: Mapped[str | None] = mapped_column(String(200), index=True)
    stage: Mapped[Stage | None] = mapped_column(enum_type(Stage))
    task_code: Mapped[str | None] = mapped_column(String(50), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    candidate_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidate_users: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the process variables as the job carried them (the form shows and prefills from these)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # how often the engine handed the job out (again after a timeout)
    activations: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[InboxState] = mapped_column(
        enum_type(InboxState), default=InboxState.OPEN, index=True
    )
    claimed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what CompleteJob sends: kept so a retry after a crash sends exactly the same
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gone_reason: Mapped[str | None] = mapped_column(String(300))
    # the assignee last told by mail, so a job handed out again is not mailed twice
    notified_assignee: Mapped[str | None] = mapped_column(String(100))
