"""The reminder worker mails the task's host and investigator, in Vietnamese, per kind."""

import uuid

from sqlalchemy import select

from models.audit import AuditEntry
from models.enums import TaskMemberRole
from models.services.tasks import add_task_member
from tests.models import factories
from tests.support.system import System
from tests.support.zeebe import (
    await_incident,
    await_instance_state,
    create_instance,
    deploy,
)
from workers import notify

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="remind"/>
    <bpmn:sendTask id="remind" name="Nhắc việc">
      <bpmn:extensionElements><zeebe:taskDefinition type="{job_type}"/>
        <zeebe:taskHeaders><zeebe:header key="reminder" value="{kind}"/></zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:sequenceFlow id="f2" sourceRef="remind" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def make_task(system: System, *, with_emails: bool = True) -> tuple[str, str, str]:
    """A task with a host organisation and a principal investigator: (code, host, PI) e-mails."""
    with system.sessions() as session, session.begin():
        tag = uuid.uuid4().hex[:6]
        host_mail = f"vien-{tag}@example.vn" if with_emails else None
        org = factories.organisation(session, email=host_mail)
        pi = factories.person(session, org, email=f"cn-{tag}@example.vn" if with_emails else None)
        task = factories.task(session, host=org)
        add_task_member(
            session=session,
            task_id=task.id,
            person_id=pi.id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
        return task.code, host_mail or "", pi.email or ""


async def run_reminder(system: System, kind: str, task_code: str) -> int:
    """Deploy a one-task process with the reminder header and start it for a task."""
    pid = f"notify-{uuid.uuid4().hex[:8]}"
    xml = PROCESS.format(pid=pid, job_type=notify.REMINDER, kind=kind).encode()
    await deploy(system.zb.stub, (f"{pid}.bpmn", xml))
    created = await create_instance(system.zb.stub, pid, {"taskCode": task_code})
    return created.processInstanceKey


async def test_contract_signature_reminder_reaches_host_and_investigator(system: System) -> None:
    code, host_mail, pi_mail = make_task(system)
    key = await run_reminder(system, "contract-signature", code)
    await await_instance_state(system.zb.admin, key, "COMPLETED", 15)

    [message] = system.inbox.to(host_mail)
    assert pi_mail in message["To"]
    assert "Nhắc ký hợp đồng" in message["Subject"] and code in message["Subject"]
    body = message.get_content()
    assert body.startswith("Kính gửi") and code in body
    with system.sessions() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "notify.reminder", AuditEntry.process_instance_key == key
            )
        )
        assert entry is not None
        assert entry.bpmn_element_id == "remind"
        assert entry.details["reminder"] == "contract-signature"
        assert message["Message-ID"].strip() == entry.details["message_id"]


async def test_progress_report_reminder_has_its_own_text(system: System) -> None:
    code, host_mail, _ = make_task(system)
    key = await run_reminder(system, "progress-report", code)
    await await_instance_state(system.zb.admin, key, "COMPLETED", 15)
    [message] = system.inbox.to(host_mail)
    assert "báo cáo định kỳ" in message["Subject"]


async def test_without_addresses_no_mail_but_an_audit_entry(system: System) -> None:
    code, _, _ = make_task(system, with_emails=False)
    key = await run_reminder(system, "contract-signature", code)
    await await_instance_state(system.zb.admin, key, "COMPLETED", 15)
    assert system.inbox.messages == []
    with system.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.process_instance_key == key))
        assert entry is not None and entry.action == "notify.reminder_undeliverable"


async def test_an_unknown_reminder_kind_raises_an_incident(system: System) -> None:
    code, _, _ = make_task(system)
    key = await run_reminder(system, "no-such-reminder", code)
    incident = await await_incident(system.zb.admin, key, 30)
    assert "no-such-reminder" in str(incident)
    assert system.inbox.messages == []
