"""Step 3 (triển khai thực hiện): report schedule, progress reports, change requests."""

from datetime import date
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select

from models.audit import AuditEntry
from models.contracts import Contract
from models.enums import ChangeKind, DecisionStatus, Stage
from models.implementation import ChangeRequest, ProgressReport
from models.rules import add_months
from models.services import implementation as implementation_service
from models.services.audit import record_audit
from models.services.errors import get_or_raise
from models.tasks import Task
from workers.clock import today_vn
from workers.job_context import actor_of, task_by_code
from workers.notify import SIGNATURE, recipients_of
from workers.runtime import WorkerDeps

PLAN = "khcn.implementation.plan"
RECORD_REPORT = "khcn.implementation.record-report"
APPLY_CHANGE = "khcn.implementation.apply-change"
REJECT_CHANGE = "khcn.implementation.reject-change"

# A report this many percentage points behind the share of the contract time already spent
# sends staff to inspect (common practice, unverified: the Department sets it).
INSPECTION_LAG_POINTS = 20.0

CHANGE_LABELS = {
    ChangeKind.EXTENSION: "gia hạn thời gian thực hiện",
    ChangeKind.BUDGET: "điều chỉnh kinh phí",
    ChangeKind.PERSONNEL: "thay đổi nhân sự",
    ChangeKind.CONTENT: "điều chỉnh nội dung",
}


def expected_progress(start: date | None, end: date | None, on: date) -> float:
    """The share of the planned time spent by a day, in percent (0 before, 100 after)."""
    if start is None or end is None or end <= start:
        return 0.0
    spent = (on - start).days / (end - start).days
    return max(0.0, min(1.0, spent)) * 100


def inspection_needed(progress: float, expected: float) -> bool:
    """Whether a reported progress lags so far behind the time spent that staff must inspect."""
    return progress + INSPECTION_LAG_POINTS < expected


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 3."""
    r = ZeebeTaskRouter()

    @r.task(task_type=PLAN)
    def plan(job: Job, contractId: int) -> dict[str, Any]:  # noqa: N803 - BPMN name
        """Schedule the periodic progress reports on Vietnam's working-day calendar."""
        actor = actor_of(job)
        with deps.transaction() as session:
            contract = get_or_raise(session, Contract, int(contractId))
            task = contract.task
            # The contract's dates rule the schedule (signing copied them onto the task).
            task.start_date = task.start_date or contract.starts_on
            task.end_date = task.end_date or contract.ends_on
            reports = implementation_service.schedule_progress_reports(
                session=session, task_id=task.id
            )
            schedule = [report.due_on.isoformat() for report in reports]
            record_audit(
                session=session,
                action="implementation.plan",
                entity_type="task",
                entity_id=task.id,
                actor=actor,
                task_id=task.id,
                stage=Stage.IMPLEMENTATION,
                details={"report_schedule": schedule},
            )
        return {"reportSchedule": schedule}

    @r.task(task_type=RECORD_REPORT)
    def record_report(
        job: Job,
        taskCode: str,  # noqa: N803 - BPMN names
        progressPercent: float,  # noqa: N803
        reportSummary: str = "",  # noqa: N803
    ) -> dict[str, Any]:
        """Record the period's progress report and judge whether an inspection is needed."""
        actor = actor_of(job)
        progress = float(progressPercent)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            # A job delivered again finds its own entry and answers the same.
            for entry in session.scalars(
                select(AuditEntry).where(
                    AuditEntry.task_id == task.id,
                    AuditEntry.action == "implementation.record_report",
                    AuditEntry.process_instance_key == job.process_instance_key,
                )
            ):
                if entry.details.get("element_instance_key") == job.element_instance_key:
                    return {"inspectionNeeded": bool(entry.details["inspection_needed"])}
            report = session.scalar(
                select(ProgressReport)
                .where(ProgressReport.task_id == task.id, ProgressReport.submitted_at.is_(None))
                .order_by(ProgressReport.period)
            )
            if report is None:
                # More reports than planned (e.g. after an extension): schedule again first.
                reports = implementation_service.schedule_progress_reports(
                    session=session, task_id=task.id
                )
                report = next((p for p in reports if p.submitted_at is None), None)
            period = None
            if report is not None:
                implementation_service.submit_progress_report(
                    session=session,
                    task_id=task.id,
                    period=report.period,
                    summary=f"[{progress:g}%] {reportSummary}",
                    submitted_at=deps.clock.now(),
                )
                period = report.period
            expected = expected_progress(task.start_date, task.end_date, today_vn(deps.clock))
            needed = inspection_needed(progress, expected)
            record_audit(
                session=session,
                action="implementation.record_report",
                entity_type="progress_report",
                entity_id=report.id if report is not None else None,
                actor=actor,
                task_id=task.id,
                stage=Stage.IMPLEMENTATION,
                details={
                    "element_instance_key": job.element_instance_key,
                    "period": period,
                    "progress_percent": progress,
                    "expected_percent": round(expected, 1),
                    "inspection_needed": needed,
                },
            )
        return {"inspectionNeeded": needed}

    @r.task(task_type=APPLY_CHANGE)
    def apply_change(
        job: Job,
        changeRequestId: int,  # noqa: N803 - BPMN names
        changeKind: str | None = None,  # noqa: N803
        extensionMonths: int | None = None,  # noqa: N803
        changeDecisionNote: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Carry out an approved change; an extension moves the task's and contract's ends."""
        actor = actor_of(job)
        with deps.transaction() as session:
            request = get_or_raise(session, ChangeRequest, int(changeRequestId))
            task = request.task
            contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
            months = int(extensionMonths or 0)
            if (
                request.status is DecisionStatus.PENDING
                and request.kind is ChangeKind.EXTENSION
                and months > 0
            ):
                # The leader's months prevail over the date the host asked for.
                current_end = contract.ends_on if contract is not None else task.end_date
                if current_end is not None:
                    request.requested_end_date = add_months(current_end, months)
            implementation_service.decide_change_request(
                session=session,
                change_request_id=request.id,
                approve=True,
                note=changeDecisionNote or "",
                actor=actor,
            )
            if request.kind is ChangeKind.EXTENSION:
                # Periods inside the new months get their report due dates too.
                implementation_service.schedule_progress_reports(session=session, task_id=task.id)
            ends_on = contract.ends_on if contract is not None else task.end_date
            mail = _decision_mail(task, request, approved=True)
        _send(deps, job, mail)
        return {"contractEndsAt": ends_on.isoformat() if ends_on else None}

    @r.task(task_type=REJECT_CHANGE)
    def reject_change(
        job: Job,
        changeRequestId: int,  # noqa: N803 - BPMN names
        changeDecisionNote: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Record the refusal and tell the host organisation why."""
        actor = actor_of(job)
        with deps.transaction() as session:
            request = implementation_service.decide_change_request(
                session=session,
                change_request_id=int(changeRequestId),
                approve=False,
                note=changeDecisionNote or "",
                actor=actor,
            )
            mail = _decision_mail(request.task, request, approved=False)
        _send(deps, job, mail)
        return {}

    return r


def _decision_mail(
    task: Task, request: ChangeRequest, *, approved: bool
) -> tuple[list[str], str, str]:
    """Recipients, subject and body of the mail telling the host the leader's decision."""
    what = CHANGE_LABELS.get(request.kind, request.kind.value)
    host = task.host_organisation.name if task.host_organisation else "tổ chức chủ trì"
    note = request.decision_note or ""
    opinion = f"Ý kiến: {note}\n" if note else ""
    if approved:
        subject = f"[Sở KH&CN] Chấp thuận đề nghị {what} nhiệm vụ {task.code} / Change approved"
        detail = (
            f"Thời gian thực hiện mới: đến ngày {task.end_date:%d/%m/%Y}.\n"
            if request.kind is ChangeKind.EXTENSION and task.end_date
            else ""
        )
        verdict = "Sở Khoa học và Công nghệ chấp thuận"
        english = "The Department approved the change request"
    else:
        subject = (
            f"[Sở KH&CN] Không chấp thuận đề nghị {what} nhiệm vụ {task.code} / Change refused"
        )
        detail = ""
        verdict = "Sở Khoa học và Công nghệ không chấp thuận"
        english = "The Department refused the change request"
    body = (
        f"Kính gửi {host},\n\n"
        f'{verdict} đề nghị {what} của nhiệm vụ {task.code} "{task.title}".\n'
        f"{detail}"
        f"{opinion}\n"
        f"Trân trọng,\n{SIGNATURE}\n\n---\n"
        f"{english} of task {task.code}.{' Note: ' + note if note else ''}"
    )
    return recipients_of(task), subject, body


def _send(deps: WorkerDeps, job: Job, mail: tuple[list[str], str, str]) -> None:
    """Send a decision mail after the commit; the job key de-duplicates a repeated job's mail."""
    to, subject, body = mail
    if to:
        deps.mailer.send(to, subject, body, idempotency_key=f"job-{job.key}")
