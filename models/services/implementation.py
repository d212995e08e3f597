"""Step 3: progress reports, inspections and change requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.contracts import Contract
from models.enums import ChangeKind, DecisionStatus, InspectionConclusion, Stage
from models.implementation import ChangeRequest, Inspection, ProgressReport
from models.rules import (
    DEFAULT_RULES,
    VIETNAM,
    RuleSettings,
    WorkingCalendar,
    progress_report_due_dates,
)
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.tasks import Task


def schedule_progress_reports(
    *,
    session: Session,
    task_id: int,
    calendar: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
) -> list[ProgressReport]:
    """Create the due progress reports of a task from its dates (idempotent; extends after an
    extension).
    """
    task = get_or_raise(session, Task, task_id)
    if task.start_date is None or task.end_date is None:
        raise InvalidStateError(
            "task_dates_missing",
            "Nhiệm vụ chưa có thời gian thực hiện.",
            "The task has no start and end dates yet.",
        )
    existing = {
        r.period: r
        for r in session.scalars(select(ProgressReport).where(ProgressReport.task_id == task_id))
    }
    dates = progress_report_due_dates(
        task.start_date, task.end_date, calendar_=calendar, rules=rules
    )
    for period, due_on in enumerate(dates, start=1):
        if period not in existing:
            existing[period] = ProgressReport(task_id=task_id, period=period, due_on=due_on)
            session.add(existing[period])
    session.flush()
    return [existing[p] for p in sorted(existing)]


def submit_progress_report(
    *,
    session: Session,
    task_id: int,
    period: int,
    summary: str,
    submitted_at: datetime | None = None,
    stored_file_id: int | None = None,
) -> ProgressReport:
    """Record a progress report for a period."""
    report = session.scalar(
        select(ProgressReport).where(
            ProgressReport.task_id == task_id, ProgressReport.period == period
        )
    )
    if report is None:
        raise DomainError(
            "no_such_report",
            f"Không có kỳ báo cáo {period}.",
            f"No progress report is due for period {period}.",
        )
    report.summary = summary
    report.submitted_at = submitted_at or datetime.now(UTC)
    report.stored_file_id = stored_file_id
    session.flush()
    return report


def record_inspection(
    *,
    session: Session,
    task_id: int,
    inspected_on: date,
    conclusion: InspectionConclusion,
    findings: str = "",
    actor: Actor = SYSTEM,
) -> Inspection:
    """Record an inspection of a task in progress."""
    get_or_raise(session, Task, task_id)
    inspection = Inspection(
        task_id=task_id,
        inspected_on=inspected_on,
        conclusion=conclusion,
        findings=findings,
        inspector_id=actor.user_id,
    )
    session.add(inspection)
    session.flush()
    record_audit(
        session=session,
        action="implementation.inspect",
        entity_type="inspection",
        entity_id=inspection.id,
        actor=actor,
        task_id=task_id,
        stage=Stage.IMPLEMENTATION,
        details={"conclusion": conclusion.value},
    )
    return inspection


def request_change(
    *,
    session: Session,
    task_id: int,
    kind: ChangeKind,
    reason: str,
    requested_end_date: date | None = None,
    requested_budget: int | None = None,
    details: str = "",
    actor: Actor = SYSTEM,
) -> ChangeRequest:
    """File a change request (điều chỉnh); an extension names the new end date."""
    task = get_or_raise(session, Task, task_id)
    if kind is ChangeKind.EXTENSION and (
        requested_end_date is None or task.end_date is None or requested_end_date <= task.end_date
    ):
        raise DomainError(
            "extension_date",
            "Đề nghị gia hạn phải nêu ngày kết thúc mới, sau ngày kết thúc hiện tại.",
            "An extension needs a new end date after the current one.",
        )
    request = ChangeRequest(
        task_id=task_id,
        kind=kind,
        reason=reason,
        requested_end_date=requested_end_date,
        requested_budget=requested_budget,
        details=details,
    )
    session.add(request)
    session.flush()
    record_audit(
        session=session,
        action="implementation.request_change",
        entity_type="change_request",
        entity_id=request.id,
        actor=actor,
        task_id=task_id,
        stage=Stage.IMPLEMENTATION,
        details={"kind": kind.value},
    )
    return request


def decide_change_request(
    *,
    session: Session,
    change_request_id: int,
    approve: bool,
    note: str = "",
    actor: Actor = SYSTEM,
) -> ChangeRequest:
    """Approve or reject a change request; an approved extension moves the end dates."""
    request = get_or_raise(session, ChangeRequest, change_request_id)
    wanted = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
    if request.status == wanted:
        return request
    if request.status is not DecisionStatus.PENDING:
        raise InvalidStateError(
            "already_decided",
            "Đề nghị điều chỉnh đã được quyết định.",
            "The change request was already decided.",
        )
    request.status = wanted
    request.decided_by_id = actor.user_id
    request.decided_at = datetime.now(UTC)
    request.decision_note = note
    task = request.task
    if approve and request.kind is ChangeKind.EXTENSION:
        task.end_date = request.requested_end_date
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        if contract is not None and request.requested_end_date is not None:
            contract.ends_on = request.requested_end_date
    session.flush()
    record_audit(
        session=session,
        action="implementation.decide_change",
        entity_type="change_request",
        entity_id=request.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.IMPLEMENTATION,
        details={"approved": approve, "kind": request.kind.value, "note": note},
    )
    return request
