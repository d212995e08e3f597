"""`khcn run` brings the system up: engine serving, bpmn/ deployed, workers and mail working.

The reminder worker looks its recipients up in the domain database `khcn run` migrated, so the
test creates a task there through the services and catches the reminder mail it sends.
"""

import contextlib
import email
import email.policy
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from khcn.launcher import _seed_in_background, bpmn_resources
from khcn.settings import Settings
from models.db import make_engine, make_sessionmaker
from models.enums import TaskMemberRole
from models.migrate import upgrade
from models.services.tasks import add_task_member
from tests.models import factories
from tests.support.engine_process import ROOT, free_port
from tests.support.zeebe import await_instance_state, connect, create_instance, deploy

REMINDER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="remind"/>
    <bpmn:sendTask id="remind">
      <bpmn:extensionElements><zeebe:taskDefinition type="khcn.notify.reminder"/>
        <zeebe:taskHeaders>
          <zeebe:header key="reminder" value="contract-signature"/>
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:sequenceFlow id="f2" sourceRef="remind" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def make_task(database_url: str) -> str:
    """A task with a host organisation and an investigator, both with e-mails: its code."""
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            org = factories.organisation(session, email="vien@example.vn")
            pi = factories.person(session, org, email="chu.nhiem@example.vn")
            task = factories.task(session, host=org)
            add_task_member(
                session=session,
                task_id=task.id,
                person_id=pi.id,
                role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
            )
            return task.code
    finally:
        engine.dispose()


# what a clean stop must not print (grpc's CancelledError tracebacks of open polls ...)
STOP_PROBLEMS = ("Traceback", "CancelledError", "Aborting method", "ERROR")


def start_khcn_run(tmp_path: Path, *options: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """`khcn run` on free ports and databases under tmp_path, its output in run.log."""
    env = {
        **os.environ,
        "ZEEBE_ADDRESS": f"127.0.0.1:{free_port()}",
        "KHCN_ENGINE_DATABASE": f"sqlite:///{tmp_path / 'engine.sqlite3'}",
        "KHCN_DATABASE_URL": f"sqlite:///{tmp_path / 'khcn.sqlite3'}",
        "KHCN_SMTP_PORT": str(free_port()),
        "KHCN_MAIL_DIR": str(tmp_path / "mail"),
        "KHCN_DOCUMENTS_DIR": str(tmp_path / "documents"),
        "KHCN_PORTAL_PORT": str(free_port()),
    }
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115 - the child's log for the whole test
    proc = subprocess.Popen(
        [sys.executable, "-m", "khcn.cli", "run", *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, env


def stop_khcn_run(proc: subprocess.Popen, sig: signal.Signals, log_path: Path) -> list[str]:
    """Stop `khcn run` with a signal; check the stop was clean; its log lines."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    log = log_path.read_text()
    assert not [p for p in STOP_PROBLEMS if p in log], log[-3000:]
    lines = log.strip().splitlines()
    # the stop says what it stops, in order, and the last line that all is stopped (a job
    # finishing meanwhile may log between them)
    said = iter(line.split(": ", 1)[-1] for line in lines)
    for expected in (
        "stopping: the portal and the workers first, then the mail catcher and the engine",
        "workers stopped",
        "mail catcher stopped",
        "khcn engine stopping (SIGTERM)",
        "khcn engine stopped: ",
    ):
        assert any(line.startswith(expected) for line in said), (expected, lines[-12:])
    assert lines[-1].endswith("khcn: khcn stopped (engine exit code 0)")
    return lines


async def test_khcn_run_serves_deploys_and_works(tmp_path: Path) -> None:
    proc, env = start_khcn_run(tmp_path)
    address, database_url = env["ZEEBE_ADDRESS"], env["KHCN_DATABASE_URL"]
    try:
        async with connect(address) as zb:
            deadline = time.monotonic() + 60
            while True:
                try:
                    # khcn-task is there already: the same XML again keeps version 1
                    again = await deploy(zb.stub, ROOT / "bpmn" / "khcn-task.bpmn")
                    if again.deployments[0].process.version == 1:
                        break
                except Exception:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                time.sleep(0.3)
            # deployed after the migration: the domain database is ready for the services
            code = make_task(database_url)
            pid = f"run-{uuid.uuid4().hex[:8]}"
            await deploy(zb.stub, (f"{pid}.bpmn", REMINDER.format(pid=pid).encode()))
            created = await create_instance(zb.stub, pid, {"taskCode": code})
            await await_instance_state(zb.admin, created.processInstanceKey, "COMPLETED", 30)
        caught = [
            email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
            for mail in (tmp_path / "mail").glob("*.eml")
        ]
        # the demo seeding of a first start may mail too: ours is the one about our task
        [message] = [m for m in caught if code in (m["Subject"] or "")]
        assert "Nhắc ký hợp đồng" in message["Subject"]
        assert "vien@example.vn" in message["To"] and "chu.nhiem@example.vn" in message["To"]
        assert code in message.get_content()
        assert len(bpmn_resources()) >= 9
        # the portal runs beside them, at the address `khcn run` printed
        portal = f"http://127.0.0.1:{env['KHCN_PORTAL_PORT']}"
        home = httpx.get(portal + "/", timeout=10)
        assert home.status_code == 200 and "<html" in home.text
        assert f"portal: {portal}" in (tmp_path / "run.log").read_text()
    finally:
        lines = stop_khcn_run(proc, signal.SIGTERM, tmp_path / "run.log")
    # quiet at the default level: no alembic plugin lines, no SMTP session chatter
    assert not [line for line in lines if " alembic." in line or " mail.log:" in line]


async def test_khcn_run_verbose_shows_the_chatter_and_ctrl_c_stops_it_cleanly(
    tmp_path: Path,
) -> None:
    proc, env = start_khcn_run(tmp_path, "--verbose")
    try:
        async with connect(env["ZEEBE_ADDRESS"]) as zb:
            pid = f"run-{uuid.uuid4().hex[:8]}"
            deadline = time.monotonic() + 60
            while True:  # deployable once khcn run has its engine up
                try:
                    await deploy(zb.stub, (f"{pid}.bpmn", REMINDER.format(pid=pid).encode()))
                    break
                except Exception:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.3)
        # the demo seed of the first start mails through the mail catcher: its SMTP dialogue
        while "workers polling" not in (tmp_path / "run.log").read_text() or not list(
            (tmp_path / "mail").glob("*.eml")
        ):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.3)
    finally:
        # Ctrl-C: the terminal signals khcn run's process group; the engine has its own
        lines = stop_khcn_run(proc, signal.SIGINT, tmp_path / "run.log")
    assert [line for line in lines if " alembic.runtime.plugins:" in line]
    assert [line for line in lines if " mail.log:" in line]


def wait_for_line(log_path: Path, pattern: str, proc: subprocess.Popen) -> re.Match[str]:
    """The first match of pattern in `khcn run`'s log, once it is there."""
    deadline = time.monotonic() + 60
    while not (found := re.search(pattern, log_path.read_text())):
        assert time.monotonic() < deadline and proc.poll() is None, log_path.read_text()[-3000:]
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_start_up_stops_the_engine_too(tmp_path: Path, sig: signal.Signals) -> None:
    proc, _env = start_khcn_run(tmp_path)
    log_path = tmp_path / "run.log"
    engine_pid = int(wait_for_line(log_path, r"engine started \(pid (\d+)\)", proc)[1])
    # a paused engine never gets to serve: the stop lands while khcn run waits for it
    os.kill(engine_pid, signal.SIGSTOP)
    try:
        proc.send_signal(sig)
        wait_for_line(log_path, rf"stopping during start-up \({sig.name}\)", proc)
    finally:
        # the SIGTERM khcn run sent it ends it at once unless its handler is in place by then;
        # then it handles the signal once running again
        with contextlib.suppress(ProcessLookupError):
            os.kill(engine_pid, signal.SIGCONT)
    assert proc.wait(timeout=30) == 0
    log = log_path.read_text()
    assert not [p for p in STOP_PROBLEMS if p in log], log[-3000:]
    assert re.search(r"khcn: khcn stopped \(engine exit code -?\d+\)\n$", log), log[-1000:]
    assert not Path(f"/proc/{engine_pid}").exists()  # the engine child is gone, not orphaned
    assert "deployed" not in log


async def test_first_start_seed_keeps_data_that_arrived_meanwhile(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the first-start check found the database empty; by the time the seed runs it is not
    url = f"sqlite:///{tmp_path / 'khcn.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            factories.organisation(session)
    finally:
        engine.dispose()
    settings = Settings(database_url=url, ZEEBE_ADDRESS=f"127.0.0.1:{free_port()}")

    with caplog.at_level(logging.INFO, logger="khcn"):
        await _seed_in_background(settings)

    assert "demo seed skipped: the domain database holds data by now" in caplog.messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
