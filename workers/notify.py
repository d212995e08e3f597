"""Notifications from the processes: reminders by e-mail to a task's host and investigator."""

from dataclasses import dataclass
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select

from models.contracts import Contract
from models.services.audit import record_audit
from models.tasks import Task
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps

REMINDER = "khcn.notify.reminder"
# The task header of a reminder task that says which reminder it is.
REMINDER_HEADER = "reminder"

SIGNATURE = "Phòng Quản lý khoa học - Sở Khoa học và Công nghệ"


@dataclass(frozen=True)
class Reminder:
    """One kind of reminder: its subject and body, filled with a task's facts."""

    subject: str
    body: str


# Kinds by the `reminder` header of the diagrams (bpmn/README.md); bodies Vietnamese first.
REMINDERS: dict[str, Reminder] = {
    "contract-signature": Reminder(
        subject="[Sở KH&CN] Nhắc ký hợp đồng nhiệm vụ {code} / Reminder: sign the contract",
        body=(
            "Kính gửi {host},\n\n"
            "Sở Khoa học và Công nghệ đã gửi hợp đồng số {contract} thực hiện nhiệm vụ "
            '{code} "{title}". Đến nay Sở chưa nhận được hợp đồng đã ký. Đề nghị quý cơ quan '
            "ký và gửi lại hợp đồng để nhiệm vụ được triển khai.\n\n"
            "Trân trọng,\n{signature}\n\n"
            "---\n"
            "The Department sent contract {contract} for task {code} and has not yet received "
            "it signed. Please sign and return it so the task can start."
        ),
    ),
    "progress-report": Reminder(
        subject="[Sở KH&CN] Nhắc nộp báo cáo định kỳ nhiệm vụ {code} / Progress report due",
        body=(
            "Kính gửi {host},\n\n"
            "Đề nghị quý cơ quan nộp báo cáo định kỳ tình hình thực hiện nhiệm vụ {code} "
            '"{title}" (hợp đồng số {contract}).\n\n'
            "Trân trọng,\n{signature}\n\n"
            "---\n"
            "Please file the periodic progress report of task {code} (contract {contract})."
        ),
    ),
}


def recipients_of(task: Task) -> list[str]:
    """The e-mail addresses of a task's host organisation and principal investigator."""
    found = [
        task.host_organisation.email if task.host_organisation else None,
        task.principal_investigator.email if task.principal_investigator else None,
    ]
    return list(dict.fromkeys(a for a in found if a))


def task_facts(task: Task, contract: Contract | None) -> dict[str, str]:
    """The values a reminder's text is filled with."""
    return {
        "code": task.code,
        "title": task.title,
        "host": task.host_organisation.name if task.host_organisation else "tổ chức chủ trì",
        "contract": contract.number if contract else "(chưa có số)",
        "signature": SIGNATURE,
    }


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the notifications feature."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REMINDER)
    def reminder(job: Job, taskCode: str) -> dict[str, Any]:  # noqa: N803 - BPMN name
        """Mail the reminder named by the task header to the task's host and investigator."""
        kind = job.custom_headers.get(REMINDER_HEADER, "")
        if kind not in REMINDERS:
            # A diagram names a reminder this worker does not know: an incident, not silence.
            raise ValueError(f"unknown reminder {kind!r} (known: {', '.join(REMINDERS)})")
        actor = actor_of(job)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
            to = recipients_of(task)
            facts = task_facts(task, contract)
            message_id = None
            if to:
                # The job key makes the Message-ID, so a mail re-sent after a crash is
                # recognisable; sent before the commit, so the audit never lists an unsent mail.
                message_id = deps.mailer.send(
                    to,
                    REMINDERS[kind].subject.format(**facts),
                    REMINDERS[kind].body.format(**facts),
                    idempotency_key=f"job-{job.key}",
                )
            record_audit(
                session=session,
                action="notify.reminder" if to else "notify.reminder_undeliverable",
                entity_type="task",
                entity_id=task.id,
                actor=actor,
                task_id=task.id,
                stage=task.stage,
                details={"reminder": kind, "to": to, "message_id": message_id},
            )
        return {}

    return r
