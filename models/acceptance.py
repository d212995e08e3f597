"""Step 4: acceptance dossiers, members' ratings and the acceptance decision."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.councils import CouncilMember
from models.documents import DossierDocument
from models.enums import AcceptanceLevel, DossierStatus, Rating
from models.tasks import Task


class AcceptanceDossier(IdMixin, TimestampMixin, Base):
    """An acceptance dossier (hồ sơ đánh giá nghiệm thu) and what came of it."""

    __tablename__ = "acceptance_dossiers"
    __table_args__ = (UniqueConstraint("task_id", "level"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    level: Mapped[AcceptanceLevel] = mapped_column(enum_type(AcceptanceLevel))
    submitted_on: Mapped[date] = mapped_column(Date)
    status: Mapped[DossierStatus] = mapped_column(
        enum_type(DossierStatus), default=DossierStatus.SUBMITTED
    )
    valid_on: Mapped[date | None] = mapped_column(Date)
    # The legal deadline for setting up the council, computed when the dossier is found valid.
    council_due_on: Mapped[date | None] = mapped_column(Date)
    # Filed more than 6 months after the contract ended: Không đạt (TT 11/2014 Đ13.1c).
    too_late: Mapped[bool] = mapped_column(Boolean, default=False)
    council_rating: Mapped[Rating | None] = mapped_column(enum_type(Rating))
    rated_on: Mapped[date | None] = mapped_column(Date)
    # After Đạt: the dossier completed within 30 working days, the chair confirms (Đ13.3);
    # that confirmation is the official acceptance registration counts from.
    completion_due_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    # After Không đạt (Đ15): what was done per the contract, and the money to refund.
    work_done: Mapped[str | None] = mapped_column(Text)
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    # The recognition decision (quyết định công nhận kết quả, Đ17).
    decision_number: Mapped[str | None] = mapped_column(String(50))
    decision_on: Mapped[date | None] = mapped_column(Date)
    final_rating: Mapped[Rating | None] = mapped_column(enum_type(Rating))

    task: Mapped[Task] = relationship()
    documents: Mapped[list[DossierDocument]] = relationship(cascade="all, delete-orphan")


class AcceptanceRating(IdMixin, TimestampMixin, Base):
    """One council member's secret ballot rating a task at the acceptance meeting (Mẫu 7,
    TT 11/2014 Đ10.5g)."""

    __tablename__ = "acceptance_ratings"
    __table_args__ = (UniqueConstraint("member_id", "task_id"),)

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE")
    )
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[Rating] = mapped_column(enum_type(Rating))
    points: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))
    comments: Mapped[str] = mapped_column(Text, default="")

    member: Mapped[CouncilMember] = relationship()
