"""S&T tasks: budget, team and where they stand in the procedure."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import FundingSource, Stage, TaskMemberRole, TaskStatus
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import get_or_raise
from models.tasks import BudgetLine, Task, TaskMember


def set_budget(*, session: Session, task_id: int, source: FundingSource, amount: int) -> BudgetLine:
    """Set the budget of a task from one source (replacing what was there)."""
    get_or_raise(session, Task, task_id)
    line = session.scalar(
        select(BudgetLine).where(BudgetLine.task_id == task_id, BudgetLine.source == source)
    )
    if line is None:
        line = BudgetLine(task_id=task_id, source=source, amount=amount)
        session.add(line)
    else:
        line.amount = amount
    session.flush()
    return line


def add_task_member(
    *, session: Session, task_id: int, person_id: int, role: TaskMemberRole
) -> TaskMember:
    """Register a person on a task's team (idempotent)."""
    task = get_or_raise(session, Task, task_id)
    member = session.scalar(
        select(TaskMember).where(TaskMember.task_id == task_id, TaskMember.person_id == person_id)
    )
    if member is None:
        member = TaskMember(task_id=task_id, person_id=person_id, role=role)
        session.add(member)
    else:
        member.role = role
    if role is TaskMemberRole.PRINCIPAL_INVESTIGATOR:
        task.principal_investigator_id = person_id
    session.flush()
    return member


def move_task(
    *,
    session: Session,
    task_id: int,
    stage: Stage,
    status: TaskStatus,
    actor: Actor = SYSTEM,
) -> Task:
    """Move a task to a step and status, recording the move."""
    task = get_or_raise(session, Task, task_id)
    if (task.stage, task.status) == (stage, status):
        return task
    before = {"stage": task.stage.value, "status": task.status.value}
    task.stage, task.status = stage, status
    session.flush()
    record_audit(
        session=session,
        action="task.move",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=stage,
        details={"from": before, "to": {"stage": stage.value, "status": status.value}},
    )
    return task
