"""The inbox: user-task jobs recorded as work items, who may see and do them, and completion.

A user task reaches people as a job of type `io.camunda.zeebe:userTask`, held by the portal's
inbox worker with a long timeout. `record_job` keeps one item per job key (a job handed out again
after its timeout refreshes the same item). Completing is two steps with a commit between them:
`begin_completion` (after the form's domain operation, in the same transaction) keeps what
CompleteJob will send; once the engine acknowledged it, `finish_completion`. An item left in
between (a crash, the engine unreachable) is sent again by the inbox worker: CompleteJob is
idempotent on the job key, and the domain operation is not run twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from models.councils import Council, CouncilMember
from models.enums import CouncilStatus, Role, Stage
from models.inbox import InboxItem, InboxState
from models.proposals import Proposal
from models.services.accounts import now_utc
from models.services.audit import Actor, record_audit
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task, TaskMember
from models.users import User

# Candidate groups of the diagrams (bpmn/README.md "Roles") and the role that belongs to each.
GROUP_ROLES = {
    "staff": Role.STAFF,
    "leader": Role.LEADER,
    "council": Role.COUNCIL_MEMBER,
    "scientist": Role.SCIENTIST,
    "admin": Role.ADMIN,
}
LIVE = (InboxState.OPEN, InboxState.COMPLETING)
# Councils whose members see what they review: until the council concludes.
SITTING = (CouncilStatus.FORMING, CouncilStatus.CONVENED)


@dataclass(frozen=True)
class JobRecord:
    """What the inbox keeps of an activated user-task job."""

    key: int
    process_instance_key: int
    bpmn_process_id: str
    element_id: str
    element_instance_key: int
    variables: dict[str, Any]
    assignee: str | None = None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    form_key: str | None = None
    form_id: str | None = None
    name: str = ""
    stage: Stage | None = None
    due_at: datetime | None = None
    follow_up_at: datetime | None = None
    deadline: datetime | None = None


def record_job(*, session: Session, job: JobRecord) -> InboxItem:
    """Keep an activated job as an inbox item; the same job key refreshes the same item."""
    item = session.scalar(select(InboxItem).where(InboxItem.job_key == job.key))
    if item is None:
        item = InboxItem(job_key=job.key, activations=0, state=InboxState.OPEN)
        session.add(item)
    item.activations += 1
    item.job_deadline = job.deadline
    if item.state is not InboxState.OPEN and item.id is not None:
        # completing or done: what was submitted stands; only the new deadline matters
        session.flush()
        return item
    item.process_instance_key = job.process_instance_key
    item.bpmn_process_id = job.bpmn_process_id
    item.element_id = job.element_id
    item.element_instance_key = job.element_instance_key
    item.name = job.name or job.element_id
    item.form_key = job.form_key
    item.form_id = job.form_id
    item.stage = job.stage
    item.assignee = job.assignee or None
    item.candidate_groups = list(job.candidate_groups)
    item.candidate_users = list(job.candidate_users)
    item.due_at = job.due_at
    item.follow_up_at = job.follow_up_at
    item.variables = dict(job.variables)
    code = job.variables.get("taskCode")
    item.task_code = str(code) if code else None
    session.flush()
    return item


# ----------------------------------------------------------------------------- who sees what


@dataclass(frozen=True)
class Involvement:
    """What a person takes part in: their tasks and proposals, the councils they sit on now."""

    task_codes: frozenset[str] = frozenset()
    proposal_ids: frozenset[int] = frozenset()
    council_ids: frozenset[int] = frozenset()


def involvement(*, session: Session, user: User) -> Involvement:
    """The tasks, proposals and sitting councils of the user's person (none without one)."""
    person_id = user.person_id
    if person_id is None:
        return Involvement()
    proposal_ids = set(
        session.scalars(select(Proposal.id).where(Proposal.proposer_person_id == person_id))
    )
    member_of = select(TaskMember.task_id).where(TaskMember.person_id == person_id)
    codes = session.scalars(
        select(Task.code).where(
            or_(
                Task.principal_investigator_id == person_id,
                Task.id.in_(member_of),
                Task.proposal_id.in_(proposal_ids) if proposal_ids else false(),
            )
        )
    )
    councils = session.scalars(
        select(Council.id)
        .join(CouncilMember, CouncilMember.council_id == Council.id)
        .where(CouncilMember.person_id == person_id, Council.status.in_(SITTING))
    )
    return Involvement(frozenset(codes), frozenset(proposal_ids), frozenset(councils))


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def group_allows(user: User, item: InboxItem, group: str, mine: Involvement) -> bool:
    """Whether one candidate group of the item lets the user see it."""
    role = GROUP_ROLES.get(group) or next((r for r in Role if r.value == group), None)
    if role is None or not user.has_role(role):
        return False
    if role is Role.COUNCIL_MEMBER:
        # a member sees what their council reviews, and only while it sits
        return _as_int(item.variables.get("councilId")) in mine.council_ids
    if role is Role.SCIENTIST:
        # an applicant sees only the work of their own tasks and proposals
        return (item.task_code is not None and item.task_code in mine.task_codes) or (
            _as_int(item.variables.get("proposalId")) in mine.proposal_ids
        )
    return True


def may_see(user: User, item: InboxItem, mine: Involvement) -> bool:
    """Whether the user may see the item (and, through it, its documents)."""
    if item.state not in LIVE:
        return False
    if item.assignee == user.username or item.claimed_by_id == user.id:
        return True
    if user.username in (item.candidate_users or []):
        return True
    groups = item.candidate_groups or []
    if item.assignee is not None:
        # work assigned to someone else (a member's own review) stays theirs; staff supervise
        return user.has_role(Role.STAFF) and "staff" in groups
    return any(group_allows(user, item, group, mine) for group in groups)


def is_mine(user: User, item: InboxItem) -> bool:
    """Assigned to the user or claimed by them."""
    return item.assignee == user.username or item.claimed_by_id == user.id


def may_work(user: User, item: InboxItem, mine: Involvement) -> bool:
    """Whether the user may fill in and submit the item's form now."""
    if not may_see(user, item, mine):
        return False
    if item.assignee is not None:
        return item.assignee == user.username
    return item.claimed_by_id in (None, user.id)


def visible_items(*, session: Session, user: User) -> list[InboxItem]:
    """The live items the user may see, soonest due first."""
    mine = involvement(session=session, user=user)
    rows = session.scalars(select(InboxItem).where(InboxItem.state.in_(LIVE)))
    return [item for item in rows if may_see(user, item, mine)]


def my_open_count(*, session: Session, user: User) -> int:
    """How many live items are the user's own (assigned or claimed): the header's count."""
    rows = session.scalars(
        select(InboxItem).where(
            InboxItem.state.in_(LIVE),
            or_(InboxItem.assignee == user.username, InboxItem.claimed_by_id == user.id),
        )
    )
    return len(list(rows))


# ----------------------------------------------------------------------------- claiming


def _locked(session: Session, item_id: int) -> InboxItem:
    item = session.scalar(select(InboxItem).where(InboxItem.id == item_id).with_for_update())
    if item is None:
        raise DomainError(
            "inbox_item_missing", "Không tìm thấy công việc.", f"Inbox item #{item_id} not found."
        )
    return item


def claim(*, session: Session, item_id: int, user: User) -> InboxItem:
    """Take an unassigned item of one's groups."""
    item = _locked(session, item_id)
    mine = involvement(session=session, user=user)
    if not may_see(user, item, mine) or item.assignee not in (None, user.username):
        raise InvalidStateError(
            "inbox_claim_refused",
            "Không thể nhận công việc này.",
            "This item cannot be claimed by you.",
        )
    if item.claimed_by_id not in (None, user.id):
        raise InvalidStateError(
            "inbox_claimed",
            "Công việc đã có người khác nhận.",
            "Someone else has claimed this item.",
        )
    item.claimed_by_id, item.claimed_at = user.id, now_utc()
    session.flush()
    return item


def unclaim(*, session: Session, item_id: int, user: User) -> InboxItem:
    """Give a claimed item back to the group."""
    item = _locked(session, item_id)
    if item.claimed_by_id != user.id:
        raise InvalidStateError(
            "inbox_not_claimed",
            "Bạn chưa nhận công việc này.",
            "You have not claimed this item.",
        )
    item.claimed_by_id, item.claimed_at = None, None
    session.flush()
    return item


# ----------------------------------------------------------------------------- completing


def begin_completion(
    *, session: Session, item_id: int, user: User, result: dict[str, Any], actor: Actor
) -> InboxItem:
    """Keep what CompleteJob will send (same transaction as the form's domain operation)."""
    item = _locked(session, item_id)
    if item.state is not InboxState.OPEN:
        raise InvalidStateError(
            "inbox_not_open",
            "Công việc này đã được gửi hoặc không còn.",
            f"This item is {item.state.value}, not open.",
        )
    if item.claimed_by_id is None and item.assignee is None:
        item.claimed_by_id, item.claimed_at = user.id, now_utc()
    item.state = InboxState.COMPLETING
    item.result = result
    item.submitted_by_id, item.submitted_at = user.id, now_utc()
    session.flush()
    record_audit(
        session=session,
        action="user_task.submit",
        entity_type="inbox_item",
        entity_id=item.id,
        actor=actor,
        stage=item.stage,
        details={"form": item.form_id, "element": item.element_id, "job": item.job_key},
    )
    return item


def finish_completion(*, session: Session, item_id: int) -> InboxItem:
    """The engine acknowledged CompleteJob."""
    item = _locked(session, item_id)
    item.state, item.completed_at = InboxState.COMPLETED, now_utc()
    session.flush()
    return item


def mark_gone(*, session: Session, item_id: int, reason: str) -> InboxItem:
    """The job no longer exists (instance cancelled, completed elsewhere)."""
    item = _locked(session, item_id)
    if item.state in LIVE:
        item.state, item.gone_reason = InboxState.GONE, reason[:300]
        session.flush()
        record_audit(
            session=session,
            action="user_task.gone",
            entity_type="inbox_item",
            entity_id=item.id,
            stage=item.stage,
            details={"element": item.element_id, "job": item.job_key, "reason": reason[:300]},
        )
    return item


def completing_items(*, session: Session) -> list[InboxItem]:
    """Items whose CompleteJob still has to be acknowledged."""
    return list(session.scalars(select(InboxItem).where(InboxItem.state == InboxState.COMPLETING)))


def open_items(*, session: Session) -> list[InboxItem]:
    """Items waiting for people."""
    return list(session.scalars(select(InboxItem).where(InboxItem.state == InboxState.OPEN)))


def open_items_of(
    *, session: Session, element_id: str, match: Mapping[str, Any]
) -> list[InboxItem]:
    """The open items of one user task whose variables hold every value of `match`, in the
    order the engine handed out their jobs."""
    rows = session.scalars(
        select(InboxItem)
        .where(InboxItem.state == InboxState.OPEN, InboxItem.element_id == element_id)
        .order_by(InboxItem.job_key)
    )
    return [
        item
        for item in rows
        if all((item.variables or {}).get(name) == value for name, value in match.items())
    ]
