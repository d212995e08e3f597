"""Contracts through the real khcn-selection process: direct assignment, the numbered
contract DOCX, reminders every 10 days until it is signed, tranches; closing needs the
certificate."""

import io
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from docx import Document
from pyzeebe import Job
from sqlalchemy import select

from models.audit import AuditEntry
from models.calls import Call
from models.contracts import Contract
from models.documents import DossierDocument, StoredFile
from models.enums import ContractStatus, DocumentKind, Method, Stage, TaskStatus
from models.services import registration as registration_service
from models.services.documents import read_file, store_file
from tests.conftest import DATABASE_KINDS
from tests.models import factories
from tests.support.engine_process import EngineProcess
from tests.support.system import System, complete_user_task
from tests.support.zeebe import (
    await_incident,
    await_instance_state,
    create_instance,
    deploy,
    wait_for,
)
from tests.support.zeebe_events import (
    advance,
    await_waiting_at,
    controlled_engine,
    open_job_count,
    publish,
)
from tests.workers import data_councils as data
from workers import contracts, notify, selection
from workers.runtime import WorkerDeps, make_deps

DAY_MS = 24 * 3600 * 1000


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url) -> Iterator[EngineProcess]:
    """The module's engine runs on a controlled clock: the 10-day reminders are tested."""
    yield from controlled_engine(make_database_url(request.param))


def direct_task(system: System) -> tuple[str, str, str]:
    """A task from a proposal, to assign directly to the proposer: (code, host e-mail,
    investigator e-mail)."""
    with system.sessions() as session, session.begin():
        task = data.make_task(session, method=Method.DIRECT)
        proposal = task.proposal
        assert proposal is not None
        assert proposal.proposer_organisation and proposal.proposer_person
        assert task.host_organisation_id is None  # step 1 leaves the host open
        return (
            task.code,
            proposal.proposer_organisation.email or "",
            proposal.proposer_person.email or "",
        )


def docx_text(content: bytes) -> str:
    """All the text of a DOCX, tables included."""
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(cells + [p.text for p in doc.paragraphs])


async def test_direct_assignment_to_signed_contract_with_reminders(system: System) -> None:
    code, host_mail, pi_mail = direct_task(system)
    admin = system.zb.admin
    created = await create_instance(
        system.zb.stub, "khcn-selection", {"taskCode": code, "method": "direct"}
    )
    key = created.processInstanceKey
    await complete_user_task(
        system,
        key,
        "appraiseBudget",
        {"approvedBudget": 900_000_000, "appraisalNote": "Hợp lý"},
        role="staff",
    )
    await complete_user_task(
        system,
        key,
        "approveSelection",
        {
            "selectionDecisionNumber": "15/QĐ-SKHCN",
            "selectionDecisionDate": "2026-11-26",
            "decisionNote": "Đồng ý giao trực tiếp",
        },
        role="leader",
    )
    await await_waiting_at(admin, key, "awaitSignedContract", 15)
    variables = (await admin.get_process_instance(key))["variables"]
    contract_id, number = variables["contractId"], variables["contractNumber"]

    with system.sessions() as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None and contract.number == number
        assert contract.status is ContractStatus.DRAFT and contract.value == 900_000_000
        assert contract.task.code == code
        # the chosen organisation hosts the task; the DOCX belongs to its application
        document = session.scalar(
            select(DossierDocument)
            .where(DossierDocument.kind == DocumentKind.CONTRACT)
            .where(DossierDocument.stored_file_id == variables["contractDocumentId"])
        )
        assert document is not None
        stored = session.get(StoredFile, document.stored_file_id)
        assert stored is not None and stored.original_name.endswith(".docx")
        text = docx_text(read_file(root=system.documents_dir, stored=stored))
    sequence_and_year = number.rsplit("/", 1)[0]
    assert f"Số: {sequence_and_year}/" in text
    assert code in text and "900.000.000" in text
    # the planned tranches: half at the start, 30 % half-way, the rest at the end
    for line in ("Đợt 1: 450.000.000", "Đợt 2: 270.000.000", "Đợt 3: 180.000.000"):
        assert line in text

    # nobody signs: a reminder every 10 days, to the host and the investigator
    def reminded(count: int) -> bool:
        return len({m["Message-ID"] for m in system.inbox.to(host_mail)}) == count

    async def no_open_reminder() -> bool:
        return await open_job_count(admin, notify.REMINDER) == 0

    assert system.inbox.to(host_mail) == []
    for count in (1, 2):
        await advance(admin, 10 * DAY_MS)
        await wait_for(lambda n=count: reminded(n), 15, message=f"reminder {count}")
        # the mail leaves before the job completes: let it complete before time jumps again,
        # or the jump would time the job out and hand it out a second time
        await wait_for(no_open_reminder, 15, message="reminder job completed")
    first = system.inbox.to(host_mail)[0]
    assert pi_mail in first["To"] and "Nhắc ký hợp đồng" in first["Subject"]
    assert number in first.get_content()

    with system.sessions() as session, session.begin():
        signed_id = store_file(
            session=session,
            root=system.documents_dir,
            content=f"Hợp đồng {number} đã ký".encode(),
            original_name="hop-dong-da-ky.pdf",
            content_type="application/pdf",
        ).id
    await publish(
        system.zb.stub,
        "khcn.contract.signed",
        code,
        ttl_ms=60_000,
        variables={"signedContractDocumentId": signed_id},
    )
    done = await await_instance_state(admin, key, "COMPLETED", 15)
    assert done["variables"]["contractSignedAt"].endswith("+07:00")

    with system.sessions() as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None and contract.status is ContractStatus.SIGNED
        assert [t.sequence for t in contract.tranches] == [1, 2, 3]
        assert sum(t.amount for t in contract.tranches) == contract.value
        assert contract.task.stage is Stage.IMPLEMENTATION
        assert contract.task.status is TaskStatus.IN_PROGRESS
        filed = session.scalar(
            select(DossierDocument).where(DossierDocument.stored_file_id == signed_id)
        )
        assert filed is not None and filed.kind is DocumentKind.CONTRACT
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.process_instance_key == key))
        )
    assert {
        "selection.assign_direct",
        "selection.approve",
        "contract.create",
        "contract.prepare",
        "notify.reminder",
        "contract.sign",
        "contract.plan_tranches",
    } <= actions


CLOSE_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="closeContract"/>
    <bpmn:serviceTask id="closeContract" name="Thanh lý hợp đồng">
      <bpmn:extensionElements><zeebe:taskDefinition type="{job_type}"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="closeContract" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


async def run_close(system: System, contract_id: int, certificate: str | None) -> int:
    """Start a one-task process closing a contract."""
    pid = f"close-{uuid.uuid4().hex[:8]}"
    xml = CLOSE_PROCESS.format(pid=pid, job_type=contracts.CLOSE).encode()
    await deploy(system.zb.stub, (f"{pid}.bpmn", xml))
    created = await create_instance(
        system.zb.stub, pid, {"contractId": contract_id, "certificateNumber": certificate}
    )
    return created.processInstanceKey


async def test_closing_needs_the_certificate(system: System) -> None:
    with system.sessions() as session, session.begin():
        task = factories.accepted_task(session)
        contract_id = session.scalar(select(Contract.id).where(Contract.task_id == task.id))
        task_id = task.id
    assert contract_id is not None

    key = await run_close(system, contract_id, None)
    incident = await await_incident(system.zb.admin, key, 30)
    assert "certificate" in str(incident)

    with system.sessions() as session, session.begin():
        registration = registration_service.register_result(
            session=session, task_id=task_id, title="Giống lúa", submitted_on=date(2027, 6, 1)
        )
        issued = registration_service.issue_certificate(
            session=session, registration_id=registration.id, issued_on=date(2027, 6, 10)
        )
        certificate = issued.certificate_number
    key = await run_close(system, contract_id, certificate)
    done = await await_instance_state(system.zb.admin, key, "COMPLETED", 15)
    assert done["variables"]["contractClosedAt"].endswith("+07:00")
    with system.sessions() as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None and contract.status is ContractStatus.LIQUIDATED
        assert contract.task.status is TaskStatus.CLOSED
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "contract.close", AuditEntry.entity_id == contract_id
            )
        )
        assert entry is not None and entry.bpmn_element_id == "closeContract"
        assert entry.process_instance_key == key


def job_of(job_type: str, key: int) -> Job:
    """A job as pyzeebe hands it to a handler (what a second delivery of it looks like)."""
    return Job(
        key=key,
        type=job_type,
        process_instance_key=key + 1,
        bpmn_process_id="khcn-selection",
        process_definition_version=1,
        process_definition_key=1,
        element_id="redelivered",
        element_instance_key=key + 2,
        custom_headers={},
        worker="test",
        retries=3,
        deadline=0,
        variables={},
    )


def handler(deps: WorkerDeps, factory: Any, job_type: str) -> Callable[..., dict[str, Any]]:
    """The plain function a router runs for a job type."""
    return factory(deps).get_task(job_type).original_function  # type: ignore[no-any-return]


async def test_jobs_delivered_twice_do_their_work_once(system: System) -> None:
    deps = make_deps(system.settings.workers())
    code, _, _ = direct_task(system)
    assign = handler(deps, selection.router, selection.ASSIGN_DIRECT)
    prepare = handler(deps, contracts.router, contracts.PREPARE)
    sign = handler(deps, contracts.router, contracts.SIGN)
    publish_call = handler(deps, selection.router, selection.PUBLISH_CALL)

    calls = [
        publish_call(job=job_of(selection.PUBLISH_CALL, 40), taskCode=code, callRound=4)
        for _ in range(2)
    ]
    assert calls[0] == calls[1] and calls[0]["callRound"] == 5
    chosen = [assign(job=job_of(selection.ASSIGN_DIRECT, 10), taskCode=code) for _ in range(2)]
    assert chosen[0] == chosen[1]
    application_id = chosen[0]["selectedApplicationId"]
    prepared = [
        prepare(
            job=job_of(contracts.PREPARE, 20),
            taskCode=code,
            selectedApplicationId=application_id,
            approvedBudget=500_000_000,
        )
        for _ in range(2)
    ]
    assert prepared[0] == prepared[1]
    for _ in range(2):
        sign(job=job_of(contracts.SIGN, 30), contractId=prepared[0]["contractId"])

    with system.sessions() as session:
        contract = session.get(Contract, prepared[0]["contractId"])
        assert contract is not None and len(contract.tranches) == 3
        documents = session.scalars(
            select(DossierDocument).where(DossierDocument.application_id == application_id)
        ).all()
        assert len(documents) == 1
        assert len(session.scalars(select(Call).where(Call.number.like(f"%{code}%"))).all()) == 2
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.task_id == contract.task_id)
            )
        ]
    for action in ("selection.assign_direct", "contract.prepare", "contract.plan_tranches"):
        assert actions.count(action) == 1, action
