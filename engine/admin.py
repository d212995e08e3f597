"""The engine's own admin service (khcn.EngineAdmin): JSON over gRPC, beside the gateway.

It answers what Operate would: instances, incidents, jobs. The client is engine/admin_client.py.
"""

from __future__ import annotations

import json
from typing import Any

import grpc

from engine.admin_client import SERVICE
from engine.runtime import Engine, EngineError


def _loads(data: bytes) -> Any:
    return json.loads(data.decode() or "{}")


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


class Admin:
    """Read-only views of the engine state for operators and tests."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
            for name in ("GetProcessInstance", "ListIncidents", "ListJobs")
        }
        return grpc.method_handlers_generic_handler(SERVICE, methods)
