"""Councils (hội đồng) of every step, the jobs of `khcn-council-review`: convene the council,
check the meeting's quorum, reschedule a meeting without quorum, tally the members' reviews.

What `khcn.council.convene` needs in the domain database (seed and end-to-end data must provide
it; tests/workers/data_councils.py `make_experts` builds it):

- the task (`Task.code` = `taskCode`) and its field (`Task.field`);
- enough **candidate members**: people with `Person.is_expert` and an `Expertise` row in the
  task's field, each linked (`User.person_id`) to an active `User` holding the role
  `council_member` (the user's username becomes the review tasks' assignee, the user's e-mail
  gets the appointment). Sizes come from `RuleSettings.council_sizes` (the minimum is used:
  advisory 7, selection 7, acceptance 9), so a field needs at least 9 such experts, plus one
  per expert who has a conflict of interest with the task;
- for a selection council, the applications named by `validApplicationIds` (convene records
  them as valid: that list is the staff's opening decision);
- for an acceptance council, at least one candidate who sat on the task's advisory or
  selection council (TT 11/2014): convene picks such people first.

How members are chosen: candidates by seniority (academic title, then degree), then by how many
open councils they already sit on, then by id; roles are handed out in that order (chair,
vice-chair, two reviewers, scientific secretary, members). Every appointment goes through
`models.services.councils.appoint_council_member`, which refuses conflicts of interest
(anyone registered on the task or its applications, anyone from an applying organisation) and
audits the refusal; the next candidate takes the role. For an advisory council (where the
services see no conflicts) the proposer and the people of the proposing organisation are
refused here, audited the same way. Too few eligible candidates is a technical failure: the job
fails with a message saying so (retries, then an incident an operator can read).

Idempotency: a council is found again by (task, type, call) while it is forming or convened, so
a job delivered twice, or the same council requested by a second instance, convenes one council.
"""

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceRating
from models.calls import Application
from models.councils import Council, CouncilMember, Meeting, ScoreSheet
from models.enums import (
    AcademicTitle,
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    Degree,
    MeetingStatus,
    ProposalStatus,
    Rating,
    ReviewOpinion,
    Role,
    Stage,
)
from models.labels import label
from models.people import Affiliation, Expertise, Person
from models.proposals import Proposal
from models.rules import DEFAULT_RULES, VIETNAM, RuleSettings, selection_outcome
from models.services import acceptance as acceptance_service
from models.services import councils as council_service
from models.services.audit import Actor, record_audit
from models.services.errors import ConflictOfInterestError, get_or_raise
from models.services.proposals import screen_proposal
from models.tasks import Task
from models.users import User, UserRole
from workers.clock import VIETNAM_TZ, Clock, today_vn
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps
from workers.tasklist import iso_vn

log = logging.getLogger("workers.councils")

CONVENE = "khcn.council.convene"
CHECK_QUORUM = "khcn.council.check-quorum"
RESCHEDULE = "khcn.council.reschedule"
TALLY = "khcn.council.tally"

# Members need the documents a few working days ahead: reviews are due 1 working day before.
MEETING_LEAD_WORKING_DAYS = 5
MEETING_TIME = time(8, 0)
# The criteria groups of the selection score form (khcn-selection-score) and their maxima.
SELECTION_CRITERIA = {"objectives": 30.0, "method": 30.0, "capacity": 20.0, "budget": 20.0}

_STAGE = {
    CouncilType.ADVISORY: Stage.TASK_LIST,
    CouncilType.SELECTION: Stage.SELECTION,
    CouncilType.ACCEPTANCE: Stage.ACCEPTANCE,
}
_TYPE_NAME = {
    CouncilType.ADVISORY: "Hội đồng tư vấn xác định nhiệm vụ",
    CouncilType.SELECTION: "Hội đồng tư vấn tuyển chọn",
    CouncilType.ACCEPTANCE: "Hội đồng đánh giá, nghiệm thu",
}
_TITLE_RANK = {AcademicTitle.PROFESSOR: 2, AcademicTitle.ASSOCIATE_PROFESSOR: 1}
_DEGREE_RANK = {
    Degree.DOCTOR_OF_SCIENCE: 4,
    Degree.DOCTOR: 3,
    Degree.MASTER: 2,
    Degree.ENGINEER: 1,
    Degree.BACHELOR: 1,
}


class NotEnoughMembersError(RuntimeError):
    """Too few eligible experts to form a council: a technical failure an operator must fix."""


def council_roles(size: int, rules: RuleSettings = DEFAULT_RULES) -> list[CouncilRole]:
    """The roles of a council of `size` members, in the order they are handed out."""
    head = [CouncilRole.CHAIR, CouncilRole.VICE_CHAIR]
    head += [CouncilRole.REVIEWER] * rules.reviewers_per_council + [CouncilRole.SECRETARY]
    return head + [CouncilRole.MEMBER] * (size - len(head))


def next_meeting_at(clock: Clock, after: datetime | None = None) -> datetime:
    """A meeting a few working days after `after` (or today), at 08:00 Vietnam time, in UTC."""
    today = today_vn(clock)
    start = today
    if after is not None:
        start = max(today, _as_utc(after).astimezone(VIETNAM_TZ).date())
    day = VIETNAM.add_working_days(start, MEETING_LEAD_WORKING_DAYS)
    # stored in UTC: SQLite drops offsets, so every stored date-time is UTC
    return datetime.combine(day, MEETING_TIME, VIETNAM_TZ).astimezone(UTC)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seniority(person: Person) -> tuple[int, int]:
    return (
        _TITLE_RANK.get(person.academic_title, 0) if person.academic_title else 0,
        _DEGREE_RANK.get(person.degree, 0) if person.degree else 0,
    )


def _candidates(session: Session, task: Task) -> list[User]:
    """Active users in role council_member whose person is an expert of the task's field."""
    stmt = (
        select(User)
        .join(Person, User.person_id == Person.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Expertise, Expertise.person_id == Person.id)
        .where(
            User.is_active.is_(True),
            UserRole.role == Role.COUNCIL_MEMBER,
            Person.is_expert.is_(True),
            Expertise.field == task.field,
        )
        .distinct()
    )
    return list(session.scalars(stmt))


def _open_council_load(session: Session) -> dict[int, int]:
    """How many forming or convened councils each person sits on."""
    rows = session.execute(
        select(CouncilMember.person_id, func.count())
        .join(Council, Council.id == CouncilMember.council_id)
        .where(Council.status.in_([CouncilStatus.FORMING, CouncilStatus.CONVENED]))
        .group_by(CouncilMember.person_id)
    )
    return {person_id: count for person_id, count in rows}


def _proposer_conflicts(session: Session, task: Task, person_id: int) -> list[str]:
    """Why a person may not sit on the advisory council of the task's proposal."""
    proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
    if proposal is None:
        return []
    found = []
    if proposal.proposer_person_id == person_id:
        found.append("proposer")
    if proposal.proposer_organisation_id is not None:
        orgs = set(
            session.scalars(
                select(Affiliation.organisation_id).where(
                    Affiliation.person_id == person_id, Affiliation.ended_on.is_(None)
                )
            )
        )
        if proposal.proposer_organisation_id in orgs:
            found.append("proposing_organisation")
    return found


def _find_council(
    session: Session, task: Task, kind: CouncilType, call_id: int | None
) -> Council | None:
    stmt = select(Council).where(
        Council.task_id == task.id,
        Council.type == kind,
        Council.status.in_([CouncilStatus.FORMING, CouncilStatus.CONVENED]),
    )
    if kind is CouncilType.SELECTION:
        stmt = stmt.where(Council.call_id.is_not_distinct_from(call_id))
    return session.scalar(stmt.order_by(Council.id.desc()))


def _appoint_members(
    session: Session, council: Council, task: Task, actor: Actor, rules: RuleSettings
) -> None:
    """Fill the council's open roles from the candidates, skipping conflicts of interest."""
    kind = council.type
    size = rules.council_sizes[kind][0]
    # the roles still to fill, in hand-out order (a council found half-formed keeps its members)
    open_roles = []
    remaining = Counter(council_roles(size, rules)) - Counter(m.role for m in council.members)
    for role in council_roles(size, rules):
        if remaining[role]:
            open_roles.append(role)
            remaining[role] -= 1
    seated = {m.person_id for m in council.members}
    load = _open_council_load(session)
    earlier = (
        council_service.earlier_council_people(session, task)
        if kind is CouncilType.ACCEPTANCE
        else set()
    )
    people = {u.id: session.get(Person, u.person_id) for u in _candidates(session, task)}
    order = sorted(
        (p for p in people.values() if p is not None and p.id not in seated),
        key=lambda p: (
            p.id not in earlier,
            tuple(-x for x in _seniority(p)),
            load.get(p.id, 0),
            p.id,
        ),
    )
    refused: list[dict[str, Any]] = []
    for person in order:
        if not open_roles:
            break
        if kind is CouncilType.ADVISORY:
            reasons = _proposer_conflicts(session, task, person.id)
            if reasons:
                record_audit(
                    session=session,
                    action="council.appoint_refused",
                    entity_type="council",
                    entity_id=council.id,
                    actor=actor,
                    task_id=task.id,
                    stage=_STAGE[kind],
                    details={"person_id": person.id, "conflicts": reasons},
                )
                refused.append({"person_id": person.id, "conflicts": reasons})
                continue
        try:
            council_service.appoint_council_member(
                session=session,
                council_id=council.id,
                person_id=person.id,
                role=open_roles[0],
                rules=rules,
                actor=actor,
            )
        except ConflictOfInterestError as err:
            # the service has audited the refusal; the next candidate takes the role
            log.info("council %s: %s", council.id, err.message_en)
            refused.append({"person_id": person.id, "conflicts": [c.code for c in err.conflicts]})
            continue
        open_roles.pop(0)
    if open_roles:
        raise NotEnoughMembersError(
            f"Không đủ chuyên gia lĩnh vực {label(task.field)} để thành lập "
            f"{_TYPE_NAME[kind].lower()} cho nhiệm vụ {task.code}: còn thiếu {len(open_roles)} "
            f"thành viên ({len(order)} ứng viên, {len(refused)} bị loại do xung đột lợi ích). "
            f"/ Not enough experts of field {task.field.value} with a council_member user to "
            f"form the {kind.value} council of task {task.code}: {len(open_roles)} more needed "
            f"({len(order)} candidates, {len(refused)} refused for conflicts of interest)."
        )


def _mark_valid(
    session: Session, task: Task, application_ids: Sequence[int], actor: Actor
) -> int | None:
    """Record the staff's opening decision: these applications are valid; their call's id."""
    call_id = None
    for application_id in application_ids:
        application = get_or_raise(session, Application, application_id)
        if application.task_id != task.id:
            raise ValueError(f"application #{application_id} is not for task {task.code}")
        call_id = application.call_id
        if application.status is ApplicationStatus.SUBMITTED:
            application.status = ApplicationStatus.VALID
            record_audit(
                session=session,
                action="application.valid",
                entity_type="application",
                entity_id=application.id,
                actor=actor,
                task_id=task.id,
                stage=Stage.SELECTION,
                details={"call_id": application.call_id},
            )
    session.flush()
    return call_id


def _latest_meeting(council: Council) -> Meeting:
    if not council.meetings:
        raise LookupError(f"council #{council.id} has no meeting")
    return max(council.meetings, key=lambda m: m.id)


def _users_of(session: Session, members: Iterable[CouncilMember]) -> dict[int, User]:
    """Member id → the member's user."""
    by_person = {m.person_id: m.id for m in members}
    users = session.scalars(select(User).where(User.person_id.in_(list(by_person))))
    return {by_person[u.person_id]: u for u in users if u.person_id is not None}


def _conclude(session: Session, council: Council, actor: Actor, result: dict[str, Any]) -> None:
    council.status = CouncilStatus.CONCLUDED
    session.flush()
    record_audit(
        session=session,
        action="council.conclude",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=council.task_id,
        stage=_STAGE[council.type],
        details=result,
    )


def _int_ids(values: Iterable[Any] | None) -> list[int]:
    # forms may submit ids as strings (HTML checkboxes); the domain's ids are integers
    return [int(v) for v in values or []]


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the councils."""
    r = ZeebeTaskRouter()
    rules = DEFAULT_RULES

    @r.task(task_type=CONVENE)
    def convene(
        job: Job,
        taskCode: str,
        councilType: str,
        validApplicationIds: list[Any] | None = None,
        screeningNote: str | None = None,
    ) -> dict[str, Any]:
        """Form the council, schedule its meeting, and hand each member what to review."""
        kind = CouncilType(councilType)
        actor = actor_of(job)
        valid_ids = _int_ids(validApplicationIds) if kind is CouncilType.SELECTION else []
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            call_id = None
            if kind is CouncilType.ADVISORY and task.proposal_id is not None:
                proposal = get_or_raise(session, Proposal, task.proposal_id)
                if proposal.status is ProposalStatus.SUBMITTED:
                    # reaching the advisory council means staff screening passed it
                    screen_proposal(
                        session=session,
                        proposal_id=proposal.id,
                        accept=True,
                        note=screeningNote or "",
                        actor=actor,
                    )
            if kind is CouncilType.SELECTION:
                call_id = _mark_valid(session, task, valid_ids, actor)
            council = _find_council(session, task, kind, call_id)
            if council is None:
                council = council_service.create_council(
                    session=session,
                    type=kind,
                    name=f"{_TYPE_NAME[kind]} nhiệm vụ {task.code}",
                    task_id=task.id,
                    call_id=call_id,
                    established_on=today_vn(deps.clock),
                    actor=actor,
                )
            if council.status is CouncilStatus.FORMING:
                _appoint_members(session, council, task, actor, rules)
                council_service.convene_council(
                    session=session, council_id=council.id, rules=rules, actor=actor
                )
            session.refresh(council)
            meeting = next(
                (m for m in council.meetings if m.status is MeetingStatus.SCHEDULED), None
            )
            if meeting is not None and _as_utc(meeting.scheduled_at) < deps.clock.now():
                # a council convened again (after a deadline escalation) meets anew
                meeting.status = MeetingStatus.CANCELLED
                meeting = None
            if meeting is None:
                meeting = council_service.schedule_meeting(
                    session=session,
                    council_id=council.id,
                    scheduled_at=next_meeting_at(deps.clock),
                    location="Phòng họp Sở Khoa học và Công nghệ",
                )
            meeting_at = iso_vn(meeting.scheduled_at)
            members = list(council.members)
            users = _users_of(session, members)
            applications = [get_or_raise(session, Application, i) for i in valid_ids]
            options, assignments, mails = [], [], []
            for m in members:
                user = users.get(m.id)
                if user is None:
                    # only a council formed outside this worker can have such a member
                    raise NotEnoughMembersError(
                        f"Thành viên {m.person.full_name} của hội đồng #{council.id} chưa có tài "
                        "khoản để nhận xét. / A member of council "
                        f"#{council.id} ({m.person.full_name}) has no user account to review with."
                    )
                name = m.person.full_name
                options.append({"label": f"{name} ({label(m.role)})", "value": m.id})
                targets = applications if kind is CouncilType.SELECTION else [None]
                for application in targets:
                    assignments.append(
                        {
                            "memberId": m.id,
                            "memberName": name,
                            "assignee": user.username,
                            "applicationId": application.id if application else None,
                            "applicationTitle": (
                                f"Hồ sơ của {application.organisation.name}"
                                if application
                                else None
                            ),
                        }
                    )
                mails.append((m.id, user.email, name, label(m.role)))
            council_id, council_name, title = council.id, council.name, task.title
        for member_id, address, name, role in mails:
            deps.mailer.send(
                [address],
                f"[Sở KH&CN] Mời tham gia {council_name} / Council appointment",
                f"Kính gửi {name},\n\nSở Khoa học và Công nghệ trân trọng mời Quý vị tham gia "
                f"{council_name} với vai trò {role.lower()}.\nNhiệm vụ: {title} ({taskCode})\n"
                f"Thời gian họp: {meeting_at}\n\nTài liệu và phiếu nhận xét, đánh giá có trong "
                "hộp công việc của Quý vị trên Hệ thống quản lý nhiệm vụ KH&CN; đề nghị gửi "
                "nhận xét chậm nhất 01 ngày làm việc trước phiên họp.\n\n"
                f"--\nYou are appointed to the {kind.value} council of task {taskCode} "
                f"({role}). Meeting: {meeting_at}. Please file your review at least one "
                "working day before the meeting.",
                idempotency_key=f"council-{council_id}-member-{member_id}-appointed",
            )
        return {
            "councilId": council_id,
            "meetingAt": meeting_at,
            "memberOptions": options,
            "reviewAssignments": assignments,
        }

    @r.task(task_type=CHECK_QUORUM)
    def check_quorum(
        job: Job,
        councilId: int,
        presentMemberIds: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Record who came to the meeting and whether the council may deliberate."""
        present = set(_int_ids(presentMemberIds))
        with deps.transaction() as session:
            council = get_or_raise(session, Council, int(councilId))
            meeting = _latest_meeting(council)
            unknown = present - {m.id for m in council.members}
            if unknown:
                raise ValueError(f"not members of council #{council.id}: {sorted(unknown)}")
            if meeting.status is MeetingStatus.SCHEDULED:
                for m in council.members:
                    council_service.record_attendance(
                        session=session,
                        meeting_id=meeting.id,
                        member_id=m.id,
                        present=m.id in present,
                    )
                result = council_service.open_meeting(
                    session=session, meeting_id=meeting.id, rules=rules, actor=actor_of(job)
                )
            else:
                # the same job delivered again: the meeting was already opened
                result = council_service.check_quorum(
                    session=session, meeting_id=meeting.id, rules=rules
                )
        return {"quorumMet": result.ok, "presentCount": result.present}

    @r.task(task_type=RESCHEDULE)
    def reschedule(job: Job, councilId: int) -> dict[str, Any]:
        """Schedule another meeting after one without quorum, and tell the members."""
        with deps.transaction() as session:
            council = get_or_raise(session, Council, int(councilId))
            latest = _latest_meeting(council)
            if latest.status is MeetingStatus.SCHEDULED:
                meeting = latest  # the same job delivered again
            else:
                meeting = council_service.schedule_meeting(
                    session=session,
                    council_id=council.id,
                    scheduled_at=next_meeting_at(deps.clock, latest.scheduled_at),
                    location=latest.location,
                )
                record_audit(
                    session=session,
                    action="meeting.reschedule",
                    entity_type="meeting",
                    entity_id=meeting.id,
                    actor=actor_of(job),
                    task_id=council.task_id,
                    stage=_STAGE[council.type],
                    details={
                        "previous_meeting_id": latest.id,
                        "scheduled_at": iso_vn(meeting.scheduled_at),
                    },
                )
            meeting_at, meeting_id, name = iso_vn(meeting.scheduled_at), meeting.id, council.name
            users = _users_of(session, council.members)
            to = sorted({u.email for u in users.values()})
        if to:
            deps.mailer.send(
                to,
                f"[Sở KH&CN] Dời lịch họp {name} / Meeting rescheduled",
                f"Phiên họp của {name} không đủ số thành viên theo quy định và được dời sang "
                f"{meeting_at}. Kính mời Quý vị tham dự.\n\n"
                f"--\nThe meeting had no quorum; it is rescheduled to {meeting_at}.",
                idempotency_key=f"meeting-{meeting_id}-scheduled",
            )
        return {"meetingAt": meeting_at}

    @r.task(task_type=TALLY)
    def tally(
        job: Job,
        councilId: int,
        councilType: str,
        reviews: list[dict[str, Any]] | None = None,
        presentMemberIds: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Record the members' reviews and apply the council's rule (vote, scores, ratings)."""
        kind = CouncilType(councilType)
        actor = actor_of(job)
        with deps.transaction() as session:
            council = get_or_raise(session, Council, int(councilId))
            if council.type is not kind:
                raise ValueError(f"council #{council.id} is a {council.type} council, not {kind}")
            meeting = _latest_meeting(council)
            present = {a.member_id for a in meeting.attendance if a.present}
            if not meeting.attendance:
                present = set(_int_ids(presentMemberIds))
            members = {m.id: m for m in council.members}
            concluded = council.status is CouncilStatus.CONCLUDED
            today = today_vn(deps.clock)
            items = [r for r in reviews or [] if r and int(r.get("memberId") or 0) in members]
            if kind is CouncilType.ADVISORY:
                out = _tally_advisory(
                    session, council, meeting, present, items, concluded, actor, today
                )
            elif kind is CouncilType.SELECTION:
                out = _tally_selection(session, council, present, items, concluded, actor, today)
            else:
                out = _tally_acceptance(session, council, meeting, present, items, concluded, actor)
            if not concluded:
                _conclude(session, council, actor, out)
        return out

    return r


def _tally_advisory(
    session: Session,
    council: Council,
    meeting: Meeting,
    present: set[int],
    reviews: list[dict[str, Any]],
    concluded: bool,
    actor: Actor,
    today: date,
) -> dict[str, Any]:
    """Advisory council: recommended when more than 3/4 of the members present approve."""
    task = get_or_raise(session, Task, council.task_id)
    proposal = get_or_raise(session, Proposal, task.proposal_id)
    if not concluded:
        for r in reviews:
            member_id, vote = int(r["memberId"]), r.get("vote")
            if vote not in ("approve", "reject"):
                continue  # no vote given: a present member who did not vote counts against
            council_service.submit_review(
                session=session,
                member_id=member_id,
                opinion=ReviewOpinion.APPROVE if vote == "approve" else ReviewOpinion.REJECT,
                submitted_on=today,
                comments=r.get("comment") or "",
                proposal_id=proposal.id,
            )
            if member_id in present:
                council_service.record_vote(
                    session=session,
                    meeting_id=meeting.id,
                    member_id=member_id,
                    proposal_id=proposal.id,
                    in_favour=vote == "approve",
                )
        council_service.tally_advisory_vote(
            session=session, meeting_id=meeting.id, proposal_id=proposal.id, actor=actor
        )
        session.refresh(proposal)
    return {"councilRecommended": proposal.status is ProposalStatus.RECOMMENDED}


def _tally_selection(
    session: Session,
    council: Council,
    present: set[int],
    reviews: list[dict[str, Any]],
    concluded: bool,
    actor: Actor,
    today: date,
) -> dict[str, Any]:
    """Selection council: each application's average, zero counts and scorers.

    Every member's written review is kept; the score sheets that count are those of the
    members present at the meeting (phiếu đánh giá are filled in at the meeting).
    """
    application_ids = sorted({int(r["applicationId"]) for r in reviews if r.get("applicationId")})
    if not concluded:
        for r in reviews:
            if not r.get("applicationId"):
                continue
            member_id, application_id = int(r["memberId"]), int(r["applicationId"])
            given = r.get("scores") or {}
            scores = {c: float(given.get(c) or 0) for c in SELECTION_CRITERIA}
            council_service.submit_review(
                session=session,
                member_id=member_id,
                opinion=(
                    ReviewOpinion.APPROVE
                    if sum(scores.values()) >= DEFAULT_RULES.selection_min_average
                    else ReviewOpinion.REJECT
                ),
                submitted_on=today,
                comments=r.get("comment") or "",
                application_id=application_id,
            )
            if member_id in present:
                council_service.record_score_sheet(
                    session=session,
                    member_id=member_id,
                    application_id=application_id,
                    scores=scores,
                    max_points=SELECTION_CRITERIA,
                )
        council_service.tally_selection(session=session, council_id=council.id, actor=actor)
    member_ids = [m.id for m in council.members]
    results = []
    for application_id in application_ids:
        sheets = [
            s.as_mapping()
            for s in session.scalars(
                select(ScoreSheet).where(
                    ScoreSheet.application_id == application_id,
                    ScoreSheet.member_id.in_(member_ids),
                )
            )
        ]
        zeros = Counter(c for sheet in sheets for c, v in sheet.items() if v == 0)
        results.append(
            {
                "applicationId": application_id,
                "averageScore": selection_outcome(sheets).average,
                "maxZeroCount": max(zeros.values(), default=0),
                "scorerCount": len(sheets),
            }
        )
    return {"applicationScores": results}


def _tally_acceptance(
    session: Session,
    council: Council,
    meeting: Meeting,
    present: set[int],
    reviews: list[dict[str, Any]],
    concluded: bool,
    actor: Actor,
) -> dict[str, Any]:
    """Acceptance council: how many members present rated Xuất sắc, and Đạt."""
    task_id = council.task_id
    assert task_id is not None
    if not concluded:
        for r in reviews:
            if r.get("rating") not in {x.value for x in Rating}:
                continue
            acceptance_service.record_acceptance_rating(
                session=session,
                member_id=int(r["memberId"]),
                task_id=task_id,
                rating=Rating(r["rating"]),
                comments=r.get("comment") or "",
            )
        acceptance_service.tally_acceptance(session=session, meeting_id=meeting.id, actor=actor)
    ratings = [
        row.rating
        for row in session.scalars(
            select(AcceptanceRating).where(
                AcceptanceRating.task_id == task_id,
                AcceptanceRating.member_id.in_(list(present)),
            )
        )
    ]
    return {
        "ratingCounts": {
            "presentCount": len(present),
            "excellentCount": sum(1 for x in ratings if x is Rating.EXCELLENT),
            "passCount": sum(1 for x in ratings if x is Rating.PASS),
        }
    }
