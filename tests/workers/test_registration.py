"""Step 5 with the real workers: `khcn-registration` started as `khcn-task` calls it.

The engine runs on a controlled clock (the 30-day registration deadline is a timeDate timer);
every other worker of workers/ runs too (the contract is closed by workers/contracts.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from docx import Document
from pyzeebe import Job
from sqlalchemy import func, select

from models.acceptance import AcceptanceDossier
from models.audit import AuditEntry
from models.contracts import Contract
from models.documents import DossierDocument
from models.enums import (
    AcceptanceLevel,
    ContractStatus,
    DocumentKind,
    Rating,
    Stage,
    TaskStatus,
)
from models.registration import CertificateCounter, ResultRegistration
from models.services import acceptance as acceptance_service
from models.services import contracts as contracts_service
from models.services import documents as documents_service
from models.tasks import Task
from tests.support.system import System, complete_user_task
from tests.support.zeebe import await_instance_state, create_instance
from tests.support.zeebe_events import (
    DATABASE_KINDS,
    advance,
    await_waiting_at,
    controlled_engine,
    engine_now,
    publish,
)
from tests.workers import data_councils as data
from workers import registration
from workers.clock import VIETNAM_TZ
from workers.runtime import make_deps


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url: Any) -> Iterator:
    """This module's engine runs on a controlled clock (the deadline timer)."""
    yield from controlled_engine(make_database_url(request.param))


@dataclass
class Accepted:
    """A task whose acceptance council rated it, waiting for the Director's decision."""

    code: str
    task_id: int
    contract_id: int
    host_email: str
    pi_email: str
    pi_name: str


def accepted_task(system: System, rating: Rating = Rating.EXCELLENT) -> Accepted:
    """A task under a signed contract whose acceptance council gave `rating`."""
    with system.sessions() as session, session.begin():
        host = data.make_organisation(session)
        pi = data.make_applicant(session, organisation=host)
        task = data.make_task(session, host=host, principal_investigator=pi)
        contract = contracts_service.create_contract(
            session=session,
            task_id=task.id,
            value=900_000_000,
            starts_on=date(2024, 6, 1),
            ends_on=date(2026, 5, 31),
        )
        contracts_service.sign_contract(
            session=session, contract_id=contract.id, signed_on=date(2024, 6, 1)
        )
        dossier = acceptance_service.submit_acceptance_dossier(
            session=session, task_id=task.id, submitted_on=date(2026, 6, 1)
        )
        acceptance_service.validate_acceptance_dossier(
            session=session, dossier_id=dossier.id, valid=True, checked_on=date(2026, 6, 2)
        )
        dossier.council_rating = rating
        assert host.email and pi.email
        return Accepted(task.code, task.id, contract.id, host.email, pi.email, pi.full_name)


def start_variables(task: Accepted, decided_on: date, **extra: Any) -> dict[str, Any]:
    """What khcn-task hands to khcn-registration after the leader's approveAcceptance."""
    return {
        "taskCode": task.code,
        "contractId": task.contract_id,
        "acceptanceRating": {"rating": "excellent", "label": "Xuất sắc"},
        "acceptanceDecisionNumber": f"{task.task_id}/QĐ-SKHCN",
        "acceptanceDecisionDate": decided_on.isoformat(),
        **extra,
    }


async def engine_today(system: System) -> date:
    """The engine's today in Vietnam."""
    now = await engine_now(system.zb.admin)
    return datetime.fromtimestamp(now / 1000, VIETNAM_TZ).date()


def docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a DOCX."""
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(cells + [p.text for p in doc.paragraphs])


def subjects(system: System, address: str) -> list[str]:
    """Subjects of the mails one address received."""
    return [str(m["Subject"]) for m in system.inbox.to(address)]


async def no_incidents(system: System) -> None:
    """Fail with the incidents when a worker ran out of retries."""
    incidents = await system.zb.admin.list_incidents()
    assert not incidents, incidents


def audit_of(system: System, task_id: int) -> list[AuditEntry]:
    """The task's audit trail."""
    with system.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.task_id == task_id).order_by(AuditEntry.id)
            )
        )


async def test_registration_issues_archives_publishes_and_closes(system: System) -> None:
    task = accepted_task(system)
    decided_on = await engine_today(system)
    # extensionDays left over from the acceptance step's escalation must not count here
    created = await create_instance(
        system.zb.stub,
        "khcn-registration",
        start_variables(task, decided_on, extensionDays=60, instruction="Khẩn trương"),
    )
    key = created.processInstanceKey
    admin = system.zb.admin
    await await_waiting_at(admin, key, "awaitRegistrationDossier", timeout=20)
    view = await admin.get_process_instance(key)
    assert view["variables"]["registrationDeadline"] == (
        f"{(decided_on + timedelta(days=30)).isoformat()}T23:59:59+07:00"
    )

    # the Director's decision is recorded and rendered once the leader decided
    with system.sessions() as session:
        dossier = session.scalars(
            select(AcceptanceDossier).where(
                AcceptanceDossier.task_id == task.task_id,
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            )
        ).one()
        assert dossier.decision_number == f"{task.task_id}/QĐ-SKHCN"
        assert dossier.decision_on == decided_on
        assert dossier.final_rating is Rating.EXCELLENT
        row = session.get(Task, task.task_id)
        assert row is not None
        assert (row.stage, row.status) == (Stage.REGISTRATION, TaskStatus.ACCEPTED)
        [decision] = [d for d in dossier.documents if d.kind is DocumentKind.DECISION]
        text = docx_text(
            documents_service.read_file(root=system.documents_dir, stored=decision.stored_file)
        )
        assert f"Số: {task.task_id}/QĐ-SKHCN" in text
        assert "Xuất sắc" in text and task.code in text
    assert any("Đề nghị đăng ký kết quả" in s for s in subjects(system, task.host_email))

    # the host files the dossier; staff find it incomplete; the host completes it
    await publish(
        system.zb.stub,
        "khcn.registration.dossier-submitted",
        task.code,
        ttl_ms=60_000,
        variables={"registrationDocumentIds": [1]},
    )
    await complete_user_task(
        system,
        key,
        "checkRegistration",
        {"registrationValid": False, "missingDocuments": "Thiếu Mẫu 5 (phiếu đăng ký)"},
        role="staff",
    )
    await await_waiting_at(admin, key, "awaitRevisedRegistration", timeout=20)
    [revision] = [
        m for m in system.inbox.to(task.host_email) if "Yêu cầu bổ sung" in str(m["Subject"])
    ]
    assert "Thiếu Mẫu 5 (phiếu đăng ký)" in revision.get_content()
    await publish(system.zb.stub, "khcn.registration.dossier-revised", task.code, ttl_ms=60_000)
    await complete_user_task(
        system, key, "checkRegistration", {"registrationValid": True}, role="staff"
    )
    done = await await_instance_state(admin, key, "COMPLETED", timeout=30)
    await no_incidents(system)
    number = done["variables"]["certificateNumber"]
    assert number.endswith(f"/{(await engine_today(system)).year}/GCN-KHCN")
    assert done["variables"]["contractClosedAt"]

    with system.sessions() as session:
        [reg] = session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.task_id)
        ).all()
        assert reg.certificate_number == number
        assert reg.published_on is not None  # the public portal lists it
        [certificate] = [d for d in reg.documents if d.kind is DocumentKind.CERTIFICATE]
        text = docx_text(
            documents_service.read_file(root=system.documents_dir, stored=certificate.stored_file)
        )
        assert f"Số: {number}" in text
        assert task.code in text and task.pi_name in text and "Xuất sắc" in text
        contract = session.get(Contract, task.contract_id)
        assert contract is not None and contract.status is ContractStatus.LIQUIDATED

    entries = audit_of(system, task.task_id)
    mine = {e.action: e for e in entries if e.process_instance_key == key}
    for action, element in [
        ("registration.deadline", "computeRegistrationDeadline"),
        ("acceptance.decide", "computeRegistrationDeadline"),
        ("registration.request_revision", "requestRegistrationRevision"),
        ("registration.issue_certificate", "issueCertificate"),
        ("registration.certificate_issued", "issueCertificate"),
        ("registration.archive", "archiveResults"),
        ("registration.publish", "publishResults"),
        ("registration.published_notice", "publishResults"),
        ("contract.close", "closeContract"),
    ]:
        assert mine[action].bpmn_element_id == element, action
    assert mine["registration.deadline"].details["escalated"] is False
    archived = {d["kind"] for d in mine["registration.archive"].details["documents"]}
    assert {"certificate", "decision"} <= archived

    got = subjects(system, task.host_email)
    assert any(number in s or "Cấp Giấy chứng nhận" in s for s in got)
    assert any("Công bố kết quả" in s for s in got)
    assert system.inbox.to(task.pi_email)  # the principal investigator is told too


async def test_certificate_number_is_issued_once(system: System) -> None:
    task = accepted_task(system, Rating.PASS)
    decided_on = await engine_today(system)
    key = (
        await create_instance(
            system.zb.stub, "khcn-registration", start_variables(task, decided_on)
        )
    ).processInstanceKey
    await await_waiting_at(system.zb.admin, key, "awaitRegistrationDossier", timeout=20)
    await publish(system.zb.stub, "khcn.registration.dossier-submitted", task.code, ttl_ms=60_000)
    await complete_user_task(
        system, key, "checkRegistration", {"registrationValid": True}, role="staff"
    )
    done = await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=30)
    number = done["variables"]["certificateNumber"]

    with system.sessions() as session:
        issued = next(
            e
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "registration.certificate_issued")
            )
            if e.process_instance_key == key
        )
        year = (await engine_today(system)).year
        counter_before = session.get(CertificateCounter, year)
        assert counter_before is not None
        last_before = counter_before.last_number
        mails_before = len(system.inbox.messages)

    # the same job delivered again (the worker crashed before CompleteJob reached the engine),
    # then the job of a later instance for the same task: both get the number already given
    deps = make_deps(system.settings.workers())
    handler = registration.router(deps).get_task(registration.ISSUE_CERTIFICATE).original_function
    for job_key in (int(issued.details["jobKey"]), int(issued.details["jobKey"]) + 1_000_000):
        job = Job(
            key=job_key,
            type=registration.ISSUE_CERTIFICATE,
            process_instance_key=key,
            bpmn_process_id="khcn-registration",
            process_definition_version=1,
            process_definition_key=0,
            element_id="issueCertificate",
            element_instance_key=0,
            custom_headers={},
            worker="test",
            retries=3,
            deadline=0,
            variables={"taskCode": task.code},
        )
        assert handler(job=job, taskCode=task.code) == {"certificateNumber": number}

    with system.sessions() as session:
        counter = session.get(CertificateCounter, year)
        assert counter is not None and counter.last_number == last_before  # no number drawn
        reg = session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.task_id)
        ).one()
        assert reg.certificate_number == number
        certificates = session.scalar(
            select(func.count())
            .select_from(DossierDocument)
            .where(
                DossierDocument.registration_id == reg.id,
                DossierDocument.kind == DocumentKind.CERTIFICATE,
            )
        )
        assert certificates == 1
        issued_entries = [
            e
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "registration.issue_certificate")
            )
            if e.task_id == task.task_id
        ]
        assert len(issued_entries) == 1
    assert len(system.inbox.messages) == mails_before  # nor is the host told twice


async def test_late_registration_escalates_to_the_leader(system: System) -> None:
    task = accepted_task(system, Rating.PASS)
    admin = system.zb.admin
    # decided 29 days ago (engine time): the 30 days run out at the end of tomorrow
    decided_on = await engine_today(system) - timedelta(days=29)
    key = (
        await create_instance(
            system.zb.stub, "khcn-registration", start_variables(task, decided_on)
        )
    ).processInstanceKey
    await await_waiting_at(admin, key, "awaitRegistrationDossier", timeout=20)
    view = await admin.get_process_instance(key)
    first_deadline = view["variables"]["registrationDeadline"]
    assert first_deadline.startswith((decided_on + timedelta(days=30)).isoformat())

    # a day passes: nothing happens yet
    await advance(admin, 24 * 60 * 60 * 1000)
    assert "awaitRegistrationDossier" in await await_waiting_at(
        admin, key, "awaitRegistrationDossier"
    )
    # past the deadline: the timer fires and the leader is asked to instruct
    due_ms = int(datetime.fromisoformat(first_deadline).timestamp() * 1000)
    await advance(admin, max(0, due_ms - await engine_now(admin)) + 60_000)
    await await_waiting_at(admin, key, "escalateRegistrationDelay", timeout=20)
    await complete_user_task(
        system,
        key,
        "escalateRegistrationDelay",
        {"extensionDays": 15, "instruction": "Đề nghị tổ chức chủ trì khẩn trương đăng ký"},
        role="leader",
    )
    await await_waiting_at(admin, key, "awaitRegistrationDossier", timeout=20)
    await no_incidents(system)
    view = await admin.get_process_instance(key)
    new_deadline = view["variables"]["registrationDeadline"]
    today = await engine_today(system)
    assert new_deadline == f"{(today + timedelta(days=15)).isoformat()}T23:59:59+07:00"

    entries = [e for e in audit_of(system, task.task_id) if e.action == "registration.deadline"]
    assert [e.details["escalated"] for e in entries] == [False, True]
    assert entries[1].details["extensionDays"] == 15
    assert all(e.process_instance_key == key for e in entries)
    assert any("Gia hạn đăng ký kết quả" in s for s in subjects(system, task.host_email))

    # the host files within the extension: the process goes on to the staff's check
    await publish(system.zb.stub, "khcn.registration.dossier-submitted", task.code, ttl_ms=60_000)
    await await_waiting_at(admin, key, "checkRegistration", timeout=20)
