"""S&T tasks: budget, team, the regulation edition they follow, where they stand."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.editions import DEFAULT_REGULATIONS, Edition, Regulations
from models.enums import FundingSource, Stage, TaskMemberRole, TaskStatus
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import InvalidStateError, NotFoundError, get_or_raise
from models.tasks import BudgetLine, Task, TaskMember


def task_by_code(session: Session, code: str) -> Task:
    """The task a process carries, by its code (the messages' correlation key)."""
    task = session.scalar(select(Task).where(Task.code == code))
    if task is None:
        raise NotFoundError(
            "task_not_found", f"Không tìm thấy nhiệm vụ {code}.", f"No task with code {code}."
        )
    return task


def edition_of(task: Task, regulations: Regulations = DEFAULT_REGULATIONS) -> Edition:
    """The regulation edition a task follows."""
    return regulations.edition(task.edition)


def bind_edition(
    *,
    session: Session,
    task_id: int,
    approved_on: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Edition:
    """Bind a task to the edition in force on the day its list was approved; it keeps it to
    the end (Luật 93/2025/QH15: tasks approved before 01/10/2025 finish under the old rules)."""
    task = get_or_raise(session, Task, task_id)
    edition = regulations.in_force(approved_on)
    if task.edition_bound_on is not None:
        if task.edition != edition.id:
            raise InvalidStateError(
                "edition_bound",
                f"Nhiệm vụ đã áp dụng quy định {task.edition}.",
                f"The task is already bound to edition {task.edition}.",
            )
        return edition
    task.edition, task.edition_bound_on = edition.id, approved_on
    session.flush()
    record_audit(
        session=session,
        action="task.bind_edition",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=task.stage,
        details={"edition": edition.id, "approved_on": approved_on.isoformat()},
    )
    return edition


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
