"""The audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.enums import Stage
from models.services.audit import Actor, audit_trail, record_audit
from tests.models import factories as f


def test_record_and_read_back_an_audit_trail(session: Session) -> None:
    task = f.task(session)
    staff = f.user(session)
    actor = Actor(
        name="Chuyên viên A",
        user_id=staff.id,
        bpmn_element_id="screen-proposal",
        process_instance_key=2251799813685249,
    )
    record_audit(
        session=session,
        action="task.first",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"ghi_chú": "Hồ sơ hợp lệ", "n": 3},
    )
    record_audit(
        session=session,
        action="task.second",
        entity_type="task",
        entity_id=task.id,
        task_id=task.id,
    )
    session.expire_all()
    first, second = audit_trail(session=session, task_id=task.id)
    assert first.action == "task.first" and second.action == "task.second"
    assert first.actor == "Chuyên viên A" and first.actor_user_id == staff.id
    assert first.bpmn_element_id == "screen-proposal"
    assert first.process_instance_key == 2251799813685249
    assert first.stage is Stage.SELECTION
    assert first.details == {"ghi_chú": "Hồ sơ hợp lệ", "n": 3}
    assert first.at is not None
    assert second.actor == "system" and second.details == {}
