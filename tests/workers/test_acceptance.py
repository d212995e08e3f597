"""Step 4 with the real workers: `khcn-acceptance` started as `khcn-task` calls it.

The acceptance council runs through `khcn-council-review` with the council workers
(workers/councils.py); members rate through their own review tasks. "Không đạt" is checked
under a parent that catches ACCEPTANCE_FAILED on its call activity, exactly as `khcn-task`
does. The engine runs on a controlled clock for the 15-working-day council deadline; the
workers read the engine's clock, so the dates expected here are the engine's (engine_today).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from docx import Document
from pyzeebe.proto import gateway_pb2 as pb
from sqlalchemy import select

from models.acceptance import AcceptanceDossier
from models.audit import AuditEntry
from models.councils import Council
from models.enums import (
    AcceptanceLevel,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    DocumentKind,
    DossierStatus,
    Rating,
    Stage,
    TaskStatus,
)
from models.rules import VIETNAM
from models.services import contracts as contracts_service
from models.services import councils as councils_service
from models.services import documents as documents_service
from models.tasks import Task
from tests.support.system import USER_TASK, System
from tests.support.zeebe import (
    ActivatedJob,
    await_instance_state,
    create_instance,
    deploy,
    wait_for,
)
from tests.support.zeebe_events import (
    DATABASE_KINDS,
    advance,
    await_waiting_at,
    controlled_engine,
    engine_now,
    publish,
)
from tests.workers import data_councils as data
from workers.clock import VIETNAM_TZ


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url: Any) -> Iterator:
    """This module's engine runs on a controlled clock (the council deadline timer)."""
    yield from controlled_engine(make_database_url(request.param))


# khcn-task's call activity of step 4, with its error boundary, as a parent of its own
PARENT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_{pid}" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="callAcceptance"/>
    <bpmn:callActivity id="callAcceptance">
      <bpmn:extensionElements>
        <zeebe:calledElement processId="khcn-acceptance" propagateAllChildVariables="true"/>
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:boundaryEvent id="errorAcceptanceFailed" attachedToRef="callAcceptance">
      <bpmn:errorEventDefinition errorRef="Error_ACCEPTANCE_FAILED"
          zeebe:errorCodeVariable="caughtError"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="callAcceptance" targetRef="endAccepted"/>
    <bpmn:endEvent id="endAccepted"/>
    <bpmn:sequenceFlow id="f3" sourceRef="errorAcceptanceFailed" targetRef="endFailed"/>
    <bpmn:endEvent id="endFailed"/>
  </bpmn:process>
  <bpmn:error id="Error_ACCEPTANCE_FAILED" name="failed" errorCode="ACCEPTANCE_FAILED"/>
</bpmn:definitions>
"""


@dataclass
class Implemented:
    """A task whose implementation ended: the host filed the final report."""

    code: str
    task_id: int
    contract_id: int
    proposal_id: int | None
    host_email: str


def implemented_task(system: System) -> Implemented:
    """A task under a signed contract, experts of its field, one of whom sat on its
    selection council (TT 11/2014 wants one on the acceptance council)."""
    with system.sessions() as session, session.begin():
        host = data.make_organisation(session)
        pi = data.make_applicant(session, organisation=host)
        task = data.make_task(session, host=host, principal_investigator=pi)
        experts = data.make_experts(session, task.field, 10)
        selection = councils_service.create_council(
            session=session,
            type=CouncilType.SELECTION,
            name=f"HĐ tuyển chọn {task.code}",
            task_id=task.id,
        )
        roles = [CouncilRole.CHAIR, CouncilRole.VICE_CHAIR, CouncilRole.REVIEWER]
        for person, role in zip(experts[:3], roles, strict=True):
            councils_service.appoint_council_member(
                session=session, council_id=selection.id, person_id=person.id, role=role
            )
        selection.status = CouncilStatus.CONCLUDED
        contract = contracts_service.create_contract(
            session=session,
            task_id=task.id,
            value=800_000_000,
            starts_on=date(2024, 6, 1),
            ends_on=date(2026, 5, 31),
        )
        contracts_service.sign_contract(
            session=session, contract_id=contract.id, signed_on=date(2024, 6, 1)
        )
        assert host.email
        return Implemented(task.code, task.id, contract.id, task.proposal_id, host.email)


def start_variables(task: Implemented) -> dict[str, Any]:
    """What khcn-task hands to khcn-acceptance once the final report came in."""
    return {
        "taskCode": task.code,
        "proposalId": task.proposal_id,
        "contractId": task.contract_id,
        "method": "selection",
        "finalReportDocumentId": 1,
    }


async def start_under_parent(system: System, task: Implemented) -> int:
    """Start khcn-acceptance through a call activity catching ACCEPTANCE_FAILED: the parent."""
    pid = f"acceptance-parent-{uuid.uuid4().hex[:8]}"
    await deploy(system.zb.stub, (f"{pid}.bpmn", PARENT.format(pid=pid).encode()))
    created = await create_instance(system.zb.stub, pid, start_variables(task))
    return created.processInstanceKey


async def take(
    system: System, task_code: str, element_id: str, count: int = 1, timeout: float = 20.0
) -> list[ActivatedJob]:
    """Activate `count` user-task jobs of an element for this task; hand the others back."""
    found: dict[int, ActivatedJob] = {}

    async def grab() -> bool:
        incidents = await system.zb.admin.list_incidents()
        assert not incidents, json.dumps(incidents, ensure_ascii=False)[:3000]
        reply = system.zb.stub.ActivateJobs(
            pb.ActivateJobsRequest(
                type=USER_TASK,
                worker="test-portal",
                timeout=60_000,
                maxJobsToActivate=100,
                requestTimeout=200,
            )
        )
        async for batch in reply:
            for raw in batch.jobs:
                job = ActivatedJob.from_proto(raw)
                if job.element_id == element_id and job.variables.get("taskCode") == task_code:
                    found[job.key] = job
                else:
                    await system.zb.stub.FailJob(
                        pb.FailJobRequest(jobKey=raw.key, retries=raw.retries, errorMessage="")
                    )
        return len(found) >= count

    await wait_for(grab, timeout, message=f"{count} × user task '{element_id}'")
    return list(found.values())


async def finish(system: System, job: ActivatedJob, variables: Mapping[str, Any]) -> None:
    """Complete a user-task job with the form's fields, as the portal's inbox does."""
    await system.zb.stub.CompleteJob(
        pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps(dict(variables)))
    )


async def user_task(
    system: System, task_code: str, element_id: str, variables: Mapping[str, Any], role: str
) -> ActivatedJob:
    """A person of `role` completes the user task."""
    [job] = await take(system, task_code, element_id)
    groups = json.loads(job.custom_headers.get("io.camunda.zeebe:candidateGroups", "[]"))
    assert role in groups, (element_id, groups)
    await finish(system, job, variables)
    return job


async def council(
    system: System, task_code: str, rating_of: Callable[[int], str]
) -> list[ActivatedJob]:
    """Every member rates in their own review task (the i-th gets `rating_of(i)`); all attend."""
    jobs = await take(system, task_code, "reviewAcceptance")
    count = len(jobs[0].variables["reviewAssignments"])
    while len(jobs) < count:  # jobs taken once stay ours: a next take brings only new ones
        jobs += await take(system, task_code, "reviewAcceptance", count - len(jobs))
    assert len(jobs) == count == 9
    for i, job in enumerate(sorted(jobs, key=lambda j: j.variables["assignment"]["memberId"])):
        assignment = job.variables["assignment"]
        assert job.custom_headers["io.camunda.zeebe:assignee"] == assignment["assignee"]
        await finish(system, job, {"rating": rating_of(i), "comment": f"Phiếu {i + 1}"})
    attendance = (await take(system, task_code, "recordAttendance"))[0]
    present = [o["value"] for o in attendance.variables["memberOptions"]]
    await finish(system, attendance, {"presentMemberIds": present, "meetingNote": "Đủ 9/9"})
    return jobs


async def valid_dossier(system: System, task: Implemented) -> None:
    """Staff find the dossier valid at once."""
    await user_task(system, task.code, "checkDossier", {"dossierValid": True}, "staff")


def dossier_of(system: System, task_id: int) -> AcceptanceDossier:
    """The Department-level acceptance dossier (detached, loaded eagerly)."""
    with system.sessions() as session:
        dossier = session.scalars(
            select(AcceptanceDossier).where(
                AcceptanceDossier.task_id == task_id,
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            )
        ).one()
        session.expunge(dossier)
        return dossier


def dossier_status(system: System, task_id: int) -> DossierStatus | None:
    """The dossier's status, None before any worker recorded the dossier."""
    with system.sessions() as session:
        return session.scalar(
            select(AcceptanceDossier.status).where(
                AcceptanceDossier.task_id == task_id,
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            )
        )


def audit_of(system: System, task_id: int, action: str) -> list[AuditEntry]:
    """The task's audit entries of one action, oldest first."""
    with system.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.task_id == task_id, AuditEntry.action == action)
                .order_by(AuditEntry.id)
            )
        )


def subjects(system: System, address: str) -> list[str]:
    """Subjects of the mails one address received."""
    return [str(m["Subject"]) for m in system.inbox.to(address)]


async def engine_today(system: System) -> date:
    """The workers' today: the engine's (controlled) clock's day in Vietnam."""
    now = await engine_now(system.zb.admin)
    return datetime.fromtimestamp(now / 1000, VIETNAM_TZ).date()


def docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a DOCX."""
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(cells + [p.text for p in doc.paragraphs])


# --------------------------------------------------------------------------- tests


async def test_failed_acceptance_ends_with_acceptance_failed(system: System) -> None:
    task = implemented_task(system)
    parent = await start_under_parent(system, task)

    # the dossier is incomplete first: the host is told what is missing
    await user_task(
        system,
        task.code,
        "checkDossier",
        {"dossierValid": False, "missingDocuments": "Thiếu báo cáo tự đánh giá cấp cơ sở"},
        "staff",
    )
    await wait_for(lambda: dossier_status(system, task.task_id) is DossierStatus.INVALID, 20)
    [revision] = [
        m for m in system.inbox.to(task.host_email) if "Yêu cầu bổ sung" in str(m["Subject"])
    ]
    assert "Thiếu báo cáo tự đánh giá cấp cơ sở" in revision.get_content()
    [asked] = audit_of(system, task.task_id, "acceptance.request_revision")
    assert asked.bpmn_element_id == "requestDossierRevision"
    await publish(
        system.zb.stub,
        "khcn.acceptance.dossier-revised",
        task.code,
        ttl_ms=60_000,
        variables={"revisedDocumentIds": [2]},
    )
    await valid_dossier(system, task)

    # 6 of 9 rate Không đạt
    await council(system, task.code, lambda i: "fail" if i < 6 else "pass")
    view = await await_instance_state(system.zb.admin, parent, "COMPLETED", timeout=30)
    # the parent left through its error boundary (as khcn-task closes the task as failed)
    assert view["variables"]["caughtError"] == "ACCEPTANCE_FAILED"

    dossier = dossier_of(system, task.task_id)
    assert dossier.status is DossierStatus.VALID
    assert dossier.council_rating is Rating.FAIL and dossier.final_rating is Rating.FAIL
    with system.sessions() as session:
        row = session.get(Task, task.task_id)
        assert row is not None
        assert (row.stage, row.status) == (Stage.ACCEPTANCE, TaskStatus.FAILED)
    [recorded] = audit_of(system, task.task_id, "acceptance.record_result")
    assert recorded.bpmn_element_id == "recordAcceptanceResult"
    assert recorded.details["rating"] == "fail"
    assert recorded.details["label"] == "Không đạt"
    assert recorded.details["ratingCounts"] == {
        "presentCount": 9,
        "excellentCount": 0,
        "passCount": 3,
    }
    assert any("Không đạt" in s for s in subjects(system, task.host_email))
    assert await system.zb.admin.list_incidents() == []


@pytest.mark.parametrize(
    ("excellent", "expected", "label"),
    [(5, Rating.PASS, "Đạt"), (7, Rating.EXCELLENT, "Xuất sắc")],
)
async def test_passed_acceptance_is_decided_by_the_director(
    system: System, excellent: int, expected: Rating, label: str
) -> None:
    task = implemented_task(system)
    parent = await start_under_parent(system, task)
    await valid_dossier(system, task)

    # the council deadline: 15 working days after the valid dossier, end of day in Vietnam
    due = VIETNAM.add_working_days(await engine_today(system), 15)
    [deadline] = await wait_for(
        lambda: audit_of(system, task.task_id, "acceptance.council_deadline"), 20
    )
    assert deadline.details["councilDeadline"] == f"{due.isoformat()}T23:59:59+07:00"
    assert deadline.bpmn_element_id == "computeCouncilDeadline"
    dossier = dossier_of(system, task.task_id)
    assert (dossier.status, dossier.valid_on, dossier.council_due_on) == (
        DossierStatus.VALID,
        await engine_today(system),
        due,
    )
    assert any("đã hợp lệ" in s for s in subjects(system, task.host_email))

    # `excellent` of 9 rate Xuất sắc, the others Đạt
    await council(system, task.code, lambda i: "excellent" if i < excellent else "pass")
    approve = (await take(system, task.code, "approveAcceptance"))[0]
    groups = json.loads(approve.custom_headers["io.camunda.zeebe:candidateGroups"])
    assert groups == ["leader"]
    assert approve.variables["acceptanceRating"] == {"rating": expected.value, "label": label}
    dossier = dossier_of(system, task.task_id)
    assert dossier.council_rating is expected and dossier.final_rating is None
    [recorded] = audit_of(system, task.task_id, "acceptance.record_result")
    assert recorded.details["rating"] == expected.value
    assert any(
        f"nghiệm thu nhiệm vụ {task.code}: {label}" in s for s in subjects(system, task.host_email)
    )

    number = f"{task.task_id}/QĐ-SKHCN"
    await finish(
        system,
        approve,
        {
            "acceptanceDecisionNumber": number,
            "acceptanceDecisionDate": (await engine_today(system)).isoformat(),
        },
    )
    view = await await_instance_state(system.zb.admin, parent, "COMPLETED", timeout=30)
    variables = view["variables"]
    assert "caughtError" not in variables  # the normal end

    # khcn-task goes on to step 5, whose first job records and renders the decision
    step5 = await create_instance(system.zb.stub, "khcn-registration", variables)
    await await_waiting_at(
        system.zb.admin, step5.processInstanceKey, "awaitRegistrationDossier", timeout=20
    )
    dossier = dossier_of(system, task.task_id)
    assert (dossier.decision_number, dossier.decision_on, dossier.final_rating) == (
        number,
        await engine_today(system),
        expected,
    )
    with system.sessions() as session:
        docs = [
            d
            for d in session.scalars(
                select(AcceptanceDossier).where(AcceptanceDossier.id == dossier.id)
            )
            .one()
            .documents
            if d.kind is DocumentKind.DECISION
        ]
        [decision] = docs
        text = docx_text(
            documents_service.read_file(root=system.documents_dir, stored=decision.stored_file)
        )
        row = session.get(Task, task.task_id)
        assert row is not None and row.status is TaskStatus.ACCEPTED
    assert f"Số: {number}" in text
    assert f"xếp loại: {label}" in text and task.code in text
    # the council concluded in the domain too (workers/councils.py)
    with system.sessions() as session:
        acceptance_council = session.scalars(
            select(Council).where(
                Council.task_id == task.task_id, Council.type == CouncilType.ACCEPTANCE
            )
        ).one()
        assert acceptance_council.status is CouncilStatus.CONCLUDED
    await system.zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=step5.processInstanceKey)
    )


async def test_council_deadline_escalates_to_the_leader(system: System) -> None:
    """Last in the module: it moves the engine's clock weeks ahead."""
    task = implemented_task(system)
    created = await create_instance(system.zb.stub, "khcn-acceptance", start_variables(task))
    key = created.processInstanceKey
    admin = system.zb.admin
    await valid_dossier(system, task)
    # the council is at work (its members' review tasks are open) ...
    await take(system, task.code, "reviewAcceptance")
    [first] = audit_of(system, task.task_id, "acceptance.council_deadline")
    deadline = first.details["councilDeadline"]

    # ... when the 15 working days run out
    due_ms = int(datetime.fromisoformat(deadline).timestamp() * 1000)
    await advance(admin, max(0, due_ms - await engine_now(admin)) - 60 * 60 * 1000)
    assert "callAcceptanceCouncil" in await await_waiting_at(admin, key, "callAcceptanceCouncil")
    await advance(admin, 2 * 60 * 60 * 1000)
    await await_waiting_at(admin, key, "escalateCouncilDelay", timeout=20)
    escalation = await user_task(
        system,
        task.code,
        "escalateCouncilDelay",
        {"extensionDays": 60, "instruction": "Khẩn trương hoàn thành đánh giá, nghiệm thu"},
        "leader",
    )
    assert escalation.process_instance_key == key

    # a new deadline, extensionDays working days from now, and the council starts again
    await await_waiting_at(admin, key, "callAcceptanceCouncil", timeout=20)
    entries = audit_of(system, task.task_id, "acceptance.council_deadline")
    assert [e.details["escalated"] for e in entries] == [False, True]
    assert all(e.process_instance_key == key for e in entries)
    due = VIETNAM.add_working_days(await engine_today(system), 60)
    assert entries[1].details["councilDeadline"] == f"{due.isoformat()}T23:59:59+07:00"
    view = await admin.get_process_instance(key)
    assert view["variables"]["councilDeadline"] == f"{due.isoformat()}T23:59:59+07:00"
    assert dossier_of(system, task.task_id).council_due_on == due
    assert any("Gia hạn thành lập hội đồng" in s for s in subjects(system, task.host_email))
    await take(system, task.code, "reviewAcceptance")  # the council is asked again
    assert await admin.list_incidents() == []
