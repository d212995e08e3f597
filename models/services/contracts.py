"""Contracts: numbering, tranches, signature and closing (thanh lý)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.contracts import Contract, Tranche
from models.enums import ContractStatus, Stage, TaskStatus
from models.registration import ResultRegistration
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.tasks import Task

CONTRACT_SUFFIX = "HĐ-KHCN"


def next_contract_number(*, session: Session, year: int) -> str:
    """The next free contract number of a year, like ``07/2027/HĐ-KHCN``."""
    pattern = f"%/{year}/{CONTRACT_SUFFIX}"
    used = session.scalar(
        select(func.count()).select_from(Contract).where(Contract.number.like(pattern))
    )
    return f"{(used or 0) + 1:02d}/{year}/{CONTRACT_SUFFIX}"


def create_contract(
    *,
    session: Session,
    task_id: int,
    value: int,
    starts_on: date,
    ends_on: date,
    number: str | None = None,
    actor: Actor = SYSTEM,
) -> Contract:
    """Draw up the contract of a task with its host organisation (one per task, idempotent)."""
    task = get_or_raise(session, Task, task_id)
    existing = session.scalar(select(Contract).where(Contract.task_id == task_id))
    if existing is not None:
        return existing
    if task.host_organisation_id is None:
        raise InvalidStateError(
            "no_host",
            "Nhiệm vụ chưa có tổ chức chủ trì.",
            "The task has no host organisation yet.",
        )
    if ends_on <= starts_on:
        raise DomainError(
            "contract_dates",
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The contract must end after it starts.",
        )
    contract = Contract(
        number=number or next_contract_number(session=session, year=starts_on.year),
        task_id=task.id,
        organisation_id=task.host_organisation_id,
        value=value,
        starts_on=starts_on,
        ends_on=ends_on,
        status=ContractStatus.DRAFT,
    )
    session.add(contract)
    session.flush()
    record_audit(
        session=session,
        action="contract.create",
        entity_type="contract",
        entity_id=contract.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"number": contract.number, "value": value},
    )
    return contract


def add_tranche(*, session: Session, contract_id: int, amount: int, due_on: date) -> Tranche:
    """Schedule one more funding tranche; all tranches together may not exceed the value."""
    contract = get_or_raise(session, Contract, contract_id)
    scheduled = sum(t.amount for t in contract.tranches)
    if scheduled + amount > contract.value:
        raise DomainError(
            "tranches_exceed_value",
            "Tổng các đợt cấp kinh phí vượt giá trị hợp đồng.",
            "The tranches add up to more than the contract value.",
        )
    tranche = Tranche(sequence=len(contract.tranches) + 1, amount=amount, due_on=due_on)
    contract.tranches.append(tranche)
    session.flush()
    return tranche


def pay_tranche(*, session: Session, tranche_id: int, paid_on: date) -> Tranche:
    """Record that a tranche was paid."""
    tranche = get_or_raise(session, Tranche, tranche_id)
    tranche.paid_on = tranche.paid_on or paid_on
    session.flush()
    return tranche


def sign_contract(
    *, session: Session, contract_id: int, signed_on: date, actor: Actor = SYSTEM
) -> Contract:
    """Both parties signed: the task moves to implementation with the contract's dates."""
    contract = get_or_raise(session, Contract, contract_id)
    if contract.status is ContractStatus.SIGNED:
        return contract
    if contract.status is not ContractStatus.DRAFT:
        raise InvalidStateError(
            "contract_not_draft",
            "Chỉ ký được hợp đồng dự thảo.",
            f"Only a draft contract can be signed (this one is {contract.status}).",
        )
    contract.status = ContractStatus.SIGNED
    contract.signed_on = signed_on
    task = contract.task
    task.start_date, task.end_date = contract.starts_on, contract.ends_on
    task.stage, task.status = Stage.IMPLEMENTATION, TaskStatus.IN_PROGRESS
    session.flush()
    record_audit(
        session=session,
        action="contract.sign",
        entity_type="contract",
        entity_id=contract.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"signed_on": signed_on.isoformat()},
    )
    return contract


def close_contract(
    *, session: Session, contract_id: int, liquidated_on: date, actor: Actor = SYSTEM
) -> Contract:
    """Close (thanh lý) a contract; its task's results must all hold a certificate (TT 14/2014)."""
    contract = get_or_raise(session, Contract, contract_id)
    if contract.status is ContractStatus.LIQUIDATED:
        return contract
    registrations = list(
        session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == contract.task_id)
        )
    )
    if not registrations or any(r.certificate_number is None for r in registrations):
        raise InvalidStateError(
            "certificate_missing",
            "Chưa có giấy chứng nhận đăng ký kết quả, không thể thanh lý hợp đồng.",
            "The results have no registration certificate: the contract cannot be closed.",
        )
    contract.status = ContractStatus.LIQUIDATED
    contract.liquidated_on = liquidated_on
    contract.task.status = TaskStatus.CLOSED
    session.flush()
    record_audit(
        session=session,
        action="contract.close",
        entity_type="contract",
        entity_id=contract.id,
        actor=actor,
        task_id=contract.task_id,
        stage=Stage.REGISTRATION,
        details={"liquidated_on": liquidated_on.isoformat()},
    )
    return contract
