"""What scientists submit through the portal: their proposals, and the process each starts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Stage
from models.proposals import Proposal
from models.services.audit import Actor, record_audit
from models.services.errors import get_or_raise
from models.tasks import Task


def proposals_of(*, session: Session, person_id: int) -> list[Proposal]:
    """A person's proposals, newest first."""
    stmt = (
        select(Proposal)
        .where(Proposal.proposer_person_id == person_id)
        .order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
    )
    return list(session.scalars(stmt))


def task_of_proposal(*, session: Session, proposal_id: int) -> Task | None:
    """The task a proposal became (registered at the start of step 1), if any yet."""
    return session.scalar(select(Task).where(Task.proposal_id == proposal_id))


def record_process_start(
    *, session: Session, proposal_id: int, process_instance_key: int, actor: Actor
) -> Proposal:
    """Keep the key of the `khcn-task` instance started for a proposal (and on its task)."""
    proposal = get_or_raise(session, Proposal, proposal_id)
    if proposal.process_instance_key == process_instance_key:
        return proposal
    proposal.process_instance_key = process_instance_key
    task = task_of_proposal(session=session, proposal_id=proposal_id)
    if task is not None and task.process_instance_key is None:
        task.process_instance_key = process_instance_key
    session.flush()
    record_audit(
        session=session,
        action="proposal.process_start",
        entity_type="proposal",
        entity_id=proposal_id,
        actor=Actor(
            name=actor.name, user_id=actor.user_id, process_instance_key=process_instance_key
        ),
        task_id=task.id if task else None,
        stage=Stage.TASK_LIST,
        details={"process_id": "khcn-task"},
    )
    return proposal
