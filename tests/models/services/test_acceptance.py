"""Step 4: acceptance dossiers, ratings and decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from models.councils import Council
from models.enums import (
    CouncilRole,
    CouncilType,
    DossierStatus,
    Rating,
    Stage,
    TaskStatus,
)
from models.services import acceptance, councils
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f


def acceptance_council(session: Session) -> tuple[Task, Council, int]:
    """A task under acceptance, its convened 9-member council and a scheduled meeting."""
    task = f.task(session, host=f.organisation(session))
    veteran = f.council(session, CouncilType.SELECTION, task=task).members[-1].person
    council = f.council(
        session,
        CouncilType.ACCEPTANCE,
        task=task,
        people=[f.person(session) for _ in range(8)] + [veteran],
    )
    councils.convene_council(session=session, council_id=council.id)
    meeting = councils.schedule_meeting(
        session=session,
        council_id=council.id,
        scheduled_at=datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
    )
    return task, council, meeting.id


def test_dossier_and_the_fifteen_working_day_deadline(session: Session) -> None:
    task = f.task(session)
    dossier = acceptance.submit_acceptance_dossier(
        session=session, task_id=task.id, submitted_on=date(2027, 1, 28)
    )
    assert (task.stage, task.status) == (Stage.ACCEPTANCE, TaskStatus.UNDER_ACCEPTANCE)
    again = acceptance.submit_acceptance_dossier(
        session=session, task_id=task.id, submitted_on=date(2027, 1, 29)
    )
    assert again.id == dossier.id
    acceptance.validate_acceptance_dossier(
        session=session, dossier_id=dossier.id, valid=True, checked_on=date(2027, 2, 1)
    )
    assert dossier.status is DossierStatus.VALID
    assert dossier.council_due_on == date(2027, 3, 1)  # Tết 2027 falls inside


def rate(
    session: Session, task: Task, council: Council, meeting_id: int, ratings: list[Rating]
) -> Rating:
    """Everyone but the last ordinary member attends and rates; the absent one rates Xuất sắc."""
    absent = [m for m in council.members if m.role is CouncilRole.MEMBER][-1]
    present = [m for m in council.members if m.id != absent.id]
    for m in council.members:
        councils.record_attendance(
            session=session, meeting_id=meeting_id, member_id=m.id, present=m is not absent
        )
    assert councils.open_meeting(session=session, meeting_id=meeting_id).ok
    for m, rating in zip(present, ratings, strict=True):
        acceptance.record_acceptance_rating(
            session=session, member_id=m.id, task_id=task.id, rating=rating
        )
    # An absent member's rating does not count.
    acceptance.record_acceptance_rating(
        session=session, member_id=absent.id, task_id=task.id, rating=Rating.EXCELLENT
    )
    return acceptance.tally_acceptance(session=session, meeting_id=meeting_id)


def test_exactly_three_quarters_of_present_members_pass(session: Session) -> None:
    task, council, meeting_id = acceptance_council(session)
    dossier = acceptance.submit_acceptance_dossier(
        session=session, task_id=task.id, submitted_on=date(2027, 3, 1)
    )
    result = rate(session, task, council, meeting_id, [Rating.PASS] * 6 + [Rating.FAIL] * 2)
    assert result is Rating.PASS and dossier.council_rating is Rating.PASS
    acceptance.record_acceptance_decision(
        session=session,
        dossier_id=dossier.id,
        decision_number="125/QĐ-SKHCN",
        decision_on=date(2027, 4, 2),
        rating=result,
    )
    assert (task.stage, task.status) == (Stage.REGISTRATION, TaskStatus.ACCEPTED)


def test_excellent(session: Session) -> None:
    task, council, meeting_id = acceptance_council(session)
    ratings = [Rating.EXCELLENT] * 6 + [Rating.PASS] * 2
    assert rate(session, task, council, meeting_id, ratings) is Rating.EXCELLENT


def test_fail_ends_the_task(session: Session) -> None:
    task, council, meeting_id = acceptance_council(session)
    dossier = acceptance.submit_acceptance_dossier(
        session=session, task_id=task.id, submitted_on=date(2027, 3, 1)
    )
    result = rate(session, task, council, meeting_id, [Rating.PASS] * 5 + [Rating.FAIL] * 3)
    assert result is Rating.FAIL
    acceptance.record_acceptance_decision(
        session=session,
        dossier_id=dossier.id,
        decision_number="126/QĐ-SKHCN",
        decision_on=date(2027, 4, 2),
        rating=result,
    )
    assert task.status is TaskStatus.FAILED
    with pytest.raises(InvalidStateError):
        acceptance.record_acceptance_decision(
            session=session,
            dossier_id=dossier.id,
            decision_number="127/QĐ-SKHCN",
            decision_on=date(2027, 4, 3),
            rating=Rating.PASS,
        )


def test_only_members_of_the_task_council_rate(session: Session) -> None:
    task, _, _ = acceptance_council(session)
    outsider = f.council(session, CouncilType.SELECTION, task=task).members[0]
    with pytest.raises(DomainError) as err:
        acceptance.record_acceptance_rating(
            session=session, member_id=outsider.id, task_id=task.id, rating=Rating.PASS
        )
    assert err.value.code == "not_on_acceptance_council"


def test_no_tally_without_quorum(session: Session) -> None:
    task, council, meeting_id = acceptance_council(session)
    chair = [m for m in council.members if m.role is CouncilRole.CHAIR][0]
    vice = [m for m in council.members if m.role is CouncilRole.VICE_CHAIR][0]
    for m in council.members:
        councils.record_attendance(
            session=session,
            meeting_id=meeting_id,
            member_id=m.id,
            present=m.id not in (chair.id, vice.id),
        )
    assert not councils.open_meeting(session=session, meeting_id=meeting_id).ok
    with pytest.raises(InvalidStateError):
        acceptance.tally_acceptance(session=session, meeting_id=meeting_id)
