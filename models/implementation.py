"""Step 3: progress reports, inspections and change requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import ChangeKind, DecisionStatus, InspectionConclusion, InspectionKind
from models.tasks import Task


class ProgressReport(IdMixin, TimestampMixin, Base):
    """A periodic progress report (báo cáo định kỳ), due at a date, submitted later."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("task_id", "period"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(Text, default="")
    stored_file_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("stored_files.id"))

    task: Mapped[Task] = relationship()


class Inspection(IdMixin, TimestampMixin, Base):
    """An inspection (kiểm tra) of a task in progress."""

    __tablename__ = "inspections"

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[InspectionKind] = mapped_column(
        enum_type(InspectionKind), default=InspectionKind.INSPECTION
    )
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    findings: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[InspectionConclusion] = mapped_column(enum_type(InspectionConclusion))
    # The yearly evaluation of the 2025 edition decides whether funding continues.
    funding_continues: Mapped[bool | None] = mapped_column(Boolean)

    task: Mapped[Task] = relationship()


class ChangeRequest(IdMixin, TimestampMixin, Base):
    """A request to change a task (điều chỉnh): time extension, budget, personnel, content."""

    __tablename__ = "change_requests"

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[ChangeKind] = mapped_column(enum_type(ChangeKind))
    reason: Mapped[str] = mapped_column(Text)
    requested_end_date: Mapped[date | None] = mapped_column(Date)
    requested_budget: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DecisionStatus] = mapped_column(
        enum_type(DecisionStatus), default=DecisionStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(1000))

    task: Mapped[Task] = relationship()
