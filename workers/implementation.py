"""Step 3 (triển khai thực hiện): the plan, suspension, the letter on a change request."""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services import contracts, implementation
from models.services.variables import deadline_at
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

PLAN = "khcn.implementation.plan"
SUSPEND = "khcn.implementation.suspend"
CHANGE_DECISION = "khcn.implementation.change-decision"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 3."""
    r = ZeebeTaskRouter()

    @r.task(task_type=PLAN)
    @retry_when_locked
    def plan(job: Job, contractId: int) -> dict[str, Any]:
        """Plan the progress reports (the task's leader files them) and the yearly review."""
        with deps.transaction() as session:
            planned = implementation.plan_implementation(
                session=session,
                contract_id=int(contractId),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            return {
                "reportSchedule": [report.due_on.isoformat() for report in planned.reports],
                "taskLeader": planned.leader_username,
                "reportCycle": f"R/P{planned.report_months}M",
                "reviewCycle": f"R/P{planned.review_months}M",
                "finalReportDueAt": deadline_at(planned.final_report_due_on),
            }

    @r.task(task_type=SUSPEND)
    @retry_when_locked
    def suspend(job: Job, taskCode: str) -> dict[str, Any]:
        """Suspend the work after a violation and tell the host (TT 04/2015 Đ22.3)."""
        with deps.transaction() as session:
            notices = contracts.suspend_task(
                session=session,
                task_code=taskCode,
                reason="kiểm tra, đánh giá phát hiện vi phạm",
                today=deps.today(),
                actor=actor_of(job),
            )
        deps.send(job, notices)
        return {}

    @r.task(task_type=CHANGE_DECISION)
    @retry_when_locked
    def change_decision(job: Job, changeRequestId: int) -> dict[str, Any]:
        """Tell the host the leader's decision on its change request."""
        with deps.transaction() as session:
            letter = implementation.change_decision_letter(
                session=session, change_request_id=int(changeRequestId)
            )
            ends = letter.request.task.end_date
        deps.send(job, letter.notices)
        return {"contractEndsAt": ends.isoformat() if ends else None}

    return r
