"""The engine's own admin service (khcn.EngineAdmin): JSON over gRPC, beside the gateway.

It answers what Operate would: instances, incidents, jobs. The client is engine/admin_client.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc

from engine.admin_client import SERVICE
from engine.clock import ControlledClock
from engine.runtime import Engine, EngineError


def _loads(data: bytes) -> Any:
    return json.loads(data.decode() or "{}")


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


async def _idle() -> None:
    # job hand-outs are scheduled with call_soon after each command; a few loop turns let
    # every one of them (and what they schedule in turn) run
    for _ in range(5):
        await asyncio.sleep(0)


class Admin:
    """Views of the engine state for operators and tests, and the test clock's controls."""

    def __init__(self, engine: Engine, wake_timers: Any = None) -> None:
        self.engine = engine
        self.wake_timers = wake_timers

    async def GetClock(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        clock = self.engine.clock
        return {"now": clock.now_ms(), "controlled": isinstance(clock, ControlledClock)}

    async def IncreaseTime(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        """Move a controlled clock forward, fire what fell due, and return once idle."""
        clock = self.engine.clock
        if not isinstance(clock, ControlledClock):
            return await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                "the engine runs on the wall clock; start it with --clock controlled",
            )
        ms = int(request.get("ms") or 0)
        if ms < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "time only moves forward")
        clock.advance(ms)
        self.engine.run(self.engine.fire_due_timers)
        await self.engine.durable()
        await _idle()
        await self.engine.durable()
        if self.wake_timers is not None:
            self.wake_timers()
        return {"now": clock.now_ms()}

    async def WaitIdle(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        """Return once every command and job hand-out already scheduled has run."""
        await _idle()
        await self.engine.durable()
        return {"now": self.engine.clock.now_ms()}

    async def GetProcessInstance(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        try:
            return self.engine.instance_view(int(request.get("processInstanceKey") or 0))
        except EngineError as exc:
            await context.abort(getattr(grpc.StatusCode, exc.code), exc.message)

    async def ListIncidents(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        pi = request.get("processInstanceKey")
        return [
            {
                "key": i.key,
                "processInstanceKey": i.process_instance_key,
                "elementInstanceKey": i.element_instance_key,
                "elementId": i.element_id,
                "jobKey": i.job_key,
                "errorType": i.error_type,
                "errorMessage": i.message,
            }
            for i in self.engine.incidents.values()
            if pi is None or i.process_instance_key == pi
        ]

    async def ListJobs(self, request: dict, context: grpc.aio.ServicerContext) -> Any:
        job_type, pi = request.get("type"), request.get("processInstanceKey")
        return [
            {
                "key": j.key,
                "type": j.type,
                "state": j.state,
                "retries": j.retries,
                "worker": j.worker,
                "elementId": j.element_id,
                "elementInstanceKey": j.element_instance_key,
                "processInstanceKey": j.process_instance_key,
                "customHeaders": j.headers,
                "deadline": j.deadline,
                "errorMessage": j.error_message,
            }
            for j in self.engine.jobs.values()
            if (job_type is None or j.type == job_type)
            and (pi is None or j.process_instance_key == pi)
        ]

    def handler(self) -> grpc.GenericRpcHandler:
        """The generic gRPC handler serving every admin method."""
        methods = {
            name: grpc.unary_unary_rpc_method_handler(
                getattr(self, name), request_deserializer=_loads, response_serializer=_dumps
            )
            for name in (
                "GetProcessInstance",
                "ListIncidents",
                "ListJobs",
                "GetClock",
                "IncreaseTime",
                "WaitIdle",
            )
        }
        return grpc.method_handlers_generic_handler(SERVICE, methods)
