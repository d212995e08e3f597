"""Councils: the system proposes the members, staff confirm them by a numbered decision.

A council deliberates on items: a proposal's task (advisory councils take a batch of one field
and year, TT 06/2023 Đ10.1), the valid applications for a task (selection), the task at
acceptance, the budget of the chosen application (the appraisal team). Meetings, reviews,
ballots and the count live in models/services/meetings.py.

How members are proposed: experts of the task's field with an active council_member user, by
seniority (academic title, then degree), then by how many open councils they already sit on,
then by id; people with a conflict of interest are skipped and the refusal audited. An
acceptance council takes 6 experts and 3 members from the ordering or using side (people of a
government agency or of the proposing organisation), first someone who sat on an earlier
council of the task (TT 11/2014 Đ9.3). The appraisal team takes four Department officials
(people whose user is staff or leader) and the chair of the task's selection council (TT
20/2023 Đ8.4).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.calls import Application, ApplicationMember, Call
from models.councils import Council, CouncilItem, CouncilMember, ItemReviewer, Meeting, Review, Vote
from models.editions import DEFAULT_REGULATIONS, CouncilRules, Edition, Quorum, Regulations
from models.enums import (
    AcademicTitle,
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    Degree,
    MeetingMode,
    OrganisationKind,
    Role,
    Stage,
)
from models.labels import label
from models.people import Affiliation, Expertise, Organisation, Person
from models.proposals import Proposal
from models.rules import (
    VIETNAM,
    VIETNAM_TZ,
    Conflict,
    Seat,
    WorkingCalendar,
    conflicts_of_interest,
    council_composition_problems,
    council_roles,
    earliest_meeting_day,
    latest_meeting_day,
)
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import (
    DomainError,
    InvalidStateError,
    NotEnoughMembersError,
    get_or_raise,
)
from models.services.notices import vn_date
from models.services.tasks import edition_of
from models.tasks import Task, TaskMember
from models.users import User, UserRole

# The one map from a council to the step it serves.
STAGE_OF = {
    CouncilType.ADVISORY: Stage.TASK_LIST,
    CouncilType.SELECTION: Stage.SELECTION,
    CouncilType.APPRAISAL: Stage.SELECTION,
    CouncilType.ACCEPTANCE: Stage.ACCEPTANCE,
}
NAME_OF = {
    CouncilType.ADVISORY: "Hội đồng tư vấn xác định nhiệm vụ KH&CN",
    CouncilType.SELECTION: "Hội đồng tư vấn tuyển chọn, giao trực tiếp",
    CouncilType.ACCEPTANCE: "Hội đồng tư vấn đánh giá, nghiệm thu",
    CouncilType.APPRAISAL: "Tổ thẩm định kinh phí",
}
OPEN = (CouncilStatus.FORMING, CouncilStatus.CONVENED)
_TITLE_RANK = {AcademicTitle.PROFESSOR: 2, AcademicTitle.ASSOCIATE_PROFESSOR: 1}
_DEGREE_RANK = {
    Degree.DOCTOR_OF_SCIENCE: 4,
    Degree.DOCTOR: 3,
    Degree.MASTER: 2,
    Degree.ENGINEER: 1,
    Degree.BACHELOR: 1,
}


# --------------------------------------------------------------------------- rules of a council


def council_rules(council: Council, regulations: Regulations = DEFAULT_REGULATIONS) -> CouncilRules:
    """The size, quorum and lead times a council works by (its edition's)."""
    edition = regulations.edition(council.edition)
    if council.type is CouncilType.APPRAISAL:
        team = edition.selection.appraisal
        return CouncilRules(
            size_min=team.team_size,
            size_max=team.team_size,
            reviewers=0,
            quorum=Quorum(
                share=team.quorum_share, chair_or_vice=False, all_reviewers=False, secretary=False
            ),
            documents_lead_working_days=team.documents_lead_working_days,
            reviews_due_working_days=0,
            counting_committee=0,
        )
    return edition.council(council.type.value)


def council_edition(council: Council, regulations: Regulations = DEFAULT_REGULATIONS) -> Edition:
    """The regulation edition a council follows."""
    return regulations.edition(council.edition)


# --------------------------------------------------------------------------- conflicts


def _current_orgs(session: Session, person_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Affiliation.organisation_id).where(
                Affiliation.person_id == person_id, Affiliation.ended_on.is_(None)
            )
        )
    )


def _participants(session: Session, task: Task) -> tuple[set[int], set[int]]:
    """People registered on the task or its applications; the applying organisations."""
    applications = list(session.scalars(select(Application).where(Application.task_id == task.id)))
    people = set(session.scalars(select(TaskMember.person_id).where(TaskMember.task_id == task.id)))
    people |= {a.principal_investigator_id for a in applications}
    people |= set(
        session.scalars(
            select(ApplicationMember.person_id).where(
                ApplicationMember.application_id.in_([a.id for a in applications])
            )
        )
    )
    if task.principal_investigator_id is not None:
        people.add(task.principal_investigator_id)
    organisations = {a.organisation_id for a in applications}
    if task.host_organisation_id is not None:
        organisations.add(task.host_organisation_id)
    return people, organisations


def conflicts_for(session: Session, council: Council, task: Task, person_id: int) -> list[Conflict]:
    """Why a person may not sit on a council for a task (empty: no conflict).

    Advisory: the proposer and the proposing organisation's people (they defend the proposal).
    Selection and appraisal: anyone registered on the task or of an applying or partner
    organisation (TT 20/2023 Đ8.2). Acceptance: the investigator and the team (TT 11/2014
    Đ9.5a); the host's experts may sit, but not in a key role (Đ9.3b).
    """
    orgs = _current_orgs(session, person_id)
    if council.type is CouncilType.ADVISORY:
        proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
        if proposal is None:
            return []
        return conflicts_of_interest(
            person_id=person_id,
            person_organisation_ids=orgs,
            task_participant_ids={proposal.proposer_person_id} - {None},  # type: ignore[arg-type]
            applying_organisation_ids={proposal.proposer_organisation_id} - {None},  # type: ignore[arg-type]
        )
    people, organisations = _participants(session, task)
    if council.type is CouncilType.ACCEPTANCE:
        organisations = set()
    return conflicts_of_interest(
        person_id=person_id,
        person_organisation_ids=orgs,
        task_participant_ids=people,
        applying_organisation_ids=organisations,
    )


def earlier_council_people(session: Session, task: Task) -> set[int]:
    """People who sat on the task's advisory or selection council (TT 11/2014 Đ9.3a: an
    acceptance council needs at least one of them)."""
    councils = select(CouncilItem.council_id).where(CouncilItem.task_id == task.id)
    earlier = select(Council.id).where(
        Council.id.in_(councils),
        Council.type.in_([CouncilType.ADVISORY, CouncilType.SELECTION]),
        Council.status != CouncilStatus.DISSOLVED,
    )
    people = set(
        session.scalars(
            select(CouncilMember.person_id).where(CouncilMember.council_id.in_(earlier))
        )
    )
    if task.proposal_id is not None:
        # councils of an older schema know the proposal only through votes and reviews
        for model in (Vote, Review):
            people |= set(
                session.scalars(
                    select(CouncilMember.person_id)
                    .join(model, model.member_id == CouncilMember.id)
                    .where(model.proposal_id == task.proposal_id)
                )
            )
    return people


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """A person who could sit on a council, with what the proposal weighs."""

    person: Person
    user_side: bool = False
    earlier: bool = False
    from_host: bool = False
    load: int = 0

    def order(self) -> tuple[Any, ...]:
        """Earlier members first, then seniority, then the least busy."""
        p = self.person
        title = _TITLE_RANK.get(p.academic_title, 0) if p.academic_title else 0
        degree = _DEGREE_RANK.get(p.degree, 0) if p.degree else 0
        return (not self.earlier, self.from_host, -title, -degree, self.load, p.id)


def _open_load(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(CouncilMember.person_id, func.count())
        .join(Council, Council.id == CouncilMember.council_id)
        .where(Council.status.in_(OPEN))
        .group_by(CouncilMember.person_id)
    )
    return {person_id: count for person_id, count in rows}


def _experts_of(session: Session, task: Task) -> list[Person]:
    """Experts of the task's field with an active council_member user."""
    stmt = (
        select(Person)
        .join(User, User.person_id == Person.id)
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


def _officials(session: Session) -> list[Person]:
    """The Department's officials: people whose active user is staff or leader."""
    stmt = (
        select(Person)
        .join(User, User.person_id == Person.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.is_active.is_(True), UserRole.role.in_([Role.STAFF, Role.LEADER]))
        .distinct()
        .order_by(Person.id)
    )
    return list(session.scalars(stmt))


def _user_side_orgs(session: Session, task: Task) -> set[int]:
    """Organisations on the ordering or using side: government agencies and the proposer."""
    orgs = set(
        session.scalars(
            select(Organisation.id).where(Organisation.kind == OrganisationKind.GOVERNMENT_AGENCY)
        )
    )
    proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
    if proposal is not None and proposal.proposer_organisation_id is not None:
        orgs.add(proposal.proposer_organisation_id)
    if task.host_organisation_id is not None:
        orgs.discard(task.host_organisation_id)
    return orgs


def _candidates(
    session: Session, council: Council, task: Task, exclude: set[int]
) -> list[Candidate]:
    load = _open_load(session)
    earlier = (
        earlier_council_people(session, task) if council.type is CouncilType.ACCEPTANCE else set()
    )
    user_orgs = _user_side_orgs(session, task) if council.type is CouncilType.ACCEPTANCE else set()
    found = []
    for person in _experts_of(session, task):
        if person.id in exclude:
            continue
        orgs = _current_orgs(session, person.id)
        found.append(
            Candidate(
                person,
                user_side=bool(orgs & user_orgs),
                earlier=person.id in earlier,
                from_host=task.host_organisation_id in orgs,
                load=load.get(person.id, 0),
            )
        )
    return sorted(found, key=Candidate.order)


# --------------------------------------------------------------------------- forming


def _find_open(session: Session, task: Task, kind: CouncilType) -> Council | None:
    stmt = (
        select(Council)
        .join(CouncilItem, CouncilItem.council_id == Council.id)
        .where(CouncilItem.task_id == task.id, Council.type == kind, Council.status.in_(OPEN))
        .order_by(Council.id.desc())
    )
    council = session.scalar(stmt)
    if council is not None and kind is CouncilType.SELECTION:
        # one selection council per round of the call
        call_id = _current_call_id(session, task)
        if council.call_id != call_id:
            return None
    return council


def _current_call_id(session: Session, task: Task) -> int | None:
    return session.scalar(
        select(Application.call_id)
        .where(Application.task_id == task.id)
        .order_by(Application.call_id.desc())
    )


def _items_for(session: Session, council: Council, task: Task) -> list[CouncilItem]:
    if council.type is CouncilType.SELECTION:
        applications = session.scalars(
            select(Application)
            .where(
                Application.task_id == task.id,
                Application.call_id == council.call_id,
                Application.status == ApplicationStatus.VALID,
            )
            .order_by(Application.id)
        )
        return [CouncilItem(task_id=task.id, application_id=a.id) for a in applications]
    return [CouncilItem(task_id=task.id)]


def _join_advisory_batch(
    session: Session, task: Task, edition: Edition, year: int
) -> Council | None:
    """A forming advisory council of the task's field and year whose members have no conflict
    with this proposal: one council reviews a batch of proposals of a field (TT 06/2023 Đ10.1)."""
    for council in session.scalars(
        select(Council)
        .where(
            Council.type == CouncilType.ADVISORY,
            Council.status == CouncilStatus.FORMING,
            Council.field == task.field,
            Council.year == year,
            Council.edition == edition.id,
        )
        .order_by(Council.id)
    ):
        if not any(conflicts_for(session, council, task, m.person_id) for m in council.members):
            return council
    return None


def _audit_refusal(
    session: Session, council: Council, task: Task, person_id: int, codes: list[str], actor: Actor
) -> None:
    record_audit(
        session=session,
        action="council.appoint_refused",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={"person_id": person_id, "conflicts": codes},
    )


def _queue(order: Sequence[CouncilRole], members: Iterable[CouncilMember]) -> list[CouncilRole]:
    """The roles still to fill, in hand-out order (a council found half-formed keeps its own)."""
    remaining = Counter(order) - Counter(m.role for m in members)
    queue = []
    for role in order:
        if remaining[role] > 0:
            queue.append(role)
            remaining[role] -= 1
    return queue


def _fill(
    session: Session,
    council: Council,
    task: Task,
    rules: CouncilRules,
    exclude: set[int],
    actor: Actor,
) -> None:
    """Fill the council's open seats from the candidates, skipping conflicts of interest."""
    if council.type is CouncilType.APPRAISAL:
        _fill_appraisal(session, council, task, exclude)
        return
    kind = council.type
    order = council_roles(
        rules.size_min, rules.reviewers, council_reviewers=kind is not CouncilType.ADVISORY
    )
    queue = _queue(order, council.members)
    user_side_needed = 0
    if kind is CouncilType.ACCEPTANCE:
        wanted = council_edition(council).acceptance.user_side_members
        user_side_needed = wanted - sum(m.user_side for m in council.members)
    candidates = _candidates(
        session, council, task, {m.person_id for m in council.members} | exclude
    )
    refused = 0
    for candidate in candidates:
        if not queue:
            break
        members_left = queue.count(CouncilRole.MEMBER)
        if kind is CouncilType.ACCEPTANCE and candidate.user_side:
            # the ordering and using side sits as members (key roles go to experts)
            if user_side_needed <= 0 or members_left == 0:
                continue
            role = CouncilRole.MEMBER
        else:
            role = queue[0]
            if role is CouncilRole.MEMBER and members_left <= user_side_needed:
                continue
            if candidate.from_host:
                continue  # may sit (TT 11/2014 Đ9.3b), never in a key role: not proposed
        conflicts = conflicts_for(session, council, task, candidate.person.id)
        if conflicts:
            _audit_refusal(
                session, council, task, candidate.person.id, [c.code for c in conflicts], actor
            )
            refused += 1
            continue
        council.members.append(
            CouncilMember(person_id=candidate.person.id, role=role, user_side=candidate.user_side)
        )
        queue.remove(role)
        if candidate.user_side and kind is CouncilType.ACCEPTANCE:
            user_side_needed -= 1
    if queue:
        raise NotEnoughMembersError(
            "not_enough_members",
            f"Không đủ chuyên gia lĩnh vực {label(task.field)} để thành lập "
            f"{NAME_OF[kind].lower()} cho nhiệm vụ {task.code}: còn thiếu {len(queue)} thành "
            f"viên ({len(candidates)} ứng viên, {refused} bị loại do xung đột lợi ích).",
            f"Not enough experts of {task.field.value} with a council_member user to form the "
            f"{kind.value} council of task {task.code}: {len(queue)} more needed "
            f"({len(candidates)} candidates, {refused} refused for conflicts of interest).",
        )
    session.flush()


APPRAISAL_ROLES = [
    CouncilRole.CHAIR,  # tổ trưởng: the head of the managing office
    CouncilRole.VICE_CHAIR,  # tổ phó: planning and finance
    CouncilRole.MEMBER,  # the fund manager's representative
    CouncilRole.SECRETARY,  # thư ký tổ thẩm định
]


def selection_council_of(session: Session, task: Task) -> Council:
    """The task's latest selection council."""
    council = session.scalar(
        select(Council)
        .join(CouncilItem, CouncilItem.council_id == Council.id)
        .where(CouncilItem.task_id == task.id, Council.type == CouncilType.SELECTION)
        .order_by(Council.id.desc())
    )
    if council is None:
        raise InvalidStateError(
            "no_selection_council",
            "Nhiệm vụ chưa có hội đồng tư vấn tuyển chọn, giao trực tiếp.",
            "The task has no selection council whose member could join the appraisal team.",
        )
    return council


def _fill_appraisal(session: Session, council: Council, task: Task, exclude: set[int]) -> None:
    """Four officials and a chair, vice-chair or reviewer of the council (TT 20/2023 Đ8.4)."""
    key = key_people(selection_council_of(session, task))
    seated = {m.person_id for m in council.members}
    if not seated & key:
        pick = next((p for p in sorted(key) if p not in exclude), None)
        if pick is not None:
            council.members.append(CouncilMember(person_id=pick, role=CouncilRole.MEMBER))
            seated.add(pick)
    queue = _queue(APPRAISAL_ROLES, [m for m in council.members if m.person_id not in key])
    for person in _officials(session):
        if not queue:
            break
        if person.id in seated or person.id in exclude:
            continue
        council.members.append(CouncilMember(person_id=person.id, role=queue.pop(0)))
        seated.add(person.id)
    if queue or not seated & key:
        raise NotEnoughMembersError(
            "not_enough_officials",
            f"Không đủ thành viên cho tổ thẩm định kinh phí nhiệm vụ {task.code}: cần 04 cán bộ "
            "của Sở (người dùng chuyên viên, lãnh đạo có hồ sơ cá nhân) và 01 thành viên chủ "
            "chốt của hội đồng tư vấn.",
            f"Not enough members for the appraisal team of task {task.code}: it needs four "
            "Department officials (staff or leader users linked to a person) and a chair, "
            "vice-chair or reviewer of the council.",
        )
    session.flush()


def appraisal_problems(session: Session, council: Council, task: Task) -> list[str]:
    """What is wrong with an appraisal team: five members, one of them a chair, vice-chair or
    reviewer of the council (TT 20/2023 Đ8.4)."""
    rules = council_rules(council)
    problems = []
    if len(council.members) != rules.size_min:
        problems.append(
            f"{len(council.members)} thành viên, phải là {rules.size_min} / "
            f"{len(council.members)} members, must be {rules.size_min}"
        )
    if not {m.person_id for m in council.members} & key_people(selection_council_of(session, task)):
        problems.append(
            "thiếu chủ tịch, phó chủ tịch hoặc phản biện của hội đồng / "
            "no chair, vice-chair or reviewer of the council"
        )
    return problems


def key_people(council: Council) -> set[int]:
    """People in the chair, vice-chair or reviewer seat of a council."""
    return {
        m.person_id
        for m in council.members
        if m.role in (CouncilRole.CHAIR, CouncilRole.VICE_CHAIR, CouncilRole.REVIEWER)
    }


def _assign_item_reviewers(council: Council, rules: CouncilRules) -> None:
    """Each item gets its reviewers: the council's reviewers, or (advisory) two members who
    review the fewest proposals of the batch (TT 06/2023 Đ10.2)."""
    if council.type is CouncilType.APPRAISAL:
        return
    if council.type is not CouncilType.ADVISORY:
        reviewers = [m for m in council.members if m.role is CouncilRole.REVIEWER]
        for item in council.items:
            have = {r.member_id for r in item.reviewers}
            for m in reviewers:
                if m.id not in have:
                    item.reviewers.append(ItemReviewer(member_id=m.id))
        return
    busy = Counter(r.member_id for item in council.items for r in item.reviewers)
    pool = [m for m in council.members if m.role in (CouncilRole.MEMBER, CouncilRole.VICE_CHAIR)]
    for item in council.items:
        while len(item.reviewers) < rules.reviewers:
            taken = {r.member_id for r in item.reviewers}
            choice = min((m for m in pool if m.id not in taken), key=lambda m: (busy[m.id], m.id))
            item.reviewers.append(ItemReviewer(member_id=choice.id))
            busy[choice.id] += 1


def propose_council(
    *,
    session: Session,
    task_id: int,
    kind: CouncilType,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Council:
    """Propose a council for a task: its members chosen by the system, to be confirmed by
    staff (``confirm_council``). Idempotent: an open council of the task is returned."""
    task = get_or_raise(session, Task, task_id)
    found = _find_open(session, task, kind)
    if found is not None:
        return found
    edition = (
        regulations.in_force(today)
        if kind is CouncilType.ADVISORY
        else edition_of(task, regulations)
    )
    council = (
        _join_advisory_batch(session, task, edition, task.year)
        if kind is CouncilType.ADVISORY
        else None
    )
    fresh = council is None
    if council is None:
        call_id = _current_call_id(session, task) if kind is CouncilType.SELECTION else None
        if kind is CouncilType.SELECTION and call_id is not None:
            call = session.get(Call, call_id)
            assert call is not None
        council = Council(
            type=kind,
            name=(
                f"{NAME_OF[kind]} lĩnh vực {label(task.field).lower()} năm {task.year}"
                if kind is CouncilType.ADVISORY
                else f"{NAME_OF[kind]} nhiệm vụ {task.code}"
            )[:500],
            task_id=None if kind is CouncilType.ADVISORY else task.id,
            call_id=call_id,
            field=task.field,
            year=task.year,
            edition=edition.id,
            status=CouncilStatus.FORMING,
        )
        session.add(council)
        session.flush()
    items = _items_for(session, council, task)
    if not items:
        raise InvalidStateError(
            "nothing_to_review",
            f"Không có hồ sơ hợp lệ nào của nhiệm vụ {task.code} để hội đồng đánh giá.",
            f"Task {task.code} has no valid application for the council to score.",
        )
    for item in items:
        council.items.append(item)
    rules = council_rules(council, regulations)
    if fresh:
        _fill(session, council, task, rules, set(), actor)
    _assign_item_reviewers(council, rules)
    session.flush()
    record_audit(
        session=session,
        action="council.propose",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[kind],
        details={
            "type": kind.value,
            "edition": council.edition,
            "joined_batch": not fresh,
            "members": [{"person_id": m.person_id, "role": m.role.value} for m in council.members],
        },
    )
    return council


def seats(session: Session, council: Council, task: Task) -> list[Seat]:
    """The members of a council as the composition rules see them."""
    earlier = (
        earlier_council_people(session, task) if council.type is CouncilType.ACCEPTANCE else set()
    )
    return [
        Seat(
            role=m.role,
            user_side=m.user_side,
            earlier=m.person_id in earlier,
            from_host=task.host_organisation_id in _current_orgs(session, m.person_id),
        )
        for m in council.members
    ]


def item_task(session: Session, council: Council, task_id: int | None = None) -> Task:
    """The task a council serves (for a batch, the one named)."""
    wanted = task_id if task_id is not None else council.task_id
    if wanted is None:
        wanted = council.items[0].task_id if council.items else None
    if wanted is None or not any(i.task_id == wanted for i in council.items):
        raise DomainError(
            "not_on_agenda",
            "Nhiệm vụ không thuộc chương trình làm việc của hội đồng.",
            f"Task #{wanted} is not on council #{council.id}'s agenda.",
        )
    return get_or_raise(session, Task, wanted)


def meeting_moment(day: date, at: time = time(8, 0)) -> datetime:
    """A meeting on ``day`` at ``at`` Vietnam time, in UTC (SQLite drops offsets)."""
    return datetime.combine(day, at, VIETNAM_TZ).astimezone(UTC)


def confirm_council(
    *,
    session: Session,
    council_id: int,
    decision_number: str,
    established_on: date,
    meeting_at: datetime,
    today: date,
    location: str = "",
    mode: MeetingMode = MeetingMode.IN_PERSON,
    removed_person_ids: Iterable[int] = (),
    task_id: int | None = None,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Council:
    """Staff confirm the proposed members (replacing those they remove), and the council is
    established by a numbered decision; its documents go out today and it meets at
    ``meeting_at``, which must leave the members the lead time of the rules."""
    council = get_or_raise(session, Council, council_id)
    task = item_task(session, council, task_id)
    number = decision_number.strip()
    if council.status is not CouncilStatus.FORMING:
        if council.decision_number == number or not number:
            return council  # confirmed already (the same submission, or a batch's other item)
        raise InvalidStateError(
            "council_established",
            f"Hội đồng đã được thành lập theo quyết định {council.decision_number}.",
            f"The council was established by decision {council.decision_number}.",
        )
    if not number:
        raise DomainError(
            "decision_number", "Cần số quyết định thành lập.", "The decision number is missing."
        )
    if established_on > today:
        raise DomainError(
            "decision_date",
            "Ngày quyết định thành lập chưa đến.",
            "The establishment decision is dated in the future.",
        )
    rules = council_rules(council, regulations)
    removed = set(removed_person_ids)
    if removed:
        # reviewers are handed out again once the seats are filled
        for item in council.items:
            item.reviewers.clear()
        session.flush()
        for member in [m for m in council.members if m.person_id in removed]:
            council.members.remove(member)
        session.flush()
        _fill(session, council, task, rules, removed, actor)
        _assign_item_reviewers(council, rules)
    edition = council_edition(council, regulations)
    if council.type is CouncilType.APPRAISAL:
        problems = appraisal_problems(session, council, task)
    else:
        problems = council_composition_problems(
            council.type,
            seats(session, council, task),
            rules,
            edition.acceptance if council.type is CouncilType.ACCEPTANCE else None,
        )
    if problems:
        raise InvalidStateError(
            "council_incomplete",
            "Thành phần hội đồng chưa đúng quy định: " + "; ".join(problems),
            "The council's membership does not satisfy the rules: " + "; ".join(problems),
        )
    meeting_day = meeting_at.astimezone(VIETNAM_TZ).date()
    earliest = earliest_meeting_day(today, rules.documents_lead_working_days, calendar)
    if meeting_day < earliest:
        raise DomainError(
            "meeting_too_soon",
            f"Tài liệu phải gửi thành viên ít nhất {rules.documents_lead_working_days} ngày làm "
            f"việc trước phiên họp: họp sớm nhất ngày {vn_date(earliest)}.",
            f"Members need the documents {rules.documents_lead_working_days} working days "
            f"ahead: the earliest meeting day is {earliest.isoformat()}.",
        )
    if council.type is CouncilType.ACCEPTANCE:
        latest = latest_meeting_day(established_on, edition.acceptance)
        if meeting_day > latest:
            raise DomainError(
                "meeting_too_late",
                f"Phiên họp phải trong {edition.acceptance.meeting_within_days} ngày kể từ quyết "
                f"định thành lập: chậm nhất "
                f"{vn_date(latest)}.",
                f"The meeting must be within {edition.acceptance.meeting_within_days} days of "
                f"the establishment decision: {latest.isoformat()} at the latest.",
            )
    council.decision_number = number
    council.established_on = established_on
    council.status = CouncilStatus.CONVENED
    council.meetings.append(
        Meeting(
            scheduled_at=meeting_at.astimezone(UTC),
            location=location,
            mode=mode,
            documents_sent_on=today,
        )
    )
    session.flush()
    record_audit(
        session=session,
        action="council.establish",
        entity_type="council",
        entity_id=council.id,
        actor=actor,
        task_id=task.id,
        stage=STAGE_OF[council.type],
        details={
            "type": council.type.value,
            "decision_number": number,
            "established_on": established_on.isoformat(),
            "meeting_on": meeting_day.isoformat(),
            "removed": sorted(removed),
            "members": [{"person_id": m.person_id, "role": m.role.value} for m in council.members],
        },
    )
    return council


def secretary_usernames(session: Session, council: Council) -> list[str]:
    """The usernames of the council's scientific secretary (who records its meetings)."""
    secretaries = [m for m in council.members if m.role is CouncilRole.SECRETARY]
    return sorted(u.username for u in users_of(session, secretaries).values())


def users_of(session: Session, members: Sequence[CouncilMember]) -> dict[int, User]:
    """Member id → the member's user (their inbox, their e-mail)."""
    by_person = {m.person_id: m.id for m in members}
    users = session.scalars(select(User).where(User.person_id.in_(list(by_person))))
    return {by_person[u.person_id]: u for u in users if u.person_id is not None}
