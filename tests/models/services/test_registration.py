"""Step 5: registration and certificates, each number issued once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.contracts import Contract
from models.enums import ContractStatus, TaskStatus
from models.services import acceptance, contracts, registration
from models.services.errors import InvalidStateError
from tests.models import factories as f

JUNE_1 = date(2027, 6, 1)


def test_only_accepted_tasks_register(session: Session) -> None:
    with pytest.raises(InvalidStateError):
        registration.register_result(
            session=session, task_id=f.task(session).id, title="?", submitted_on=date(2027, 6, 1)
        )


def test_certificate_is_issued_once(session: Session) -> None:
    task = f.accepted_task(session)
    reg = registration.register_result(
        session=session,
        task_id=task.id,
        title="Quy trình nhân giống",
        submitted_on=date(2027, 6, 1),
    )
    assert (
        registration.register_result(
            session=session, task_id=task.id, title="x", submitted_on=date(2027, 6, 2)
        ).id
        == reg.id
    )
    first = registration.issue_certificate(
        session=session, registration_id=reg.id, issued_on=date(2027, 6, 10)
    )
    number = first.certificate_number
    assert number is not None and number.endswith("/2027/GCN-KHCN")
    again = registration.issue_certificate(
        session=session, registration_id=reg.id, issued_on=date(2027, 7, 1)
    )
    assert again.certificate_number == number
    assert again.certificate_issued_on == date(2027, 6, 10)
    assert task.status is TaskStatus.REGISTERED
    issued = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "registration.issue_certificate", AuditEntry.task_id == task.id
        )
    ).all()
    assert len(issued) == 1


def test_numbers_follow_each_other_within_a_year(session: Session) -> None:
    numbers: list[str] = []
    for issued_on in (date(2027, 6, 10), date(2027, 6, 11), date(2028, 1, 5)):
        task = f.accepted_task(session)
        reg = registration.register_result(
            session=session, task_id=task.id, title="Kết quả", submitted_on=date(2027, 6, 1)
        )
        issued = registration.issue_certificate(
            session=session, registration_id=reg.id, issued_on=issued_on
        )
        assert issued.certificate_number is not None
        numbers.append(issued.certificate_number)
    first = int(numbers[0].split("/")[0])
    assert numbers[1] == f"{first + 1:03d}/2027/GCN-KHCN"
    assert numbers[2].endswith("/2028/GCN-KHCN") and len(set(numbers)) == 3


def test_two_results_of_one_task_get_two_certificates(session: Session) -> None:
    task = f.accepted_task(session)
    regs = [
        registration.register_result(
            session=session, task_id=task.id, title=t, submitted_on=date(2027, 6, 1), result_key=k
        )
        for k, t in (("main", "Báo cáo tổng hợp"), ("software", "Phần mềm quản lý"))
    ]
    numbers = {
        registration.issue_certificate(
            session=session, registration_id=r.id, issued_on=date(2027, 6, 10)
        ).certificate_number
        for r in regs
    }
    assert len(numbers) == 2


def test_late_registration_is_recorded(session: Session) -> None:
    # 30 days from the official acceptance (the chair's confirmation, TT 11/2014 Đ13.3)
    task = f.accepted_task(session, completed_on=date(2027, 5, 20))
    assert registration.registration_due_on(session=session, task_id=task.id) == date(2027, 6, 19)
    start = registration.start_registration(session=session, task_code=task.code)
    assert start.due_on == date(2027, 6, 19) and "19/06/2027" in start.notices[0].body
    registration.register_result(
        session=session, task_id=task.id, title="Kết quả", submitted_on=date(2027, 6, 25)
    )
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "registration.register", AuditEntry.task_id == task.id
        )
    ).one()
    assert entry.details["late"] is True and entry.details["due_on"] == "2027-06-19"


def test_registration_waits_for_the_official_acceptance(session: Session) -> None:
    task = f.task(session)
    with pytest.raises(InvalidStateError) as err:
        registration.start_registration(session=session, task_code=task.code)
    assert err.value.code == "not_accepted"


def test_publish_then_recognise_then_close_the_contract(session: Session) -> None:
    task = f.accepted_task(session)
    registration.register_result(
        session=session, task_id=task.id, title="Kết quả", submitted_on=date(2027, 6, 1)
    )
    with pytest.raises(InvalidStateError):
        registration.publish_results(session=session, task_code=task.code, today=JUNE_1)
    reg = registration.main_registration(session, task)
    registration.issue_certificate(
        session=session, registration_id=reg.id, issued_on=date(2027, 6, 10)
    )
    published, notices = registration.publish_results(
        session=session, task_code=task.code, today=date(2027, 6, 12)
    )
    assert published.published_on == date(2027, 6, 12) and len(notices) == 1
    again, notices = registration.publish_results(
        session=session, task_code=task.code, today=date(2027, 6, 13)
    )
    assert again.published_on == date(2027, 6, 12) and notices == []
    contract = session.scalars(select(Contract).where(Contract.task_id == task.id)).one()
    # TT 11/2014 Đ17: the results recognised before the contract is liquidated
    with pytest.raises(InvalidStateError) as err:
        contracts.close_contract(
            session=session, contract_id=contract.id, liquidated_on=date(2027, 6, 30)
        )
    assert err.value.code == "not_recognised"
    acceptance.record_recognition_decision(
        session=session,
        task_code=task.code,
        decision_number="412",
        decision_date=date(2027, 6, 15),
        today=date(2027, 6, 15),
    )
    closed = contracts.close_contract(
        session=session, contract_id=contract.id, liquidated_on=date(2027, 6, 30)
    )
    assert closed.status is ContractStatus.LIQUIDATED and task.status is TaskStatus.CLOSED
