"""Step 5: result registrations and their certificates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin
from models.documents import DossierDocument
from models.tasks import Task


class ResultRegistration(IdMixin, TimestampMixin, Base):
    """The registration of one result of a task, and its certificate once issued."""

    __tablename__ = "result_registrations"
    __table_args__ = (UniqueConstraint("task_id", "result_key"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    # Names the result within the task ("main" for the task's overall result).
    result_key: Mapped[str] = mapped_column(String(100), default="main")
    title: Mapped[str] = mapped_column(String(500))
    submitted_on: Mapped[date] = mapped_column(Date)
    # A certificate number is given once and never again, even if the registration is voided.
    certificate_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    certificate_issued_on: Mapped[date | None] = mapped_column(Date)
    # indexed: the portal lists the newest published results
    published_on: Mapped[date | None] = mapped_column(Date, index=True)

    task: Mapped[Task] = relationship()
    documents: Mapped[list[DossierDocument]] = relationship(cascade="all, delete-orphan")


class CertificateCounter(Base):
    """The last certificate sequence number used in a year."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
