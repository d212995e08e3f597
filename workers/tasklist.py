"""Step 1 (xây dựng danh mục nhiệm vụ) and the end of a task: each handler calls one service.

A proposal becomes a `Task` as soon as it is registered: its code (`NV-2026-001`) is the
correlation key of every later message; the councils hang off the task.
"""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services import closing, proposals
from models.services.variables import deadline_at, iso_vn
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

REGISTER = "khcn.proposal.register"
REQUEST_REVISION = "khcn.proposal.request-revision"
PUBLISH = "khcn.tasklist.publish"
CLOSE = "khcn.task.close"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 1 and of closing a task."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REGISTER)
    @retry_when_locked
    def register(job: Job, proposalId: int) -> dict[str, Any]:
        """Register the proposal as a task and acknowledge it."""
        with deps.transaction() as session:
            done = proposals.register_proposal(
                session=session,
                proposal_id=int(proposalId),
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            out = {"taskCode": done.task.code, "proposalTitle": done.task.title}
        deps.send(job, done.notices)
        return out

    @r.task(task_type=REQUEST_REVISION)
    @retry_when_locked
    def request_revision(job: Job, taskCode: str) -> dict[str, Any]:
        """Ask the applicant to revise the proposal screening sent back, within its days."""
        with deps.transaction() as session:
            letter, due_on = proposals.revision_request(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                regulations=deps.regulations,
            )
        deps.send(job, [letter])
        return {"revisionDueAt": deadline_at(due_on)}

    @r.task(task_type=PUBLISH)
    @retry_when_locked
    def publish(job: Job, taskCode: str) -> dict[str, Any]:
        """Publish the approved task on the list."""
        with deps.transaction() as session:
            published_at, notice = proposals.publish_list_entry(
                session=session, task_code=taskCode, now=deps.now(), actor=actor_of(job)
            )
        deps.send(job, [notice])
        return {"listPublishedAt": iso_vn(published_at)}

    @r.task(task_type=CLOSE)
    @retry_when_locked
    def close(
        job: Job,
        outcome: str,
        taskCode: str | None = None,
        proposalId: int | None = None,
        screeningResult: str | None = None,
    ) -> dict[str, Any]:
        """End the task with the outcome the process reached."""
        with deps.transaction() as session:
            closed = closing.close_task(
                session=session,
                outcome=outcome,
                today=deps.today(),
                task_code=taskCode,
                proposal_id=proposalId,
                screening_result=screeningResult,
                regulations=deps.regulations,
                actor=actor_of(job),
            )
        deps.send(job, closed.notices)
        return {}

    return r
