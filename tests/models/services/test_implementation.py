"""Step 3: progress reports, inspections and change requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.contracts import Contract
from models.enums import ChangeKind, DecisionStatus, InspectionConclusion
from models.services import contracts, implementation
from models.services.audit import audit_trail
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f


def running_task(session: Session, starts_on: date, ends_on: date) -> Task:
    """A task under a signed contract."""
    task = f.task(session, host=f.organisation(session))
    contract = contracts.create_contract(
        session=session, task_id=task.id, value=1, starts_on=starts_on, ends_on=ends_on
    )
    contracts.sign_contract(session=session, contract_id=contract.id, signed_on=starts_on)
    return task


def test_progress_reports_on_the_working_day_calendar(session: Session) -> None:
    task = running_task(session, date(2027, 5, 1), date(2029, 4, 30))
    reports = implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert [(r.period, r.due_on) for r in reports] == [
        (1, date(2027, 11, 1)),
        (2, date(2028, 5, 3)),  # 1/5 and the observed 30/4 are holidays
        (3, date(2028, 11, 1)),
    ]
    again = implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert [r.id for r in again] == [r.id for r in reports]
    done = implementation.submit_progress_report(
        session=session,
        task_id=task.id,
        period=1,
        summary="Hoàn thành nội dung 1, 2",
        submitted_at=datetime(2027, 10, 30, tzinfo=UTC),
    )
    assert done.submitted_at is not None
    with pytest.raises(DomainError):
        implementation.submit_progress_report(
            session=session, task_id=task.id, period=9, summary="?"
        )


def test_reports_need_dates(session: Session) -> None:
    with pytest.raises(InvalidStateError):
        implementation.schedule_progress_reports(session=session, task_id=f.task(session).id)


def test_an_approved_extension_moves_the_end_and_adds_reports(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    assert len(implementation.schedule_progress_reports(session=session, task_id=task.id)) == 1
    request = implementation.request_change(
        session=session,
        task_id=task.id,
        kind=ChangeKind.EXTENSION,
        reason="Thời tiết bất lợi, phải trồng lại vụ thí nghiệm",
        requested_end_date=date(2028, 8, 31),
    )
    implementation.decide_change_request(
        session=session, change_request_id=request.id, approve=True, note="Đồng ý gia hạn"
    )
    assert request.status is DecisionStatus.APPROVED
    assert task.end_date == date(2028, 8, 31)
    contract = session.scalars(select(Contract).where(Contract.task_id == task.id)).one()
    assert contract.ends_on == date(2028, 8, 31)
    reports = implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert [r.due_on for r in reports] == [date(2027, 9, 1), date(2028, 3, 1)]
    with pytest.raises(InvalidStateError):
        implementation.decide_change_request(
            session=session, change_request_id=request.id, approve=False
        )
    actions = [e.action for e in audit_trail(session=session, task_id=task.id)]
    assert actions[-2:] == ["implementation.request_change", "implementation.decide_change"]


def test_a_rejected_extension_changes_nothing(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    request = implementation.request_change(
        session=session,
        task_id=task.id,
        kind=ChangeKind.EXTENSION,
        reason="Chậm tiến độ",
        requested_end_date=date(2028, 8, 31),
    )
    implementation.decide_change_request(
        session=session, change_request_id=request.id, approve=False
    )
    assert task.end_date == date(2028, 2, 29) and request.status is DecisionStatus.REJECTED


def test_an_extension_must_extend(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    with pytest.raises(DomainError):
        implementation.request_change(
            session=session,
            task_id=task.id,
            kind=ChangeKind.EXTENSION,
            reason="?",
            requested_end_date=date(2028, 1, 31),
        )


def test_inspection(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    inspection = implementation.record_inspection(
        session=session,
        task_id=task.id,
        inspected_on=date(2027, 9, 15),
        conclusion=InspectionConclusion.BEHIND,
        findings="Chậm 2 tháng so với kế hoạch",
    )
    assert inspection.conclusion is InspectionConclusion.BEHIND
    assert audit_trail(session=session, task_id=task.id)[-1].action == "implementation.inspect"
