"""Council meetings: written reviews before, attendance and quorum, secret ballots cast at the
meeting, and the count by the vote-counting committee.

Reviews (nhận xét) are written before the meeting, due one working day before it. At the
meeting the secretary records who came and the three members elected to count the votes;
without quorum the meeting is held again later and votes again. Members present cast their
ballots; the committee counts them: the advisory council's "Đạt yêu cầu" share, the selection
council's scores (void ballots set aside), the acceptance council's ratings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier, AcceptanceRating
from models.calls import Application
from models.councils import (
    Attendance,
    Council,
    CouncilItem,
    CouncilMember,
    Meeting,
    Review,
    Score,
    ScoreSheet,
    Vote,
)
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    AcceptanceLevel,
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    CountingRole,
    FundingSource,
    MeetingStatus,
    ProposalStatus,
    Rating,
    ReviewOpinion,
)
from models.labels import label
from models.proposals import Proposal
from models.rules import (
    VIETNAM,
    VIETNAM_TZ,
    QuorumResult,
    SelectionOutcome,
    WorkingCalendar,
    acceptance_verdict,
    advisory_recommended,
    appraisal_quorum,
    ballot_problems,
    check_quorum,
    earliest_meeting_day,
    reviews_due_day,
    scoring_sheet,
    selection_outcome,
)
from models.services.acceptance import store_council_verdict
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.councils import (
    STAGE_OF,
    council_edition,
    council_rules,
    item_task,
    key_people,
    meeting_moment,
    selection_council_of,
    users_of,
)
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.notices import Notice, vn_date
from models.services.tasks import set_budget
from models.tasks import Task


def latest_meeting(council: Council) -> Meeting:
    """The council's latest meeting."""
    if not council.meetings:
        raise InvalidStateError(
            "no_meeting",
            "Hội đồng chưa có lịch họp.",
            f"Council #{council.id} has no meeting scheduled.",
        )
    return max(council.meetings, key=lambda m: m.id)


def meeting_day(meeting: Meeting) -> date:
    """The Vietnamese calendar day of a meeting (stored in UTC)."""
    moment = meeting.scheduled_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TZ).date()


def member_of(council: Council, member_id: int) -> CouncilMember:
    """A member of this council, or a clear error."""
    for member in council.members:
        if member.id == member_id:
            return member
    raise DomainError(
        "not_a_member",
        "Người này không phải thành viên hội đồng.",
        f"Member #{member_id} does not sit on council #{council.id}.",
    )


def items_of(council: Council, task_id: int) -> list[CouncilItem]:
    """The items of one task on a council's agenda."""
    return [i for i in council.items if i.task_id == task_id]


# --------------------------------------------------------------------------- assignments


def review_assignments(
    session: Session, council_id: int, task_id: int, *, missing_only: bool = False
) -> list[dict[str, Any]]:
    """One written review per member and item of the task (the members' inbox items);
    ``missing_only``: those whose review has not come in."""
    council = get_or_raise(session, Council, council_id)
    if council.type is CouncilType.APPRAISAL:
        return []  # the appraisal team writes no reviews
    users = users_of(session, list(council.members))
    found = []
    for member in council.members:
        for item in items_of(council, task_id):
            if missing_only and _review_of(session, member.id, item) is not None:
                continue
            application = (
                get_or_raise(session, Application, item.application_id)
                if item.application_id
                else None
            )
            found.append(
                {
                    "memberId": member.id,
                    "memberName": member.person.full_name,
                    "assignee": users[member.id].username if member.id in users else None,
                    "applicationId": item.application_id,
                    "applicationTitle": (
                        f"Hồ sơ của {application.organisation.name}" if application else None
                    ),
                }
            )
    return found


def member_options(session: Session, council_id: int) -> list[dict[str, Any]]:
    """The members as the options of the attendance form."""
    council = get_or_raise(session, Council, council_id)
    return [
        {"label": f"{m.person.full_name} ({label(m.role)})", "value": m.id} for m in council.members
    ]


# --------------------------------------------------------------------------- reviews


def reviews_due_on(
    council: Council,
    regulations: Regulations = DEFAULT_REGULATIONS,
    calendar: WorkingCalendar = VIETNAM,
) -> date:
    """The last day written reviews are due for the council's next meeting."""
    rules = council_rules(council, regulations)
    return reviews_due_day(
        meeting_day(latest_meeting(council)), rules.reviews_due_working_days, calendar
    )


def record_review(
    *,
    session: Session,
    council_id: int,
    member_id: int,
    task_id: int,
    opinion: ReviewOpinion,
    submitted_on: date,
    comments: str = "",
    application_id: int | None = None,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Review:
    """A member files (or revises) a written review before the meeting; it is on time when
    filed by the due day (one working day before the meeting, TT 11/2014 Đ10.2a)."""
    council = get_or_raise(session, Council, council_id)
    member_of(council, member_id)
    task = item_task(session, council, task_id)
    due_on = reviews_due_on(council, regulations, calendar)
    subject = (
        {"application_id": application_id}
        if application_id
        else (
            {"proposal_id": task.proposal_id}
            if council.type is CouncilType.ADVISORY
            else {"task_id": task.id}
        )
    )
    review = session.scalar(
        select(Review).where(
            Review.member_id == member_id,
            Review.proposal_id.is_not_distinct_from(subject.get("proposal_id")),
            Review.application_id.is_not_distinct_from(subject.get("application_id")),
            Review.task_id.is_not_distinct_from(subject.get("task_id")),
        )
    )
    if review is None:
        review = Review(member_id=member_id, **subject)
        session.add(review)
    review.opinion = opinion
    review.comments = comments
    review.submitted_on = submitted_on
    review.due_on = due_on
    review.on_time = submitted_on <= due_on
    session.flush()
    record_audit(
        session=session,
        action="council.review",
        entity_type="review",
        entity_id=review.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={"member_id": member_id, "opinion": opinion.value, "on_time": review.on_time},
    )
    return review


def _review_of(session: Session, member_id: int, item: CouncilItem) -> date | None:
    """The day a member filed the written review of an item (None: not yet)."""
    return session.scalar(
        select(Review.submitted_on).where(
            Review.member_id == member_id,
            Review.application_id.is_not_distinct_from(item.application_id),
        )
    )


def _missing_reviews(session: Session, council: Council, task: Task) -> list[int]:
    """Members whose written review of the task's items has not come in by the due day of the
    latest meeting (TT 11/2014 Đ10.2a)."""
    rules = council_rules(council)
    due = reviews_due_day(meeting_day(latest_meeting(council)), rules.reviews_due_working_days)
    missing = []
    for member in council.members:
        for item in items_of(council, task.id):
            found = _review_of(session, member.id, item)
            if found is None or found > due:
                missing.append(member.id)
                break
    return missing


# --------------------------------------------------------------------------- attendance


@dataclass(frozen=True)
class MeetingResult:
    """Whether a meeting could deliberate on a task, and who was there."""

    meeting: Meeting
    quorum: QuorumResult
    present_member_ids: tuple[int, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the council may vote on the task at this meeting."""
        return self.quorum.ok and not self.reasons


def _present(meeting: Meeting) -> set[int]:
    return {a.member_id for a in meeting.attendance if a.present}


def _result(
    session: Session, council: Council, meeting: Meeting, task: Task, regulations: Regulations
) -> MeetingResult:
    rules = council_rules(council, regulations)
    present = _present(meeting)
    members = [(m.role, m.id in present) for m in council.members]
    reviewers = [r.member_id in present for i in items_of(council, task.id) for r in i.reviewers]
    if council.type is CouncilType.APPRAISAL:
        key = key_people(selection_council_of(session, task))
        quorum = appraisal_quorum(
            len(present),
            len(council.members),
            any(m.id in present and m.person_id in key for m in council.members),
            rules.quorum.share,
        )
    else:
        quorum = check_quorum(members, rules.quorum, reviewers_present=reviewers)
    reasons: list[str] = []
    if council.type is CouncilType.ACCEPTANCE:
        missing = _missing_reviews(session, council, task)
        if missing:
            # every written review must be in before an acceptance meeting (TT 11/2014 Đ10.2a)
            reasons.append(
                f"thiếu nhận xét bằng văn bản của {len(missing)} thành viên / "
                f"{len(missing)} written reviews missing"
            )
    return MeetingResult(meeting, quorum, tuple(sorted(present)), tuple(reasons))


def record_attendance(
    *,
    session: Session,
    council_id: int,
    task_id: int,
    present_member_ids: Iterable[int],
    counting_member_ids: Iterable[int] = (),
    counting_head_id: int | None = None,
    note: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> MeetingResult:
    """The secretary records who came and who counts the votes; the meeting is held when it
    has quorum (NĐ 08/2014 Đ33.1), else recorded as without quorum and held again later.
    For a batch council the second item finds the meeting already recorded."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    meeting = latest_meeting(council)
    if meeting.status is not MeetingStatus.SCHEDULED:
        return _result(session, council, meeting, task, regulations)
    present = set(present_member_ids)
    for member_id in present:
        member_of(council, member_id)
    rules = council_rules(council, regulations)
    for member in council.members:
        meeting.attendance.append(Attendance(member_id=member.id, present=member.id in present))
    session.flush()
    result = _result(session, council, meeting, task, regulations)
    tellers = list(dict.fromkeys(counting_member_ids))
    if result.ok and rules.counting_committee:
        if len(tellers) != rules.counting_committee or counting_head_id not in tellers:
            raise DomainError(
                "counting_committee",
                f"Ban kiểm phiếu gồm {rules.counting_committee} thành viên có mặt, trong đó có "
                "trưởng ban.",
                f"The vote-counting committee is {rules.counting_committee} members present, "
                "one of them its head.",
            )
        if not set(tellers) <= present:
            raise DomainError(
                "counting_absent",
                "Thành viên ban kiểm phiếu phải có mặt.",
                "Vote counters must be present.",
            )
        for row in meeting.attendance:
            if row.member_id in tellers:
                row.counting_role = (
                    CountingRole.HEAD if row.member_id == counting_head_id else CountingRole.MEMBER
                )
    meeting.status = MeetingStatus.HELD if result.ok else MeetingStatus.NO_QUORUM
    meeting.note = note
    session.flush()
    record_audit(
        session=session,
        action="meeting.open",
        entity_type="meeting",
        entity_id=meeting.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={
            "quorum": result.ok,
            "present": result.quorum.present,
            "total": result.quorum.total,
            "reasons": list(result.quorum.reasons + result.reasons),
            "counting_committee": tellers,
        },
    )
    return result


@dataclass
class Rescheduled:
    """The next meeting, the reviews still due for it, and the members' invitations."""

    meeting: Meeting
    reviews_due_on: date
    review_assignments: list[dict[str, Any]]
    notices: list[Notice] = field(default_factory=list)


def reschedule_meeting(
    *,
    session: Session,
    council_id: int,
    task_id: int,
    today: date,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Rescheduled:
    """A meeting without quorum (or, at acceptance, without every written review) is held
    again after the lead time: the members are invited again and those whose review is
    missing may still file it (the same meeting when one is already scheduled)."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    latest = latest_meeting(council)
    if latest.status is not MeetingStatus.SCHEDULED:
        latest = _hold_again(session, council, task, latest, today, calendar, regulations, actor)
    return Rescheduled(
        meeting=latest,
        reviews_due_on=reviews_due_on(council, regulations, calendar),
        review_assignments=review_assignments(session, council.id, task.id, missing_only=True),
        notices=council_invitations(
            session=session, council_id=council.id, task_id=task.id, regulations=regulations
        ),
    )


def _hold_again(
    session: Session,
    council: Council,
    task: Task,
    latest: Meeting,
    today: date,
    calendar: WorkingCalendar,
    regulations: Regulations,
    actor: Actor,
) -> Meeting:
    rules = council_rules(council, regulations)
    day = earliest_meeting_day(
        max(today, meeting_day(latest)), rules.documents_lead_working_days, calendar
    )
    meeting = Meeting(
        scheduled_at=meeting_moment(day),
        location=latest.location,
        mode=latest.mode,
        documents_sent_on=latest.documents_sent_on,
    )
    council.meetings.append(meeting)
    session.flush()
    record_audit(
        session=session,
        action="meeting.reschedule",
        entity_type="meeting",
        entity_id=meeting.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={"previous_meeting_id": latest.id, "meeting_on": day.isoformat()},
    )
    return meeting


# --------------------------------------------------------------------------- ballots


def _held(council: Council) -> Meeting:
    meeting = latest_meeting(council)
    if meeting.status is not MeetingStatus.HELD:
        raise InvalidStateError(
            "meeting_not_held",
            "Cuộc họp chưa đủ điều kiện tiến hành: chưa thể bỏ phiếu.",
            f"The meeting was not held with quorum (status {meeting.status}): no ballot yet.",
        )
    return meeting


def record_ballot(
    *,
    session: Session,
    council_id: int,
    member_id: int,
    task_id: int,
    values: Mapping[str, Any],
    now: datetime,
    application_id: int | None = None,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Vote | ScoreSheet | AcceptanceRating:
    """A member present casts a secret ballot at the meeting (the last one cast counts).

    Advisory: ``vote`` "approve" ("Đạt yêu cầu") or "reject" (TT 06/2023 Đ12.6). Selection:
    ``scores``, criterion → points on the task's scoring sheet (TT 20/2023 Đ11.5d, Đ12).
    Acceptance: ``rating`` excellent / pass / fail (TT 11/2014 Đ10.5g, Mẫu 7).
    """
    council = get_or_raise(session, Council, council_id)
    member_of(council, member_id)
    task = item_task(session, council, task_id)
    meeting = _held(council)
    if member_id not in _present(meeting):
        raise DomainError(
            "voter_absent",
            "Chỉ thành viên có mặt tại phiên họp mới được bỏ phiếu.",
            "Only members present at the meeting may cast a ballot.",
        )
    row: Vote | ScoreSheet | AcceptanceRating
    if council.type is CouncilType.ADVISORY:
        vote = values.get("vote")
        if vote not in ("approve", "reject"):
            raise DomainError(
                "ballot_vote",
                "Phiếu phải chọn Đạt hoặc Không đạt yêu cầu.",
                "The ballot must say approve or reject.",
            )
        existing = session.scalar(
            select(Vote).where(
                Vote.meeting_id == meeting.id,
                Vote.member_id == member_id,
                Vote.proposal_id == task.proposal_id,
            )
        )
        row = existing or Vote(
            meeting_id=meeting.id, member_id=member_id, proposal_id=task.proposal_id
        )
        row.in_favour = vote == "approve"
    elif council.type is CouncilType.SELECTION:
        application = get_or_raise(session, Application, application_id)
        if not any(i.application_id == application.id for i in items_of(council, task.id)):
            raise DomainError(
                "not_on_agenda",
                "Hồ sơ không thuộc phiên họp này.",
                "The application is not on this meeting's agenda.",
            )
        sheet = scoring_sheet(
            task.kind, task.field, council_edition(council, regulations).selection
        )
        scores = {str(k): float(v) for k, v in (values.get("scores") or {}).items()}
        problems = ballot_problems(scores, sheet)
        if problems:
            raise DomainError(
                "ballot_scores",
                "Phiếu chấm điểm chưa đúng: " + "; ".join(problems),
                "The scoring ballot is wrong: " + "; ".join(problems),
            )
        existing_sheet = session.scalar(
            select(ScoreSheet).where(
                ScoreSheet.member_id == member_id, ScoreSheet.application_id == application.id
            )
        )
        row = existing_sheet or ScoreSheet(member_id=member_id, application_id=application.id)
        row.meeting_id, row.submitted_at = meeting.id, now
        _replace_scores(row, scores, sheet.maxima())
    elif council.type is CouncilType.ACCEPTANCE:
        rating = Rating(values.get("rating") or "")
        existing_rating = session.scalar(
            select(AcceptanceRating).where(
                AcceptanceRating.member_id == member_id, AcceptanceRating.task_id == task.id
            )
        )
        row = existing_rating or AcceptanceRating(
            member_id=member_id, task_id=task.id, rating=rating
        )
        row.rating, row.meeting_id = rating, meeting.id
        row.comments = str(values.get("comment") or "")
    else:
        raise DomainError(
            "no_ballot", "Tổ thẩm định không bỏ phiếu.", "The appraisal team casts no ballots."
        )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        action="council.ballot",
        entity_type="meeting",
        entity_id=meeting.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        # secret: who cast a ballot is recorded, not what it says
        details={"member_id": member_id, "application_id": application_id},
    )
    return row


def _replace_scores(
    sheet: ScoreSheet, scores: Mapping[str, float], maxima: Mapping[str, int]
) -> None:
    # update rows in place: replacing the collection would insert the new (sheet, criterion)
    # rows before deleting the old ones and trip the unique constraint
    by_code = {s.criterion: s for s in sheet.scores}
    for code in set(by_code) - set(scores):
        sheet.scores.remove(by_code.pop(code))
    for code, points in sorted(scores.items()):
        if code in by_code:
            by_code[code].points, by_code[code].max_points = points, maxima[code]
        else:
            sheet.scores.append(Score(criterion=code, points=points, max_points=maxima[code]))


# --------------------------------------------------------------------------- the count


@dataclass
class CountResult:
    """What the vote-counting committee announces for one task."""

    council: Council
    members_present: int
    recommended: bool | None = None
    outcomes: dict[int, SelectionOutcome] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    too_late: bool = False
    verdict: Rating | None = None


def advisory_votes(session: Session, meeting: Meeting, task: Task, present: set[int]) -> list[Vote]:
    """The advisory ballots cast on a task's proposal at a meeting by members present."""
    return list(
        session.scalars(
            select(Vote).where(
                Vote.meeting_id == meeting.id,
                Vote.proposal_id == task.proposal_id,
                Vote.member_id.in_(present),
            )
        )
    )


def acceptance_ratings(
    session: Session, meeting: Meeting, task: Task, present: set[int]
) -> list[Rating]:
    """The acceptance ratings cast on a task at a meeting by members present."""
    return [
        r.rating
        for r in session.scalars(
            select(AcceptanceRating).where(
                AcceptanceRating.task_id == task.id,
                AcceptanceRating.meeting_id == meeting.id,
                AcceptanceRating.member_id.in_(present),
            )
        )
    ]


def score_application(
    session: Session,
    meeting: Meeting,
    task: Task,
    application: Application,
    regulations: Regulations,
) -> tuple[list[ScoreSheet], SelectionOutcome]:
    """The scoring ballots of an application at a meeting (members present) and their result."""
    return _score(session, meeting, _present(meeting), task, application, regulations)


def members_present_at(meeting: Meeting) -> set[int]:
    """The ids of the members present at a meeting."""
    return _present(meeting)


def _score(
    session: Session,
    meeting: Meeting,
    present: set[int],
    task: Task,
    application: Application,
    regulations: Regulations,
) -> tuple[list[ScoreSheet], SelectionOutcome]:
    """The ballots cast on an application at a meeting and what they add up to."""
    council = meeting.council
    selection = council_edition(council, regulations).selection
    ballots = list(
        session.scalars(
            select(ScoreSheet)
            .where(
                ScoreSheet.application_id == application.id,
                ScoreSheet.meeting_id == meeting.id,
                ScoreSheet.member_id.in_(present),
            )
            .order_by(ScoreSheet.id)
        )
    )
    proposer_org = task.proposal.proposer_organisation_id if task.proposal else None
    outcome = selection_outcome(
        [b.as_mapping() for b in ballots],
        len(present),
        scoring_sheet(task.kind, task.field, selection),
        selection,
        proposer=application.organisation_id == proposer_org,
    )
    return ballots, outcome


def scored_outcome(
    *, session: Session, application_id: int, regulations: Regulations = DEFAULT_REGULATIONS
) -> SelectionOutcome:
    """What the selection council's ballots gave an application (as counted at its meeting)."""
    application = get_or_raise(session, Application, application_id)
    task = get_or_raise(session, Task, application.task_id)
    meeting = _held(selection_council_of(session, task))
    return _score(session, meeting, _present(meeting), task, application, regulations)[1]


def count_ballots(
    *,
    session: Session,
    council_id: int,
    task_id: int,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> CountResult:
    """The vote-counting committee counts the ballots of the meeting and the council
    concludes on the task (idempotent: counting again gives the same result)."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    meeting = _held(council)
    edition = council_edition(council, regulations)
    present = _present(meeting)
    result = CountResult(council=council, members_present=len(present))
    if council.type is CouncilType.ADVISORY:
        votes = advisory_votes(session, meeting, task, present)
        in_favour = sum(v.in_favour for v in votes)
        result.recommended = advisory_recommended(
            in_favour, len(votes), edition.advisory.pass_share
        )
        proposal = get_or_raise(session, Proposal, task.proposal_id)
        if proposal.status in (
            ProposalStatus.SCREENED_IN,
            ProposalStatus.SUBMITTED,
            ProposalStatus.RECOMMENDED,
            ProposalStatus.NOT_RECOMMENDED,
        ):
            proposal.status = (
                ProposalStatus.RECOMMENDED if result.recommended else ProposalStatus.NOT_RECOMMENDED
            )
        details: dict[str, Any] = {
            "ballots": len(votes),
            "in_favour": in_favour,
            "recommended": result.recommended,
        }
    elif council.type is CouncilType.SELECTION:
        for item in items_of(council, task.id):
            application = get_or_raise(session, Application, item.application_id)
            ballots, outcome = _score(session, meeting, present, task, application, regulations)
            for i, ballot in enumerate(ballots):
                ballot.void = i in outcome.void_indexes
            application.average_score = outcome.average
            application.status = (
                ApplicationStatus.RECOMMENDED
                if outcome.recommended
                else ApplicationStatus.NOT_RECOMMENDED
            )
            result.outcomes[application.id] = outcome
        details = {
            "averages": {str(k): o.average for k, o in result.outcomes.items()},
            "void": {str(k): o.void_ballots for k, o in result.outcomes.items()},
            "recommended": [k for k, o in result.outcomes.items() if o.recommended],
        }
    elif council.type is CouncilType.ACCEPTANCE:
        ratings = acceptance_ratings(session, meeting, task, present)
        dossier = session.scalar(
            select(AcceptanceDossier).where(
                AcceptanceDossier.task_id == task.id,
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            )
        )
        result.too_late = bool(dossier and dossier.too_late)
        result.ratings = {r.value: sum(1 for x in ratings if x is r) for r in Rating}
        result.verdict = acceptance_verdict(
            excellent=result.ratings["excellent"],
            passed=result.ratings["pass"],
            failed=result.ratings["fail"],
            present=len(present),
            too_late=result.too_late,
            rules=edition.acceptance,
        )
        store_council_verdict(session, task, result.verdict, today)
        details = {
            "ratings": result.ratings,
            "present": len(present),
            "too_late": result.too_late,
            "verdict": result.verdict.value,
        }
    else:
        raise DomainError(
            "no_ballot", "Tổ thẩm định không bỏ phiếu.", "The appraisal team casts no ballots."
        )
    if all(i.task_id == task.id for i in council.items) or council.type is not CouncilType.ADVISORY:
        council.status = CouncilStatus.CONCLUDED
    session.flush()
    record_audit(
        session=session,
        action="council.count",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={"type": council.type.value, "members_present": len(present), **details},
    )
    return result


# --------------------------------------------------------------------------- budget appraisal


@dataclass(frozen=True)
class AppraisalResult:
    """The appraisal team's conclusion on the budget of the chosen application."""

    quorum: QuorumResult
    approved_budget: int | None


def record_budget_appraisal(
    *,
    session: Session,
    council_id: int,
    task_id: int,
    application_id: int,
    present_member_ids: Iterable[int],
    approved_budget: int,
    note: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> AppraisalResult:
    """The appraisal team meets: with 4/5 of its members including one of the council's key
    members (TT 20/2023 Đ13.1b) it recommends the state budget, never above the request."""
    council = get_or_raise(session, Council, council_id)
    if council.type is not CouncilType.APPRAISAL:
        raise DomainError(
            "not_appraisal", "Đây không phải tổ thẩm định kinh phí.", "Not an appraisal team."
        )
    task = item_task(session, council, task_id)
    application = get_or_raise(session, Application, application_id)
    meeting = latest_meeting(council)
    if meeting.status is MeetingStatus.SCHEDULED:
        present = set(present_member_ids)
        for member_id in present:
            member_of(council, member_id)
        for member in council.members:
            meeting.attendance.append(Attendance(member_id=member.id, present=member.id in present))
        session.flush()
    result = _result(session, council, meeting, task, regulations)
    if not result.quorum.ok:
        meeting.status = MeetingStatus.NO_QUORUM
        session.flush()
        record_audit(
            session=session,
            action="appraisal.no_quorum",
            entity_type="meeting",
            entity_id=meeting.id,
            actor=actor,
            task_id=task.id,
            stage=STAGE_OF[council.type],
            details={"reasons": list(result.quorum.reasons)},
        )
        return AppraisalResult(result.quorum, None)
    requested = application.requested_budget
    if requested is not None and approved_budget > requested:
        raise DomainError(
            "budget_above_request",
            f"Kinh phí thẩm định ({approved_budget:,} đồng) không được vượt kinh phí đề nghị "
            f"({requested:,} đồng).".replace(",", "."),
            f"The appraised budget {approved_budget} exceeds the {requested} requested.",
        )
    if approved_budget <= 0:
        raise DomainError(
            "budget_positive", "Kinh phí phải lớn hơn 0.", "The budget must be positive."
        )
    meeting.status, meeting.note = MeetingStatus.HELD, note
    council.status = CouncilStatus.CONCLUDED
    set_budget(
        session=session, task_id=task.id, source=FundingSource.STATE_BUDGET, amount=approved_budget
    )
    session.flush()
    record_audit(
        session=session,
        action="appraisal.conclude",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={
            "approved_budget": approved_budget,
            "requested": requested,
            "present": result.quorum.present,
        },
    )
    return AppraisalResult(result.quorum, approved_budget)


def members_present(session: Session, council: Council) -> list[CouncilMember]:
    """The members present at the council's latest meeting."""
    present = _present(latest_meeting(council))
    return [m for m in council.members if m.id in present]


def key_member_ids(council: Council) -> set[int]:
    """Members in the chair, vice-chair, reviewer or secretary seat."""
    return {m.id for m in council.members if m.role is not CouncilRole.MEMBER}


def council_invitations(
    *,
    session: Session,
    council_id: int,
    task_id: int,
    regulations: Regulations = DEFAULT_REGULATIONS,
) -> list[Notice]:
    """The decision establishing the council and the documents, to every member (TT 20/2023
    Đ9.1; TT 11/2014 Đ10.1), with the day their written reviews are due."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    meeting = latest_meeting(council)
    due = reviews_due_on(council, regulations)
    users = users_of(session, list(council.members))
    when = (
        meeting.scheduled_at
        if meeting.scheduled_at.tzinfo
        else meeting.scheduled_at.replace(tzinfo=UTC)
    )
    moment = when.astimezone(VIETNAM_TZ).strftime("%H:%M ngày %d/%m/%Y")
    where = f" tại {meeting.location}" if meeting.location else ""
    notices = []
    for member in council.members:
        user = users.get(member.id)
        address = user.email if user else member.person.email
        if not address:
            continue
        notices.append(
            Notice(
                (address,),
                f"[Sở KH&CN] Mời tham gia {council.name} / Council appointment",
                f"Kính gửi {member.person.full_name},\n\nTheo quyết định số "
                f"{council.decision_number or '—'}, Quý vị là {label(member.role).lower()} của "
                f"{council.name}.\nNhiệm vụ: {task.title} ({task.code})\nThời gian họp: {moment}"
                f"{where} ({label(meeting.mode).lower()}).\n\n"
                "Tài liệu và phiếu nhận xét có trong hộp công việc của Quý vị trên Hệ thống quản "
                f"lý nhiệm vụ KH&CN; đề nghị gửi nhận xét chậm nhất ngày {vn_date(due)}.\n\n"
                f"--\nYou are appointed to the {council.type.value} council of task {task.code} "
                f"({member.role.value}). Meeting: {when.astimezone(VIETNAM_TZ).isoformat()}.",
                f"member-{member.id}",
            )
        )
    return notices


def review_reminders(*, session: Session, council_id: int, task_id: int) -> list[Notice]:
    """A reminder to each member whose written review has not come in by its due day."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    missing = {
        a["memberId"] for a in review_assignments(session, council.id, task.id, missing_only=True)
    }
    users = users_of(session, list(council.members))
    notices = []
    for member in council.members:
        user = users.get(member.id)
        if member.id not in missing or user is None:
            continue
        notices.append(
            Notice(
                (user.email,),
                f"[Sở KH&CN] Nhắc gửi nhận xét — {council.name}",
                f"Kính gửi {member.person.full_name},\n\nSở chưa nhận được phiếu nhận xét của Quý "
                f"vị về nhiệm vụ {task.code}. Đề nghị gửi trước phiên họp.\n\n--\nYour review "
                f"of task {task.code} is overdue.",
                f"review-{member.id}",
            )
        )
    return notices
