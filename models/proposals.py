"""Step 1: proposals of tasks (đề xuất đặt hàng nhiệm vụ)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import Field, Method, ProposalStatus, TaskKind
from models.people import Organisation, Person


class Proposal(IdMixin, TimestampMixin, Base):
    """A proposed task, submitted by an organisation or an individual."""

    __tablename__ = "proposals"

    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    field: Mapped[Field] = mapped_column(enum_type(Field))
    kind: Mapped[TaskKind] = mapped_column(enum_type(TaskKind))
    proposer_organisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organisations.id")
    )
    proposer_person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"))
    rationale: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[str] = mapped_column(Text, default="")
    # Whole dong: the Vietnamese currency has no minor unit in use.
    estimated_budget: Mapped[int | None] = mapped_column(BigInteger)
    suggested_method: Mapped[Method | None] = mapped_column(enum_type(Method))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_type(ProposalStatus), default=ProposalStatus.SUBMITTED, index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    screening_note: Mapped[str | None] = mapped_column(Text)
    screened_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    screened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the khcn-task instance started for it (only the starter knows the root instance's key)
    process_instance_key: Mapped[int | None] = mapped_column(BigInteger, index=True)

    proposer_organisation: Mapped[Organisation | None] = relationship()
    proposer_person: Mapped[Person | None] = relationship()
