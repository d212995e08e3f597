"""Contracts (hợp đồng): drawing up with a number and a DOCX, signature, tranches, closing."""

from datetime import date, datetime, timedelta
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Application
from models.contracts import Contract
from models.documents import DossierDocument, StoredFile
from models.enums import ApplicationStatus, DocumentKind, Stage
from models.rules import add_months
from models.services import calls as calls_service
from models.services import contracts as contracts_service
from models.services import documents as documents_service
from models.services.audit import record_audit
from models.services.errors import get_or_raise
from workers.clock import VIETNAM_TZ, now_vn, today_vn
from workers.documents import render
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps

PREPARE = "khcn.contract.prepare"
SIGN = "khcn.contract.sign"
CLOSE = "khcn.contract.close"

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A task without planned dates runs this long from the contract (common for provincial
# research topics; the portal lets staff correct the dates before signing).
DEFAULT_DURATION_MONTHS = 24
# Funding tranches as shares of the value, due at the start, half-way and at the end
# (common practice, unverified: the contract template of the province decides).
TRANCHE_SHARES = (0.5, 0.3, 0.2)


def money(amount: int) -> str:
    """An amount in dong written the Vietnamese way: 1.200.000.000."""
    return f"{amount:,}".replace(",", ".")


def vn_date(day: date) -> str:
    """A date as written in Vietnamese documents: 26/11/2026."""
    return day.strftime("%d/%m/%Y")


def planned_tranches(value: int, starts_on: date, ends_on: date) -> list[tuple[int, date]]:
    """The funding tranches (amount, due date) of a contract; they add up to its value."""
    half_way = starts_on + timedelta(days=(ends_on - starts_on).days // 2)
    dues = (starts_on, half_way, ends_on)
    amounts = [int(value * share) for share in TRANCHE_SHARES[:-1]]
    amounts.append(value - sum(amounts))
    return [(amount, due) for amount, due in zip(amounts, dues, strict=True) if amount > 0]


def _attach_signed(session: Session, contract: Contract, stored_file_id: int) -> None:
    """File the signed contract the host returned with the chosen application's dossier."""
    application = session.scalar(
        select(Application).where(
            Application.task_id == contract.task_id,
            Application.status == ApplicationStatus.SELECTED,
        )
    )
    if application is None or session.get(StoredFile, stored_file_id) is None:
        return
    attached = session.scalar(
        select(DossierDocument).where(
            DossierDocument.application_id == application.id,
            DossierDocument.stored_file_id == stored_file_id,
        )
    )
    if attached is None:
        documents_service.add_dossier_document(
            session=session,
            stored_file_id=stored_file_id,
            kind=DocumentKind.CONTRACT,
            application_id=application.id,
        )


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the contracts feature."""
    r = ZeebeTaskRouter()

    @r.task(task_type=PREPARE)
    def prepare(
        job: Job,
        taskCode: str,  # noqa: N803 - BPMN names
        selectedApplicationId: int,  # noqa: N803
        approvedBudget: float,  # noqa: N803
        selectionDecisionNumber: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Record the approved selection, draw up the numbered contract and its DOCX."""
        actor = actor_of(job)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            application = get_or_raise(session, Application, int(selectedApplicationId))
            # The leader approved the selection just before: the chosen organisation hosts.
            if application.status is not ApplicationStatus.SELECTED:
                calls_service.select_application(
                    session=session, application_id=application.id, actor=actor
                )
            starts_on = task.start_date or today_vn(deps.clock)
            ends_on = task.end_date or add_months(starts_on, DEFAULT_DURATION_MONTHS) - timedelta(
                days=1
            )
            contract = contracts_service.create_contract(
                session=session,
                task_id=task.id,
                value=int(approvedBudget),
                starts_on=starts_on,
                ends_on=ends_on,
                actor=actor,
            )
            document = session.scalar(
                select(DossierDocument)
                .where(
                    DossierDocument.application_id == application.id,
                    DossierDocument.kind == DocumentKind.CONTRACT,
                )
                .order_by(DossierDocument.id)
            )
            if document is None:
                pi = application.principal_investigator
                rendered = render(
                    "contract",
                    {
                        "province": deps.province,
                        "number": contract.number,
                        "task_title": task.title,
                        "task_code": task.code,
                        "host_organisation": application.organisation.name,
                        "principal_investigator": pi.full_name,
                        "start_date": vn_date(contract.starts_on),
                        "end_date": vn_date(contract.ends_on),
                        "value": money(contract.value),
                        "tranches": [
                            {"amount": money(amount), "due_on": vn_date(due)}
                            for amount, due in planned_tranches(
                                contract.value, contract.starts_on, contract.ends_on
                            )
                        ],
                    },
                )
                stored = documents_service.store_file(
                    session=session,
                    root=deps.documents_dir,
                    content=rendered.docx,
                    original_name=f"hop-dong-{contract.id}.docx",
                    content_type=DOCX_TYPE,
                )
                # The signed contract belongs to the chosen application's dossier.
                document = documents_service.add_dossier_document(
                    session=session,
                    stored_file_id=stored.id,
                    kind=DocumentKind.CONTRACT,
                    application_id=application.id,
                )
                if rendered.pdf is not None:
                    pdf = documents_service.store_file(
                        session=session,
                        root=deps.documents_dir,
                        content=rendered.pdf,
                        original_name=f"hop-dong-{contract.id}.pdf",
                        content_type="application/pdf",
                    )
                    documents_service.add_dossier_document(
                        session=session,
                        stored_file_id=pdf.id,
                        kind=DocumentKind.CONTRACT,
                        application_id=application.id,
                    )
                record_audit(
                    session=session,
                    action="contract.prepare",
                    entity_type="contract",
                    entity_id=contract.id,
                    actor=actor,
                    task_id=task.id,
                    stage=Stage.SELECTION,
                    details={
                        "number": contract.number,
                        "stored_file_id": stored.id,
                        "selection_decision": selectionDecisionNumber,
                    },
                )
            return {
                "contractId": contract.id,
                "contractNumber": contract.number,
                "contractDocumentId": document.stored_file_id,
            }

    @r.task(task_type=SIGN)
    def sign(
        job: Job,
        contractId: int,  # noqa: N803 - BPMN names
        signedContractDocumentId: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Record the signed contract and plan its funding tranches."""
        actor = actor_of(job)
        with deps.transaction() as session:
            contract = get_or_raise(session, Contract, int(contractId))
            contracts_service.sign_contract(
                session=session,
                contract_id=contract.id,
                signed_on=today_vn(deps.clock),
                actor=actor,
            )
            if signedContractDocumentId is not None:
                _attach_signed(session, contract, int(signedContractDocumentId))
            if not contract.tranches:
                for amount, due in planned_tranches(
                    contract.value, contract.starts_on, contract.ends_on
                ):
                    contracts_service.add_tranche(
                        session=session, contract_id=contract.id, amount=amount, due_on=due
                    )
                record_audit(
                    session=session,
                    action="contract.plan_tranches",
                    entity_type="contract",
                    entity_id=contract.id,
                    actor=actor,
                    task_id=contract.task_id,
                    stage=Stage.SELECTION,
                    details={
                        "tranches": [
                            {"amount": t.amount, "due_on": t.due_on.isoformat()}
                            for t in contract.tranches
                        ],
                        "signed_document_id": signedContractDocumentId,
                    },
                )
            signed_on = contract.signed_on or today_vn(deps.clock)
        signed_at = datetime.combine(signed_on, now_vn(deps.clock).time(), VIETNAM_TZ)
        return {"contractSignedAt": signed_at.isoformat(timespec="seconds")}

    @r.task(task_type=CLOSE)
    def close(job: Job, contractId: int) -> dict[str, Any]:  # noqa: N803 - BPMN name
        """Close (thanh lý) the contract; the service refuses it without a certificate."""
        actor = actor_of(job)
        with deps.transaction() as session:
            contract = contracts_service.close_contract(
                session=session,
                contract_id=int(contractId),
                liquidated_on=today_vn(deps.clock),
                actor=actor,
            )
            # close_contract audits the closing with this job's element and instance.
            closed_on = contract.liquidated_on or today_vn(deps.clock)
        closed_at = datetime.combine(closed_on, now_vn(deps.clock).time(), VIETNAM_TZ)
        return {"contractClosedAt": closed_at.isoformat(timespec="seconds")}

    return r
