"""What every job worker shares: the domain database, the mailer, documents, and the wiring.

Each feature module exposes `router(deps) -> ZeebeTaskRouter`; `run_workers` puts them all on
one pyzeebe ZeebeWorker. A handler opens `deps.transaction()` for its database work, so each
job is one transaction: a crash mid-step rolls back, the job is delivered again, and the
handler (idempotent) does it once more.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import pkgutil
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from pyzeebe import Job, ZeebeTaskRouter, ZeebeWorker, create_insecure_channel
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_sessionmaker
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.services.documents import DocumentMaker
from models.services.notices import Notice
from models.services.variables import today_of
from workers.clock import Clock, WallClock
from workers.documents import render_pair
from workers.notifications import Mailer

log = logging.getLogger("workers")
STOP_GRACE_SECONDS = 5
# Attempts of a handler whose SQLite transaction met another writer (see retry_when_locked).
LOCK_ATTEMPTS = 6
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class WorkerConfig:
    """What the workers need to know, built by khcn from its settings and handed over."""

    zeebe_address: str
    database_url: str
    smtp_host: str
    smtp_port: int
    mail_from: str
    documents_dir: str
    province: str
    # The regulation editions with the province's numbers (validated when settings load).
    regulations: Regulations = DEFAULT_REGULATIONS


@dataclass
class WorkerDeps:
    """Dependencies handed to every feature router."""

    sessions: sessionmaker[Session]
    mailer: Mailer
    documents_dir: Path
    # Where dates and deadlines come from: the wall clock, or the engine's controlled clock.
    clock: Clock = field(default_factory=WallClock)
    province: str = "Thành phố Huế"
    regulations: Regulations = DEFAULT_REGULATIONS

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed when the block ends, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def now(self) -> datetime:
        """The clock's now (aware, UTC)."""
        return self.clock.now()

    def today(self) -> date:
        """The office's day in Vietnam by the clock."""
        return today_of(self.clock.now())

    @property
    def maker(self) -> DocumentMaker:
        """Where official documents are rendered and kept."""
        return DocumentMaker(root=self.documents_dir, render=render_pair, province=self.province)

    def send(self, job: Job, notices: Sequence[Notice]) -> None:
        """Send a job's notices after its transaction committed; the job's key makes each
        Message-ID, so a mail re-sent after a crash is recognisable."""
        for notice in notices:
            if not notice.to:
                log.warning("no address for %r: not sent", notice.subject)
                continue
            self.mailer.send(
                list(notice.to),
                notice.subject,
                notice.body,
                idempotency_key=f"job-{job.key}-{notice.key}",
            )


def retry_when_locked(handler: Callable[P, R]) -> Callable[P, R]:
    """Run an (idempotent) handler again when SQLite reports "database is locked".

    Jobs of parallel branches meet each other's write locks; the engine's retries come
    without back-off and are counted, a short jittered wait here lets the other transaction
    finish. PostgreSQL never raises this.
    """

    @functools.wraps(handler)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            try:
                return handler(*args, **kwargs)
            except OperationalError as err:
                if "database is locked" not in str(err) or attempt == LOCK_ATTEMPTS:
                    raise
                log.info("database locked, attempt %s of %s", attempt, LOCK_ATTEMPTS)
                time.sleep(random.uniform(0.02, 0.1) * attempt)
        raise AssertionError("unreachable")

    return run


def make_deps(config: WorkerConfig, clock: Clock | None = None) -> WorkerDeps:
    """Dependencies from the configuration; the wall clock unless another `clock` is given."""
    return WorkerDeps(
        sessions=make_sessionmaker(make_engine(config.database_url)),
        mailer=Mailer(config.smtp_host, config.smtp_port, config.mail_from),
        documents_dir=Path(config.documents_dir),
        clock=clock or WallClock(),
        province=config.province,
        regulations=config.regulations,
    )


RouterFactory = Callable[[WorkerDeps], ZeebeTaskRouter]


def feature_routers() -> list[RouterFactory]:
    """Every feature's router factory: each module of workers/ that defines `router(deps)`."""
    import workers

    found: list[RouterFactory] = []
    for info in sorted(pkgutil.iter_modules(workers.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"workers.{info.name}")
        factory = getattr(module, "router", None)
        if callable(factory):
            found.append(factory)
    return found


async def run_workers(
    config: WorkerConfig, routers: list[RouterFactory] | None = None, clock: Clock | None = None
) -> None:
    """Serve every job type of khcn against the engine at ZEEBE_ADDRESS until cancelled.

    `clock` is where the workers read the time (default: the wall clock); an engine with a
    controlled clock wants `EngineClock(config.zeebe_address)`.
    """
    deps = make_deps(config, clock)
    channel = create_insecure_channel(grpc_address=config.zeebe_address)
    worker = ZeebeWorker(channel, name="khcn-workers", max_connection_retries=-1)
    for factory in routers or feature_routers():
        worker.include_router(factory(deps))
    log.info("khcn workers polling %s", config.zeebe_address)
    try:
        await worker.work()
    except asyncio.CancelledError:
        # pyzeebe's stop() waits for the jobs it already took to be handled; when cancellation
        # stopped its executor first that wait never ends. Jobs left unfinished are handed out
        # again after their timeout (at-least-once), so a bounded wait loses nothing.
        try:
            await asyncio.wait_for(worker.stop(), STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("workers did not stop within %d s; leaving the rest", STOP_GRACE_SECONDS)
        raise
