"""Recording decisions in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import Stage


@dataclass(frozen=True)
class Actor:
    """Who takes a decision, and from where in a process (when a process drives it)."""

    name: str = "system"
    user_id: int | None = None
    bpmn_element_id: str | None = None
    process_instance_key: int | None = None


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
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def audit_trail(*, session: Session, task_id: int) -> list[AuditEntry]:
    """Every audit entry of a task, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.task_id == task_id).order_by(AuditEntry.id)
    return list(session.scalars(stmt))
