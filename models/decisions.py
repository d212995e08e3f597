"""Decisions (quyết định) with their number, date and signer; who may not apply for a while."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import DecisionKind, Issuer, RestrictionReason
from models.people import Organisation, Person
from models.tasks import Task

decision_tasks = Table(
    "decision_tasks",
    Base.metadata,
    Column("decision_id", BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
)


class Decision(IdMixin, TimestampMixin, Base):
    """A numbered decision of the People's Committee or of the Department; one decision may
    cover a batch of tasks (the approved list, NĐ 08/2014 Đ27.2)."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    kind: Mapped[DecisionKind] = mapped_column(enum_type(DecisionKind))
    # As written on the document, e.g. "125/QĐ-UBND" or "56/QĐ-SKHCN".
    number: Mapped[str] = mapped_column(String(50))
    signed_on: Mapped[date] = mapped_column(Date)
    issuer: Mapped[Issuer] = mapped_column(enum_type(Issuer))
    note: Mapped[str] = mapped_column(Text, default="")

    tasks: Mapped[list[Task]] = relationship(secondary=decision_tasks, order_by=Task.id)


class Restriction(IdMixin, TimestampMixin, Base):
    """An organisation or person barred from applying for tasks (TT 11/2014 Đ15.4; TT 20/2023
    Đ4.2, Đ4.4), until a day or until lifted (a refund repaid)."""

    __tablename__ = "restrictions"

    organisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organisations.id"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    reason: Mapped[RestrictionReason] = mapped_column(enum_type(RestrictionReason))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(100))

    organisation: Mapped[Organisation | None] = relationship()
    person: Mapped[Person | None] = relationship()
