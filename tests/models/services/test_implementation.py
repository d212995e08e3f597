"""Step 3: progress reports, inspections and change requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.contracts import Contract
from models.enums import ChangeKind, DecisionStatus, InspectionConclusion, InspectionKind
from models.implementation import ProgressReport
from models.services import contracts, implementation
from models.services.audit import Actor, audit_trail
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f

NOW = datetime(2027, 12, 5, 2, 0, tzinfo=UTC)


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


def test_reports_need_dates(session: Session) -> None:
    with pytest.raises(InvalidStateError):
        implementation.schedule_progress_reports(session=session, task_id=f.task(session).id)


def report(session: Session, task: Task, percent: float, today: date, job: int | None = None):
    return implementation.record_progress_report(
        session=session,
        task_code=task.code,
        progress_percent=percent,
        summary="Hoàn thành nội dung 1, 2",
        now=datetime.combine(today, datetime.min.time(), UTC),
        today=today,
        actor=Actor(name="Chủ nhiệm", job_key=job),
    )


def test_a_report_far_behind_the_time_spent_calls_for_an_inspection(session: Session) -> None:
    # Half the time spent (12 of 24 months): 30 % done lags 20 points → inspect; 31 % does not.
    task = running_task(session, date(2026, 1, 1), date(2027, 12, 31))
    implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert report(session, task, 30, date(2027, 1, 1)) is True
    assert report(session, task, 31, date(2027, 1, 1)) is False
    first = session.scalars(select(ProgressReport).order_by(ProgressReport.period)).first()
    assert first is not None and first.summary.startswith("[30%]")
    with pytest.raises(DomainError) as err:
        report(session, task, 101, date(2027, 1, 1))
    assert err.value.code == "progress_percent"


def test_the_same_job_files_its_report_once(session: Session) -> None:
    task = running_task(session, date(2026, 1, 1), date(2027, 12, 31))
    implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert report(session, task, 10, date(2027, 1, 1), job=77) is True
    assert report(session, task, 90, date(2027, 1, 1), job=77) is True  # the first answer
    filed = session.scalars(
        select(ProgressReport).where(ProgressReport.submitted_at.is_not(None))
    ).all()
    assert len(filed) == 1


def extension(session: Session, task: Task, new_end: date, requested_on: date):
    return implementation.request_change(
        session=session,
        task_id=task.id,
        kind=ChangeKind.EXTENSION,
        reason="Thời tiết bất lợi, phải trồng lại vụ thí nghiệm",
        requested_on=requested_on,
        requested_end_date=new_end,
    )


def test_an_approved_extension_moves_the_end_and_adds_reports(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    assert len(implementation.schedule_progress_reports(session=session, task_id=task.id)) == 1
    request = extension(session, task, date(2028, 8, 29), date(2027, 12, 1))
    implementation.decide_change(
        session=session, change_request_id=request.id, approve=True, now=NOW, note="Đồng ý"
    )
    assert request.status is DecisionStatus.APPROVED
    assert task.end_date == date(2028, 8, 29)
    contract = session.scalars(select(Contract).where(Contract.task_id == task.id)).one()
    assert contract.ends_on == date(2028, 8, 29)
    reports = implementation.schedule_progress_reports(session=session, task_id=task.id)
    assert [r.due_on for r in reports] == [date(2027, 9, 1), date(2028, 3, 1)]
    with pytest.raises(InvalidStateError):
        implementation.decide_change(
            session=session, change_request_id=request.id, approve=False, now=NOW
        )
    letter = implementation.change_decision_letter(session=session, change_request_id=request.id)
    assert "29/08/2028" in letter.notices[0].body
    # TT 04/2015 Đ12.1: once only
    with pytest.raises(DomainError) as err:
        extension(session, task, date(2028, 10, 31), date(2028, 5, 1))
    assert "already extended" in err.value.message_en


def test_the_leader_s_months_prevail_over_the_date_asked(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    request = extension(session, task, date(2028, 8, 29), date(2027, 12, 1))
    implementation.decide_change(
        session=session, change_request_id=request.id, approve=True, now=NOW, extension_months=3
    )
    assert task.end_date == date(2028, 5, 29)


def test_a_rejected_extension_changes_nothing(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    request = extension(session, task, date(2028, 8, 29), date(2027, 12, 1))
    implementation.decide_change(
        session=session, change_request_id=request.id, approve=False, now=NOW
    )
    assert task.end_date == date(2028, 2, 29) and request.status is DecisionStatus.REJECTED


@pytest.mark.parametrize(
    ("new_end", "requested_on", "problem"),
    [
        (date(2028, 1, 31), date(2027, 12, 1), "must be later"),
        # TT 04/2015 Đ12.1: at most 6 months for a task of 24 months or less
        (date(2028, 9, 1), date(2027, 12, 1), "at most 6 months"),
        # Đ12.2: asked at least a month before the end (29/01/2028 is the last day)
        (date(2028, 8, 29), date(2028, 1, 30), "month(s) before the end"),
    ],
)
def test_an_extension_outside_the_rules_is_refused(
    session: Session, new_end: date, requested_on: date, problem: str
) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    with pytest.raises(DomainError) as err:
        extension(session, task, new_end, requested_on)
    assert err.value.code == "extension_refused" and problem in err.value.message_en


def test_a_long_task_may_extend_twelve_months(session: Session) -> None:
    task = running_task(session, date(2026, 1, 1), date(2028, 6, 30))  # 30 months
    assert extension(session, task, date(2029, 6, 30), date(2028, 5, 1)).id is not None


def test_inspections_and_the_yearly_evaluation(session: Session) -> None:
    task = running_task(session, date(2027, 3, 1), date(2028, 2, 29))
    inspection = implementation.record_inspection(
        session=session,
        task_code=task.code,
        result="behind",
        findings="Chậm 2 tháng so với kế hoạch",
        inspected_on=date(2027, 9, 15),
    )
    assert inspection.conclusion is InspectionConclusion.BEHIND
    assert audit_trail(session=session, task_id=task.id)[-1].action == "implementation.inspect"
    # TT 44/2026/TT-BGDĐT Đ5.5: the yearly evaluation that stops funding ends in termination
    stopped = implementation.record_inspection(
        session=session,
        task_code=task.code,
        result="on-track",
        findings="Không đạt mục tiêu năm",
        inspected_on=date(2028, 1, 15),
        kind=InspectionKind.ANNUAL_EVALUATION,
        funding_continues=False,
    )
    assert stopped.conclusion is InspectionConclusion.VIOLATION
    with pytest.raises(DomainError) as err:
        implementation.record_inspection(
            session=session, task_code=task.code, result="?", findings="", inspected_on=NOW.date()
        )
    assert err.value.code == "inspection_result"
