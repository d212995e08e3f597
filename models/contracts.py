"""Contracts between the Department and a host organisation, and their funding tranches."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import ContractStatus
from models.people import Organisation
from models.tasks import Task


class Contract(IdMixin, TimestampMixin, Base):
    """The contract (hợp đồng) to carry out a task."""

    __tablename__ = "contracts"

    number: Mapped[str] = mapped_column(String(50), unique=True)
    # One live contract per task; a terminated one would be replaced by an amendment instead.
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    value: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ContractStatus] = mapped_column(
        enum_type(ContractStatus), default=ContractStatus.DRAFT
    )
    liquidated_on: Mapped[date | None] = mapped_column(Date)
    # Suspension and termination during implementation (TT 04/2015 Đ22.3).
    suspended_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)

    task: Mapped[Task] = relationship()
    organisation: Mapped[Organisation] = relationship()
    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Tranche.sequence"
    )


class Tranche(IdMixin, Base):
    """One instalment of a contract's funding."""

    __tablename__ = "tranches"
    __table_args__ = (UniqueConstraint("contract_id", "sequence"),)

    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship(back_populates="tranches")
