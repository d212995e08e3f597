"""Step 4, đánh giá nghiệm thu: the acceptance dossier, the council deadline and the result.

Job types (bpmn/README.md): ``khcn.acceptance.request-revision`` (the dossier is incomplete:
record it and mail the host), ``khcn.acceptance.deadline`` (15 working days after the valid
dossier on the Vietnamese working-day calendar, or ``extensionDays`` working days from now
after a leader's escalation) and ``khcn.acceptance.record-result`` (the council's rating from
the DMN ``acceptance-rating``, recorded on the dossier; "Không đạt" also fails the task).

The Director's acceptance decision (Quyết định công nhận kết quả) is rendered from the
``decision`` template when its number is known, i.e. after the leader completed
``approveAcceptance``. No job of ``khcn-acceptance`` follows that user task, so the first job
after it does it: ``khcn.registration.deadline`` (workers/registration.py) records the
decision in the domain and stores the DOCX on the acceptance dossier (``record_decision``
below). A failed task gets no decision document: the diagram ends it without the leader.

Helpers shared with workers/registration.py live here too: finding the task by its code,
the host's mail recipients, the audit actor of a job, the per-job idempotency check (each
handler's audit entry carries its job key) and the retry of a handler SQLite found locked.
"""

import functools
import logging
import random
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.audit import AuditEntry
from models.documents import DossierDocument
from models.enums import AcceptanceLevel, DocumentKind, DossierStatus, Rating, Stage, TaskStatus
from models.labels import label
from models.rules import VIETNAM
from models.services import acceptance as acceptance_service
from models.services import documents as documents_service
from models.services.audit import record_audit
from models.services.tasks import move_task
from models.tasks import Task
from workers import documents
from workers.clock import VIETNAM_TZ, today_vn
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps

log = logging.getLogger("workers.acceptance")

REQUEST_REVISION = "khcn.acceptance.request-revision"
DEADLINE = "khcn.acceptance.deadline"
RECORD_RESULT = "khcn.acceptance.record-result"

# Vietnam keeps UTC+7 all year; deadlines are written with this offset for the BPMN timers.
# The whole last day counts: a deadline falls due at its end, Vietnamese time.
END_OF_DAY = time(23, 59, 59)
# The templates' administrative header; a deployment for another province changes it here.
PLACE = "Huế"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Attempts of a handler whose SQLite transaction met another writer (see retry_when_locked).
LOCK_ATTEMPTS = 6

P = ParamSpec("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- shared helpers


def retry_when_locked(handler: Callable[P, R]) -> Callable[P, R]:
    """Run an (idempotent) handler again when SQLite reports "database is locked".

    SQLite's deferred transactions fail at once, without waiting, when a transaction that read
    wants to write while another one writes: jobs of parallel branches (archive and publish)
    meet that. The engine's retries come without back-off and are counted; a short, jittered
    wait here lets the other transaction finish. PostgreSQL never raises this.
    """

    @functools.wraps(handler)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            try:
                return handler(*args, **kwargs)
            except OperationalError as err:
                if "database is locked" not in str(err) or attempt == LOCK_ATTEMPTS:
                    raise
                log.info("database locked, attempt %s of %s", attempt, LOCK_ATTEMPTS)
                clock.sleep(random.uniform(0.02, 0.1) * attempt)
        raise AssertionError("unreachable")

    return run


def deadline_at(day: date) -> str:
    """The ISO date-time (with +07:00) at which a deadline on ``day`` falls due."""
    return datetime.combine(day, END_OF_DAY, VIETNAM_TZ).isoformat()


def vn_date(day: date) -> str:
    """A date as Vietnamese documents write it (dd/mm/yyyy)."""
    return day.strftime("%d/%m/%Y")


def job_entries(session: Session, job: Job, action: str, task_code: str) -> list[AuditEntry]:
    """The audit entries ``action`` of this task written from this job's element and instance.

    The task is part of the match because engine keys are only unique per engine: a new
    engine (or a move to a Zeebe cluster) over the same domain database starts them again.
    """
    task_id = select(Task.id).where(Task.code == task_code).scalar_subquery()
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == action,
                AuditEntry.task_id == task_id,
                AuditEntry.process_instance_key == job.process_instance_key,
                AuditEntry.bpmn_element_id == job.element_id,
            )
            .order_by(AuditEntry.id)
        )
    )


def done_by_job(session: Session, job: Job, action: str, task_code: str) -> AuditEntry | None:
    """The entry a handler wrote for this very job: a re-delivered job finds it and stops."""
    return next(
        (
            e
            for e in job_entries(session, job, action, task_code)
            if e.details.get("jobKey") == job.key
        ),
        None,
    )


def host_recipients(task: Task) -> list[str]:
    """The host organisation's and the principal investigator's addresses, when known."""
    found = [
        task.host_organisation.email if task.host_organisation else None,
        task.principal_investigator.email if task.principal_investigator else None,
    ]
    return list(dict.fromkeys(a for a in found if a))


def mail_host(deps: WorkerDeps, job: Job, task: Task, subject: str, body: str) -> str | None:
    """Mail the host (idempotency key: the job); None when the task has no address on file."""
    recipients = host_recipients(task)
    if not recipients:
        log.warning("task %s has no host e-mail address: '%s' not sent", task.code, subject)
        return None
    return deps.mailer.send(recipients, subject, body, idempotency_key=f"job-{job.key}")


def store_document(
    session: Session,
    deps: WorkerDeps,
    rendered: documents.Rendered,
    name: str,
    kind: DocumentKind,
    **owner: int,
) -> DossierDocument:
    """Keep a rendered DOCX (and its PDF, when made) in the store, linked to one dossier."""
    root = Path(deps.documents_dir)
    stored = documents_service.store_file(
        session=session, root=root, content=rendered.docx, original_name=name, content_type=DOCX
    )
    doc = documents_service.add_dossier_document(
        session=session, stored_file_id=stored.id, kind=kind, **owner
    )
    if rendered.pdf is not None:
        pdf = documents_service.store_file(
            session=session,
            root=root,
            content=rendered.pdf,
            original_name=name.removesuffix(".docx") + ".pdf",
            content_type="application/pdf",
        )
        documents_service.add_dossier_document(
            session=session, stored_file_id=pdf.id, kind=kind, **owner
        )
    return doc


def department_dossier(session: Session, task: Task, job: Job, today: date) -> AcceptanceDossier:
    """The Department-level acceptance dossier of the task, recorded `today` if nobody did yet."""
    # The final report arrives by message and no job records it, so the first job of step 4
    # that needs the dossier files it (idempotent per task and level).
    return acceptance_service.submit_acceptance_dossier(
        session=session,
        task_id=task.id,
        submitted_on=today,
        level=AcceptanceLevel.DEPARTMENT,
        actor=actor_of(job),
    )


def parse_date(value: str) -> date:
    """A date from a form field or a variable: ``2026-05-04`` or a full ISO date-time."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        parsed = datetime.fromisoformat(value.split("[")[0])
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(VIETNAM_TZ)
        return parsed.date()


def decision_number_part(number: str) -> str:
    """The decision number as the leader entered it (e.g. "56/QĐ-SKHCN"), trimmed."""
    return number.strip()


def record_decision(
    session: Session,
    deps: WorkerDeps,
    job: Job,
    task: Task,
    decision_number: str,
    decision_date: str,
    council_rating: str | None = None,
) -> AcceptanceDossier:
    """Record the Director's acceptance decision and render it (once) on the dossier."""
    dossier = department_dossier(session, task, job, today_vn(deps.clock))
    decided_on = parse_date(decision_date)
    # The council's rating as recorded by record-result; the process variable otherwise.
    rating = dossier.council_rating or Rating(council_rating or Rating.PASS.value)
    acceptance_service.record_acceptance_decision(
        session=session,
        dossier_id=dossier.id,
        decision_number=decision_number,
        decision_on=decided_on,
        rating=rating,
        actor=actor_of(job),
    )
    if any(d.kind is DocumentKind.DECISION for d in dossier.documents):
        return dossier
    rendered = documents.render(
        "decision",
        {
            "province": deps.province.upper(),
            "number": decision_number_part(decision_number),
            "place": PLACE,
            "day": f"{decided_on.day:02d}",
            "month": f"{decided_on.month:02d}",
            "year": str(decided_on.year),
            "title": "Về việc công nhận kết quả đánh giá, nghiệm thu nhiệm vụ khoa học và "
            f"công nghệ cấp tỉnh: {task.title}",
            "bases": [
                "Luật Khoa học và Công nghệ",
                "Thông tư số 11/2014/TT-BKHCN quy định việc đánh giá, nghiệm thu kết quả "
                "thực hiện nhiệm vụ khoa học và công nghệ",
                f"Kết quả đánh giá, nghiệm thu của Hội đồng: {label(rating)}",
            ],
            "articles": [
                f"Công nhận kết quả thực hiện nhiệm vụ {task.title} (mã số {task.code}), "
                f"xếp loại: {label(rating)}.",
                "Tổ chức chủ trì đăng ký kết quả thực hiện nhiệm vụ trong thời hạn 30 ngày "
                "kể từ ngày ký Quyết định này (Thông tư số 14/2014/TT-BKHCN).",
                "Quyết định này có hiệu lực kể từ ngày ký.",
            ],
            "signer": "(Đã ký)",
        },
    )
    store_document(
        session,
        deps,
        rendered,
        f"quyet-dinh-nghiem-thu-{task.code}.docx",
        DocumentKind.DECISION,
        acceptance_dossier_id=dossier.id,
    )
    session.refresh(dossier)
    return dossier


# --------------------------------------------------------------------------- handlers


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 4 (acceptance)."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REQUEST_REVISION)
    @retry_when_locked
    def request_revision(job: Job, taskCode: str, missingDocuments: str | None = None) -> dict:
        """Record the dossier as incomplete and ask the host for what is missing."""
        missing = (missingDocuments or "").strip()
        with deps.transaction() as session:
            if done_by_job(session, job, "acceptance.request_revision", taskCode):
                return {}
            task = task_by_code(session, taskCode)
            dossier = department_dossier(session, task, job, today_vn(deps.clock))
            acceptance_service.validate_acceptance_dossier(
                session=session,
                dossier_id=dossier.id,
                valid=False,
                checked_on=today_vn(deps.clock),
                actor=actor_of(job),
            )
            message_id = mail_host(
                deps,
                job,
                task,
                f"Yêu cầu bổ sung hồ sơ đánh giá, nghiệm thu nhiệm vụ {task.code}",
                f"Kính gửi {host_name(task)},\n\n"
                f"Sở Khoa học và Công nghệ đã kiểm tra hồ sơ đánh giá, nghiệm thu nhiệm vụ "
                f"“{task.title}” (mã số {task.code}). Hồ sơ chưa đầy đủ, đề nghị bổ sung:\n\n"
                f"{missing or '(xem ý kiến của chuyên viên)'}\n\n"
                "Sau khi bổ sung, vui lòng nộp lại hồ sơ trên hệ thống.\n\n"
                "---\n"
                f"The acceptance dossier of task {task.code} is incomplete; please complete it "
                "and file it again.",
            )
            record_audit(
                session=session,
                action="acceptance.request_revision",
                entity_type="acceptance_dossier",
                entity_id=dossier.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.ACCEPTANCE,
                details={"jobKey": job.key, "missingDocuments": missing, "mail": message_id},
            )
        return {}

    @r.task(task_type=DEADLINE)
    @retry_when_locked
    def council_deadline(job: Job, taskCode: str, extensionDays: int | None = None) -> dict:
        """The date-time by which the acceptance council must have concluded."""
        with deps.transaction() as session:
            done = done_by_job(session, job, "acceptance.council_deadline", taskCode)
            if done is not None:
                return {"councilDeadline": done.details["councilDeadline"]}
            task = task_by_code(session, taskCode)
            dossier = department_dossier(session, task, job, today_vn(deps.clock))
            # extensionDays only counts after an escalation in this very instance: a value
            # left over from elsewhere must not shorten or stretch the legal 15 days.
            escalated = bool(job_entries(session, job, "acceptance.council_deadline", taskCode))
            if escalated and extensionDays:
                due = VIETNAM.add_working_days(today_vn(deps.clock), int(extensionDays))
                dossier.council_due_on = due
                session.flush()
            else:
                if dossier.status is not DossierStatus.VALID or dossier.council_due_on is None:
                    # The staff found the dossier valid (checkDossier): that day starts the
                    # 15 working days (TT 11/2014).
                    acceptance_service.validate_acceptance_dossier(
                        session=session,
                        dossier_id=dossier.id,
                        valid=True,
                        checked_on=today_vn(deps.clock),
                        actor=actor_of(job),
                    )
                assert dossier.council_due_on is not None
                due = dossier.council_due_on
            deadline = deadline_at(due)
            if escalated:
                subject = f"Gia hạn thành lập hội đồng nghiệm thu nhiệm vụ {task.code}"
                lead = (
                    f"Theo chỉ đạo của lãnh đạo Sở, thời hạn hoàn thành việc đánh giá, nghiệm thu "
                    f"nhiệm vụ “{task.title}” (mã số {task.code}) được gia hạn đến ngày "
                    f"{vn_date(due)}."
                )
            else:
                subject = f"Hồ sơ nghiệm thu nhiệm vụ {task.code} đã hợp lệ"
                lead = (
                    f"Hồ sơ đánh giá, nghiệm thu nhiệm vụ “{task.title}” (mã số {task.code}) "
                    "đã hợp lệ. Sở Khoa học và Công nghệ thành lập hội đồng nghiệm thu trong "
                    f"15 ngày làm việc, chậm nhất ngày {vn_date(due)}."
                )
            message_id = mail_host(
                deps,
                job,
                task,
                subject,
                f"Kính gửi {host_name(task)},\n\n{lead}\n\n---\n"
                f"Task {task.code}: the acceptance council is due by {due.isoformat()}.",
            )
            record_audit(
                session=session,
                action="acceptance.council_deadline",
                entity_type="acceptance_dossier",
                entity_id=dossier.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.ACCEPTANCE,
                details={
                    "jobKey": job.key,
                    "councilDeadline": deadline,
                    "escalated": escalated,
                    "extensionDays": extensionDays if escalated else None,
                    "mail": message_id,
                },
            )
        return {"councilDeadline": deadline}

    @r.task(task_type=RECORD_RESULT)
    @retry_when_locked
    def record_result(
        job: Job,
        taskCode: str,
        acceptanceRating: dict[str, Any],
        ratingCounts: dict[str, Any] | None = None,
        councilId: Any = None,
    ) -> dict:
        """Record the council's rating on the dossier; "Không đạt" fails the task."""
        rating = Rating(acceptanceRating["rating"])
        with deps.transaction() as session:
            if done_by_job(session, job, "acceptance.record_result", taskCode):
                return {}
            task = task_by_code(session, taskCode)
            dossier = department_dossier(session, task, job, today_vn(deps.clock))
            # The DMN decided the rating (staff tune it in Modeler); the domain keeps what
            # the process routes on rather than recomputing it with other thresholds.
            dossier.council_rating = rating
            if rating is Rating.FAIL:
                dossier.final_rating = Rating.FAIL
                move_task(
                    session=session,
                    task_id=task.id,
                    stage=Stage.ACCEPTANCE,
                    status=TaskStatus.FAILED,
                    actor=actor_of(job),
                )
            session.flush()
            counts = ratingCounts or {}
            message_id = mail_host(
                deps,
                job,
                task,
                f"Kết quả đánh giá, nghiệm thu nhiệm vụ {task.code}: {label(rating)}",
                f"Kính gửi {host_name(task)},\n\n"
                f"Hội đồng đánh giá, nghiệm thu nhiệm vụ “{task.title}” (mã số {task.code}) "
                f"đã xếp loại: {label(rating)}.\n"
                f"Số thành viên có mặt: {counts.get('presentCount', '?')}; "
                f"xếp loại Xuất sắc: {counts.get('excellentCount', '?')}; "
                f"Đạt: {counts.get('passCount', '?')}.\n\n"
                + (
                    "Nhiệm vụ không đạt yêu cầu nghiệm thu.\n\n"
                    if rating is Rating.FAIL
                    else "Sở sẽ trình Giám đốc ra quyết định công nhận kết quả.\n\n"
                )
                + f"---\nTask {task.code}: the acceptance council rated it "
                f"{label(rating, 'en')}.",
            )
            record_audit(
                session=session,
                action="acceptance.record_result",
                entity_type="acceptance_dossier",
                entity_id=dossier.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.ACCEPTANCE,
                details={
                    "jobKey": job.key,
                    "councilId": councilId,
                    "rating": rating.value,
                    "label": acceptanceRating.get("label", label(rating)),
                    "ratingCounts": counts,
                    "mail": message_id,
                },
            )
        return {}

    return r


def host_name(task: Task) -> str:
    """How a mail or a certificate names the host."""
    return task.host_organisation.name if task.host_organisation else "Tổ chức chủ trì"
