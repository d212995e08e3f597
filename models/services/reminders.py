"""Reminders the processes send by their header: signing the contract, a progress report."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.contracts import Contract
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError
from models.services.notices import Notice, to_host
from models.services.tasks import task_by_code

# (subject, text, English) by the `reminder` header of the diagrams (bpmn/README.md).
REMINDERS: dict[str, tuple[str, str, str]] = {
    "contract-signature": (
        "Nhắc ký hợp đồng nhiệm vụ {code}",
        "Sở Khoa học và Công nghệ đã gửi hợp đồng số {contract} thực hiện nhiệm vụ {code} "
        "“{title}”. Đến nay Sở chưa nhận được hợp đồng đã ký. Đề nghị ký và gửi lại hợp đồng "
        "để nhiệm vụ được triển khai.",
        "The Department sent contract {contract} for task {code} and has not yet received it "
        "signed. Please sign and return it.",
    ),
    "progress-report": (
        "Nhắc nộp báo cáo định kỳ nhiệm vụ {code}",
        "Đề nghị nộp báo cáo định kỳ tình hình thực hiện nhiệm vụ {code} “{title}” (hợp đồng "
        "số {contract}).",
        "Please file the periodic progress report of task {code} (contract {contract}).",
    ),
}


def reminder(*, session: Session, task_code: str, kind: str, actor: Actor = SYSTEM) -> list[Notice]:
    """The reminder of a kind to a task's host; an unknown kind is an error, not silence."""
    if kind not in REMINDERS:
        raise DomainError(
            "unknown_reminder",
            f"Không có mẫu nhắc việc '{kind}'.",
            f"unknown reminder {kind!r} (known: {', '.join(REMINDERS)})",
        )
    task = task_by_code(session, task_code)
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    facts = {
        "code": task.code,
        "title": task.title,
        "contract": contract.number if contract else "(chưa có số)",
    }
    subject, text, english = (part.format(**facts) for part in REMINDERS[kind])
    notice = to_host(task, subject, text, english, kind)
    record_audit(
        session=session,
        action="notify.reminder" if notice.to else "notify.reminder_undeliverable",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=task.stage,
        details={"reminder": kind, "to": list(notice.to)},
    )
    return [notice]
