"""Client of the engine's own admin service (``khcn.EngineAdmin``): JSON over gRPC.

Zeebe answers "what is running, which incidents are open" through Operate; the embedded
engine answers through this small service on the same port as the gateway, so operators'
tools, the portal and tests can see state without a second server.
"""

from __future__ import annotations

import json
from typing import Any

import grpc

SERVICE = "khcn.EngineAdmin"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data.decode())


class AdminClient:
    """Async client for the admin service over an existing ``grpc.aio`` channel."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel

    async def call(self, method: str, request: dict[str, Any] | None = None) -> Any:
        """Call one admin method with a JSON request and return its JSON reply."""
        rpc = self._channel.unary_unary(
            f"/{SERVICE}/{method}", request_serializer=_dumps, response_deserializer=_loads
        )
        return await rpc(request or {})

    async def list_incidents(self, process_instance_key: int | None = None) -> list[dict]:
        """Open incidents, optionally of one process instance."""
        return await self.call("ListIncidents", {"processInstanceKey": process_instance_key})

    async def get_process_instance(self, process_instance_key: int) -> dict:
        """State, variables per scope and active element instances of one instance."""
        return await self.call("GetProcessInstance", {"processInstanceKey": process_instance_key})

    async def list_jobs(
        self, job_type: str | None = None, process_instance_key: int | None = None
    ) -> list[dict]:
        """Jobs that are not yet completed, optionally filtered."""
        return await self.call(
            "ListJobs", {"type": job_type, "processInstanceKey": process_instance_key}
        )

    async def increase_time(self, ms: int) -> int:
        """Move a controlled engine clock forward; returns the new now (ms since epoch)."""
        return (await self.call("IncreaseTime", {"ms": ms}))["now"]

    async def get_clock(self) -> dict:
        """The engine's now and whether its clock is controlled."""
        return await self.call("GetClock")

    async def wait_idle(self) -> None:
        """Wait until the engine has run everything already scheduled."""
        await self.call("WaitIdle")
