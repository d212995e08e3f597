"""Step 1: proposals, screening and the approved task list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Field, Method, ProposalStatus, Stage, TaskKind, TaskStatus
from models.proposals import Proposal
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.tasks import Task


def create_proposal(
    *,
    session: Session,
    year: int,
    title: str,
    field: Field,
    kind: TaskKind = TaskKind.RESEARCH_TOPIC,
    proposer_organisation_id: int | None = None,
    proposer_person_id: int | None = None,
    rationale: str = "",
    objectives: str = "",
    expected_results: str = "",
    estimated_budget: int | None = None,
    suggested_method: Method | None = None,
    submitted_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> Proposal:
    """Record a submitted proposal (đề xuất đặt hàng)."""
    if proposer_organisation_id is None and proposer_person_id is None:
        raise DomainError(
            "proposer_missing",
            "Đề xuất phải có tổ chức hoặc cá nhân đề xuất.",
            "A proposal needs a proposing organisation or person.",
        )
    proposal = Proposal(
        year=year,
        title=title,
        field=field,
        kind=kind,
        proposer_organisation_id=proposer_organisation_id,
        proposer_person_id=proposer_person_id,
        rationale=rationale,
        objectives=objectives,
        expected_results=expected_results,
        estimated_budget=estimated_budget,
        suggested_method=suggested_method,
        status=ProposalStatus.SUBMITTED,
        submitted_at=submitted_at or datetime.now(UTC),
    )
    session.add(proposal)
    session.flush()
    record_audit(
        session=session,
        action="proposal.submit",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        stage=Stage.TASK_LIST,
        details={"title": title},
    )
    return proposal


def screen_proposal(
    *,
    session: Session,
    proposal_id: int,
    accept: bool,
    note: str = "",
    actor: Actor = SYSTEM,
) -> Proposal:
    """Staff screening: pass the proposal on to the advisory council, or reject it."""
    proposal = get_or_raise(session, Proposal, proposal_id)
    wanted = ProposalStatus.SCREENED_IN if accept else ProposalStatus.REJECTED
    if proposal.status == wanted:
        return proposal  # the same decision delivered twice
    if proposal.status != ProposalStatus.SUBMITTED:
        raise InvalidStateError(
            "proposal_not_submitted",
            "Chỉ sàng lọc được đề xuất vừa nộp.",
            f"Only submitted proposals can be screened (this one is {proposal.status}).",
        )
    proposal.status = wanted
    proposal.screening_note = note
    proposal.screened_by_id = actor.user_id
    proposal.screened_at = datetime.now(UTC)
    session.flush()
    record_audit(
        session=session,
        action="proposal.screen",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        stage=Stage.TASK_LIST,
        details={"accepted": accept, "note": note},
    )
    return proposal


def approve_proposal(
    *,
    session: Session,
    proposal_id: int,
    code: str,
    method: Method,
    actor: Actor = SYSTEM,
) -> Task:
    """The Director puts a recommended proposal on the approved list: it becomes a task."""
    proposal = get_or_raise(session, Proposal, proposal_id)
    existing = session.scalar(select(Task).where(Task.proposal_id == proposal_id))
    if existing is not None:
        return existing
    if proposal.status != ProposalStatus.RECOMMENDED:
        raise InvalidStateError(
            "proposal_not_recommended",
            "Chỉ phê duyệt được đề xuất đã được hội đồng tư vấn đề nghị.",
            f"Only recommended proposals can be approved (this one is {proposal.status}).",
        )
    task = Task(
        code=code,
        year=proposal.year,
        title=proposal.title,
        field=proposal.field,
        kind=proposal.kind,
        method=method,
        stage=Stage.TASK_LIST,
        status=TaskStatus.APPROVED,
        objectives=proposal.objectives,
        expected_results=proposal.expected_results,
        proposal_id=proposal.id,
    )
    proposal.status = ProposalStatus.APPROVED
    session.add(task)
    session.flush()
    record_audit(
        session=session,
        action="task_list.approve",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.TASK_LIST,
        details={"proposal_id": proposal.id, "method": method.value, "code": code},
    )
    return task
