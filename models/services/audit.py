"""Recording decisions in the audit log, and finding what a job already did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import Stage


@dataclass(frozen=True)
class Actor:
    """Who takes a decision, and from where in a process (when a process drives it).

    A worker's actor names its job; a person's actor names their user and, when they answer a
    user task of the inbox, that task's job: the job key makes a repeated submission (the same
    job delivered or submitted twice) find what the first one did.
    """

    name: str = "system"
    user_id: int | None = None
    bpmn_element_id: str | None = None
    process_instance_key: int | None = None
    job_key: int | None = None


SYSTEM = Actor()


def record_audit(
    *,
    session: Session,
    action: str,
    entity_type: str,
    entity_id: int | None,
    actor: Actor = SYSTEM,
    task_id: int | None = None,
    stage: Stage | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the audit log."""
    entry = AuditEntry(
        actor=actor.name,
        actor_user_id=actor.user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        task_id=task_id,
        stage=stage,
        bpmn_element_id=actor.bpmn_element_id,
        process_instance_key=actor.process_instance_key,
        job_key=actor.job_key,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def done_by_job(
    session: Session, action: str, actor: Actor, task_id: int | None
) -> AuditEntry | None:
    """The entry ``action`` this very job wrote for a task, if it ran before (None otherwise).

    The task and the process instance are part of the match because engine keys are only
    unique per engine: a new engine over the same domain database numbers its jobs afresh.
    """
    if actor.job_key is None:
        return None
    return session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == action,
            AuditEntry.job_key == actor.job_key,
            AuditEntry.task_id.is_not_distinct_from(task_id),
            AuditEntry.process_instance_key.is_not_distinct_from(actor.process_instance_key),
        )
        .order_by(AuditEntry.id)
    )


def entries_of_element(
    session: Session, action: str, actor: Actor, task_id: int | None
) -> list[AuditEntry]:
    """The entries ``action`` written for a task from this actor's element and instance
    (e.g. to tell a first deadline from one computed again after an escalation)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == action,
                AuditEntry.task_id.is_not_distinct_from(task_id),
                AuditEntry.process_instance_key.is_not_distinct_from(actor.process_instance_key),
                AuditEntry.bpmn_element_id.is_not_distinct_from(actor.bpmn_element_id),
            )
            .order_by(AuditEntry.id)
        )
    )


def audit_trail(*, session: Session, task_id: int) -> list[AuditEntry]:
    """Every audit entry of a task, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.task_id == task_id).order_by(AuditEntry.id)
    return list(session.scalars(stmt))
