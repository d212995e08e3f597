"""Helpers for end-to-end tests that talk to an engine over Zeebe's gateway protocol.

Everything here speaks the public wire only (pyzeebe, the raw gateway stub, the engine's
admin service), so the same helpers would drive a real Zeebe cluster.

Typical use in a test module::

    @pytest.fixture
    async def zb(engine_address):
        async with connect(engine_address) as conn:
            yield conn

    async def test_something(zb):
        p = Process(unique_id("order"))
        p.chain(p.start(), p.task("work", job_type := unique_id("work")), p.end())
        await deploy(zb.stub, p)
        created = await zb.client.run_process(p.id)
        job = await activate_one(zb.stub, job_type)
        await complete(zb.stub, job.key, done=True)
        await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import grpc
from pyzeebe import ZeebeClient, ZeebeWorker, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.admin_client import AdminClient

FIXTURES = Path(__file__).resolve().parents[1] / "engine" / "fixtures"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"


# --------------------------------------------------------------------------- connections


def unique_id(prefix: str = "p") -> str:
    """A BPMN-id-safe unique name (process ids, job types) so tests never share jobs."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def open_channel(address: str) -> grpc.aio.Channel:
    """An insecure grpc.aio channel to the gateway at HOST:PORT (pyzeebe's options)."""
    return create_insecure_channel(grpc_address=address)


def gateway_stub(channel: grpc.aio.Channel) -> GatewayStub:
    """The raw Zeebe gateway stub, for RPCs pyzeebe does not offer."""
    return GatewayStub(channel)


@dataclass
class Conn:
    """One channel and everything the tests use over it."""

    address: str
    channel: grpc.aio.Channel
    client: ZeebeClient
    stub: GatewayStub
    admin: AdminClient


@asynccontextmanager
async def connect(address: str) -> AsyncIterator[Conn]:
    """Open a channel with a pyzeebe client, a raw stub and an admin client; close at exit."""
    channel = open_channel(address)
    try:
        yield Conn(
            address, channel, ZeebeClient(channel), gateway_stub(channel), AdminClient(channel)
        )
    finally:
        await channel.close()


def _stub_of(target: Any) -> GatewayStub:
    """Accept a Conn, a ZeebeClient, a GatewayStub or a channel and return a gateway stub."""
    if isinstance(target, Conn):
        return target.stub
    if isinstance(target, ZeebeClient):
        return GatewayStub(target.zeebe_adapter._channel)
    if isinstance(target, grpc.aio.Channel):
        return GatewayStub(target)
    return target


async def rpc_error(awaitable: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """Await a raw stub call that must fail and return its gRPC error."""
    try:
        result = await awaitable
    except grpc.aio.AioRpcError as err:
        return err
    raise AssertionError(f"expected a gRPC error, the call returned {result!r}")


# --------------------------------------------------------------------------- deployments


def _resource(item: Any) -> pb.Resource:
    """Turn a path, a Process builder or a (name, content) pair into a Resource message."""
    if isinstance(item, Process):
        return pb.Resource(name=f"{item.id}.bpmn", content=item.xml())
    if isinstance(item, tuple):
        name, content = item
        return pb.Resource(
            name=name, content=content.encode() if isinstance(content, str) else content
        )
    path = Path(item)
    return pb.Resource(name=path.name, content=path.read_bytes())


async def deploy(target: Any, *resources: Any) -> pb.DeployResourceResponse:
    """DeployResource with paths, Process builders or (name, xml) pairs; raw reply.

    ``target`` may be a Conn, a ZeebeClient or a GatewayStub.
    """
    stub = _stub_of(target)
    return await stub.DeployResource(
        pb.DeployResourceRequest(resources=[_resource(r) for r in resources]), timeout=30
    )


def fixture_xml(name: str, replace: Mapping[str, str] | None = None) -> bytes:
    """Read tests/engine/fixtures/NAME, replacing strings (e.g. the process id to a unique one)."""
    text = (FIXTURES / name).read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return text.encode()


async def create_instance(
    target: Any,
    bpmn_process_id: str = "",
    variables: Mapping[str, Any] | None = None,
    *,
    version: int = -1,
    process_definition_key: int = 0,
) -> pb.CreateProcessInstanceResponse:
    """Raw CreateProcessInstance by id (latest or given version) or by definition key."""
    stub = _stub_of(target)
    return await stub.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(
            bpmnProcessId=bpmn_process_id,
            version=version,
            processDefinitionKey=process_definition_key,
            variables=json.dumps(dict(variables or {})),
        ),
        timeout=30,
    )


# --------------------------------------------------------------------------- jobs


@dataclass
class ActivatedJob:
    """An activated job with its JSON fields parsed."""

    key: int
    type: str
    process_instance_key: int
    bpmn_process_id: str
    process_definition_version: int
    process_definition_key: int
    element_id: str
    element_instance_key: int
    custom_headers: dict[str, Any]
    worker: str
    retries: int
    deadline: int
    variables: dict[str, Any]

    @classmethod
    def from_proto(cls, job: pb.ActivatedJob) -> ActivatedJob:
        """Parse one ActivatedJob message."""
        return cls(
            key=job.key,
            type=job.type,
            process_instance_key=job.processInstanceKey,
            bpmn_process_id=job.bpmnProcessId,
            process_definition_version=job.processDefinitionVersion,
            process_definition_key=job.processDefinitionKey,
            element_id=job.elementId,
            element_instance_key=job.elementInstanceKey,
            custom_headers=json.loads(job.customHeaders or "{}"),
            worker=job.worker,
            retries=job.retries,
            deadline=job.deadline,
            variables=json.loads(job.variables or "{}"),
        )


async def activate(
    stub: GatewayStub,
    job_type: str,
    *,
    max_jobs: int = 10,
    timeout_ms: int = 30_000,
    request_timeout_ms: int = 2_000,
    worker: str = "test-worker",
    fetch: list[str] | None = None,
) -> list[ActivatedJob]:
    """One ActivateJobs call (long-polls up to request_timeout_ms; -1 answers at once)."""
    grpc_timeout = max(request_timeout_ms, 0) / 1000 + 10
    jobs: list[ActivatedJob] = []
    call = stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=job_type,
            worker=worker,
            timeout=timeout_ms,
            maxJobsToActivate=max_jobs,
            requestTimeout=request_timeout_ms,
            fetchVariable=fetch or [],
        ),
        timeout=grpc_timeout,
    )
    async for reply in call:
        jobs.extend(ActivatedJob.from_proto(j) for j in reply.jobs)
    return jobs


async def await_jobs(
    stub: GatewayStub, job_type: str, count: int, *, timeout: float = 10.0, **kwargs: Any
) -> list[ActivatedJob]:
    """Activate until ``count`` jobs of a type were obtained (fails after ``timeout`` s)."""
    jobs: list[ActivatedJob] = []
    deadline = time.monotonic() + timeout
    while len(jobs) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(
                f"only {len(jobs)} of {count} jobs of type {job_type!r} within {timeout}s"
            )
        jobs += await activate(
            stub,
            job_type,
            max_jobs=count - len(jobs),
            request_timeout_ms=int(min(left, 2.0) * 1000) or 1,
            **kwargs,
        )
    return jobs


async def activate_one(
    stub: GatewayStub, job_type: str, *, timeout: float = 10.0, **kwargs: Any
) -> ActivatedJob:
    """Activate exactly one job of a type, waiting for it to appear."""
    return (await await_jobs(stub, job_type, 1, timeout=timeout, **kwargs))[0]


async def no_jobs(stub: GatewayStub, job_type: str) -> bool:
    """True when no job of the type can be activated right now (no long polling)."""
    return not await activate(stub, job_type, request_timeout_ms=-1)


async def complete(stub: GatewayStub, key: int, **variables: Any) -> pb.CompleteJobResponse:
    """CompleteJob with variables given as keyword arguments."""
    return await stub.CompleteJob(
        pb.CompleteJobRequest(jobKey=key, variables=json.dumps(variables)), timeout=10
    )


async def fail_job(
    stub: GatewayStub,
    key: int,
    retries: int,
    message: str = "",
    *,
    backoff_ms: int = 0,
    variables: Mapping[str, Any] | None = None,
) -> pb.FailJobResponse:
    """FailJob with remaining retries, an error message and an optional retry back-off."""
    return await stub.FailJob(
        pb.FailJobRequest(
            jobKey=key,
            retries=retries,
            errorMessage=message,
            retryBackOff=backoff_ms,
            variables=json.dumps(dict(variables or {})),
        ),
        timeout=10,
    )


async def throw_error(
    stub: GatewayStub,
    key: int,
    code: str,
    message: str = "",
    variables: Mapping[str, Any] | None = None,
) -> pb.ThrowErrorResponse:
    """ThrowError (a BPMN error) for a job."""
    return await stub.ThrowError(
        pb.ThrowErrorRequest(
            jobKey=key,
            errorCode=code,
            errorMessage=message,
            variables=json.dumps(dict(variables or {})),
        ),
        timeout=10,
    )


async def set_variables(
    stub: GatewayStub,
    element_instance_key: int,
    variables: Mapping[str, Any],
    *,
    local: bool = False,
) -> pb.SetVariablesResponse:
    """SetVariables on a scope (process instance key or element instance key)."""
    return await stub.SetVariables(
        pb.SetVariablesRequest(
            elementInstanceKey=element_instance_key,
            variables=json.dumps(dict(variables)),
            local=local,
        ),
        timeout=10,
    )


async def resolve_incident(stub: GatewayStub, incident_key: int) -> pb.ResolveIncidentResponse:
    """ResolveIncident by key."""
    return await stub.ResolveIncident(
        pb.ResolveIncidentRequest(incidentKey=incident_key), timeout=10
    )


async def update_retries(stub: GatewayStub, job_key: int, retries: int) -> Any:
    """UpdateJobRetries for a job."""
    return await stub.UpdateJobRetries(
        pb.UpdateJobRetriesRequest(jobKey=job_key, retries=retries), timeout=10
    )


async def update_timeout(stub: GatewayStub, job_key: int, timeout_ms: int) -> Any:
    """UpdateJobTimeout for an activated job (new timeout in ms from now)."""
    return await stub.UpdateJobTimeout(
        pb.UpdateJobTimeoutRequest(jobKey=job_key, timeout=timeout_ms), timeout=10
    )


# --------------------------------------------------------------------------- waiting


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    *,
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Poll a (sync or async) predicate until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} not met within {timeout}s (last value: {last!r})")
        await asyncio.sleep(interval)


async def await_instance_state(
    admin: AdminClient, key: int, state: str, timeout: float = 10.0
) -> dict[str, Any]:
    """Wait until a process instance has the given state; return the admin view of it."""
    seen: dict[str, Any] = {}

    async def check() -> bool:
        seen.update(await admin.get_process_instance(key))
        return seen.get("state") == state

    try:
        await wait_for(check, timeout, message=f"instance {key} state {state}")
    except AssertionError as err:
        raise AssertionError(
            f"instance {key} is {seen.get('state')!r}, not {state!r}: {seen}"
        ) from err
    return seen


async def await_incident(
    admin: AdminClient, process_instance_key: int, timeout: float = 10.0
) -> dict[str, Any]:
    """Wait for the first open incident of a process instance and return it."""
    incidents = await wait_for(
        lambda: admin.list_incidents(process_instance_key),
        timeout,
        message=f"an incident on instance {process_instance_key}",
    )
    return incidents[0]


def active_elements(instance: Mapping[str, Any]) -> list[str]:
    """Element ids of the active element instances in an admin instance view, sorted."""
    return sorted(e["elementId"] for e in instance.get("elementInstances", []))


# --------------------------------------------------------------------------- workers


@asynccontextmanager
async def running_worker(
    channel: grpc.aio.Channel,
    handlers: Mapping[str, Callable[..., Any]],
    *,
    name: str = "test-worker",
    request_timeout_ms: int = 2_000,
    timeout_ms: int = 10_000,
    **worker_kwargs: Any,
) -> AsyncIterator[ZeebeWorker]:
    """Run a real pyzeebe ZeebeWorker in a background task for {job type: handler}.

    Handlers follow pyzeebe's rules: parameters are the variables they need (or ``job:
    Job``), a returned dict becomes the job's result variables.
    """
    worker = ZeebeWorker(
        channel, name=name, request_timeout=request_timeout_ms, poll_retry_delay=1, **worker_kwargs
    )
    for job_type, handler in handlers.items():
        worker.task(task_type=job_type, timeout_ms=timeout_ms)(handler)
    task = asyncio.create_task(worker.work())
    try:
        yield worker
    finally:
        await worker.stop()
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()


# --------------------------------------------------------------------------- BPMN builder


@dataclass
class _Node:
    tag: str
    id: str
    attrs: dict[str, str] = field(default_factory=dict)
    extensions: str = ""
    body: str = ""
    scope: _Scope | None = None  # the inner scope of a sub-process


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    condition: str | None = None


class _Scope:
    """Nodes and sequence flows of a process or of a sub-process."""

    def __init__(self, counter: itertools.count) -> None:
        self._counter = counter
        self.nodes: list[_Node] = []
        self.flows: list[_Flow] = []

    # generic ---------------------------------------------------------------
    def node(
        self,
        tag: str,
        node_id: str,
        *,
        attrs: Mapping[str, str] | None = None,
        extensions: str = "",
        body: str = "",
    ) -> str:
        """Add any BPMN element (tag without prefix); extensions go in extensionElements."""
        self.nodes.append(_Node(tag, node_id, dict(attrs or {}), extensions, body))
        return node_id

    def flow(
        self,
        source: str,
        target: str,
        *,
        condition: str | None = None,
        default: bool = False,
        flow_id: str | None = None,
    ) -> str:
        """Add a sequence flow, optionally conditional (FEEL) or the gateway's default."""
        flow_id = flow_id or f"flow_{next(self._counter)}"
        self.flows.append(_Flow(flow_id, source, target, condition))
        if default:
            self._find(source).attrs["default"] = flow_id
        return flow_id

    def chain(self, *node_ids: str) -> None:
        """Connect consecutive nodes with unconditional sequence flows."""
        for source, target in itertools.pairwise(node_ids):
            self.flow(source, target)

    def _find(self, node_id: str) -> _Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    # events ----------------------------------------------------------------
    def start(self, node_id: str = "start") -> str:
        """A none start event."""
        return self.node("startEvent", node_id)

    def end(self, node_id: str = "end", *, terminate: bool = False) -> str:
        """A none end event, or a terminate end event."""
        body = "<bpmn:terminateEventDefinition />" if terminate else ""
        return self.node("endEvent", node_id, body=body)

    # tasks -----------------------------------------------------------------
    def task(
        self,
        node_id: str,
        job_type: str,
        *,
        kind: str = "serviceTask",
        retries: str | int | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: str = "",
    ) -> str:
        """A job-based task (service, send, script, business rule ...) with its task definition."""
        retries_attr = "" if retries is None else f" retries={quoteattr(str(retries))}"
        ext = f"<zeebe:taskDefinition type={quoteattr(job_type)}{retries_attr} />"
        if headers:
            ext += (
                "<zeebe:taskHeaders>"
                + "".join(
                    f"<zeebe:header key={quoteattr(k)} value={quoteattr(v)} />"
                    for k, v in headers.items()
                )
                + "</zeebe:taskHeaders>"
            )
        return self.node(kind, node_id, extensions=ext + extensions)

    def user_task(
        self,
        node_id: str,
        *,
        assignee: str | None = None,
        candidate_groups: str | None = None,
        candidate_users: str | None = None,
        form_key: str | None = None,
        due_date: str | None = None,
        follow_up_date: str | None = None,
        extensions: str = "",
    ) -> str:
        """A job-worker user task with the zeebe assignment, form and schedule extensions."""
        ext = ""
        assignment = {
            "assignee": assignee,
            "candidateGroups": candidate_groups,
            "candidateUsers": candidate_users,
        }
        if any(v is not None for v in assignment.values()):
            ext += (
                "<zeebe:assignmentDefinition"
                + "".join(f" {k}={quoteattr(v)}" for k, v in assignment.items() if v is not None)
                + " />"
            )
        if form_key is not None:
            ext += f"<zeebe:formDefinition formKey={quoteattr(form_key)} />"
        schedule = {"dueDate": due_date, "followUpDate": follow_up_date}
        if any(v is not None for v in schedule.values()):
            ext += (
                "<zeebe:taskSchedule"
                + "".join(f" {k}={quoteattr(v)}" for k, v in schedule.items() if v is not None)
                + " />"
            )
        return self.node("userTask", node_id, extensions=ext + extensions)

    # gateways --------------------------------------------------------------
    def exclusive(self, node_id: str) -> str:
        """An exclusive (XOR) gateway; mark its default flow with flow(..., default=True)."""
        return self.node("exclusiveGateway", node_id)

    def parallel(self, node_id: str) -> str:
        """A parallel (AND) gateway."""
        return self.node("parallelGateway", node_id)

    def inclusive(self, node_id: str) -> str:
        """An inclusive (OR) gateway; mark its default flow with flow(..., default=True)."""
        return self.node("inclusiveGateway", node_id)

    # sub-processes ---------------------------------------------------------
    def sub_process(self, node_id: str, *, extensions: str = "") -> _Scope:
        """An embedded sub-process; returns its inner scope to add nodes and flows to."""
        inner = _Scope(self._counter)
        self.nodes.append(_Node("subProcess", node_id, extensions=extensions, scope=inner))
        return inner

    # rendering -------------------------------------------------------------
    def render(self) -> str:
        """The XML of this scope's nodes and flows."""
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for f in self.flows:
            outgoing.setdefault(f.source, []).append(f.id)
            incoming.setdefault(f.target, []).append(f.id)
        parts = []
        for n in self.nodes:
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in n.attrs.items())
            inner = ""
            if n.extensions:
                inner += f"<bpmn:extensionElements>{n.extensions}</bpmn:extensionElements>"
            inner += "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming.get(n.id, []))
            inner += "".join(f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing.get(n.id, []))
            inner += n.body
            if n.scope is not None:
                inner += n.scope.render()
            parts.append(f'<bpmn:{n.tag} id="{n.id}"{attrs}>{inner}</bpmn:{n.tag}>')
        for f in self.flows:
            cond = ""
            if f.condition is not None:
                cond = (
                    f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                    f"{escape(f.condition)}</bpmn:conditionExpression>"
                )
            parts.append(
                f'<bpmn:sequenceFlow id="{f.id}" sourceRef="{f.source}" '
                f'targetRef="{f.target}">{cond}</bpmn:sequenceFlow>'
            )
        return "\n".join(parts)


class Process(_Scope):
    """A tiny builder for small Zeebe-dialect BPMN processes written inline in tests.

    ``p = Process(unique_id("x")); p.chain(p.start(), p.task("t", "job-type"), p.end())``
    """

    def __init__(self, process_id: str, *, name: str | None = None) -> None:
        super().__init__(itertools.count(1))
        self.id = process_id
        self.name = name or process_id

    def xml(self) -> bytes:
        """The complete BPMN document."""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:zeebe="{ZEEBE_NS}" '
            f'xmlns:xsi="{XSI_NS}" id="defs_{self.id}" '
            'targetNamespace="http://bpmn.io/schema/bpmn">\n'
            f'<bpmn:process id="{self.id}" name={quoteattr(self.name)} isExecutable="true">\n'
            f"{self.render()}\n"
            "</bpmn:process>\n</bpmn:definitions>\n"
        ).encode()


def simple_process(process_id: str, job_type: str | None = None) -> Process:
    """start -> (service task ``task`` of job_type) -> end; just start -> end without a type."""
    p = Process(process_id)
    if job_type is None:
        p.chain(p.start(), p.end())
    else:
        p.chain(p.start(), p.task("task", job_type), p.end())
    return p
