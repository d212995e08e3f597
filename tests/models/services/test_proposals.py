"""Step 1: proposals, screening, the advisory council's vote and the approved list."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import (
    CouncilRole,
    CouncilType,
    Field,
    MeetingStatus,
    Method,
    ProposalStatus,
    Stage,
    TaskStatus,
)
from models.rules import DEFAULT_RULES
from models.services import councils, proposals
from models.services.audit import Actor
from models.services.errors import DomainError, InvalidStateError
from tests.models import factories as f


def actions(session: Session, entity_id: int) -> list[str]:
    """Audit actions about a proposal, oldest first."""
    stmt = (
        select(AuditEntry.action)
        .where(AuditEntry.entity_type == "proposal", AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))


def test_create_proposal(session: Session) -> None:
    proposal = f.proposal(session, title="Nghiên cứu bảo tồn nhã nhạc cung đình Huế")
    assert proposal.status is ProposalStatus.SUBMITTED
    assert actions(session, proposal.id) == ["proposal.submit"]


def test_a_proposal_needs_a_proposer(session: Session) -> None:
    with pytest.raises(DomainError) as err:
        proposals.create_proposal(
            session=session, year=2027, title="Vô danh", field=Field.HUMANITIES
        )
    assert err.value.code == "proposer_missing"
    assert "Đề xuất phải có" in str(err.value) and "needs a proposing" in str(err.value)


def test_screening_is_recorded_once_and_cannot_be_reversed(session: Session) -> None:
    staff = f.user(session)
    proposal = f.proposal(session)
    actor = Actor(name="Chuyên viên", user_id=staff.id, bpmn_element_id="screen")
    proposals.screen_proposal(session=session, proposal_id=proposal.id, accept=True, actor=actor)
    proposals.screen_proposal(session=session, proposal_id=proposal.id, accept=True, actor=actor)
    assert proposal.status is ProposalStatus.SCREENED_IN
    assert proposal.screened_by_id == staff.id
    assert actions(session, proposal.id) == ["proposal.submit", "proposal.screen"]
    with pytest.raises(InvalidStateError):
        proposals.screen_proposal(session=session, proposal_id=proposal.id, accept=False)


def test_rejected_at_screening(session: Session) -> None:
    proposal = f.proposal(session)
    proposals.screen_proposal(
        session=session, proposal_id=proposal.id, accept=False, note="Trùng với nhiệm vụ đã có"
    )
    assert proposal.status is ProposalStatus.REJECTED
    assert proposal.screening_note == "Trùng với nhiệm vụ đã có"
    with pytest.raises(InvalidStateError):
        proposals.approve_proposal(
            session=session, proposal_id=proposal.id, code="X", method=Method.DIRECT
        )


def advisory_meeting(session: Session, size: int = 7, rules=DEFAULT_RULES):
    """A convened advisory council and a meeting with everyone present."""
    council = f.council(session, CouncilType.ADVISORY, size=size) if size == 7 else None
    if council is None:
        council = councils.create_council(
            session=session, type=CouncilType.ADVISORY, name="Hội đồng tư vấn 2027"
        )
        for role in f.STANDARD_ROLES[size]:
            councils.appoint_council_member(
                session=session,
                council_id=council.id,
                person_id=f.person(session).id,
                role=role,
                rules=rules,
            )
        session.refresh(council)
    councils.convene_council(session=session, council_id=council.id, rules=rules)
    meeting = councils.schedule_meeting(
        session=session,
        council_id=council.id,
        scheduled_at=datetime(2027, 3, 10, 8, 0, tzinfo=UTC),
        location="Sở KH&CN",
    )
    for m in council.members:
        councils.record_attendance(
            session=session, meeting_id=meeting.id, member_id=m.id, present=True
        )
    return council, meeting


def test_step_one_from_proposal_to_approved_task(session: Session) -> None:
    proposal = f.proposal(session)
    proposals.screen_proposal(session=session, proposal_id=proposal.id, accept=True)
    council, meeting = advisory_meeting(session)
    absent = f.member(council, CouncilRole.MEMBER)
    councils.record_attendance(
        session=session, meeting_id=meeting.id, member_id=absent.id, present=False
    )
    assert councils.open_meeting(session=session, meeting_id=meeting.id).ok
    present = [m for m in council.members if m.id != absent.id]
    for i, m in enumerate(present):
        councils.record_vote(
            session=session,
            meeting_id=meeting.id,
            member_id=m.id,
            proposal_id=proposal.id,
            in_favour=i < 5,  # 5 of 6 present: more than 3/4
        )
    assert councils.tally_advisory_vote(
        session=session, meeting_id=meeting.id, proposal_id=proposal.id
    )
    assert proposal.status is ProposalStatus.RECOMMENDED
    task = proposals.approve_proposal(
        session=session, proposal_id=proposal.id, code="ĐT.2027.01", method=Method.SELECTION
    )
    again = proposals.approve_proposal(
        session=session, proposal_id=proposal.id, code="ĐT.2027.01", method=Method.SELECTION
    )
    assert again.id == task.id
    assert (task.stage, task.status, task.method) == (
        Stage.TASK_LIST,
        TaskStatus.APPROVED,
        Method.SELECTION,
    )
    assert task.title == proposal.title and proposal.status is ProposalStatus.APPROVED


def test_four_of_six_present_is_not_enough(session: Session) -> None:
    proposal = f.proposal(session)
    council, meeting = advisory_meeting(session)
    councils.record_attendance(
        session=session,
        meeting_id=meeting.id,
        member_id=f.member(council, CouncilRole.MEMBER).id,
        present=False,
    )
    councils.open_meeting(session=session, meeting_id=meeting.id)
    voters = [m for m in council.members if m.role is not CouncilRole.MEMBER][:4]
    for m in voters:
        councils.record_vote(
            session=session,
            meeting_id=meeting.id,
            member_id=m.id,
            proposal_id=proposal.id,
            in_favour=True,
        )
    assert not councils.tally_advisory_vote(
        session=session, meeting_id=meeting.id, proposal_id=proposal.id
    )
    assert proposal.status is ProposalStatus.NOT_RECOMMENDED


def test_exactly_three_quarters_in_favour_does_not_pass(session: Session) -> None:
    # A nine-member advisory council (allowed by changed settings), eight present.
    rules = dataclasses.replace(
        DEFAULT_RULES,
        council_sizes={**DEFAULT_RULES.council_sizes, CouncilType.ADVISORY: (7, 9)},
    )
    proposal = f.proposal(session)
    council, meeting = advisory_meeting(session, size=9, rules=rules)
    absent = council.members[-1]
    councils.record_attendance(
        session=session, meeting_id=meeting.id, member_id=absent.id, present=False
    )
    assert councils.open_meeting(session=session, meeting_id=meeting.id, rules=rules).ok
    present = council.members[:-1]
    for i, m in enumerate(present):
        councils.record_vote(
            session=session,
            meeting_id=meeting.id,
            member_id=m.id,
            proposal_id=proposal.id,
            in_favour=i < 6,
        )
    assert not councils.tally_advisory_vote(
        session=session, meeting_id=meeting.id, proposal_id=proposal.id, rules=rules
    )
    # One member changes their vote: 7 of 8.
    councils.record_vote(
        session=session,
        meeting_id=meeting.id,
        member_id=present[6].id,
        proposal_id=proposal.id,
        in_favour=True,
    )
    assert councils.tally_advisory_vote(
        session=session, meeting_id=meeting.id, proposal_id=proposal.id, rules=rules
    )


def test_without_quorum_the_meeting_cannot_conclude(session: Session) -> None:
    proposal = f.proposal(session)
    council, meeting = advisory_meeting(session)
    for reviewer in [m for m in council.members if m.role is CouncilRole.REVIEWER]:
        councils.record_attendance(
            session=session, meeting_id=meeting.id, member_id=reviewer.id, present=False
        )
    result = councils.open_meeting(session=session, meeting_id=meeting.id)
    assert not result.ok and result.reasons == ("not every reviewer is present",)
    assert meeting.status is MeetingStatus.NO_QUORUM
    with pytest.raises(InvalidStateError):
        councils.tally_advisory_vote(
            session=session, meeting_id=meeting.id, proposal_id=proposal.id
        )


def test_an_absent_member_cannot_vote(session: Session) -> None:
    proposal = f.proposal(session)
    council, meeting = advisory_meeting(session)
    absent = f.member(council, CouncilRole.MEMBER)
    councils.record_attendance(
        session=session, meeting_id=meeting.id, member_id=absent.id, present=False
    )
    with pytest.raises(DomainError) as err:
        councils.record_vote(
            session=session,
            meeting_id=meeting.id,
            member_id=absent.id,
            proposal_id=proposal.id,
            in_favour=True,
        )
    assert err.value.code == "voter_absent"
