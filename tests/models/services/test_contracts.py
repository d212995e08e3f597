"""Contracts: numbering, tranches, signature and closing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.decisions import Restriction
from models.enums import (
    ContractStatus,
    DecisionKind,
    FundingSource,
    RestrictionReason,
    Stage,
    TaskStatus,
)
from models.services import contracts, tasks
from models.services.decisions import decision_of
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f


def hosted_task(session: Session) -> Task:
    """A task with a host organisation and a budget."""
    task = f.task(session, host=f.organisation(session))
    tasks.set_budget(
        session=session, task_id=task.id, source=FundingSource.STATE_BUDGET, amount=800_000_000
    )
    tasks.set_budget(
        session=session, task_id=task.id, source=FundingSource.COUNTERPART, amount=200_000_000
    )
    tasks.set_budget(
        session=session, task_id=task.id, source=FundingSource.STATE_BUDGET, amount=900_000_000
    )
    return task


def test_budget_by_source(session: Session) -> None:
    task = hosted_task(session)
    session.refresh(task)
    assert {line.source: line.amount for line in task.budget_lines} == {
        FundingSource.STATE_BUDGET: 900_000_000,
        FundingSource.COUNTERPART: 200_000_000,
    }
    assert task.total_budget == 1_100_000_000


def test_contract_numbers_follow_each_other(session: Session) -> None:
    first = contracts.create_contract(
        session=session,
        task_id=hosted_task(session).id,
        value=900_000_000,
        starts_on=date(2027, 6, 1),
        ends_on=date(2029, 5, 31),
    )
    second = contracts.create_contract(
        session=session,
        task_id=hosted_task(session).id,
        value=500_000_000,
        starts_on=date(2027, 7, 1),
        ends_on=date(2028, 12, 31),
    )
    assert (first.number, second.number) == ("01/2027/HĐ-KHCN", "02/2027/HĐ-KHCN")
    again = contracts.create_contract(
        session=session,
        task_id=first.task_id,
        value=1,
        starts_on=date(2027, 6, 1),
        ends_on=date(2029, 5, 31),
    )
    assert again.id == first.id


def test_a_contract_needs_a_host(session: Session) -> None:
    with pytest.raises(InvalidStateError):
        contracts.create_contract(
            session=session,
            task_id=f.task(session).id,
            value=1,
            starts_on=date(2027, 6, 1),
            ends_on=date(2028, 6, 1),
        )


def test_tranches_and_signature(session: Session) -> None:
    task = hosted_task(session)
    contract = contracts.create_contract(
        session=session,
        task_id=task.id,
        value=900_000_000,
        starts_on=date(2027, 6, 1),
        ends_on=date(2029, 5, 31),
    )
    first = contracts.add_tranche(
        session=session, contract_id=contract.id, amount=450_000_000, due_on=date(2027, 6, 15)
    )
    second = contracts.add_tranche(
        session=session, contract_id=contract.id, amount=360_000_000, due_on=date(2028, 6, 15)
    )
    assert (first.sequence, second.sequence) == (1, 2)
    with pytest.raises(DomainError) as err:
        contracts.add_tranche(
            session=session, contract_id=contract.id, amount=90_000_001, due_on=date(2029, 6, 1)
        )
    assert err.value.code == "tranches_exceed_value"
    contracts.pay_tranche(session=session, tranche_id=first.id, paid_on=date(2027, 6, 20))
    assert first.paid_on == date(2027, 6, 20)

    contracts.sign_contract(session=session, contract_id=contract.id, signed_on=date(2027, 5, 28))
    contracts.sign_contract(session=session, contract_id=contract.id, signed_on=date(2027, 5, 29))
    assert contract.status is ContractStatus.SIGNED and contract.signed_on == date(2027, 5, 28)
    assert (task.stage, task.status) == (Stage.IMPLEMENTATION, TaskStatus.IN_PROGRESS)
    assert (task.start_date, task.end_date) == (date(2027, 6, 1), date(2029, 5, 31))


def test_closing_needs_a_certificate(session: Session) -> None:
    contract = contracts.create_contract(
        session=session,
        task_id=hosted_task(session).id,
        value=1,
        starts_on=date(2027, 6, 1),
        ends_on=date(2028, 6, 1),
    )
    with pytest.raises(InvalidStateError) as err:
        contracts.close_contract(
            session=session, contract_id=contract.id, liquidated_on=date(2028, 9, 1)
        )
    assert "giấy chứng nhận" in err.value.message_vi


def test_suspension_then_termination_with_refund_and_bars(session: Session) -> None:
    # TT 04/2015 Đ22.3: suspended after a violation, then the contract terminated with the
    # money to refund; the host barred a year, the investigator three (TT 20/2023 Đ4.2đ, Đ4.4c)
    pi = f.person(session)
    task = f.task(session, host=f.organisation(session), investigator=pi)
    contract = f.under_contract(session, task, date(2026, 1, 5), date(2027, 12, 31), 600_000_000)
    notices = contracts.suspend_task(
        session=session, task_code=task.code, reason="vi phạm hợp đồng", today=date(2026, 9, 1)
    )
    assert task.status is TaskStatus.SUSPENDED and contract.suspended_on == date(2026, 9, 1)
    assert "01/09/2026" in notices[0].body
    with pytest.raises(DomainError) as err:
        contracts.decide_termination(
            session=session,
            task_code=task.code,
            terminate=True,
            decision_number="51",
            decision_date=date(2026, 9, 8),
            refund_amount=600_000_001,
            today=date(2026, 9, 8),
        )
    assert err.value.code == "refund_amount"
    contracts.decide_termination(
        session=session,
        task_code=task.code,
        terminate=True,
        decision_number="51",
        decision_date=date(2026, 9, 8),
        refund_amount=200_000_000,
        today=date(2026, 9, 8),
    )
    assert task.status is TaskStatus.TERMINATED
    assert (contract.status, contract.refund_amount) == (ContractStatus.TERMINATED, 200_000_000)
    decision = decision_of(session, task, DecisionKind.TERMINATION)
    assert decision is not None and decision.number == "51/QĐ-UBND"
    bars = session.scalars(select(Restriction).where(Restriction.task_id == task.id)).all()
    assert {(r.person_id, r.until) for r in bars if r.reason is RestrictionReason.TERMINATED} == {
        (None, date(2027, 9, 8)),
        (pi.id, date(2029, 9, 8)),
    }


def test_a_suspended_task_may_resume(session: Session) -> None:
    task = f.task(session, host=f.organisation(session))
    contract = f.under_contract(session, task, date(2026, 1, 5), date(2027, 12, 31))
    contracts.suspend_task(session=session, task_code=task.code, reason="?", today=date(2026, 9, 1))
    contracts.decide_termination(
        session=session,
        task_code=task.code,
        terminate=False,
        decision_number="",
        decision_date=date(2026, 9, 8),
        refund_amount=0,
        today=date(2026, 9, 8),
    )
    assert task.status is TaskStatus.IN_PROGRESS and contract.suspended_on is None
