"""Step 3: report schedule, progress reports, inspections or yearly evaluations, changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.contracts import Contract
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    ChangeKind,
    DecisionStatus,
    InspectionConclusion,
    InspectionKind,
    Stage,
)
from models.implementation import ChangeRequest, Inspection, ProgressReport
from models.rules import (
    VIETNAM,
    WorkingCalendar,
    add_months,
    dossier_due_day,
    expected_progress,
    extension_problems,
    inspection_needed,
    progress_report_due_dates,
)
from models.services.audit import SYSTEM, Actor, done_by_job, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.notices import Notice, to_host, vn_date
from models.services.tasks import edition_of, task_by_code
from models.tasks import Task
from models.users import User

CHANGE_LABELS = {
    ChangeKind.EXTENSION: "gia hạn thời gian thực hiện",
    ChangeKind.BUDGET: "điều chỉnh kinh phí",
    ChangeKind.PERSONNEL: "thay đổi nhân sự",
    ChangeKind.CONTENT: "điều chỉnh nội dung",
}


def _contract(session: Session, task: Task) -> Contract:
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    if contract is None:
        raise InvalidStateError("no_contract", "Nhiệm vụ chưa có hợp đồng.", "No contract yet.")
    return contract


def schedule_progress_reports(
    *,
    session: Session,
    task_id: int,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
) -> list[ProgressReport]:
    """Create the due progress reports of a task from its dates (idempotent; more periods
    after an extension)."""
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
    rules = edition_of(task, regulations).implementation
    dates = progress_report_due_dates(task.start_date, task.end_date, rules, calendar)
    for period, due_on in enumerate(dates, start=1):
        if period not in existing:
            existing[period] = ProgressReport(task_id=task_id, period=period, due_on=due_on)
            session.add(existing[period])
    session.flush()
    return [existing[p] for p in sorted(existing)]


@dataclass
class Plan:
    """What step 3 needs to run: the report schedule, the task's leader, the cycles."""

    task: Task
    reports: list[ProgressReport]
    leader_username: str | None
    report_months: int
    review_months: int
    # the final report and acceptance dossier: 30 days after the contract ends (TT 11/2014 Đ7.1)
    final_report_due_on: date


def plan_implementation(
    *,
    session: Session,
    contract_id: int,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Plan:
    """Plan the reports on the working-day calendar; progress reports go to the task's leader
    (the principal investigator's user), not to every scientist."""
    contract = get_or_raise(session, Contract, contract_id)
    task = contract.task
    task.start_date = task.start_date or contract.starts_on
    task.end_date = task.end_date or contract.ends_on
    reports = schedule_progress_reports(
        session=session, task_id=task.id, calendar=calendar, regulations=regulations
    )
    leader = session.scalar(
        select(User.username).where(User.person_id == task.principal_investigator_id)
    )
    rules = edition_of(task, regulations).implementation
    if done_by_job(session, "implementation.plan", actor, task.id) is None:
        record_audit(
            session=session,
            action="implementation.plan",
            entity_type="task",
            entity_id=task.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.IMPLEMENTATION,
            details={"report_schedule": [r.due_on.isoformat() for r in reports], "leader": leader},
        )
    edition = edition_of(task, regulations)
    return Plan(
        task,
        reports,
        leader,
        rules.progress_report_months,
        rules.review_months,
        dossier_due_day(contract.ends_on, edition.acceptance),
    )


def record_progress_report(
    *,
    session: Session,
    task_code: str,
    progress_percent: float,
    summary: str,
    now: datetime,
    today: date,
    stored_file_id: int | None = None,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> bool:
    """The task's leader files the period's progress report; whether it lags so far behind
    the time spent that staff must inspect (the same job filed twice counts once)."""
    task = task_by_code(session, task_code)
    if not 0 <= progress_percent <= 100:
        raise DomainError(
            "progress_percent", "Tiến độ phải từ 0 đến 100%.", "Progress is 0 to 100 percent."
        )
    done = done_by_job(session, "implementation.record_report", actor, task.id)
    if done is not None:
        return bool(done.details["inspection_needed"])
    rules = edition_of(task, regulations).implementation
    report = session.scalar(
        select(ProgressReport)
        .where(ProgressReport.task_id == task.id, ProgressReport.submitted_at.is_(None))
        .order_by(ProgressReport.period)
    )
    if report is None:
        # more reports than planned (e.g. after an extension): schedule again first
        reports = schedule_progress_reports(
            session=session, task_id=task.id, regulations=regulations
        )
        report = next((p for p in reports if p.submitted_at is None), None)
    if report is not None:
        report.summary = f"[{progress_percent:g}%] {summary}"
        report.submitted_at = now
        report.stored_file_id = stored_file_id
    expected = expected_progress(task.start_date, task.end_date, today)
    needed = inspection_needed(progress_percent, expected, rules)
    session.flush()
    record_audit(
        session=session,
        action="implementation.record_report",
        entity_type="progress_report",
        entity_id=report.id if report is not None else None,
        actor=actor,
        task_id=task.id,
        stage=Stage.IMPLEMENTATION,
        details={
            "period": report.period if report is not None else None,
            "progress_percent": progress_percent,
            "expected_percent": round(expected, 1),
            "inspection_needed": needed,
        },
    )
    return needed


INSPECTION_RESULTS = {
    "on-track": InspectionConclusion.ON_TRACK,
    "behind": InspectionConclusion.BEHIND,
    "seriously-behind": InspectionConclusion.SERIOUSLY_BEHIND,
    "violation": InspectionConclusion.VIOLATION,
}


def record_inspection(
    *,
    session: Session,
    task_code: str,
    result: str,
    findings: str,
    inspected_on: date,
    kind: InspectionKind = InspectionKind.INSPECTION,
    funding_continues: bool | None = None,
    actor: Actor = SYSTEM,
) -> Inspection:
    """Record an inspection (TT 04/2015 Đ6, Đ10) or, in the 2025 edition, the yearly evaluation
    that decides whether funding continues (TT 44/2026 Đ5.5) (once per job)."""
    task = task_by_code(session, task_code)
    conclusion = INSPECTION_RESULTS.get(result)
    if conclusion is None:
        raise DomainError(
            "inspection_result",
            "Kết luận kiểm tra không hợp lệ.",
            f"The result must be one of {', '.join(INSPECTION_RESULTS)}.",
        )
    done = done_by_job(session, "implementation.inspect", actor, task.id)
    if done is not None:
        return get_or_raise(session, Inspection, done.entity_id)
    if kind is InspectionKind.ANNUAL_EVALUATION and funding_continues is False:
        conclusion = InspectionConclusion.VIOLATION
    inspection = Inspection(
        task_id=task.id,
        kind=kind,
        inspected_on=inspected_on,
        conclusion=conclusion,
        findings=findings,
        inspector_id=actor.user_id,
        funding_continues=funding_continues,
    )
    session.add(inspection)
    session.flush()
    record_audit(
        session=session,
        action="implementation.inspect",
        entity_type="inspection",
        entity_id=inspection.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.IMPLEMENTATION,
        details={
            "kind": kind.value,
            "conclusion": conclusion.value,
            "funding_continues": funding_continues,
        },
    )
    return inspection


def _extensions(session: Session, task: Task) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ChangeRequest)
            .where(
                ChangeRequest.task_id == task.id,
                ChangeRequest.kind == ChangeKind.EXTENSION,
                ChangeRequest.status == DecisionStatus.APPROVED,
            )
        )
        or 0
    )


def change_problems(
    session: Session, request: ChangeRequest, regulations: Regulations = DEFAULT_REGULATIONS
) -> list[str]:
    """Why a change request may not be granted (an extension: TT 04/2015 Đ12)."""
    task = request.task
    if request.kind is not ChangeKind.EXTENSION:
        return []
    if task.start_date is None or task.end_date is None or request.requested_end_date is None:
        return ["nhiệm vụ chưa có thời gian thực hiện / the task has no dates"]
    requested_on = request.created_at.date() if request.created_at else task.end_date
    return extension_problems(
        starts_on=task.start_date,
        ends_on=task.end_date,
        new_end=request.requested_end_date,
        requested_on=requested_on,
        extensions_so_far=_extensions(session, task),
        rules=edition_of(task, regulations).implementation,
    )


def request_change(
    *,
    session: Session,
    task_id: int,
    kind: ChangeKind,
    reason: str,
    requested_on: date,
    requested_end_date: date | None = None,
    requested_budget: int | None = None,
    details: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> ChangeRequest:
    """The host files a change request (điều chỉnh); an extension must respect TT 04/2015
    Đ12 (once, at least a month before the end, at most 12 or 6 months) or is refused."""
    task = get_or_raise(session, Task, task_id)
    request = ChangeRequest(
        task_id=task_id,
        kind=kind,
        reason=reason,
        requested_end_date=requested_end_date,
        requested_budget=requested_budget,
        details=details,
        created_at=datetime.combine(requested_on, datetime.min.time(), UTC),
    )
    request.task = task
    problems = change_problems(session, request, regulations)
    if problems:
        raise DomainError(
            "extension_refused",
            "Đề nghị gia hạn không đúng quy định: " + "; ".join(problems),
            "The extension request breaks TT 04/2015 Đ12: " + "; ".join(problems),
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


def review_change(
    *,
    session: Session,
    change_request_id: int,
    note: str,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> list[str]:
    """Staff review a change request for the leader: the rules it breaks, if any."""
    request = get_or_raise(session, ChangeRequest, change_request_id)
    problems = change_problems(session, request, regulations)
    record_audit(
        session=session,
        action="implementation.review_change",
        entity_type="change_request",
        entity_id=request.id,
        actor=actor,
        task_id=request.task_id,
        stage=Stage.IMPLEMENTATION,
        details={"note": note, "problems": problems},
    )
    return problems


def decide_change(
    *,
    session: Session,
    change_request_id: int,
    approve: bool,
    now: datetime,
    extension_months: int | None = None,
    note: str = "",
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> ChangeRequest:
    """The leader approves or refuses a change; an approved extension (the leader's months
    prevail over the date asked) moves the task's and the contract's end and adds the report
    periods that fall in it."""
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
    task = request.task
    if approve and request.kind is ChangeKind.EXTENSION:
        if extension_months and task.end_date is not None:
            request.requested_end_date = add_months(task.end_date, int(extension_months))
        problems = change_problems(session, request, regulations)
        if problems:
            raise DomainError(
                "extension_refused",
                "Không thể gia hạn: " + "; ".join(problems),
                "The extension breaks TT 04/2015 Đ12: " + "; ".join(problems),
            )
        task.end_date = request.requested_end_date
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        if contract is not None and request.requested_end_date is not None:
            contract.ends_on = request.requested_end_date
    request.status = wanted
    request.decided_by_id = actor.user_id
    request.decided_at = now
    request.decision_note = note
    session.flush()
    if approve and request.kind is ChangeKind.EXTENSION:
        schedule_progress_reports(
            session=session, task_id=task.id, calendar=calendar, regulations=regulations
        )
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


@dataclass
class ChangeLetter:
    """The letter telling the host the leader's decision on a change request."""

    request: ChangeRequest
    notices: list[Notice] = field(default_factory=list)


def change_decision_letter(*, session: Session, change_request_id: int) -> ChangeLetter:
    """What to tell the host about a decided change request."""
    request = get_or_raise(session, ChangeRequest, change_request_id)
    task = request.task
    what = CHANGE_LABELS.get(request.kind, request.kind.value)
    approved = request.status is DecisionStatus.APPROVED
    note = request.decision_note or ""
    detail = (
        f"\nThời gian thực hiện mới: đến ngày {vn_date(task.end_date)}."
        if approved and request.kind is ChangeKind.EXTENSION and task.end_date
        else ""
    )
    verdict = "chấp thuận" if approved else "không chấp thuận"
    notice = to_host(
        task,
        f"{'Chấp thuận' if approved else 'Không chấp thuận'} đề nghị {what} nhiệm vụ {task.code}",
        f"Sở Khoa học và Công nghệ {verdict} đề nghị {what} của nhiệm vụ “{task.title}” "
        f"(mã {task.code}).{detail}" + (f"\nÝ kiến: {note}" if note else ""),
        f"The Department {'approved' if approved else 'refused'} the change request of task "
        f"{task.code}." + (f" Note: {note}" if note else ""),
    )
    return ChangeLetter(request, [notice])
