"""Step 2: calls for applications, applications and their validity check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Application, ApplicationMember, Call, CallItem
from models.enums import (
    ApplicationStatus,
    CallStatus,
    Stage,
    TaskMemberRole,
    TaskStatus,
)
from models.labels import label
from models.rules import DEFAULT_RULES, RuleSettings, missing_application_documents
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.tasks import add_task_member
from models.tasks import Task


def open_call(
    *,
    session: Session,
    number: str,
    title: str,
    year: int,
    opens_on: date,
    closes_on: date,
    task_ids: Sequence[int],
    reopens_call_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Call:
    """Publish a call for applications for some tasks; they move to step 2."""
    if closes_on < opens_on:
        raise DomainError(
            "call_dates", "Ngày đóng trước ngày mở.", "The call closes before it opens."
        )
    existing = session.scalar(select(Call).where(Call.number == number))
    if existing is not None:
        return existing
    call = Call(
        number=number,
        title=title,
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        status=CallStatus.OPEN,
        reopens_call_id=reopens_call_id,
    )
    for task_id in task_ids:
        task = get_or_raise(session, Task, task_id)
        task.stage, task.status = Stage.SELECTION, TaskStatus.SELECTING
        call.items.append(CallItem(task_id=task_id))
    if reopens_call_id is not None:
        get_or_raise(session, Call, reopens_call_id).status = CallStatus.CLOSED
    session.add(call)
    session.flush()
    for task_id in task_ids:
        record_audit(
            session=session,
            action="call.open",
            entity_type="call",
            entity_id=call.id,
            actor=actor,
            task_id=task_id,
            stage=Stage.SELECTION,
            details={"number": number, "reopens_call_id": reopens_call_id},
        )
    return call


def close_call(*, session: Session, call_id: int, actor: Actor = SYSTEM) -> Call:
    """Stop receiving applications."""
    call = get_or_raise(session, Call, call_id)
    call.status = CallStatus.CLOSED
    session.flush()
    record_audit(
        session=session, action="call.close", entity_type="call", entity_id=call.id, actor=actor
    )
    return call


def submit_application(
    *,
    session: Session,
    call_id: int,
    task_id: int,
    organisation_id: int,
    principal_investigator_id: int,
    team_person_ids: Iterable[int] = (),
    requested_budget: int | None = None,
    submitted_at: datetime | None = None,
) -> Application:
    """Receive an organisation's application for a task in an open call (idempotent)."""
    call = get_or_raise(session, Call, call_id)
    if call.status != CallStatus.OPEN:
        raise InvalidStateError(
            "call_not_open", "Thông báo không còn nhận hồ sơ.", "The call is not open."
        )
    if task_id not in {item.task_id for item in call.items}:
        raise DomainError(
            "task_not_in_call",
            "Nhiệm vụ không thuộc thông báo này.",
            "The task is not offered in this call.",
        )
    existing = session.scalar(
        select(Application).where(
            Application.call_id == call_id,
            Application.task_id == task_id,
            Application.organisation_id == organisation_id,
        )
    )
    if existing is not None:
        return existing
    application = Application(
        call_id=call_id,
        task_id=task_id,
        organisation_id=organisation_id,
        principal_investigator_id=principal_investigator_id,
        requested_budget=requested_budget,
        submitted_at=submitted_at or datetime.now(UTC),
        status=ApplicationStatus.SUBMITTED,
    )
    for person_id in dict.fromkeys(team_person_ids):
        if person_id != principal_investigator_id:
            application.team.append(ApplicationMember(person_id=person_id))
    session.add(application)
    session.flush()
    return application


def check_application_validity(
    *,
    session: Session,
    application_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> Application:
    """Open the dossier (mở hồ sơ): valid when it holds every required form."""
    application = get_or_raise(session, Application, application_id)
    task = get_or_raise(session, Task, application.task_id)
    missing = missing_application_documents(
        task.kind, {d.kind for d in application.documents}, rules
    )
    if missing:
        application.status = ApplicationStatus.INVALID
        application.validity_note = "Thiếu: " + "; ".join(sorted(label(kind) for kind in missing))
    else:
        application.status = ApplicationStatus.VALID
        application.validity_note = None
    session.flush()
    record_audit(
        session=session,
        action="application.check_validity",
        entity_type="application",
        entity_id=application.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"valid": not missing, "missing": sorted(k.value for k in missing)},
    )
    return application


def select_application(
    *, session: Session, application_id: int, actor: Actor = SYSTEM
) -> Application:
    """The approval decision: the application's organisation hosts the task with its team."""
    application = get_or_raise(session, Application, application_id)
    task = get_or_raise(session, Task, application.task_id)
    if application.status == ApplicationStatus.SELECTED:
        return application
    if application.status != ApplicationStatus.RECOMMENDED:
        raise InvalidStateError(
            "application_not_recommended",
            "Chỉ phê duyệt được hồ sơ được hội đồng đề nghị.",
            f"Only a recommended application can be selected (this one is {application.status}).",
        )
    application.status = ApplicationStatus.SELECTED
    task.host_organisation_id = application.organisation_id
    add_task_member(
        session=session,
        task_id=task.id,
        person_id=application.principal_investigator_id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )
    for member in application.team:
        add_task_member(
            session=session, task_id=task.id, person_id=member.person_id, role=TaskMemberRole.MEMBER
        )
    session.flush()
    record_audit(
        session=session,
        action="selection.approve",
        entity_type="application",
        entity_id=application.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"organisation_id": application.organisation_id},
    )
    return application
