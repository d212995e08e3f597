"""The reminder worker, run by `run_workers`, mails through a real SMTP server."""

import asyncio
import contextlib
import email
import uuid
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from khcn.settings import Settings
from tests.support.engine_process import free_port
from tests.support.zeebe import await_instance_state, connect, create_instance, deploy
from workers import notify
from workers.runtime import run_workers

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="remind"/>
    <bpmn:serviceTask id="remind" name="Nhắc nộp báo cáo">
      <bpmn:extensionElements><zeebe:taskDefinition type="{job_type}"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="remind" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def inbox():
    box = _Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


async def test_reminder_job_sends_the_mail_and_completes(engine_address, inbox, tmp_path):
    box, port = inbox
    settings = Settings(
        ZEEBE_ADDRESS=engine_address,
        database_url=f"sqlite:///{tmp_path / 'khcn.sqlite3'}",
        smtp_host="127.0.0.1",
        smtp_port=port,
        documents_dir=str(tmp_path / "documents"),
    )
    pid = f"notify-{uuid.uuid4().hex[:8]}"
    xml = PROCESS.format(pid=pid, job_type=notify.REMINDER).encode()
    async with connect(engine_address) as zb:
        await deploy(zb.stub, (f"{pid}.bpmn", xml))
        task = asyncio.create_task(run_workers(settings, [notify.router]))
        try:
            created = await create_instance(
                zb.stub,
                pid,
                {
                    "recipients": ["chu.nhiem@example.org"],
                    "subject": "Nhắc nộp báo cáo định kỳ",
                    "message": "Đề nghị nộp báo cáo tiến độ 6 tháng của nhiệm vụ ĐT-2026-01.",
                },
            )
            view = await await_instance_state(zb.admin, created.processInstanceKey, "COMPLETED")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    [message] = box.messages
    assert message["Subject"] == "Nhắc nộp báo cáo định kỳ"
    assert "ĐT-2026-01" in message.get_content()
    assert view["variables"]["lastReminderMessageId"] == message["Message-ID"].strip()
