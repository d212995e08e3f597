"""Step 4: acceptance dossiers, ratings, the council's result and the Director's decision."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier, AcceptanceRating
from models.councils import Attendance, Council, CouncilMember, Meeting
from models.enums import (
    AcceptanceLevel,
    CouncilType,
    DossierStatus,
    MeetingStatus,
    Rating,
    Stage,
    TaskStatus,
)
from models.labels import label
from models.rules import (
    DEFAULT_RULES,
    VIETNAM,
    RuleSettings,
    WorkingCalendar,
    acceptance_council_deadline,
    acceptance_rating,
)
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.tasks import Task


def submit_acceptance_dossier(
    *,
    session: Session,
    task_id: int,
    submitted_on: date,
    level: AcceptanceLevel = AcceptanceLevel.DEPARTMENT,
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """The host files its acceptance dossier; the task moves to step 4 (idempotent per level)."""
    task = get_or_raise(session, Task, task_id)
    dossier = session.scalar(
        select(AcceptanceDossier).where(
            AcceptanceDossier.task_id == task_id, AcceptanceDossier.level == level
        )
    )
    if dossier is not None:
        return dossier
    dossier = AcceptanceDossier(task_id=task_id, level=level, submitted_on=submitted_on)
    session.add(dossier)
    task.stage, task.status = Stage.ACCEPTANCE, TaskStatus.UNDER_ACCEPTANCE
    session.flush()
    record_audit(
        session=session,
        action="acceptance.submit_dossier",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task_id,
        stage=Stage.ACCEPTANCE,
        details={"level": level.value},
    )
    return dossier


def validate_acceptance_dossier(
    *,
    session: Session,
    dossier_id: int,
    valid: bool,
    checked_on: date,
    calendar: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """Staff check the dossier; a valid one starts the 15-working-day council deadline."""
    dossier = get_or_raise(session, AcceptanceDossier, dossier_id)
    if valid:
        dossier.status = DossierStatus.VALID
        dossier.valid_on = checked_on
        dossier.council_due_on = acceptance_council_deadline(
            checked_on, calendar_=calendar, rules=rules
        )
    else:
        dossier.status = DossierStatus.INVALID
    session.flush()
    record_audit(
        session=session,
        action="acceptance.validate_dossier",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=dossier.task_id,
        stage=Stage.ACCEPTANCE,
        details={
            "valid": valid,
            "council_due_on": dossier.council_due_on.isoformat()
            if dossier.council_due_on
            else None,
        },
    )
    return dossier


def record_acceptance_rating(
    *,
    session: Session,
    member_id: int,
    task_id: int,
    rating: Rating,
    points: float | None = None,
    comments: str = "",
) -> AcceptanceRating:
    """Record (or replace) an acceptance council member's rating of a task."""
    member = get_or_raise(session, CouncilMember, member_id)
    if member.council.type is not CouncilType.ACCEPTANCE or member.council.task_id != task_id:
        raise DomainError(
            "not_on_acceptance_council",
            "Thành viên không thuộc hội đồng nghiệm thu của nhiệm vụ này.",
            "The member does not sit on this task's acceptance council.",
        )
    row = session.scalar(
        select(AcceptanceRating).where(
            AcceptanceRating.member_id == member_id, AcceptanceRating.task_id == task_id
        )
    )
    if row is None:
        row = AcceptanceRating(member_id=member_id, task_id=task_id, rating=rating)
        session.add(row)
    row.rating, row.points, row.comments = rating, points, comments
    session.flush()
    return row


def tally_acceptance(
    *,
    session: Session,
    meeting_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> Rating:
    """The council's rating from the ratings of the members present at the meeting."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    council: Council = meeting.council
    if council.type is not CouncilType.ACCEPTANCE or council.task_id is None:
        raise DomainError(
            "not_acceptance_council",
            "Đây không phải hội đồng nghiệm thu.",
            "This is not an acceptance council.",
        )
    if meeting.status is not MeetingStatus.HELD:
        raise InvalidStateError(
            "meeting_not_held",
            "Cuộc họp chưa đủ điều kiện tiến hành.",
            f"The meeting was not held with quorum (status {meeting.status}).",
        )
    present = set(
        session.scalars(
            select(Attendance.member_id).where(
                Attendance.meeting_id == meeting_id, Attendance.present.is_(True)
            )
        )
    )
    ratings = [
        r.rating
        for r in session.scalars(
            select(AcceptanceRating).where(AcceptanceRating.task_id == council.task_id)
        )
        if r.member_id in present
    ]
    result = acceptance_rating(ratings, members_present=len(present), rules=rules)
    dossier = session.scalar(
        select(AcceptanceDossier).where(
            AcceptanceDossier.task_id == council.task_id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
        )
    )
    if dossier is not None:
        dossier.council_rating = result
    session.flush()
    record_audit(
        session=session,
        action="acceptance.tally",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=council.task_id,
        stage=Stage.ACCEPTANCE,
        details={
            "rating": result.value,
            "label": label(result),
            "present": len(present),
            "ratings": sorted(r.value for r in ratings),
        },
    )
    return result


def record_acceptance_decision(
    *,
    session: Session,
    dossier_id: int,
    decision_number: str,
    decision_on: date,
    rating: Rating,
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """The Director's acceptance decision: an accepted task goes on to registration."""
    dossier = get_or_raise(session, AcceptanceDossier, dossier_id)
    if dossier.decision_number is not None:
        if (dossier.decision_number, dossier.final_rating) == (decision_number, rating):
            return dossier
        raise InvalidStateError(
            "already_decided",
            "Nhiệm vụ đã có quyết định nghiệm thu.",
            "The acceptance was already decided.",
        )
    dossier.decision_number = decision_number
    dossier.decision_on = decision_on
    dossier.final_rating = rating
    task = dossier.task
    if rating is Rating.FAIL:
        task.status = TaskStatus.FAILED
    else:
        task.stage, task.status = Stage.REGISTRATION, TaskStatus.ACCEPTED
    session.flush()
    record_audit(
        session=session,
        action="acceptance.decide",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={"decision_number": decision_number, "rating": rating.value},
    )
    return dossier
