"""Step 5: registering results and issuing certificates, each number once and only once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.enums import AcceptanceLevel, Stage, TaskStatus
from models.registration import CertificateCounter, ResultRegistration
from models.rules import DEFAULT_RULES, RuleSettings, registration_deadline
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import InvalidStateError, get_or_raise
from models.tasks import Task

CERTIFICATE_SUFFIX = "GCN-KHCN"


def registration_due_on(
    *, session: Session, task_id: int, rules: RuleSettings = DEFAULT_RULES
) -> date | None:
    """The last day to register a task's results (None before the acceptance decision)."""
    decided = session.scalar(
        select(AcceptanceDossier.decision_on).where(
            AcceptanceDossier.task_id == task_id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
        )
    )
    return registration_deadline(decided, rules) if decided is not None else None


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


def publish_result(
    *, session: Session, registration_id: int, published_on: date, actor: Actor = SYSTEM
) -> ResultRegistration:
    """Publish a certified result on the portal."""
    registration = get_or_raise(session, ResultRegistration, registration_id)
    if registration.certificate_number is None:
        raise InvalidStateError(
            "not_certified",
            "Kết quả chưa được cấp giấy chứng nhận.",
            "The result has no certificate yet.",
        )
    if registration.published_on is None:
        registration.published_on = published_on
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
    return registration
