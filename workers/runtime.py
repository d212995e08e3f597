"""What every job worker shares: the domain database, the mailer, documents, and the wiring.

Each feature module exposes `router(deps) -> ZeebeTaskRouter`; `run_workers` puts them all on
one pyzeebe ZeebeWorker. A handler opens `deps.transaction()` for its database work, so each
job is one transaction: a crash mid-step rolls back, the job is delivered again, and the
handler (idempotent) does it once more.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyzeebe import ZeebeTaskRouter, ZeebeWorker, create_insecure_channel
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_sessionmaker
from workers.clock import Clock, WallClock
from workers.notifications import Mailer

log = logging.getLogger("workers")
STOP_GRACE_SECONDS = 5


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


@dataclass
class WorkerDeps:
    """Dependencies handed to every feature router."""

    sessions: sessionmaker[Session]
    mailer: Mailer
    documents_dir: Path
    # Where dates and deadlines come from: the wall clock, or the engine's controlled clock.
    clock: Clock = field(default_factory=WallClock)
    province: str = "Thừa Thiên Huế"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed when the block ends, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session


def make_deps(config: WorkerConfig, clock: Clock | None = None) -> WorkerDeps:
    """Dependencies from the configuration; the wall clock unless another `clock` is given."""
    return WorkerDeps(
        sessions=make_sessionmaker(make_engine(config.database_url)),
        mailer=Mailer(config.smtp_host, config.smtp_port, config.mail_from),
        documents_dir=Path(config.documents_dir),
        clock=clock or WallClock(),
        province=config.province,
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
