"""What scientists keep on their own profile: publications, and changes staff must verify."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import DecisionStatus
from models.people import Person


class Publication(IdMixin, TimestampMixin, Base):
    """A publication a scientist lists on their profile."""

    __tablename__ = "publications"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    # journal, conference, publisher
    venue: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)


class ProfileChange(IdMixin, TimestampMixin, Base):
    """A change of degree or academic title a scientist asked for, waiting for staff."""

    __tablename__ = "profile_changes"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    # "degree" or "academic_title"
    attribute: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(String(50))
    new_value: Mapped[str | None] = mapped_column(String(50))
    evidence: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    status: Mapped[DecisionStatus] = mapped_column(
        enum_type(DecisionStatus), default=DecisionStatus.PENDING, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship()
