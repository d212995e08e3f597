"""The portal's calls to the process engine over Zeebe's gateway protocol (pyzeebe's stubs).

Blocking calls on a channel of its own, made from the request threads: complete a user task's
job, start a process instance, publish a message, extend a held job, read the engine's clock.
Each says plainly what happened, so the caller can tell "done" from "the job is gone"
(NOT_FOUND) from "the engine did not answer".
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import grpc
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

CALL_TIMEOUT_SECONDS = 10
# the embedded engine's admin call telling its time (a controlled clock in tests)
GET_CLOCK = "/khcn.EngineAdmin/GetClock"


class Outcome(StrEnum):
    """What became of a call about a job."""

    DONE = "done"
    # the job does not exist: its instance was cancelled, or it was completed elsewhere
    GONE = "gone"
    # the engine did not answer or refused for a technical reason: try again later
    UNAVAILABLE = "unavailable"


class EngineUnavailable(RuntimeError):
    """The engine did not answer."""


class EngineLink:
    """One gRPC channel to the engine's gateway, opened on first use."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._lock = threading.Lock()
        self._channel: grpc.Channel | None = None
        self._stub: GatewayStub | None = None

    def stub(self) -> GatewayStub:
        """The gateway stub (the channel opened once)."""
        with self._lock:
            if self._stub is None:
                self._channel = grpc.insecure_channel(self.address)
                self._stub = GatewayStub(self._channel)
            return self._stub

    def engine_now(self) -> datetime:
        """The engine's time (its GetClock admin call): for an engine on a controlled clock."""
        self.stub()
        assert self._channel is not None
        call = self._channel.unary_unary(
            GET_CLOCK,
            request_serializer=lambda o: json.dumps(o).encode(),
            response_deserializer=lambda b: json.loads(b.decode()),
        )
        try:
            reply = call({}, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            raise EngineUnavailable(str(error)) from None
        return datetime.fromtimestamp(int(reply["now"]) / 1000, UTC)

    def close(self) -> None:
        """Close the channel."""
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel, self._stub = None, None

    def _job_call(self, call: Any, request: Any) -> Outcome:
        try:
            call(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return Outcome.GONE
            return Outcome.UNAVAILABLE
        return Outcome.DONE

    def complete_job(self, job_key: int, variables: dict[str, Any]) -> Outcome:
        """CompleteJob (idempotent for us: a second one of a completed job answers GONE)."""
        request = pb.CompleteJobRequest(jobKey=job_key, variables=json.dumps(variables))
        return self._job_call(self.stub().CompleteJob, request)

    def extend_job(self, job_key: int, timeout_ms: int) -> Outcome:
        """UpdateJobTimeout: keep holding a job (GONE tells a job that no longer exists)."""
        request = pb.UpdateJobTimeoutRequest(jobKey=job_key, timeout=timeout_ms)
        return self._job_call(self.stub().UpdateJobTimeout, request)

    def start_process(self, process_id: str, variables: dict[str, Any]) -> int:
        """CreateProcessInstance of the newest version; the new instance's key."""
        request = pb.CreateProcessInstanceRequest(
            bpmnProcessId=process_id, version=-1, variables=json.dumps(variables)
        )
        try:
            reply = self.stub().CreateProcessInstance(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            raise EngineUnavailable(str(error)) from None
        return int(reply.processInstanceKey)

    def publish_message(
        self,
        name: str,
        correlation_key: str,
        variables: dict[str, Any],
        *,
        message_id: str,
        ttl_ms: int,
    ) -> Outcome:
        """PublishMessage; a second one with the same `message_id` is refused by the engine
        while the first is buffered (ALREADY_EXISTS), which counts as done."""
        request = pb.PublishMessageRequest(
            name=name,
            correlationKey=correlation_key,
            timeToLive=ttl_ms,
            messageId=message_id,
            variables=json.dumps(variables),
        )
        try:
            self.stub().PublishMessage(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.ALREADY_EXISTS:  # type: ignore[attr-defined]
                return Outcome.DONE
            return Outcome.UNAVAILABLE
        return Outcome.DONE
