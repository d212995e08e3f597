"""Wires the embedded engine together and serves it on grpc.aio until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pyzeebe.proto.gateway_pb2_grpc import add_GatewayServicer_to_server

from engine.admin import Admin
from engine.broker import JobBroker
from engine.clock import Clock
from engine.expressions import Expressions
from engine.feel import FeelEngine
from engine.gateway import Gateway
from engine.runtime import Engine
from engine.store import Store

log = logging.getLogger("engine")
GATEWAY_SERVICE = "gateway_protocol.Gateway"
# unary calls still running when the engine stops get this long to answer
STOP_GRACE_SECONDS = 5


async def serve(
    address: str,
    database_url: str,
    feel: FeelEngine,
    clock: Clock | None = None,
    *,
    allow_joining_inclusive_gateway: bool = False,
) -> None:
    """Serve the gateway, health and admin services until SIGTERM/SIGINT."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(database_url)
    engine = Engine(
        store,
        Expressions(feel),
        clock or Clock(),
        allow_joining_inclusive_gateway=allow_joining_inclusive_gateway,
    )
    broker = JobBroker(engine)
    host, _, port = address.rpartition(":")
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    add_GatewayServicer_to_server(Gateway(engine, broker, host, int(port)), server)
    server.add_generic_rpc_handlers((Admin(engine, broker.wake).handler(),))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    server.add_insecure_port(address)
    await server.start()
    for service in (GATEWAY_SERVICE, ""):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    timers = asyncio.create_task(broker.timer_loop())
    # timers that fell due while the engine was down fire now
    for job_type in list(engine.activatable):
        broker.notify(job_type)
    log.info("khcn engine serving Zeebe's gateway on %s (state: %s)", address, database_url)
    stopped_by: list[str] = []
    stop = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        stopped_by.append(sig.name)
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    await stop.wait()
    log.info("khcn engine stopping (%s)", stopped_by[0] if stopped_by else "asked to")
    await health_servicer.enter_graceful_shutdown()
    # answer the open long polls and end the streams first: cancelled by server.stop, each
    # would end in a CancelledError traceback from grpc
    polls, streams = broker.close()
    timers.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await timers
    await server.stop(grace=STOP_GRACE_SECONDS)
    await engine.drain()
    store.close()
    log.info(
        "khcn engine stopped: %d waiting long polls answered, %d job streams ended, "
        "state written to %s",
        polls,
        streams,
        database_url,
    )


def run_server(
    address: str,
    database_url: str,
    clock: Clock | None = None,
    *,
    allow_joining_inclusive_gateway: bool = False,
) -> None:
    """Blocking entry point of `khcn engine`."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # V8 must get its own event loop thread: created inside ours, mini-racer would refuse
    # per-evaluation timeouts, which keep a runaway expression from stalling the engine.
    feel = FeelEngine()
    asyncio.run(
        serve(
            address,
            database_url,
            feel,
            clock,
            allow_joining_inclusive_gateway=allow_joining_inclusive_gateway,
        )
    )
