"""`khcn run`: the whole system on its embedded defaults, for one machine.

Starts the embedded engine (a child process, so a crash of either side shows plainly),
migrates the domain database, deploys every diagram, form and decision table of bpmn/,
catches outgoing mail in var/mail/ (development only), and runs the job workers and the
portal (http://127.0.0.1:8000) until Ctrl-C. On the first start (no organisation in the
domain database yet) it also seeds the demo province (khcn/seed.py) in the background,
through the running workers and the portal's inbox, so the system is usable at once and fills
up while you look; progress goes to the log.

`run_demo_seed` is `khcn seed --demo` on its own: against an engine that already runs (alone,
or under a running `khcn run`, whose inbox worker shares the user tasks with the seeder's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe import ZeebeClient, create_insecure_channel

from khcn.settings import ROOT, Settings

if TYPE_CHECKING:
    from khcn.seed import SeedReport

log = logging.getLogger("khcn")
BPMN_DIR = ROOT / "bpmn"


def bpmn_resources(folder: Path = BPMN_DIR) -> list[Path]:
    """Every deployable resource of bpmn/: diagrams, decision tables and forms."""
    return sorted([*folder.glob("*.bpmn"), *folder.glob("*.dmn"), *folder.glob("forms/*.form")])


def wait_serving(address: str, timeout: float = 30.0) -> None:
    """Block until the engine's health service says SERVING."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with grpc.insecure_channel(address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"), timeout=1
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.RpcError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the engine did not answer on {address} within {timeout:.0f} s")


async def deploy_all(address: str, resources: list[Path]) -> None:
    """Deploy bpmn/ in one call (unchanged resources keep their version)."""
    channel = create_insecure_channel(grpc_address=address)
    try:
        await ZeebeClient(channel).deploy_resource(*[str(p) for p in resources])
    finally:
        await channel.close()


class MailFolder:
    """An SMTP handler that stores each mail as an .eml file (development mail catcher)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        content = envelope.content  # type: ignore[attr-defined]
        subject = message_from_bytes(content, policy=default)["Subject"] or ""
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{abs(hash(content)) % 10**8}.eml"
        (self.folder / name).write_bytes(content)
        log.info("mail caught: %s -> %s", subject, name)
        return "250 OK"


class StopRequested(Exception):  # noqa: N818 - a request, not an error
    """SIGTERM before the workers' event loop runs (it handles SIGTERM from then on)."""


def _request_stop(signum: int, _frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


@contextlib.contextmanager
def _stops_deferred() -> Iterator[None]:
    """SIGTERM and SIGINT that arrive inside take effect on leaving it, under the usual handlers.

    (Blocking them instead would hand the blocked mask down to a child started inside.)
    """
    pending: list[int] = []
    usual = {
        sig: signal.signal(sig, lambda signum, _frame: pending.append(signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, handler in usual.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])


def run_system(settings: Settings) -> None:
    """Run engine, workers and (in development) the mail catcher until interrupted."""
    from models.migrate import upgrade
    from workers.runtime import run_workers

    # A stop while starting (migrating, waiting for the engine, deploying) unwinds the start-up
    # like Ctrl-C does, so the engine child, in a process group of its own, is stopped too.
    previous = signal.signal(signal.SIGTERM, _request_stop)
    engine = None
    mail = None
    try:
        upgrade(settings.database_url, "head")
        with _stops_deferred():  # not between the fork and `engine` holding the child
            engine = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "engine",
                    "--address",
                    settings.zeebe_address,
                    "--database",
                    settings.engine_database,
                ],
                cwd=ROOT,
                # its own process group: Ctrl-C reaches only us, and we stop the workers before
                # the engine they talk to (else every open poll of theirs ends in an error)
                process_group=0,
            )
        log.info(
            "engine started (pid %d); waiting for it on %s", engine.pid, settings.zeebe_address
        )
        wait_serving(settings.zeebe_address)
        asyncio.run(deploy_all(settings.zeebe_address, bpmn_resources()))
        log.info("deployed %d resources from bpmn/", len(bpmn_resources()))
        if settings.env == "development":
            from aiosmtpd.controller import Controller

            mail = Controller(
                MailFolder(Path(settings.mail_dir)),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
            )
            mail.start()
            log.info("mail to port %d lands in %s", settings.smtp_port, settings.mail_dir)
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(_serve(settings, run_workers))
        log.info("workers stopped")
    except (StopRequested, KeyboardInterrupt) as stop:
        name = str(stop) if isinstance(stop, StopRequested) else "SIGINT"
        log.info("stopping during start-up (%s)%s", name, "" if engine else ", no engine yet")
    finally:
        # already stopping: a second SIGTERM must not cut the engine's stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if mail is not None:
            mail.stop()
            log.info("mail catcher stopped")
        if engine is not None:
            _stop_engine(engine)
            log.info("khcn stopped (engine exit code %s)", engine.returncode)
        else:
            log.info("khcn stopped")
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_engine(engine: subprocess.Popen[bytes]) -> None:
    """Terminate the engine child and wait for it; kill it if it lingers or Ctrl-C comes again."""
    engine.terminate()
    try:
        engine.wait(timeout=15)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        engine.kill()
        engine.wait()


# --------------------------------------------------------------------------- demo data


async def _serve(settings: Settings, run_workers: Any) -> None:
    """The workers until cancelled; on a first start, the demo seed beside them."""
    # SIGTERM (what service managers and CI send) stops the system like Ctrl-C does; SIGINT is
    # handled by asyncio.run unless the parent ignored it (background jobs of a shell do)
    main = asyncio.current_task()
    assert main is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    from khcn.portal_server import serve_inbox, serve_portal

    workers = asyncio.create_task(run_workers(settings.workers()))
    portal = asyncio.create_task(serve_portal(settings))
    log.info("khcn is running; portal: %s (Ctrl-C stops it)", settings.portal_url)
    print(f"Cổng thông tin / portal: {settings.portal_url}", flush=True)
    seeding = None
    # Settings may switch the first-start seed off (e.g. a test of `khcn run` itself); the
    # demo is never seeded in production.
    if (
        getattr(settings, "seed_demo", True)
        and settings.env != "production"
        and not _domain_has_data(settings)
    ):
        seeding = asyncio.create_task(_seed_in_background(settings))
    # the portal's inbox records the user tasks; the seed answers them through it
    inbox = asyncio.create_task(serve_inbox(settings))
    try:
        # either stopping on its own (a port taken, a crash) stops the system
        done, _ = await asyncio.wait({workers, portal, inbox}, return_when=asyncio.FIRST_COMPLETED)
        for finished in done:
            finished.result()
    except asyncio.CancelledError:
        log.info("stopping: the portal and the workers first, then the mail catcher and the engine")
        raise
    finally:
        for task in (seeding, inbox, portal, workers):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _domain_has_data(settings: Settings) -> bool:
    from khcn.seed import has_data
    from models.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return has_data(session)
    finally:
        engine.dispose()


async def _seed_in_background(settings: Settings) -> None:
    """Seed the demo province through the running workers, logging progress."""
    from khcn.seed import (
        DEFAULT_PEOPLE,
        DEFAULT_TASKS,
        SeedRefused,
        plan_total,
        seed_demo,
        targets_for,
    )

    total = plan_total(DEFAULT_PEOPLE, targets_for(DEFAULT_TASKS))
    done = [0]

    def progress(n: int, what: str) -> None:
        done[0] += n
        log.info("demo seed %d/%d: %s", done[0], total, what)

    log.info("empty database: seeding the demo province in the background (khcn seed --demo)")
    try:
        # the system's own inbox worker records the user tasks the seed answers
        report = await seed_demo(settings, progress=progress, inbox=False)
    except asyncio.CancelledError:
        raise
    except SeedRefused:
        # data arrived between the first-start check and the seed (the portal is open): keep it
        log.info("demo seed skipped: the domain database holds data by now")
        return
    except Exception:
        log.exception("demo seed failed")
        return
    log.info("demo seed finished:\n%s", report.summary())


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) != 0


def run_demo_seed(
    settings: Settings,
    *,
    tasks: int,
    people: int,
    seed: int,
    force: bool,
    start_workers: bool,
) -> SeedReport:
    """`khcn seed --demo`: migrate, deploy bpmn/, then seed with a progress bar.

    The engine must run at ZEEBE_ADDRESS. With `start_workers` the job workers run in this
    process for the duration (they are idempotent, so workers running elsewhere too do no
    harm); in development, mail goes to var/mail/ unless an SMTP server already listens.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from khcn.seed import (
        REFUSAL,
        SeedRefused,
        plan_total,
        seed_demo,
        seed_with_workers,
        targets_for,
    )
    from models.migrate import upgrade

    if settings.env == "production":
        raise SeedRefused(
            "Không tạo dữ liệu mẫu khi KHCN_ENV=production. / "
            "The demo data (and its demo accounts) is refused when KHCN_ENV=production."
        )
    upgrade(settings.database_url, "head")
    if not force and _domain_has_data(settings):
        raise SeedRefused(REFUSAL)
    wait_serving(settings.zeebe_address)
    asyncio.run(deploy_all(settings.zeebe_address, bpmn_resources()))
    mail = None
    if settings.env == "development" and _port_free(settings.smtp_host, settings.smtp_port):
        from aiosmtpd.controller import Controller

        mail = Controller(
            MailFolder(Path(settings.mail_dir)),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
        )
        mail.start()
    try:
        with Progress(
            TextColumn("[bold]Dữ liệu mẫu / demo seed"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
        ) as bar:
            job = bar.add_task("", total=plan_total(people, targets_for(tasks)))

            def progress(n: int, what: str) -> None:
                bar.update(job, advance=n, description=what[:60])

            run = seed_with_workers if start_workers else seed_demo
            report = asyncio.run(
                run(settings, people=people, tasks=tasks, seed=seed, force=force, progress=progress)
            )
            bar.update(job, completed=bar.tasks[0].total, description="xong / done")
        return report
    finally:
        if mail is not None:
            mail.stop()
