"""Step 5: registering results, the certificate (each number once), archive, publication."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import DocumentKind, Issuer, Rating, Stage, TaskStatus
from models.labels import label
from models.registration import CertificateCounter, ResultRegistration
from models.rules import registration_due
from models.services.acceptance import dossier_of
from models.services.audit import SYSTEM, Actor, done_by_job, record_audit
from models.services.documents import DocumentMaker, make_document, read_file
from models.services.errors import InvalidStateError, get_or_raise
from models.services.notices import Notice, completion_request, host_name, to_host, vn_date
from models.services.tasks import edition_of, move_task, task_by_code
from models.tasks import Task

CERTIFICATE_SUFFIX = "GCN-KHCN"


def registration_due_on(
    *, session: Session, task_id: int, regulations: Regulations = DEFAULT_REGULATIONS
) -> date | None:
    """The last day to register a task's results (None before the official acceptance)."""
    task = get_or_raise(session, Task, task_id)
    dossier = dossier_of(session, task)
    if dossier is None or dossier.completed_on is None:
        return None
    return registration_due(dossier.completed_on, edition_of(task, regulations).registration)


@dataclass
class RegistrationStart:
    """Step 5 begins: when the registration dossier is due, and the letter saying so."""

    due_on: date
    notices: list[Notice] = field(default_factory=list)


def start_registration(
    *,
    session: Session,
    task_code: str,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> RegistrationStart:
    """The task moves to step 5: the results are due for registration 30 days after the
    official acceptance (TT 14/2014)."""
    task = task_by_code(session, task_code)
    due_on = registration_due_on(session=session, task_id=task.id, regulations=regulations)
    if due_on is None:
        raise InvalidStateError(
            "not_accepted",
            "Nhiệm vụ chưa được nghiệm thu chính thức.",
            "The task's acceptance is not official yet.",
        )
    move_task(
        session=session,
        task_id=task.id,
        stage=Stage.REGISTRATION,
        status=TaskStatus.ACCEPTED,
        actor=actor,
    )
    notice = to_host(
        task,
        f"Đề nghị đăng ký kết quả thực hiện nhiệm vụ {task.code}",
        f"Nhiệm vụ “{task.title}” (mã {task.code}) đã hoàn thiện hồ sơ sau nghiệm thu. Đề nghị "
        "nộp hồ sơ đăng ký kết quả (Mẫu 5, báo cáo tổng hợp, báo cáo tóm tắt, biên bản hội "
        f"đồng, thỏa thuận của các tác giả...) chậm nhất ngày {vn_date(due_on)} (Thông tư "
        "14/2014/TT-BKHCN).",
        f"Task {task.code}: register the results by {due_on.isoformat()}.",
    )
    return RegistrationStart(due_on, [notice])


def register_result(
    *,
    session: Session,
    task_id: int,
    title: str,
    submitted_on: date,
    result_key: str = "main",
    actor: Actor = SYSTEM,
) -> ResultRegistration:
    """The host registers a result of an accepted task (the same result twice is one row)."""
    task = get_or_raise(session, Task, task_id)
    existing = session.scalar(
        select(ResultRegistration).where(
            ResultRegistration.task_id == task_id, ResultRegistration.result_key == result_key
        )
    )
    if existing is not None:
        return existing
    if task.status not in (TaskStatus.ACCEPTED, TaskStatus.REGISTERED):
        raise InvalidStateError(
            "task_not_accepted",
            "Chỉ đăng ký kết quả của nhiệm vụ đã nghiệm thu đạt.",
            f"Only accepted tasks register results (this one is {task.status}).",
        )
    registration = ResultRegistration(
        task_id=task_id, result_key=result_key, title=title, submitted_on=submitted_on
    )
    session.add(registration)
    session.flush()
    due_on = registration_due_on(session=session, task_id=task_id)
    record_audit(
        session=session,
        action="registration.register",
        entity_type="result_registration",
        entity_id=registration.id,
        actor=actor,
        task_id=task_id,
        stage=Stage.REGISTRATION,
        details={
            "result_key": result_key,
            "due_on": due_on.isoformat() if due_on else None,
            "late": due_on is not None and submitted_on > due_on,
        },
    )
    return registration


def check_registration(
    *,
    session: Session,
    task_code: str,
    valid: bool,
    checked_on: date,
    missing: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> tuple[ResultRegistration, date]:
    """Staff check the registration dossier: complete, or what the host must add and by when."""
    task = task_by_code(session, task_code)
    registration = register_result(
        session=session, task_id=task.id, title=task.title, submitted_on=checked_on, actor=actor
    )
    rules = edition_of(task, regulations).registration
    due_on = checked_on + timedelta(days=rules.revision_days)
    record_audit(
        session=session,
        action="registration.check",
        entity_type="result_registration",
        entity_id=registration.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.REGISTRATION,
        details={
            "valid": valid,
            "missing": missing,
            "due_on": None if valid else due_on.isoformat(),
        },
    )
    return registration, due_on


def registration_revision_letter(*, session: Session, task_code: str, due_on: date) -> Notice:
    """The letter asking the host to complete the registration dossier."""
    return completion_request(
        task_by_code(session, task_code),
        "hồ sơ đăng ký kết quả thực hiện",
        "registration dossier",
        due_on,
    )


def _next_certificate_sequence(session: Session, year: int) -> int:
    """Take the next number of the year under a row lock, so two workers never share one."""
    stmt = select(CertificateCounter).where(CertificateCounter.year == year).with_for_update()
    counter = session.scalar(stmt)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(CertificateCounter(year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction created the year's counter first: lock theirs
        counter = session.scalar(stmt.execution_options(populate_existing=True))
        assert counter is not None
    counter.last_number += 1
    session.flush()
    return counter.last_number


def issue_certificate(
    *, session: Session, registration_id: int, issued_on: date, actor: Actor = SYSTEM
) -> ResultRegistration:
    """Issue the registration certificate; asking again returns the same number, never a new one."""
    get_or_raise(session, ResultRegistration, registration_id)
    # Lock the row and re-read it: a job delivered twice at once must not draw two numbers.
    registration = session.scalars(
        select(ResultRegistration)
        .where(ResultRegistration.id == registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if registration.certificate_number is not None:
        return registration
    sequence = _next_certificate_sequence(session, issued_on.year)
    registration.certificate_number = f"{sequence:03d}/{issued_on.year}/{CERTIFICATE_SUFFIX}"
    registration.certificate_issued_on = issued_on
    registration.task.status = TaskStatus.REGISTERED
    session.flush()
    record_audit(
        session=session,
        action="registration.issue_certificate",
        entity_type="result_registration",
        entity_id=registration.id,
        actor=actor,
        task_id=registration.task_id,
        stage=Stage.REGISTRATION,
        details={"certificate_number": registration.certificate_number},
    )
    return registration


def main_registration(session: Session, task: Task) -> ResultRegistration:
    """The registration of the task's overall result."""
    found = session.scalar(
        select(ResultRegistration).where(
            ResultRegistration.task_id == task.id, ResultRegistration.result_key == "main"
        )
    )
    if found is None:
        raise InvalidStateError(
            "not_registered", "Kết quả chưa được đăng ký.", f"Task {task.code} has no registration."
        )
    return found


@dataclass
class Certified:
    """The certificate issued, and the letter telling the host (only the first time)."""

    registration: ResultRegistration
    notices: list[Notice] = field(default_factory=list)


def certify_results(
    *, session: Session, task_code: str, today: date, maker: DocumentMaker, actor: Actor = SYSTEM
) -> Certified:
    """Issue the registration certificate (once, never re-issued) and render it."""
    task = task_by_code(session, task_code)
    registration = main_registration(session, task)
    fresh = registration.certificate_number is None
    registration = issue_certificate(
        session=session, registration_id=registration.id, issued_on=today, actor=actor
    )
    number, issued_on = registration.certificate_number, registration.certificate_issued_on
    assert number is not None and issued_on is not None
    if not any(d.kind is DocumentKind.CERTIFICATE for d in registration.documents):
        dossier = dossier_of(session, task)
        rating = (dossier.council_rating if dossier else None) or Rating.PASS
        pi = task.principal_investigator
        make_document(
            session=session,
            maker=maker,
            template="certificate",
            context={
                **maker.letterhead(Issuer.DEPARTMENT),
                "certificate_number": number,
                "task_title": task.title,
                "task_code": task.code,
                "host_organisation": host_name(task),
                "principal_investigator": pi.full_name if pi else "",
                "rating": label(rating),
                "issued_on": vn_date(issued_on),
            },
            name=f"giay-chung-nhan-{task.code}.docx",
            kind=DocumentKind.CERTIFICATE,
            registration_id=registration.id,
        )
        session.refresh(registration)
    notices = []
    if fresh:
        notices.append(
            to_host(
                task,
                f"Cấp Giấy chứng nhận đăng ký kết quả nhiệm vụ {task.code}",
                f"Sở Khoa học và Công nghệ đã cấp Giấy chứng nhận đăng ký kết quả thực hiện "
                f"nhiệm vụ “{task.title}” (mã {task.code}), số {number}, "
                f"ngày {vn_date(issued_on)}.",
                f"Task {task.code}: registration certificate {number} issued.",
            )
        )
    return Certified(registration, notices)


def archive_results(
    *, session: Session, task_code: str, root: Path, actor: Actor = SYSTEM
) -> list[dict[str, Any]]:
    """Check every stored file of the task's dossiers against its hash and record the archive
    manifest (a damaged file fails: an incident, not a silent archive)."""
    task = task_by_code(session, task_code)
    done = done_by_job(session, "registration.archive", actor, task.id)
    if done is not None:
        return list(done.details["documents"])
    registration = main_registration(session, task)
    dossier = dossier_of(session, task)
    docs = list(registration.documents) + (list(dossier.documents) if dossier else [])
    manifest = []
    for doc in docs:
        read_file(root=root, stored=doc.stored_file)
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
        actor=actor,
        task_id=task.id,
        stage=Stage.REGISTRATION,
        details={"certificateNumber": registration.certificate_number, "documents": manifest},
    )
    return manifest


def publish_results(
    *, session: Session, task_code: str, today: date, actor: Actor = SYSTEM
) -> tuple[ResultRegistration, list[Notice]]:
    """List the recognised, certified result on the public portal and tell the host."""
    task = task_by_code(session, task_code)
    registration = main_registration(session, task)
    if registration.certificate_number is None:
        raise InvalidStateError(
            "not_certified",
            "Kết quả chưa được cấp giấy chứng nhận.",
            "The result has no certificate yet.",
        )
    notices = []
    if registration.published_on is None:
        registration.published_on = today
        session.flush()
        record_audit(
            session=session,
            action="registration.publish",
            entity_type="result_registration",
            entity_id=registration.id,
            actor=actor,
            task_id=registration.task_id,
            stage=Stage.REGISTRATION,
        )
        notices.append(
            to_host(
                task,
                f"Công bố kết quả thực hiện nhiệm vụ {task.code}",
                f"Kết quả thực hiện nhiệm vụ “{task.title}” (mã {task.code}; Giấy chứng nhận số "
                f"{registration.certificate_number}) đã được công bố trên Cổng thông tin điện tử "
                f"KH&CN ngày {vn_date(today)}.",
                f"Task {task.code}: the result is published on the S&T portal.",
            )
        )
    return registration, notices
