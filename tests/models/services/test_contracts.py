"""Contracts: numbering, tranches, signature and closing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from models.enums import ContractStatus, FundingSource, Stage, TaskStatus
from models.services import contracts, tasks
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
