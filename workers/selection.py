"""Step 2 (tuyển chọn, giao trực tiếp): calls, direct assignment, ranking, cancellation, a
second call. Each handler calls one service (models/services/calls.py)."""

from datetime import datetime, time
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from pyzeebe.errors import BusinessError

from models.rules import VIETNAM_TZ
from models.services import calls
from models.services.variables import deadline_at
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

INVITE_DIRECT = "khcn.selection.invite-direct"
PUBLISH_CALL = "khcn.selection.publish-call"
LIST_APPLICATIONS = "khcn.selection.list-applications"
RANK = "khcn.selection.rank"
CANCEL_RESULT = "khcn.selection.cancel-result"
CLOSE_ROUND = "khcn.selection.close-round"

NO_QUALIFIED_APPLICATION = "NO_QUALIFIED_APPLICATION"
# Applications are received until the end of the office day of the closing date.
CALL_CLOSES_AT = time(17, 0)
CANCEL_REASONS = {
    "proposal": "không hoàn thiện thuyết minh theo kết luận của hội đồng đúng hạn "
    "(Thông tư 20/2023/TT-BKHCN, Điều 17 khoản 1 điểm d)",
    "signature": "không ký hợp đồng đúng hạn (Thông tư 20/2023/TT-BKHCN, Điều 17 khoản 2)",
}


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 2."""
    r = ZeebeTaskRouter()

    @r.task(task_type=INVITE_DIRECT)
    @retry_when_locked
    def invite_direct(job: Job, taskCode: str) -> dict[str, Any]:
        """Ask the host chosen for direct assignment to file its dossier."""
        with deps.transaction() as session:
            invitation = calls.invite_direct_assignment(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            out = {
                "callId": invitation.call.id,
                "directDossierDueAt": deadline_at(invitation.due_on),
            }
        deps.send(job, invitation.notices)
        return out

    @r.task(task_type=PUBLISH_CALL)
    @retry_when_locked
    def publish_call(job: Job, taskCode: str) -> dict[str, Any]:
        """Publish the call for applications (or the second one)."""
        with deps.transaction() as session:
            call = calls.publish_call(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            closes_at = datetime.combine(call.closes_on, CALL_CLOSES_AT, tzinfo=VIETNAM_TZ)
            return {
                "callId": call.id,
                "callRound": len(calls.calls_of(session, call.items[0].task)),
                "callClosesAt": closes_at.isoformat(),
            }

    @r.task(task_type=LIST_APPLICATIONS)
    @retry_when_locked
    def list_applications(job: Job, callId: int) -> dict[str, Any]:
        """The applications filed, as the options of the opening form."""
        with deps.transaction() as session:
            return {"applicationOptions": calls.application_options(session, int(callId))}

    @r.task(task_type=RANK)
    @retry_when_locked
    def rank(job: Job, taskCode: str, recommendations: list[dict[str, Any]]) -> dict[str, Any]:
        """Rank what the council recommended; the winner completes its proposal next."""
        with deps.transaction() as session:
            result = calls.rank_candidates(
                session=session,
                task_code=taskCode,
                verdicts={int(r["applicationId"]): bool(r["recommended"]) for r in recommendations},
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
        winner = result.ranking.winner
        if winner is None and result.ranking.ranked:
            winner = result.ranking.ranked[0]  # a tie no rule broke: the leader decides
        if winner is None or result.proposal_due_on is None:
            # raised after the commit: the verdicts and the ranking stay recorded
            raise BusinessError(NO_QUALIFIED_APPLICATION)
        deps.send(job, result.notices)
        return {
            "selectedApplicationId": winner,
            "selectionTied": result.ranking.tied,
            "proposalDueAt": deadline_at(result.proposal_due_on),
        }

    @r.task(task_type=CANCEL_RESULT)
    @retry_when_locked
    def cancel_result(job: Job, taskCode: str, cancelReason: str) -> dict[str, Any]:
        """Cancel the round's result: the host did not complete its proposal or sign."""
        with deps.transaction() as session:
            notices = calls.cancel_selection(
                session=session,
                task_code=taskCode,
                reason=CANCEL_REASONS.get(cancelReason, cancelReason),
                today=deps.today(),
                actor=actor_of(job),
            )
        deps.send(job, notices)
        return {}

    @r.task(task_type=CLOSE_ROUND)
    @retry_when_locked
    def close_round(job: Job, taskCode: str) -> dict[str, Any]:
        """End a round without a host: may the call be published again?"""
        with deps.transaction() as session:
            end = calls.close_round(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
        return {"recallAllowed": end.recall_allowed}

    return r
