"""Step 4 (đánh giá nghiệm thu): the dossier, the council's result, the recognition decision's
document. Each handler calls one service (models/services/acceptance.py)."""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services import acceptance
from models.services.variables import deadline_at, parse_date
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

FILE_DOSSIER = "khcn.acceptance.file-dossier"
REQUEST_REVISION = "khcn.acceptance.request-revision"
COUNCIL_OVERDUE = "khcn.acceptance.council-overdue"
RECORD_RESULT = "khcn.acceptance.record-result"
DECISION_DOCUMENT = "khcn.acceptance.decision-document"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 4."""
    r = ZeebeTaskRouter()

    @r.task(task_type=FILE_DOSSIER)
    @retry_when_locked
    def file_dossier(job: Job, taskCode: str) -> dict[str, Any]:
        """Receive the acceptance dossier; staff check it within 3 working days."""
        with deps.transaction() as session:
            filing = acceptance.file_acceptance_dossier(
                session=session,
                task_code=taskCode,
                filed_on=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            return {
                "dossierTooLate": filing.dossier.too_late,
                "dossierCheckDueAt": deadline_at(filing.check_due_on),
            }

    @r.task(task_type=REQUEST_REVISION)
    @retry_when_locked
    def request_revision(job: Job, taskCode: str, dossierRevisionDueAt: str) -> dict[str, Any]:
        """Ask the host to complete the acceptance dossier by its due day."""
        with deps.transaction() as session:
            letter = acceptance.dossier_revision_letter(
                session=session, task_code=taskCode, due_on=parse_date(dossierRevisionDueAt)
            )
        deps.send(job, [letter])
        return {}

    @r.task(task_type=COUNCIL_OVERDUE)
    @retry_when_locked
    def council_overdue(job: Job, taskCode: str) -> dict[str, Any]:
        """Tell the leaders when the acceptance council is late (it is not cancelled)."""
        with deps.transaction() as session:
            notices = acceptance.council_setup_reminder(
                session=session, task_code=taskCode, regulations=deps.regulations
            )
        deps.send(job, notices)
        return {}

    @r.task(task_type=RECORD_RESULT)
    @retry_when_locked
    def record_result(job: Job, taskCode: str, acceptanceRating: dict[str, Any]) -> dict[str, Any]:
        """Record the council's verdict (the table must agree with TT 11/2014 Đ13.2)."""
        with deps.transaction() as session:
            result = acceptance.record_acceptance_result(
                session=session,
                task_code=taskCode,
                table_rating=str(acceptanceRating.get("rating")),
                rated_on=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            out = {
                "completionDueAt": deadline_at(result.completion_due_on)
                if result.completion_due_on
                else None,
                "chairUsername": result.chair_username,
            }
        deps.send(job, result.notices)
        return out

    @r.task(task_type=DECISION_DOCUMENT)
    @retry_when_locked
    def decision_document(job: Job, taskCode: str) -> dict[str, Any]:
        """Render the recognition decision with its signer's letterhead (once)."""
        with deps.transaction() as session:
            acceptance.recognition_document(
                session=session, task_code=taskCode, maker=deps.maker, regulations=deps.regulations
            )
        return {}

    return r
