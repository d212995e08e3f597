"""Tasks: team and moves through the procedure."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.enums import Stage, TaskMemberRole, TaskStatus
from models.services import tasks
from models.services.audit import Actor, audit_trail
from tests.models import factories as f


def test_team_members(session: Session) -> None:
    task = f.task(session)
    who = f.person(session)
    first = tasks.add_task_member(
        session=session, task_id=task.id, person_id=who.id, role=TaskMemberRole.MEMBER
    )
    lead = tasks.add_task_member(
        session=session,
        task_id=task.id,
        person_id=who.id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )
    assert lead.id == first.id and task.principal_investigator_id == who.id


def test_moves_are_audited_once(session: Session) -> None:
    task = f.task(session)
    actor = Actor(name="worker:selection", bpmn_element_id="sign-contract", process_instance_key=7)
    for _ in range(2):
        tasks.move_task(
            session=session,
            task_id=task.id,
            stage=Stage.IMPLEMENTATION,
            status=TaskStatus.IN_PROGRESS,
            actor=actor,
        )
    (entry,) = audit_trail(session=session, task_id=task.id)
    assert entry.details == {
        "from": {"stage": "task-list", "status": "approved"},
        "to": {"stage": "implementation", "status": "in_progress"},
    }
    assert (entry.bpmn_element_id, entry.process_instance_key) == ("sign-contract", 7)
