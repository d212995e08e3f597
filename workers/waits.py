"""Deadlines on every wait for the host (`khcn.host.overdue`, header `wait`): remind the host,
wait on to the next day, or give up (models/services/waits.py says when)."""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services.variables import deadline_at, parse_date
from models.services.waits import host_wait_overdue
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

OVERDUE = "khcn.host.overdue"
WAIT_HEADER = "wait"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handler of the waits for the host."""
    r = ZeebeTaskRouter()

    @r.task(task_type=OVERDUE)
    @retry_when_locked
    def overdue(job: Job, taskCode: str, dueAt: str) -> dict[str, Any]:
        """A wait's due day came: remind, wait on, or give up."""
        with deps.transaction() as session:
            check = host_wait_overdue(
                session=session,
                task_code=taskCode,
                wait=job.custom_headers.get(WAIT_HEADER, ""),
                due_on=parse_date(dueAt),
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
        deps.send(job, check.notices)
        return {"dueAt": deadline_at(check.due_on), "giveUp": check.give_up}

    return r
