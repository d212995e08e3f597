"""Councils: appointment (with the conflict-of-interest check), meetings, quorum, reviews,
votes, score sheets and the selection tally.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.calls import Application, ApplicationMember
from models.councils import (
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    Review,
    Score,
    ScoreSheet,
    Vote,
)
from models.enums import (
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    MeetingStatus,
    ProposalStatus,
    ReviewOpinion,
    Stage,
)
from models.labels import label
from models.people import Affiliation, Person
from models.proposals import Proposal
from models.rules import (
    DEFAULT_RULES,
    VIETNAM,
    Conflict,
    QuorumResult,
    Ranking,
    RuleSettings,
    WorkingCalendar,
    conflicts_of_interest,
    council_composition_problems,
    rank_applications,
    review_due_date,
    role_limit,
    selection_outcome,
    vote_passes,
)
from models.rules import check_quorum as quorum_rule
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import (
    ConflictOfInterestError,
    DomainError,
    InvalidStateError,
    get_or_raise,
)
from models.tasks import Task, TaskMember

_STAGE_OF = {
    CouncilType.ADVISORY: Stage.TASK_LIST,
    CouncilType.SELECTION: Stage.SELECTION,
    CouncilType.ACCEPTANCE: Stage.ACCEPTANCE,
}


def create_council(
    *,
    session: Session,
    type: CouncilType,
    name: str,
    task_id: int | None = None,
    call_id: int | None = None,
    decision_number: str | None = None,
    established_on: date | None = None,
    administrative_secretary_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Council:
    """Set up a council (still forming: members are appointed next)."""
    if type is not CouncilType.ADVISORY and task_id is None:
        raise DomainError(
            "council_task_missing",
            "Hội đồng tuyển chọn và nghiệm thu phải gắn với một nhiệm vụ.",
            "Selection and acceptance councils serve one task.",
        )
    council = Council(
        type=type,
        name=name,
        task_id=task_id,
        call_id=call_id,
        decision_number=decision_number,
        established_on=established_on,
        administrative_secretary_id=administrative_secretary_id,
        status=CouncilStatus.FORMING,
    )
    session.add(council)
    session.flush()
    record_audit(
        session=session,
        action="council.create",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task_id,
        stage=_STAGE_OF[type],
        details={"type": type.value, "name": name},
    )
    return council


def conflicts_for(*, session: Session, council_id: int, person_id: int) -> list[Conflict]:
    """Conflicts of interest that bar a person from a council (only task councils have any)."""
    council = get_or_raise(session, Council, council_id)
    if council.type is CouncilType.ADVISORY or council.task_id is None:
        return []
    task = get_or_raise(session, Task, council.task_id)
    applications = list(session.scalars(select(Application).where(Application.task_id == task.id)))
    participants = set(
        session.scalars(select(TaskMember.person_id).where(TaskMember.task_id == task.id))
    )
    participants |= {a.principal_investigator_id for a in applications}
    participants |= set(
        session.scalars(
            select(ApplicationMember.person_id).where(
                ApplicationMember.application_id.in_([a.id for a in applications])
            )
        )
    )
    if task.principal_investigator_id is not None:
        participants.add(task.principal_investigator_id)
    organisations = {a.organisation_id for a in applications}
    if task.host_organisation_id is not None:
        organisations.add(task.host_organisation_id)
    person_orgs = set(
        session.scalars(
            select(Affiliation.organisation_id).where(
                Affiliation.person_id == person_id, Affiliation.ended_on.is_(None)
            )
        )
    )
    return conflicts_of_interest(
        person_id=person_id,
        person_organisation_ids=person_orgs,
        task_participant_ids=participants,
        applying_organisation_ids=organisations,
    )


def appoint_council_member(
    *,
    session: Session,
    council_id: int,
    person_id: int,
    role: CouncilRole,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> CouncilMember:
    """Appoint a person to a council; refuses conflicts of interest, full roles, full councils."""
    council = get_or_raise(session, Council, council_id)
    person = get_or_raise(session, Person, person_id)
    for member in council.members:
        if member.person_id == person_id:
            if member.role == role:
                return member  # the same appointment delivered twice
            raise DomainError(
                "already_member",
                f"{person.full_name} đã là {label(member.role)} của hội đồng.",
                f"{person.full_name} already sits on the council as {member.role}.",
            )
    # The selection council must be free of conflicts (TT 20/2023); we apply the same test to
    # acceptance councils, where people judging their own work is the same problem.
    conflicts = conflicts_for(session=session, council_id=council_id, person_id=person_id)
    if conflicts:
        # Kept only if the caller commits despite the error (as a worker turning it into a
        # BPMN error does); a caller that rolls back keeps no trace, which is its choice.
        record_audit(
            session=session,
            action="council.appoint_refused",
            entity_type="council",
            entity_id=council.id,
            actor=actor,
            task_id=council.task_id,
            stage=_STAGE_OF[council.type],
            details={"person_id": person_id, "conflicts": [c.code for c in conflicts]},
        )
        raise ConflictOfInterestError(person.full_name, conflicts)
    limit = role_limit(role, rules)
    if limit is not None and sum(m.role == role for m in council.members) >= limit:
        raise DomainError(
            "role_full",
            f"Hội đồng đã đủ {label(role).lower()}.",
            f"The council already has {limit} {role.value}.",
        )
    if len(council.members) >= rules.council_sizes[council.type][1]:
        raise DomainError(
            "council_full",
            "Hội đồng đã đủ số thành viên.",
            "The council already has its maximum number of members.",
        )
    member = CouncilMember(council_id=council.id, person_id=person_id, role=role)
    council.members.append(member)
    session.flush()
    record_audit(
        session=session,
        action="council.appoint",
        entity_type="council_member",
        entity_id=member.id,
        actor=actor,
        task_id=council.task_id,
        stage=_STAGE_OF[council.type],
        details={"council_id": council.id, "person_id": person_id, "role": role.value},
    )
    return member


def earlier_council_people(session: Session, task: Task) -> set[int]:
    """People who sat on the task's advisory or selection council (TT 11/2014: an acceptance
    council needs at least one of them)."""
    earlier = set(
        session.scalars(
            select(Council.id).where(
                Council.type == CouncilType.SELECTION, Council.task_id == task.id
            )
        )
    )
    if task.proposal_id is not None:
        # An advisory council deals with proposals, not tasks: find it through the votes and
        # reviews its members gave on this task's proposal.
        for model in (Vote, Review):
            earlier |= set(
                session.scalars(
                    select(CouncilMember.council_id)
                    .join(model, model.member_id == CouncilMember.id)
                    .where(model.proposal_id == task.proposal_id)
                )
            )
    return set(
        session.scalars(
            select(CouncilMember.person_id).where(CouncilMember.council_id.in_(earlier))
        )
    )


def _earlier_council_members(session: Session, council: Council) -> int:
    """How many members also sat on this task's advisory or selection council."""
    if council.task_id is None:
        return 0
    earlier_people = earlier_council_people(session, get_or_raise(session, Task, council.task_id))
    return sum(1 for m in council.members if m.person_id in earlier_people)


def convene_council(
    *,
    session: Session,
    council_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> Council:
    """Declare the council complete once its membership satisfies the rules."""
    council = get_or_raise(session, Council, council_id)
    if council.status is CouncilStatus.CONVENED:
        return council
    problems = council_composition_problems(
        council.type,
        [m.role for m in council.members],
        members_from_earlier_councils=_earlier_council_members(session, council),
        rules=rules,
    )
    if problems:
        raise InvalidStateError(
            "council_incomplete",
            "Thành phần hội đồng chưa đúng quy định: " + "; ".join(problems),
            "The council's membership does not satisfy the rules: " + "; ".join(problems),
        )
    council.status = CouncilStatus.CONVENED
    session.flush()
    record_audit(
        session=session,
        action="council.convene",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=council.task_id,
        stage=_STAGE_OF[council.type],
    )
    return council


def schedule_meeting(
    *, session: Session, council_id: int, scheduled_at: datetime, location: str = ""
) -> Meeting:
    """Schedule a meeting of a council."""
    council = get_or_raise(session, Council, council_id)
    meeting = Meeting(council_id=council.id, scheduled_at=scheduled_at, location=location)
    session.add(meeting)
    session.flush()
    return meeting


def _member_of(session: Session, council_id: int, member_id: int) -> CouncilMember:
    member = get_or_raise(session, CouncilMember, member_id)
    if member.council_id != council_id:
        raise DomainError(
            "not_a_member",
            "Người này không phải thành viên hội đồng.",
            f"Member #{member_id} does not sit on council #{council_id}.",
        )
    return member


def record_attendance(
    *, session: Session, meeting_id: int, member_id: int, present: bool
) -> Attendance:
    """Record whether a member is present at a meeting (the last record wins)."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    _member_of(session, meeting.council_id, member_id)
    row = session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.member_id == member_id
        )
    )
    if row is None:
        row = Attendance(meeting_id=meeting_id, member_id=member_id, present=present)
        session.add(row)
    else:
        row.present = present
    session.flush()
    return row


def _present_member_ids(session: Session, meeting_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Attendance.member_id).where(
                Attendance.meeting_id == meeting_id, Attendance.present.is_(True)
            )
        )
    )


def check_quorum(
    *, session: Session, meeting_id: int, rules: RuleSettings = DEFAULT_RULES
) -> QuorumResult:
    """Whether a meeting has quorum; members without an attendance record count as absent."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    present = _present_member_ids(session, meeting_id)
    return quorum_rule([(m.role, m.id in present) for m in meeting.council.members], rules)


def open_meeting(
    *,
    session: Session,
    meeting_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> QuorumResult:
    """Hold the meeting when it has quorum, else record it as without quorum."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    result = check_quorum(session=session, meeting_id=meeting_id, rules=rules)
    meeting.status = MeetingStatus.HELD if result.ok else MeetingStatus.NO_QUORUM
    session.flush()
    record_audit(
        session=session,
        action="meeting.open",
        entity_type="meeting",
        entity_id=meeting.id,
        actor=actor,
        task_id=meeting.council.task_id,
        stage=_STAGE_OF[meeting.council.type],
        details={
            "quorum": result.ok,
            "present": result.present,
            "total": result.total,
            "reasons": list(result.reasons),
        },
    )
    return result


def submit_review(
    *,
    session: Session,
    member_id: int,
    opinion: ReviewOpinion,
    submitted_on: date,
    comments: str = "",
    proposal_id: int | None = None,
    application_id: int | None = None,
    task_id: int | None = None,
    calendar: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
) -> Review:
    """Record a member's written review; it is late when filed after the due working day."""
    if sum(x is not None for x in (proposal_id, application_id, task_id)) != 1:
        raise DomainError(
            "review_subject",
            "Nhận xét phải về đúng một đề xuất, hồ sơ hoặc nhiệm vụ.",
            "A review is about exactly one proposal, application or task.",
        )
    member = get_or_raise(session, CouncilMember, member_id)
    next_meeting = session.scalar(
        select(Meeting)
        .where(Meeting.council_id == member.council_id, Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(Meeting.scheduled_at)
    )
    due_on = (
        review_due_date(next_meeting.scheduled_at.date(), calendar_=calendar, rules=rules)
        if next_meeting is not None
        else None
    )
    review = session.scalar(
        select(Review).where(
            Review.member_id == member_id,
            Review.proposal_id.is_not_distinct_from(proposal_id),
            Review.application_id.is_not_distinct_from(application_id),
            Review.task_id.is_not_distinct_from(task_id),
        )
    )
    if review is None:
        review = Review(
            member_id=member_id,
            proposal_id=proposal_id,
            application_id=application_id,
            task_id=task_id,
        )
        session.add(review)
    review.opinion = opinion
    review.comments = comments
    review.submitted_on = submitted_on
    review.due_on = due_on
    review.on_time = due_on is None or submitted_on <= due_on
    session.flush()
    return review


def record_vote(
    *, session: Session, meeting_id: int, member_id: int, proposal_id: int, in_favour: bool
) -> Vote:
    """Record a present member's vote on a proposal (the last vote wins)."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    _member_of(session, meeting.council_id, member_id)
    if member_id not in _present_member_ids(session, meeting_id):
        raise DomainError(
            "voter_absent",
            "Chỉ thành viên có mặt mới được biểu quyết.",
            "Only members present may vote.",
        )
    vote = session.scalar(
        select(Vote).where(
            Vote.meeting_id == meeting_id,
            Vote.member_id == member_id,
            Vote.proposal_id == proposal_id,
        )
    )
    if vote is None:
        vote = Vote(
            meeting_id=meeting_id, member_id=member_id, proposal_id=proposal_id, in_favour=in_favour
        )
        session.add(vote)
    else:
        vote.in_favour = in_favour
    session.flush()
    return vote


def _require_held(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.HELD:
        raise InvalidStateError(
            "meeting_not_held",
            "Cuộc họp chưa đủ điều kiện tiến hành.",
            f"The meeting was not held with quorum (status {meeting.status}).",
        )


def tally_advisory_vote(
    *,
    session: Session,
    meeting_id: int,
    proposal_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> bool:
    """Conclude on a proposal: recommended when more than 3/4 of members present vote for it."""
    meeting = get_or_raise(session, Meeting, meeting_id)
    _require_held(meeting)
    proposal = get_or_raise(session, Proposal, proposal_id)
    present = len(_present_member_ids(session, meeting_id))
    in_favour = (
        session.scalar(
            select(func.count())
            .select_from(Vote)
            .where(
                Vote.meeting_id == meeting_id,
                Vote.proposal_id == proposal_id,
                Vote.in_favour.is_(True),
            )
        )
        or 0
    )
    passed = vote_passes(in_favour, present, rules)
    proposal.status = ProposalStatus.RECOMMENDED if passed else ProposalStatus.NOT_RECOMMENDED
    session.flush()
    record_audit(
        session=session,
        action="council.vote",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        stage=Stage.TASK_LIST,
        details={"meeting_id": meeting_id, "in_favour": in_favour, "present": present},
    )
    return passed


def record_score_sheet(
    *,
    session: Session,
    member_id: int,
    application_id: int,
    scores: Mapping[str, float],
    max_points: Mapping[str, float] | None = None,
    submitted_at: datetime | None = None,
    rules: RuleSettings = DEFAULT_RULES,
) -> ScoreSheet:
    """Record (or replace) a member's scores of an application, per criterion group."""
    member = get_or_raise(session, CouncilMember, member_id)
    application = get_or_raise(session, Application, application_id)
    council = member.council
    if council.type is not CouncilType.SELECTION or council.task_id != application.task_id:
        raise DomainError(
            "not_on_selection_council",
            "Thành viên không thuộc hội đồng tuyển chọn của nhiệm vụ này.",
            "The member does not sit on this task's selection council.",
        )
    maxima = dict(max_points or {})
    for criterion, points in scores.items():
        ceiling = maxima.get(criterion, rules.selection_max_points)
        if not 0 <= points <= ceiling:
            raise DomainError(
                "score_out_of_range",
                f"Điểm tiêu chí {criterion} phải từ 0 đến {ceiling:g}.",
                f"Criterion {criterion} must be scored 0 to {ceiling:g}.",
            )
    if sum(scores.values()) > rules.selection_max_points:
        raise DomainError(
            "score_total",
            f"Tổng điểm vượt quá {rules.selection_max_points:g}.",
            f"The total exceeds {rules.selection_max_points:g} points.",
        )
    sheet = session.scalar(
        select(ScoreSheet).where(
            ScoreSheet.member_id == member_id, ScoreSheet.application_id == application_id
        )
    )
    if sheet is None:
        sheet = ScoreSheet(member_id=member_id, application_id=application_id)
        session.add(sheet)
    sheet.submitted_at = submitted_at or datetime.now(UTC)
    # Update rows in place: replacing the collection would insert the new (sheet, criterion)
    # rows before deleting the old ones and trip the unique constraint.
    by_criterion = {score.criterion: score for score in sheet.scores}
    for criterion in set(by_criterion) - set(scores):
        sheet.scores.remove(by_criterion.pop(criterion))
    for criterion, points in sorted(scores.items()):
        ceiling = maxima.get(criterion, rules.selection_max_points)
        if criterion in by_criterion:
            by_criterion[criterion].points = points
            by_criterion[criterion].max_points = ceiling
        else:
            sheet.scores.append(Score(criterion=criterion, points=points, max_points=ceiling))
    session.flush()
    return sheet


def tally_selection(
    *,
    session: Session,
    council_id: int,
    rules: RuleSettings = DEFAULT_RULES,
    actor: Actor = SYSTEM,
) -> Ranking[int]:
    """Apply the selection rule to every valid application the council scored; rank them."""
    council = get_or_raise(session, Council, council_id)
    if council.type is not CouncilType.SELECTION:
        raise DomainError(
            "not_selection_council",
            "Đây không phải hội đồng tuyển chọn.",
            "This is not a selection council.",
        )
    stmt = select(Application).where(
        Application.task_id == council.task_id,
        Application.status.in_(
            [
                ApplicationStatus.VALID,
                ApplicationStatus.RECOMMENDED,
                ApplicationStatus.NOT_RECOMMENDED,
            ]
        ),
    )
    if council.call_id is not None:
        stmt = stmt.where(Application.call_id == council.call_id)
    member_ids = [m.id for m in council.members]
    outcomes = {}
    for application in session.scalars(stmt.order_by(Application.id)):
        sheets = session.scalars(
            select(ScoreSheet).where(
                ScoreSheet.application_id == application.id, ScoreSheet.member_id.in_(member_ids)
            )
        )
        outcome = selection_outcome([s.as_mapping() for s in sheets], rules)
        application.average_score = outcome.average
        application.status = (
            ApplicationStatus.RECOMMENDED
            if outcome.recommended
            else ApplicationStatus.NOT_RECOMMENDED
        )
        outcomes[application.id] = outcome
    ranking = rank_applications(outcomes)
    session.flush()
    record_audit(
        session=session,
        action="council.tally_selection",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=council.task_id,
        stage=Stage.SELECTION,
        details={
            "averages": {str(k): o.average for k, o in outcomes.items()},
            "ranked": list(ranking.ranked),
            "winner": ranking.winner,
            "tied": ranking.tied,
        },
    )
    return ranking
