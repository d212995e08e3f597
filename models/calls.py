"""Step 2: calls for applications and the applications with their dossiers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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
from models.documents import DossierDocument
from models.enums import ApplicationStatus, CallStatus
from models.people import Organisation, Person
from models.tasks import Task


class Call(IdMixin, TimestampMixin, Base):
    """A call for applications (thông báo tuyển chọn) for one or more tasks."""

    __tablename__ = "calls"

    number: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[CallStatus] = mapped_column(enum_type(CallStatus), default=CallStatus.DRAFT)
    # A call reopened because no application reached the threshold points at the one before.
    reopens_call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id"))

    items: Mapped[list[CallItem]] = relationship(
        back_populates="call", cascade="all, delete-orphan"
    )


class CallItem(IdMixin, Base):
    """A task offered in a call."""

    __tablename__ = "call_items"
    __table_args__ = (UniqueConstraint("call_id", "task_id"),)

    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("calls.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)

    call: Mapped[Call] = relationship(back_populates="items")
    task: Mapped[Task] = relationship()


class Application(IdMixin, TimestampMixin, Base):
    """An organisation's application (hồ sơ) to host a task, with its proposed team."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("call_id", "task_id", "organisation_id"),)

    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("calls.id"), index=True)
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    principal_investigator_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"))
    requested_budget: Mapped[int | None] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus), default=ApplicationStatus.SUBMITTED
    )
    validity_note: Mapped[str | None] = mapped_column(Text)
    average_score: Mapped[float | None] = mapped_column()

    call: Mapped[Call] = relationship()
    task: Mapped[Task] = relationship()
    organisation: Mapped[Organisation] = relationship()
    principal_investigator: Mapped[Person] = relationship()
    team: Mapped[list[ApplicationMember]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    documents: Mapped[list[DossierDocument]] = relationship(cascade="all, delete-orphan")


class ApplicationMember(IdMixin, Base):
    """A person named in an application's team (besides the principal investigator)."""

    __tablename__ = "application_members"
    __table_args__ = (UniqueConstraint("application_id", "person_id"),)

    application_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("applications.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(100), default="")

    application: Mapped[Application] = relationship(back_populates="team")
    person: Mapped[Person] = relationship()
