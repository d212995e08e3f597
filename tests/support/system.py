"""The whole back end for end-to-end tests: engine, domain database, SMTP inbox, workers and
the portal's inbox worker.

Use the `system` fixture (tests/workers/conftest.py re-exports these fixtures); answer user
tasks with `complete_user_task` or `System.answer`: through the portal's inbox, as people do
(the inbox worker records each user-task job as an item; the item's form is filled as its
assignee or a person of its group, validated on the server, its model service run and
committed, then the job completed: portal/inbox/work.py `UserTasks.answer`).

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
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from khcn.launcher import bpmn_resources
from khcn.settings import Settings
from models.db import make_engine, make_sessionmaker
from models.enums import Role
from models.inbox import InboxItem
from models.migrate import upgrade
from models.services.inbox import GROUP_ROLES
from models.services.people import create_user
from models.users import User
from portal.config import PortalConfig
from portal.engine_link import Outcome
from portal.inbox.work import UserTasks, run_inbox_worker
from tests.conftest import DATABASE_KINDS
from tests.support.engine_process import EngineProcess, free_port
from tests.support.zeebe import Conn, connect, deploy, wait_for
from workers.clock import Clock, EngineClock, WallClock, clock_of_engine
from workers.runtime import run_workers


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
    # the portal's configuration and inbox operations (its inbox worker runs beside the workers)
    portal: PortalConfig = field(default_factory=PortalConfig)
    user_tasks: UserTasks | None = None
    # the engine process when the system started its own (clock_system)
    engine: EngineProcess | None = None
    # the clock the workers read (the engine's on a controlled engine)
    clock: Clock = field(default_factory=WallClock)

    def person_of(self, group: str) -> str:
        """The user name of someone of a candidate group (made once per database)."""
        username = f"inbox-{group}"
        with self.sessions() as session, session.begin():
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(
                    session=session,
                    username=username,
                    email=f"{username}@example.vn",
                    display_name=f"Người thử nhóm {group}",
                    roles=[GROUP_ROLES.get(group, Role.STAFF)],
                )
        return username

    async def answer(
        self, item: InboxItem, values: Mapping[str, Any], *, username: str | None = None
    ) -> dict[str, Any]:
        """Fill an inbox item's form and submit it as its assignee (or `username`, or someone
        of its first candidate group); the variables the job completed with."""
        assert self.user_tasks is not None
        who = username or item.assignee or self.person_of(item.candidate_groups[0])
        done = await asyncio.to_thread(self.user_tasks.answer, item.id, who, values)
        assert done.outcome is Outcome.DONE, (item.element_id, done.outcome)
        with self.sessions() as session:
            row = session.get(InboxItem, item.id)
            assert row is not None
            return dict(row.result or {})

    async def items(
        self,
        element_id: str,
        match: Mapping[str, Any],
        count: int | None = 1,
        *,
        collection: str = "",
        timeout: float = 15.0,
    ) -> list[InboxItem]:
        """Wait for the open inbox items of a user task whose variables hold `match`: `count`
        of them, or (None) as many as the multi-instance's input `collection` of the first."""
        assert self.user_tasks is not None
        tasks = self.user_tasks

        async def ready() -> list[InboxItem] | None:
            found = await asyncio.to_thread(tasks.open_items, element_id, match)
            wanted = count
            if wanted is None and found:
                wanted = len(found[0].variables.get(collection) or [0])
            return found[:wanted] if found and wanted and len(found) >= wanted else None

        return list(await wait_for(ready, timeout, message=f"user task '{element_id}' {match}"))


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
    """bpmn/ deployed on the engine at `engine_address`, every worker of workers/ and the
    portal's inbox worker running."""
    inbox.messages.clear()
    settings = Settings(
        ZEEBE_ADDRESS=engine_address,
        database_url=domain_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        documents_dir=str(documents_dir),
    )
    engine = make_engine(domain_url)
    sessions = make_sessionmaker(engine)
    # An engine on a controlled clock: the workers and the portal date everything by its time.
    clock = await asyncio.to_thread(clock_of_engine, engine_address)
    portal = replace(
        settings.portal(), clock="engine" if isinstance(clock, EngineClock) else "wall"
    )
    user_tasks = UserTasks(portal, sessions)
    async with connect(engine_address) as zb:
        await deploy(zb.stub, *bpmn_resources())
        running = [
            asyncio.create_task(run_workers(settings.workers(), clock=clock)),
            asyncio.create_task(run_inbox_worker(portal, sessions, maintenance_seconds=1)),
        ]
        try:
            yield System(
                zb,
                sessions,
                inbox,
                settings,
                documents_dir,
                portal=portal,
                user_tasks=user_tasks,
                clock=clock,
            )
        finally:
            for task in running:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if isinstance(clock, EngineClock):
                clock.close()
            user_tasks.link.close()
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
) -> InboxItem:
    """Answer a user task through the portal's inbox, as a person of its group would.

    The item must belong to `process_instance_key` (any instance when None; user tasks of a
    called step run in the step's own instance), to `element_id`, and to `assignee` when
    given, and its variables must hold the values of `match` when given (e.g. `{"taskCode":
    code}` to find a called step's task of one S&T task); `role` must be among its candidate
    groups.
    """

    def mine(item: InboxItem) -> bool:
        return process_instance_key in (None, item.process_instance_key) and assignee in (
            None,
            item.assignee,
        )

    async def found() -> InboxItem | None:
        assert system.user_tasks is not None
        items = await asyncio.to_thread(system.user_tasks.open_items, element_id, match or {})
        return next((item for item in items if mine(item)), None)

    item: InboxItem = await wait_for(found, timeout, message=f"user task '{element_id}'")
    if role is not None:
        assert role in item.candidate_groups, f"'{element_id}' is for {item.candidate_groups}"
    await system.answer(item, variables)
    return item
