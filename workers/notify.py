"""Reminders from the processes (header `reminder`): mail the task's host and investigator."""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services.reminders import reminder
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

REMINDER = "khcn.notify.reminder"
# The task header of a reminder task that says which reminder it is.
REMINDER_HEADER = "reminder"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the notifications feature."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REMINDER)
    @retry_when_locked
    def remind(job: Job, taskCode: str) -> dict[str, Any]:
        """Mail the reminder named by the task header (an unknown one is an incident)."""
        with deps.transaction() as session:
            notices = reminder(
                session=session,
                task_code=taskCode,
                kind=job.custom_headers.get(REMINDER_HEADER, ""),
                actor=actor_of(job),
            )
        deps.send(job, notices)
        return {}

    return r
