"""Start, kill and restart a real engine process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
# the PostgreSQL server of the PostgreSQL variants (tests create and drop their own databases)
PG_URL = os.environ.get("KHCN_TEST_DATABASE_URL", "")
DATABASE_KINDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_url_with_db(url: str, db: str) -> str:
    base = url.rsplit("/", 1)[0]
    return f"{base}/{db}"


def create_database(kind: str, folder: Path) -> str:
    """A fresh, empty database of a kind ('sqlite' in `folder`, or 'postgresql'): its URL."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'engine.sqlite3'}"
    import psycopg

    name = f"khcn_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_url_with_db(PG_URL, "test"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _pg_url_with_db(PG_URL, name).replace("postgresql://", "postgresql+psycopg://", 1)


def drop_databases(urls: list[str]) -> None:
    """Drop the PostgreSQL databases create_database made (SQLite files go with their folder)."""
    names = [url.rsplit("/", 1)[1] for url in urls if url.startswith("postgresql")]
    if not names:
        return
    import psycopg

    with psycopg.connect(_pg_url_with_db(PG_URL, "test"), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """Ask the OS for a free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EngineProcess:
    """One `khcn engine` subprocess bound to a database URL and a fixed port."""

    def __init__(
        self, database_url: str, port: int | None = None, extra_args: list[str] | None = None
    ):
        self.database_url = database_url
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"khcn-engine-{self.port}.log"

    def start(self, timeout: float = 30.0) -> None:
        """Start the engine and wait until its health service says SERVING."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "--address",
                self.address,
                "--database",
                self.database_url,
                *self.extra_args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"engine exited early:\n{self.log_path.read_text()[-4000:]}")
            if self.is_serving():
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"engine not serving after {timeout}s:\n{self.log_path.read_text()[-4000:]}"
        )

    def is_serving(self) -> bool:
        """True when the gRPC health service reports the gateway SERVING."""
        try:
            with grpc.insecure_channel(self.address) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                reply = stub.Check(
                    health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"), timeout=1
                )
                return reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False

    def kill(self) -> None:
        """SIGKILL the engine: no chance to flush or clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """Stop the engine gracefully (SIGTERM), killing it if it hangs."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        """Kill and start again on the same port and database."""
        self.kill()
        self.start()
