"""Step 5, đăng ký, lưu giữ, công bố kết quả: deadline, certificate, archive, publication.

Job types (bpmn/README.md): ``khcn.registration.deadline`` (30 days after the acceptance
decision, TT 14/2014, or ``extensionDays`` days from now after a leader's escalation),
``khcn.registration.request-revision`` (mail the host what the dossier lacks),
``khcn.registration.issue-certificate`` (one number per result, never twice; the certificate
DOCX is rendered and stored on the registration), ``khcn.registration.archive`` (checks every
stored file of the task's dossiers against its hash and writes the archive manifest to the
audit log) and ``khcn.registration.publish`` (the result is listed on the public portal).

``khcn.registration.deadline`` is the first job after the leader's ``approveAcceptance``, so
it also records the Director's acceptance decision in the domain and renders it
(workers/acceptance.py ``record_decision``): the task must be accepted before its results
can be registered.
"""

from datetime import date, timedelta
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.enums import AcceptanceLevel, DocumentKind, Rating, Stage
from models.labels import label
from models.registration import ResultRegistration
from models.rules import DEFAULT_RULES, registration_deadline
from models.services import documents as documents_service
from models.services import registration as registration_service
from models.services.audit import record_audit
from models.tasks import Task
from workers import documents
from workers.acceptance import (
    deadline_at,
    done_by_job,
    host_name,
    job_entries,
    mail_host,
    parse_date,
    record_decision,
    retry_when_locked,
    store_document,
    task_by_code,
    vn_date,
)
from workers.clock import today_vn
from workers.job_context import actor_of
from workers.runtime import WorkerDeps

DEADLINE = "khcn.registration.deadline"
REQUEST_REVISION = "khcn.registration.request-revision"
ISSUE_CERTIFICATE = "khcn.registration.issue-certificate"
ARCHIVE = "khcn.registration.archive"
PUBLISH = "khcn.registration.publish"


def acceptance_dossier(session: Session, task: Task) -> AcceptanceDossier | None:
    """The Department-level acceptance dossier of a task, if any."""
    return session.scalar(
        select(AcceptanceDossier).where(
            AcceptanceDossier.task_id == task.id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
        )
    )


def main_registration(session: Session, task: Task, job: Job, today: date) -> ResultRegistration:
    """The registration of the task's overall result, recorded when first needed."""
    # The dossier arrives by message and no job records it: the first job that needs the
    # registration files it (register_result is idempotent per task and result).
    return registration_service.register_result(
        session=session,
        task_id=task.id,
        title=task.title,
        submitted_on=today,
        actor=actor_of(job),
    )


def registration_of(
    session: Session, task: Task, certificate_number: str | None, job: Job, today: date
) -> ResultRegistration:
    """The registration a certificate number names (the task's main one without a number)."""
    if certificate_number:
        found = session.scalar(
            select(ResultRegistration).where(
                ResultRegistration.certificate_number == certificate_number,
                ResultRegistration.task_id == task.id,
            )
        )
        if found is not None:
            return found
    return main_registration(session, task, job, today)


def accepted_rating(session: Session, task: Task) -> Rating:
    """The rating the acceptance decision gave (Đạt when none is on file)."""
    dossier = acceptance_dossier(session, task)
    if dossier is None:
        return Rating.PASS
    return dossier.final_rating or dossier.council_rating or Rating.PASS


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 5 (registration)."""
    r = ZeebeTaskRouter()

    @r.task(task_type=DEADLINE)
    @retry_when_locked
    def deadline(
        job: Job,
        taskCode: str,
        acceptanceDecisionDate: str | None = None,
        extensionDays: int | None = None,
        acceptanceDecisionNumber: str | None = None,
        acceptanceRating: dict[str, Any] | None = None,
    ) -> dict:
        """The date-time by which the host must file the registration dossier."""
        with deps.transaction() as session:
            done = done_by_job(session, job, "registration.deadline", taskCode)
            if done is not None:
                return {"registrationDeadline": done.details["registrationDeadline"]}
            task = task_by_code(session, taskCode)
            dossier = acceptance_dossier(session, task)
            if acceptanceDecisionNumber and acceptanceDecisionDate:
                if dossier is None or dossier.decision_number is None:
                    dossier = record_decision(
                        session,
                        deps,
                        job,
                        task,
                        acceptanceDecisionNumber,
                        acceptanceDecisionDate,
                        (acceptanceRating or {}).get("rating"),
                    )
            decided_on: date = (
                parse_date(acceptanceDecisionDate)
                if acceptanceDecisionDate
                else (
                    dossier.decision_on if dossier and dossier.decision_on else today_vn(deps.clock)
                )
            )
            # extensionDays only counts after an escalation in this very instance: the
            # acceptance step's escalation form sets a variable of the same name, which the
            # call activities carry into this process.
            escalated = bool(job_entries(session, job, "registration.deadline", taskCode))
            if escalated and extensionDays:
                due = today_vn(deps.clock) + timedelta(days=int(extensionDays))
                subject = f"Gia hạn đăng ký kết quả thực hiện nhiệm vụ {task.code}"
                lead = (
                    "Theo chỉ đạo của lãnh đạo Sở, thời hạn nộp hồ sơ đăng ký kết quả thực "
                    f"hiện nhiệm vụ “{task.title}” (mã số {task.code}) được gia hạn đến ngày "
                    f"{vn_date(due)}."
                )
            else:
                due = registration_deadline(decided_on, DEFAULT_RULES)
                subject = f"Đề nghị đăng ký kết quả thực hiện nhiệm vụ {task.code}"
                lead = (
                    f"Nhiệm vụ “{task.title}” (mã số {task.code}) đã có quyết định công nhận "
                    f"kết quả ngày {vn_date(decided_on)}. Theo Thông tư 14/2014/TT-BKHCN, đề "
                    "nghị tổ chức chủ trì nộp hồ sơ đăng ký kết quả (Mẫu 5, báo cáo tổng hợp, "
                    "báo cáo tóm tắt, biên bản hội đồng, thỏa thuận của các tác giả...) chậm "
                    f"nhất ngày {vn_date(due)}."
                )
            value = deadline_at(due)
            message_id = mail_host(
                deps,
                job,
                task,
                subject,
                f"Kính gửi {host_name(task)},\n\n{lead}\n\n---\n"
                f"Task {task.code}: register the results by {due.isoformat()}.",
            )
            record_audit(
                session=session,
                action="registration.deadline",
                entity_type="task",
                entity_id=task.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.REGISTRATION,
                details={
                    "jobKey": job.key,
                    "registrationDeadline": value,
                    "decidedOn": decided_on.isoformat(),
                    "escalated": escalated,
                    "extensionDays": extensionDays if escalated else None,
                    "mail": message_id,
                },
            )
        return {"registrationDeadline": value}

    @r.task(task_type=REQUEST_REVISION)
    @retry_when_locked
    def request_revision(job: Job, taskCode: str, missingDocuments: str | None = None) -> dict:
        """Ask the host to complete the registration dossier."""
        missing = (missingDocuments or "").strip()
        with deps.transaction() as session:
            if done_by_job(session, job, "registration.request_revision", taskCode):
                return {}
            task = task_by_code(session, taskCode)
            registration = main_registration(session, task, job, today_vn(deps.clock))
            message_id = mail_host(
                deps,
                job,
                task,
                f"Yêu cầu bổ sung hồ sơ đăng ký kết quả nhiệm vụ {task.code}",
                f"Kính gửi {host_name(task)},\n\n"
                "Sở Khoa học và Công nghệ đã thẩm định hồ sơ đăng ký kết quả thực hiện nhiệm "
                f"vụ “{task.title}” (mã số {task.code}). Hồ sơ chưa đầy đủ, đề nghị bổ sung:"
                f"\n\n{missing or '(xem ý kiến của chuyên viên)'}\n\n"
                "Sau khi bổ sung, vui lòng nộp lại hồ sơ trên hệ thống.\n\n---\n"
                f"The registration dossier of task {task.code} is incomplete; please complete "
                "it and file it again.",
            )
            record_audit(
                session=session,
                action="registration.request_revision",
                entity_type="result_registration",
                entity_id=registration.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.REGISTRATION,
                details={"jobKey": job.key, "missingDocuments": missing, "mail": message_id},
            )
        return {}

    @r.task(task_type=ISSUE_CERTIFICATE)
    @retry_when_locked
    def issue_certificate(job: Job, taskCode: str) -> dict:
        """Issue the certificate (once per result) and render it."""
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            registration = main_registration(session, task, job, today_vn(deps.clock))
            fresh = registration.certificate_number is None
            # The service locks the row and keeps a number once given: a job delivered
            # twice, or run again by a later instance, gets the same number back.
            registration = registration_service.issue_certificate(
                session=session,
                registration_id=registration.id,
                issued_on=today_vn(deps.clock),
                actor=actor_of(job),
            )
            number = registration.certificate_number
            assert number is not None and registration.certificate_issued_on is not None
            if not any(d.kind is DocumentKind.CERTIFICATE for d in registration.documents):
                pi = task.principal_investigator
                rendered = documents.render(
                    "certificate",
                    {
                        "province": deps.province.upper(),
                        "certificate_number": number,
                        "task_title": task.title,
                        "task_code": task.code,
                        "host_organisation": host_name(task),
                        "principal_investigator": pi.full_name if pi else "",
                        "rating": label(accepted_rating(session, task)),
                        "issued_on": vn_date(registration.certificate_issued_on),
                    },
                )
                store_document(
                    session,
                    deps,
                    rendered,
                    f"giay-chung-nhan-{task.code}.docx",
                    DocumentKind.CERTIFICATE,
                    registration_id=registration.id,
                )
            # Only the job that drew the number tells the host (its transaction holds both).
            if fresh:
                message_id = mail_host(
                    deps,
                    job,
                    task,
                    f"Cấp Giấy chứng nhận đăng ký kết quả nhiệm vụ {task.code}",
                    f"Kính gửi {host_name(task)},\n\n"
                    "Sở Khoa học và Công nghệ đã cấp Giấy chứng nhận đăng ký kết quả thực hiện "
                    f"nhiệm vụ “{task.title}” (mã số {task.code}), số {number}, ngày "
                    f"{vn_date(registration.certificate_issued_on)}.\n\n---\n"
                    f"Task {task.code}: registration certificate {number} issued.",
                )
                record_audit(
                    session=session,
                    action="registration.certificate_issued",
                    entity_type="result_registration",
                    entity_id=registration.id,
                    actor=actor_of(job),
                    task_id=task.id,
                    stage=Stage.REGISTRATION,
                    details={"jobKey": job.key, "certificateNumber": number, "mail": message_id},
                )
        return {"certificateNumber": number}

    @r.task(task_type=ARCHIVE)
    @retry_when_locked
    def archive(job: Job, taskCode: str, certificateNumber: str | None = None) -> dict:
        """Check every stored file of the task's dossiers and record the archive manifest."""
        with deps.transaction() as session:
            if done_by_job(session, job, "registration.archive", taskCode):
                return {}
            task = task_by_code(session, taskCode)
            registration = registration_of(
                session, task, certificateNumber, job, today_vn(deps.clock)
            )
            dossier = acceptance_dossier(session, task)
            docs = list(registration.documents) + (list(dossier.documents) if dossier else [])
            manifest = []
            for doc in docs:
                # read_file checks the content against its SHA-256: a damaged file fails the
                # job (an incident for the operators) instead of being archived unnoticed.
                documents_service.read_file(root=deps.documents_dir, stored=doc.stored_file)
                manifest.append(
                    {
                        "kind": doc.kind.value,
                        "name": doc.stored_file.original_name,
                        "sha256": doc.stored_file.sha256,
                        "size": doc.stored_file.size,
                    }
                )
            record_audit(
                session=session,
                action="registration.archive",
                entity_type="result_registration",
                entity_id=registration.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.REGISTRATION,
                details={
                    "jobKey": job.key,
                    "certificateNumber": registration.certificate_number,
                    "documents": manifest,
                },
            )
        return {}

    @r.task(task_type=PUBLISH)
    @retry_when_locked
    def publish(job: Job, taskCode: str, certificateNumber: str | None = None) -> dict:
        """List the certified result on the public portal and tell the host."""
        with deps.transaction() as session:
            if done_by_job(session, job, "registration.published_notice", taskCode):
                return {}
            task = task_by_code(session, taskCode)
            registration = registration_of(
                session, task, certificateNumber, job, today_vn(deps.clock)
            )
            registration_service.publish_result(
                session=session,
                registration_id=registration.id,
                published_on=today_vn(deps.clock),
                actor=actor_of(job),
            )
            assert registration.published_on is not None
            message_id = mail_host(
                deps,
                job,
                task,
                f"Công bố kết quả thực hiện nhiệm vụ {task.code}",
                f"Kính gửi {host_name(task)},\n\n"
                f"Kết quả thực hiện nhiệm vụ “{task.title}” (mã số {task.code}; Giấy chứng "
                f"nhận số {registration.certificate_number}) đã được công bố trên Cổng thông "
                f"tin điện tử KH&CN ngày {vn_date(registration.published_on)}.\n\n---\n"
                f"Task {task.code}: the result is published on the S&T portal.",
            )
            record_audit(
                session=session,
                action="registration.published_notice",
                entity_type="result_registration",
                entity_id=registration.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.REGISTRATION,
                details={
                    "jobKey": job.key,
                    "certificateNumber": registration.certificate_number,
                    "publishedOn": registration.published_on.isoformat(),
                    "mail": message_id,
                },
            )
        return {}

    return r
