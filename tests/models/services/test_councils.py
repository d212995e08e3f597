"""Councils: appointments and conflicts of interest, convening, quorum, reviews and scoring."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.calls import Application
from models.enums import (
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    ReviewOpinion,
    TaskMemberRole,
)
from models.people import Person
from models.services import calls, councils, people, tasks
from models.services.errors import ConflictOfInterestError, DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f


@pytest.fixture
def selection(session: Session, tmp_path: Path) -> tuple[Task, Application, Person]:
    """A task in an open call with one valid application (its PI and one team member)."""
    task = f.task(session)
    call = f.open_call(session, [task])
    team_member = f.person(session)
    app = f.application(session, call, task, root=tmp_path, team=[team_member])
    calls.check_application_validity(session=session, application_id=app.id)
    return task, app, team_member


def selection_council(session: Session, task: Task) -> int:
    """An empty selection council of a task."""
    return councils.create_council(
        session=session, type=CouncilType.SELECTION, name="Hội đồng tuyển chọn", task_id=task.id
    ).id


def test_the_principal_investigator_cannot_sit(session: Session, selection) -> None:
    task, app, _ = selection
    council_id = selection_council(session, task)
    with pytest.raises(ConflictOfInterestError) as err:
        councils.appoint_council_member(
            session=session,
            council_id=council_id,
            person_id=app.principal_investigator_id,
            role=CouncilRole.REVIEWER,
        )
    message = str(err.value)
    assert "xung đột lợi ích" in message and "conflict of interest" in message
    assert {c.code for c in err.value.conflicts} == {"participant", "applying_organisation"}
    assert err.value.code == "conflict_of_interest"
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "council.appoint_refused")
    ).one()
    assert refused.task_id == task.id


def test_a_team_member_cannot_sit(session: Session, selection) -> None:
    task, _, team_member = selection
    # Affiliated elsewhere than the applicant: only the participation conflicts.
    with pytest.raises(ConflictOfInterestError) as err:
        councils.appoint_council_member(
            session=session,
            council_id=selection_council(session, task),
            person_id=team_member.id,
            role=CouncilRole.MEMBER,
        )
    assert [c.code for c in err.value.conflicts] == ["participant"]


def test_a_colleague_from_the_applying_organisation_cannot_sit(session: Session, selection) -> None:
    task, app, _ = selection
    colleague = people.create_person(
        session=session, full_name="Lê Văn Đồng", organisation_id=app.organisation_id
    )
    with pytest.raises(ConflictOfInterestError) as err:
        councils.appoint_council_member(
            session=session,
            council_id=selection_council(session, task),
            person_id=colleague.id,
            role=CouncilRole.CHAIR,
        )
    assert [c.code for c in err.value.conflicts] == ["applying_organisation"]
    assert "Lê Văn Đồng" in err.value.message_vi


def test_a_former_colleague_may_sit(session: Session, selection) -> None:
    task, app, _ = selection
    former = f.person(session)
    people.add_affiliation(
        session=session,
        person_id=former.id,
        organisation_id=app.organisation_id,
        started_on=date(2010, 1, 1),
        ended_on=date(2020, 12, 31),
    )
    member = councils.appoint_council_member(
        session=session,
        council_id=selection_council(session, task),
        person_id=former.id,
        role=CouncilRole.CHAIR,
    )
    assert member.role is CouncilRole.CHAIR


def test_the_acceptance_council_refuses_the_task_team(session: Session) -> None:
    host = f.organisation(session)
    task = f.task(session, host=host)
    pi = f.person(session)
    tasks.add_task_member(
        session=session,
        task_id=task.id,
        person_id=pi.id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )
    council = councils.create_council(
        session=session, type=CouncilType.ACCEPTANCE, name="Hội đồng nghiệm thu", task_id=task.id
    )
    with pytest.raises(ConflictOfInterestError):
        councils.appoint_council_member(
            session=session, council_id=council.id, person_id=pi.id, role=CouncilRole.CHAIR
        )


def test_advisory_councils_have_no_task_conflicts(session: Session) -> None:
    council = councils.create_council(
        session=session, type=CouncilType.ADVISORY, name="Hội đồng tư vấn"
    )
    assert (
        councils.conflicts_for(
            session=session, council_id=council.id, person_id=f.person(session).id
        )
        == []
    )


def test_role_and_size_limits(session: Session) -> None:
    council = f.council(session, CouncilType.SELECTION, task=f.task(session), size=9)
    with pytest.raises(DomainError) as err:
        councils.appoint_council_member(
            session=session,
            council_id=council.id,
            person_id=f.person(session).id,
            role=CouncilRole.MEMBER,
        )
    assert err.value.code == "council_full"
    small = f.council(session, CouncilType.SELECTION, task=f.task(session), size=7)
    for role in (CouncilRole.REVIEWER, CouncilRole.CHAIR, CouncilRole.SECRETARY):
        with pytest.raises(DomainError) as err:
            councils.appoint_council_member(
                session=session, council_id=small.id, person_id=f.person(session).id, role=role
            )
        assert err.value.code == "role_full"


def test_appointing_twice(session: Session) -> None:
    council = councils.create_council(
        session=session, type=CouncilType.ADVISORY, name="Hội đồng tư vấn"
    )
    who = f.person(session)
    first = councils.appoint_council_member(
        session=session, council_id=council.id, person_id=who.id, role=CouncilRole.MEMBER
    )
    again = councils.appoint_council_member(
        session=session, council_id=council.id, person_id=who.id, role=CouncilRole.MEMBER
    )
    assert first.id == again.id
    with pytest.raises(DomainError) as err:
        councils.appoint_council_member(
            session=session, council_id=council.id, person_id=who.id, role=CouncilRole.CHAIR
        )
    assert err.value.code == "already_member"


def test_convene_checks_the_composition(session: Session) -> None:
    council = f.council(
        session, CouncilType.ADVISORY, roles=[CouncilRole.CHAIR, CouncilRole.REVIEWER]
    )
    with pytest.raises(InvalidStateError) as err:
        councils.convene_council(session=session, council_id=council.id)
    assert "size 2, must be 7" in err.value.message_en
    full = f.council(session, CouncilType.ADVISORY)
    assert councils.convene_council(session=session, council_id=full.id).status is (
        CouncilStatus.CONVENED
    )


def test_acceptance_council_needs_someone_from_the_selection_council(session: Session) -> None:
    task = f.task(session)
    chosen = f.council(session, CouncilType.SELECTION, task=task)
    fresh = f.council(session, CouncilType.ACCEPTANCE, task=task)
    with pytest.raises(InvalidStateError) as err:
        councils.convene_council(session=session, council_id=fresh.id)
    assert "no member sat on" in err.value.message_en
    other = f.task(session)
    f.council(session, CouncilType.SELECTION, task=other)
    veteran = chosen.members[-1].person
    continuing = f.council(session, CouncilType.ACCEPTANCE, task=f.task(session), people=[veteran])
    with pytest.raises(InvalidStateError):  # sat on another task's council: does not count
        councils.convene_council(session=session, council_id=continuing.id)
    good = f.council(
        session,
        CouncilType.ACCEPTANCE,
        task=task,
        people=[f.person(session) for _ in range(8)] + [veteran],
    )
    councils.convene_council(session=session, council_id=good.id)


def meeting_of(session: Session, council_id: int, when: datetime | None = None) -> int:
    """A meeting of a council."""
    return councils.schedule_meeting(
        session=session,
        council_id=council_id,
        scheduled_at=when or datetime(2027, 5, 4, 8, 0, tzinfo=UTC),
    ).id


def test_quorum_from_attendance_records(session: Session) -> None:
    council = f.council(session, CouncilType.ADVISORY)
    meeting_id = meeting_of(session, council.id)
    for m in council.members:
        councils.record_attendance(
            session=session, meeting_id=meeting_id, member_id=m.id, present=m.role != "chair"
        )
    # Chair absent but vice-chair present.
    assert councils.check_quorum(session=session, meeting_id=meeting_id).ok
    vice = f.member(council, CouncilRole.VICE_CHAIR)
    councils.record_attendance(
        session=session, meeting_id=meeting_id, member_id=vice.id, present=False
    )
    result = councils.check_quorum(session=session, meeting_id=meeting_id)
    assert not result.ok and result.present == 5


def test_members_without_a_record_count_as_absent(session: Session) -> None:
    council = f.council(session, CouncilType.ADVISORY)
    meeting_id = meeting_of(session, council.id)
    for m in council.members[:4]:
        councils.record_attendance(
            session=session, meeting_id=meeting_id, member_id=m.id, present=True
        )
    result = councils.check_quorum(session=session, meeting_id=meeting_id)
    assert (result.ok, result.present, result.total) == (False, 4, 7)


def test_attendance_of_a_stranger_is_refused(session: Session) -> None:
    council = f.council(session, CouncilType.ADVISORY)
    other = f.council(session, CouncilType.ADVISORY)
    with pytest.raises(DomainError):
        councils.record_attendance(
            session=session,
            meeting_id=meeting_of(session, council.id),
            member_id=other.members[0].id,
            present=True,
        )


def test_reviews_are_due_a_working_day_before_the_meeting(session: Session) -> None:
    proposal = f.proposal(session)
    council = f.council(session, CouncilType.ADVISORY)
    meeting_of(session, council.id, datetime(2027, 5, 4, 8, 0, tzinfo=UTC))
    reviewer = f.member(council, CouncilRole.REVIEWER)
    review = councils.submit_review(
        session=session,
        member_id=reviewer.id,
        proposal_id=proposal.id,
        opinion=ReviewOpinion.APPROVE,
        submitted_on=date(2027, 4, 29),
    )
    # 30/4, the weekend and 3/5 (1/5 observed) are not working days.
    assert review.due_on == date(2027, 4, 29) and review.on_time
    late = councils.submit_review(
        session=session,
        member_id=reviewer.id,
        proposal_id=proposal.id,
        opinion=ReviewOpinion.REJECT,
        comments="Chưa rõ tính mới",
        submitted_on=date(2027, 5, 3),
    )
    assert late.id == review.id and not late.on_time and late.opinion is ReviewOpinion.REJECT


def test_a_review_is_about_one_thing(session: Session) -> None:
    council = f.council(session, CouncilType.ADVISORY)
    with pytest.raises(DomainError):
        councils.submit_review(
            session=session,
            member_id=council.members[0].id,
            opinion=ReviewOpinion.APPROVE,
            submitted_on=date(2027, 4, 1),
        )


def scored_council(session: Session, task: Task, apps: list[Application], totals: list[list]):
    """A selection council whose members give each application the given two-criterion scores."""
    council = f.council(session, CouncilType.SELECTION, task=task)
    for app, per_member in zip(apps, totals, strict=True):
        for m, (a, b) in zip(council.members, per_member, strict=True):
            councils.record_score_sheet(
                session=session, member_id=m.id, application_id=app.id, scores={"a": a, "b": b}
            )
    return council


def test_tally_selection_ranks_and_marks_applications(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    apps = [f.application(session, call, task, root=tmp_path) for _ in range(4)]
    for app in apps:
        calls.check_application_validity(session=session, application_id=app.id)
    council = scored_council(
        session,
        task,
        apps,
        [
            [(40, 40)] * 7,  # 80
            [(35, 35)] * 7,  # exactly 70
            [(30, 35)] * 7,  # 65
            [(0, 90)] * 3 + [(20, 60)] * 4,  # 84.28 on average, but "a" zeroed by 3 of 7
        ],
    )
    ranking = councils.tally_selection(session=session, council_id=council.id)
    assert ranking.ranked == (apps[0].id, apps[1].id) and ranking.winner == apps[0].id
    assert [a.status for a in apps] == [
        ApplicationStatus.RECOMMENDED,
        ApplicationStatus.RECOMMENDED,
        ApplicationStatus.NOT_RECOMMENDED,
        ApplicationStatus.NOT_RECOMMENDED,
    ]
    assert [a.average_score for a in apps] == [80.0, 70.0, 65.0, 84.28]

    selected = calls.select_application(session=session, application_id=apps[0].id)
    assert selected.status is ApplicationStatus.SELECTED
    assert task.host_organisation_id == apps[0].organisation_id
    assert task.principal_investigator_id == apps[0].principal_investigator_id
    with pytest.raises(InvalidStateError):
        calls.select_application(session=session, application_id=apps[2].id)


def test_no_application_reaches_the_threshold(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    app = f.application(session, call, task, root=tmp_path)
    calls.check_application_validity(session=session, application_id=app.id)
    council = scored_council(session, task, [app], [[(34, 35)] * 7])
    ranking = councils.tally_selection(session=session, council_id=council.id)
    assert ranking.winner is None and ranking.ranked == ()


def test_score_sheet_checks(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    app = f.application(session, call, task, root=tmp_path)
    council = f.council(session, CouncilType.SELECTION, task=task)
    member = council.members[0]
    with pytest.raises(DomainError) as err:
        councils.record_score_sheet(
            session=session,
            member_id=member.id,
            application_id=app.id,
            scores={"a": 25},
            max_points={"a": 20},
        )
    assert err.value.code == "score_out_of_range"
    with pytest.raises(DomainError) as err:
        councils.record_score_sheet(
            session=session, member_id=member.id, application_id=app.id, scores={"a": 60, "b": 41}
        )
    assert err.value.code == "score_total"
    stranger = f.council(session, CouncilType.SELECTION, task=f.task(session)).members[0]
    with pytest.raises(DomainError) as err:
        councils.record_score_sheet(
            session=session, member_id=stranger.id, application_id=app.id, scores={"a": 10}
        )
    assert err.value.code == "not_on_selection_council"
    sheet = councils.record_score_sheet(
        session=session, member_id=member.id, application_id=app.id, scores={"a": 10, "b": 20}
    )
    again = councils.record_score_sheet(
        session=session, member_id=member.id, application_id=app.id, scores={"a": 30}
    )
    session.expire_all()
    assert again.id == sheet.id and again.as_mapping() == {"a": 30.0}
