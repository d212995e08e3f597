"""`khcn run`: the whole system on its embedded defaults, for one machine.

Starts the embedded engine (a child process, so a crash of either side shows plainly),
migrates the domain database, deploys every diagram, form and decision table of bpmn/,
catches outgoing mail in var/mail/ (development only), and runs the job workers until
Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe import ZeebeClient, create_insecure_channel

from khcn.settings import ROOT, Settings

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


def run_system(settings: Settings) -> None:
    """Run engine, workers and (in development) the mail catcher until interrupted."""
    from models.migrate import upgrade
    from workers.runtime import run_workers

    upgrade(settings.database_url, "head")
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
    )
    mail = None
    try:
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
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_workers(settings))
    finally:
        if mail is not None:
            mail.stop()
        engine.terminate()
        try:
            engine.wait(timeout=15)
        except subprocess.TimeoutExpired:
            engine.kill()
