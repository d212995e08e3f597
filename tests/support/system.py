"""The whole back end for end-to-end tests: engine, domain database, SMTP inbox, workers.

Use the `system` fixture (tests/workers/conftest.py re-exports these fixtures); complete user
tasks the way the portal's inbox will with `complete_user_task` (the form's model service runs
in its own transaction, then the job completes with the variables it returned).

Tests of timers use `clock_system` instead: the same back end on a fresh engine started with
`--clock controlled` and a fresh domain database for each test (import `clock_system`,
`database_kind`, `clock_domain_url` and `smtp_inbox` into the module). On an engine with a
controlled clock the workers read the engine's time (workers/clock.py EngineClock), so dates
and deadlines they compute follow the clock as it is moved. A fresh engine per test still
matters: keys start again on a fresh engine, and a clock moved months ahead by one test would
carry the next test's dates along. `engine_fixture(*args)` builds a module-scoped
`engine_process` with other extra arguments for tests sharing one engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pyzeebe.proto import gateway_pb2 as pb
from sqlalchemy.orm import Session, sessionmaker

from khcn.forms import answer
from khcn.launcher import bpmn_resources
from khcn.settings import Settings
from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from models.services.audit import Actor
from tests.conftest import DATABASE_KINDS
from tests.support.engine_process import EngineProcess, free_port
from tests.support.zeebe import Conn, connect, deploy, wait_for
from workers.clock import Clock, EngineClock, WallClock, clock_of_engine
from workers.runtime import run_workers

USER_TASK = "io.camunda.zeebe:userTask"


class Inbox:
    """A real SMTP server (aiosmtpd) keeping every mail it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Mails addressed to one recipient."""
        return [m for m in self.messages if address in (m["To"] or "")]


@dataclass
class System:
    """Handles on the running back end."""

    zb: Conn
    sessions: sessionmaker[Session]
    inbox: Inbox
    settings: Settings
    documents_dir: Path
    completed_user_tasks: list[dict[str, Any]] = field(default_factory=list)
    # the engine process when the system started its own (clock_system)
    engine: EngineProcess | None = None
    # the clock the workers read (the engine's on a controlled engine)
    clock: Clock = field(default_factory=WallClock)

    async def complete(
        self,
        *,
        key: int,
        element_id: str,
        process_instance_key: int,
        variables: Mapping[str, Any],
        values: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Answer a user task as the inbox does (its form's model service in one committed
        transaction), then complete its job; the variables it completed with."""
        actor = Actor(
            name="test-inbox",
            bpmn_element_id=element_id,
            process_instance_key=process_instance_key,
            job_key=key,
        )
        now = await asyncio.to_thread(self.clock.now)
        result = await asyncio.to_thread(
            answer,
            self.sessions,
            element_id=element_id,
            variables=variables,
            values=values,
            actor=actor,
            now=now,
            regulations=self.settings.regulations(),
        )
        await self.zb.stub.CompleteJob(
            pb.CompleteJobRequest(jobKey=key, variables=json.dumps(result))
        )
        self.completed_user_tasks.append({"elementId": element_id, "variables": result})
        return result


@pytest.fixture(scope="module")
def domain_url(engine_process: EngineProcess, make_database_url: Any) -> str:
    """A fresh domain database of the engine's kind, migrated by Alembic."""
    kind = "postgresql" if "postgresql" in engine_process.database_url else "sqlite"
    url = make_database_url(kind)
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server for the module."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@asynccontextmanager
async def running_system(
    engine_address: str, domain_url: str, inbox: Inbox, smtp_port: int, documents_dir: Path
) -> AsyncIterator[System]:
    """bpmn/ deployed on the engine at `engine_address` and every worker of workers/ running."""
    inbox.messages.clear()
    settings = Settings(
        ZEEBE_ADDRESS=engine_address,
        database_url=domain_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        documents_dir=str(documents_dir),
    )
    engine = make_engine(domain_url)
    # An engine on a controlled clock: the workers date everything by the engine's time.
    clock = await asyncio.to_thread(clock_of_engine, engine_address)
    async with connect(engine_address) as zb:
        await deploy(zb.stub, *bpmn_resources())
        task = asyncio.create_task(run_workers(settings.workers(), clock=clock))
        try:
            yield System(zb, make_sessionmaker(engine), inbox, settings, documents_dir, clock=clock)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if isinstance(clock, EngineClock):
                clock.close()
            engine.dispose()


@pytest.fixture
async def system(
    engine_process: EngineProcess,
    domain_url: str,
    smtp_inbox: tuple[Inbox, int],
    tmp_path: Path,
) -> AsyncIterator[System]:
    """bpmn/ deployed and every worker of workers/ running against the module's engine."""
    inbox, port = smtp_inbox
    async with running_system(
        engine_process.address, domain_url, inbox, port, tmp_path / "documents"
    ) as running:
        yield running


def engine_fixture(*extra_args: str) -> Callable[..., Iterator[EngineProcess]]:
    """A module-scoped `engine_process` fixture whose engine runs with `extra_args`.

    In a test module: `engine_process = engine_fixture("--clock", "controlled")`.
    """

    @pytest.fixture(name="engine_process", scope="module", params=DATABASE_KINDS)
    def engine_process(
        request: pytest.FixtureRequest, make_database_url: Any
    ) -> Iterator[EngineProcess]:
        proc = EngineProcess(make_database_url(request.param), extra_args=list(extra_args))
        proc.start()
        try:
            yield proc
        finally:
            proc.stop()

    return engine_process


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    """The kind of database (sqlite, postgresql) of the module's clock tests."""
    return str(request.param)


@pytest.fixture
def clock_domain_url(database_kind: str, make_database_url: Any) -> str:
    """A fresh domain database of the kind, migrated by Alembic, for one test.

    One per test, like the engine: a fresh engine numbers its keys from the start again, and
    workers that recognise their own audit entries by process instance and job keys alone
    would take another test's entries for theirs (see test_procedure_branches.py).
    """
    url = str(make_database_url(database_kind))
    upgrade(url)
    return url


@pytest.fixture
async def clock_system(
    database_kind: str,
    clock_domain_url: str,
    smtp_inbox: tuple[Inbox, int],
    make_database_url: Any,
    tmp_path: Path,
) -> AsyncIterator[System]:
    """The whole back end on a fresh engine with a controlled clock (its own for each test)."""
    proc = EngineProcess(make_database_url(database_kind), extra_args=["--clock", "controlled"])
    proc.start()
    inbox, port = smtp_inbox
    try:
        async with running_system(
            proc.address, clock_domain_url, inbox, port, tmp_path / "documents"
        ) as running:
            running.engine = proc
            yield running
    finally:
        proc.stop()


def _matches(job: pb.ActivatedJob, match: Mapping[str, Any] | None) -> bool:
    """Whether a job's variables hold every value of `match`."""
    if not match:
        return True
    variables = json.loads(job.variables or "{}")
    return all(variables.get(name) == value for name, value in match.items())


async def take_user_tasks(system: System) -> list[pb.ActivatedJob]:
    """One short poll for user-task jobs, as the portal's inbox worker will make."""
    reply = system.zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=USER_TASK,
            worker="test-inbox",
            timeout=60_000,
            maxJobsToActivate=50,
            requestTimeout=200,
        )
    )
    return [job async for batch in reply for job in batch.jobs]


async def hand_back(system: System, job: pb.ActivatedJob) -> None:
    """Give a job taken by mistake back at once, retries unchanged."""
    await system.zb.stub.FailJob(
        pb.FailJobRequest(jobKey=job.key, retries=job.retries, errorMessage="")
    )


async def complete_user_task(
    system: System,
    process_instance_key: int | None,
    element_id: str,
    variables: dict[str, Any],
    *,
    role: str | None = None,
    assignee: str | None = None,
    match: Mapping[str, Any] | None = None,
    timeout: float = 15.0,
) -> pb.ActivatedJob:
    """Do what the portal's inbox does: take the user task's job and complete it with the form.

    The job must belong to `process_instance_key` (any instance when None; user tasks of a
    called step run in the step's own instance), to `element_id`, and to `assignee` when
    given, and its variables must hold the values of `match` when given (e.g. `{"taskCode":
    code}` to find a called step's task of one S&T task); `role` must be among its candidate
    groups. Other user-task jobs taken on the way are handed back at once.
    """
    found: list[pb.ActivatedJob] = []

    async def take() -> bool:
        for job in await take_user_tasks(system):
            job_headers = json.loads(job.customHeaders)
            mine = (
                job.elementId == element_id
                and (process_instance_key is None or job.processInstanceKey == process_instance_key)
                and (assignee is None or job_headers.get("io.camunda.zeebe:assignee") == assignee)
                and _matches(job, match)
            )
            if mine and not found:
                found.append(job)
            else:
                await hand_back(system, job)
        return bool(found)

    await wait_for(take, timeout, message=f"user task '{element_id}'")
    job = found[0]
    headers = json.loads(job.customHeaders)
    if role is not None:
        groups = json.loads(headers.get("io.camunda.zeebe:candidateGroups", "[]"))
        assert role in groups, f"'{element_id}' is for {groups}, not {role}"
    if assignee is not None:
        assert headers.get("io.camunda.zeebe:assignee") == assignee, headers
    await system.complete(
        key=job.key,
        element_id=job.elementId,
        process_instance_key=job.processInstanceKey,
        variables=json.loads(job.variables or "{}"),
        values=variables,
    )
    return job
