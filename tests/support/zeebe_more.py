"""More helpers for the engine's end-to-end tests: variable mappings, multi-instance
loop characteristics and call activities for the inline BPMN builder of ``tests.support.zeebe``,
plus small waiting and assertion helpers.

Only the public wire is used (the gateway protocol and the engine's admin service).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import grpc

from engine.admin_client import AdminClient
from tests.support.zeebe import (
    ActivatedJob,
    _Scope,
    activate,
    activate_one,
    complete,
    rpc_error,
    wait_for,
)

Pairs = Iterable[tuple[str, str]]  # (source, target) pairs, in modelling order


# --------------------------------------------------------------------------- BPMN fragments


def io_mapping(inputs: Pairs = (), outputs: Pairs = ()) -> str:
    """A ``zeebe:ioMapping`` extension with (source, target) input and output mappings."""
    inputs, outputs = list(inputs), list(outputs)
    if not inputs and not outputs:
        return ""
    parts = [f"<zeebe:input source={quoteattr(s)} target={quoteattr(t)} />" for s, t in inputs]
    parts += [f"<zeebe:output source={quoteattr(s)} target={quoteattr(t)} />" for s, t in outputs]
    return "<zeebe:ioMapping>" + "".join(parts) + "</zeebe:ioMapping>"


def task_definition(job_type: str, retries: int | str | None = None) -> str:
    """A ``zeebe:taskDefinition`` extension."""
    retries_attr = "" if retries is None else f" retries={quoteattr(str(retries))}"
    return f"<zeebe:taskDefinition type={quoteattr(job_type)}{retries_attr} />"


def loop(
    input_collection: str,
    input_element: str | None = None,
    *,
    output_collection: str | None = None,
    output_element: str | None = None,
    sequential: bool = False,
    completion_condition: str | None = None,
) -> str:
    """``multiInstanceLoopCharacteristics`` with Zeebe's ``loopCharacteristics`` extension."""
    attrs = {
        "inputCollection": input_collection,
        "inputElement": input_element,
        "outputCollection": output_collection,
        "outputElement": output_element,
    }
    ext = (
        "<zeebe:loopCharacteristics"
        + "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items() if v is not None)
        + " />"
    )
    seq = ' isSequential="true"' if sequential else ""
    cond = ""
    if completion_condition is not None:
        cond = (
            '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
            f"{escape(completion_condition)}</bpmn:completionCondition>"
        )
    return (
        f"<bpmn:multiInstanceLoopCharacteristics{seq}><bpmn:extensionElements>{ext}"
        f"</bpmn:extensionElements>{cond}</bpmn:multiInstanceLoopCharacteristics>"
    )


# --------------------------------------------------------------------------- builder additions


def service_task(
    scope: _Scope,
    node_id: str,
    job_type: str,
    *,
    inputs: Pairs = (),
    outputs: Pairs = (),
    multi: str = "",
    retries: int | None = None,
) -> str:
    """A service task with optional variable mappings and multi-instance characteristics."""
    return scope.node(
        "serviceTask",
        node_id,
        extensions=task_definition(job_type, retries) + io_mapping(inputs, outputs),
        body=multi,
    )


def sub_process(
    scope: _Scope,
    node_id: str,
    *,
    inputs: Pairs = (),
    outputs: Pairs = (),
    multi: str = "",
) -> _Scope:
    """An embedded sub-process with optional mappings / multi-instance; returns its scope."""
    inner = scope.sub_process(node_id)
    node = scope.nodes[-1]
    node.extensions = io_mapping(inputs, outputs)
    node.body = multi
    return inner


def call_activity(
    scope: _Scope,
    node_id: str,
    process_id: str,
    *,
    propagate_all_child_variables: bool | None = None,
    propagate_all_parent_variables: bool | None = None,
    inputs: Pairs = (),
    outputs: Pairs = (),
    multi: str = "",
) -> str:
    """A call activity (``zeebe:calledElement``); the flags are left out when None."""
    attrs = f" processId={quoteattr(process_id)}"
    if propagate_all_child_variables is not None:
        attrs += f' propagateAllChildVariables="{str(propagate_all_child_variables).lower()}"'
    if propagate_all_parent_variables is not None:
        attrs += f' propagateAllParentVariables="{str(propagate_all_parent_variables).lower()}"'
    return scope.node(
        "callActivity",
        node_id,
        extensions=f"<zeebe:calledElement{attrs} />" + io_mapping(inputs, outputs),
        body=multi,
    )


# --------------------------------------------------------------------------- jobs and state


async def probe(
    stub: Any, job_type: str, *, complete_it: bool = True, timeout: float = 10.0
) -> ActivatedJob:
    """Activate the one job of a 'probe' task; it carries every variable visible there.

    A probe task after the element under test shows, through the public protocol, what the
    process sees afterwards. The probe job is completed (without variables) unless told not to.
    """
    job = await activate_one(stub, job_type, timeout=timeout)
    if complete_it:
        await complete(stub, job.key)
    return job


async def expect_code(awaitable: Any, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    """Await a raw stub call that must fail with the given gRPC status code."""
    err = await rpc_error(awaitable)
    assert err.code() == code, f"expected {code}, got {err.code()}: {err.details()}"
    return err


async def activatable_now(
    stub: Any, job_type: str, *, max_jobs: int = 10, request_timeout_ms: int = 300, **kwargs: Any
) -> list[ActivatedJob]:
    """Jobs of a type that can be activated within a short long-poll (usually: none)."""
    return await activate(
        stub, job_type, max_jobs=max_jobs, request_timeout_ms=request_timeout_ms, **kwargs
    )


async def await_incidents(
    admin: AdminClient, process_instance_key: int, count: int = 1, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Wait until a process instance has ``count`` open incidents; return them."""

    async def check() -> list[dict[str, Any]] | None:
        found = await admin.list_incidents(process_instance_key)
        return found if len(found) >= count else None

    return await wait_for(
        check, timeout, message=f"{count} incident(s) on instance {process_instance_key}"
    )


async def await_no_incidents(
    admin: AdminClient, process_instance_key: int, timeout: float = 10.0
) -> None:
    """Wait until a process instance has no open incident."""

    async def check() -> bool:
        return not await admin.list_incidents(process_instance_key)

    await wait_for(check, timeout, message=f"no incidents on instance {process_instance_key}")


async def element_instance(
    admin: AdminClient,
    process_instance_key: int,
    element_id: str,
    element_type: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Wait for an active element instance of an element (optionally of a type); return it."""

    async def check() -> dict[str, Any] | None:
        view = await admin.get_process_instance(process_instance_key)
        for e in view.get("elementInstances", []):
            if e["elementId"] == element_id and (
                element_type is None or e["elementType"] == element_type
            ):
                return e
        return None

    return await wait_for(
        check, timeout, message=f"active {element_id} in instance {process_instance_key}"
    )


class Stopwatch:
    """Monotonic seconds since creation (for long-poll and back-off semantics, not speed)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0
