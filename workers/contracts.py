"""Contracts (hợp đồng): drawn up with a number and a DOCX, signed, liquidated."""

from datetime import datetime
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.rules import VIETNAM_TZ
from models.services import contracts
from models.services.variables import deadline_at
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

PREPARE = "khcn.contract.prepare"
SIGN = "khcn.contract.sign"
CLOSE = "khcn.contract.close"


def _at(day: Any, deps: WorkerDeps) -> str:
    return datetime.combine(day, deps.now().astimezone(VIETNAM_TZ).time(), VIETNAM_TZ).isoformat(
        timespec="seconds"
    )


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the contracts feature."""
    r = ZeebeTaskRouter()

    @r.task(task_type=PREPARE)
    @retry_when_locked
    def prepare(job: Job, taskCode: str) -> dict[str, Any]:
        """Draw up the contract for signature; remind the host until it signs."""
        with deps.transaction() as session:
            prepared = contracts.prepare_contract(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                maker=deps.maker,
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            edition = deps.regulations.edition(prepared.contract.task.edition)
            out = {
                "contractId": prepared.contract.id,
                "contractNumber": prepared.contract.number,
                "contractDocumentId": prepared.document.stored_file_id,
                "signatureDueAt": deadline_at(prepared.signature_due_on),
                "reminderCycle": f"R/P{edition.host_reminder_days}D",
            }
        deps.send(job, prepared.notices)
        return out

    @r.task(task_type=SIGN)
    @retry_when_locked
    def sign(
        job: Job, contractId: int, signedContractDocumentId: int | None = None
    ) -> dict[str, Any]:
        """Record the signed contract and plan its funding tranches."""
        with deps.transaction() as session:
            contract = contracts.sign_contract(
                session=session,
                contract_id=int(contractId),
                signed_on=deps.today(),
                signed_document_id=signedContractDocumentId,
                actor=actor_of(job),
            )
            signed_on = contract.signed_on or deps.today()
        return {"contractSignedAt": _at(signed_on, deps)}

    @r.task(task_type=CLOSE)
    @retry_when_locked
    def close(job: Job, contractId: int) -> dict[str, Any]:
        """Liquidate the contract once the results are registered and recognised."""
        with deps.transaction() as session:
            contract = contracts.close_contract(
                session=session,
                contract_id=int(contractId),
                liquidated_on=deps.today(),
                actor=actor_of(job),
            )
            closed_on = contract.liquidated_on or deps.today()
        return {"contractClosedAt": _at(closed_on, deps)}

    return r
