"""Zeebe's gateway gRPC service: translates requests into engine commands, nothing more."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayServicer

from engine.broker import JobBroker
from engine.runtime import Engine, EngineError

GATEWAY_VERSION = "8.5.0"
DEFAULT_RESULT_TIMEOUT_MS = 15_000
TENANT = "<default>"


def parse_variables(text: str, what: str = "variables") -> dict[str, Any]:
    """A JSON document that must be an object; empty means none."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise EngineError(
            "INVALID_ARGUMENT", f"Property '{what}' is invalid: not a valid JSON document: {exc}"
        ) from exc
    if not isinstance(value, dict):
        kind = "ARRAY" if isinstance(value, list) else type(value).__name__.upper()
        raise EngineError(
            "INVALID_ARGUMENT",
            f"Property '{what}' is invalid: Expected document to be a root level object, "
            f"but was '{kind}'",
        )
    return value


def check_tenants(rpc: str, *tenants: str) -> None:
    """Multi-tenancy is off, as in a default Zeebe: only the default tenant is accepted."""
    for tenant in tenants:
        if tenant and tenant != TENANT:
            raise EngineError(
                "INVALID_ARGUMENT",
                f"Expected to handle gRPC request {rpc} with tenant identifier '{tenant}', but "
                "multi-tenancy is disabled",
            )


def _activation_problem(job_type: str, max_jobs: int, timeout: int) -> str:
    """Why an ActivateJobs request is refused, worded as Zeebe words it; empty if it is fine."""
    if max_jobs < 1:
        return (
            "Expected to activate job batch with max jobs to activate to be greater than zero, "
            f"but it was '{max_jobs}'"
        )
    if timeout < 1:
        return (
            f"Expected to activate job batch with timeout to be greater than zero, but it was "
            f"'{timeout}'"
        )
    if not job_type:
        return "Expected to activate job batch with type to be present, but it was blank"
    return ""


async def _abort(context: grpc.aio.ServicerContext, exc: EngineError) -> None:
    await context.abort(getattr(grpc.StatusCode, exc.code), exc.message)


class Gateway(GatewayServicer):
    """The gateway_protocol.Gateway service over the embedded engine."""

    def __init__(self, engine: Engine, broker: JobBroker, host: str, port: int) -> None:
        self.engine = engine
        self.broker = broker
        self.host = host
        self.port = port

    async def _call(self, context: grpc.aio.ServicerContext, command: Any, *args: Any) -> Any:
        """Run a command and answer only once it is written to the database."""
        try:
            result = self.engine.run(command, *args)
            await self.engine.durable()
        except EngineError as exc:
            await _abort(context, exc)
        return result

    # ---------------------------------------------------------------- cluster
    async def Topology(self, request: pb.TopologyRequest, context: Any) -> pb.TopologyResponse:
        partition = pb.Partition(
            partitionId=1,
            role=pb.Partition.PartitionBrokerRole.LEADER,
            health=pb.Partition.PartitionBrokerHealth.HEALTHY,
        )
        broker = pb.BrokerInfo(
            nodeId=0,
            host=self.host,
            port=self.port,
            partitions=[partition],
            version=GATEWAY_VERSION,
        )
        return pb.TopologyResponse(
            brokers=[broker],
            clusterSize=1,
            partitionsCount=1,
            replicationFactor=1,
            gatewayVersion=GATEWAY_VERSION,
        )

    # ---------------------------------------------------------------- deployment
    async def DeployResource(self, request: pb.DeployResourceRequest, context: Any) -> Any:
        try:
            check_tenants("DeployResource", request.tenantId)
        except EngineError as exc:
            await _abort(context, exc)
        resources = [(r.name, bytes(r.content)) for r in request.resources]
        if not resources:
            await _abort(
                context, EngineError("INVALID_ARGUMENT", "Expected to deploy at least one resource")
            )
        key, deployed = await self._call(context, self.engine.deploy, resources)
        # Zeebe's gateway lists processes, then decisions, then decision requirements, then
        # forms, whatever the order of the resources; clients index into this list.
        rank = {"process": 0, "decision": 1, "drg": 2, "form": 3}
        deployments = []
        for item in sorted(deployed, key=lambda i: rank[i["kind"]]):
            if item["kind"] == "process":
                deployments.append(
                    pb.Deployment(
                        process=pb.ProcessMetadata(
                            bpmnProcessId=item["id"],
                            version=item["version"],
                            processDefinitionKey=item["key"],
                            resourceName=item["resourceName"],
                            tenantId=TENANT,
                        )
                    )
                )
            elif item["kind"] == "drg":
                deployments.append(
                    pb.Deployment(
                        decisionRequirements=pb.DecisionRequirementsMetadata(
                            dmnDecisionRequirementsId=item["id"],
                            dmnDecisionRequirementsName=item["name"],
                            version=item["version"],
                            decisionRequirementsKey=item["key"],
                            resourceName=item["resourceName"],
                            tenantId=TENANT,
                        )
                    )
                )
            elif item["kind"] == "decision":
                graph = self.engine.deployed[self.engine.graph_of[item["key"]]]
                deployments.append(
                    pb.Deployment(
                        decision=pb.DecisionMetadata(
                            dmnDecisionId=item["id"],
                            dmnDecisionName=item["name"],
                            version=item["version"],
                            decisionKey=item["key"],
                            dmnDecisionRequirementsId=graph.bpmn_process_id,
                            decisionRequirementsKey=graph.key,
                            tenantId=TENANT,
                        )
                    )
                )
            else:
                deployments.append(
                    pb.Deployment(
                        form=pb.FormMetadata(
                            formId=item["id"],
                            version=item["version"],
                            formKey=item["key"],
                            resourceName=item["resourceName"],
                            tenantId=TENANT,
                        )
                    )
                )
        return pb.DeployResourceResponse(key=key, deployments=deployments, tenantId=TENANT)

    async def DeployProcess(self, request: pb.DeployProcessRequest, context: Any) -> Any:
        resources = [(p.name, bytes(p.definition)) for p in request.processes]
        key, deployed = await self._call(context, self.engine.deploy, resources)
        return pb.DeployProcessResponse(
            key=key,
            processes=[
                pb.ProcessMetadata(
                    bpmnProcessId=i["id"],
                    version=i["version"],
                    processDefinitionKey=i["key"],
                    resourceName=i["resourceName"],
                )
                for i in deployed
                if i["kind"] == "process"
            ],
        )

    # ---------------------------------------------------------------- instances
    def _create(self, request: pb.CreateProcessInstanceRequest) -> tuple[Any, int]:
        check_tenants("CreateProcessInstance", request.tenantId)
        variables = parse_variables(request.variables)
        deployed = self.engine.find_definition(
            request.bpmnProcessId, request.version, request.processDefinitionKey
        )
        start_at = [s.elementId for s in request.startInstructions]
        root = self.engine.start_instance(deployed, variables, start_at)
        return deployed, root.key

    async def CreateProcessInstance(
        self, request: pb.CreateProcessInstanceRequest, context: Any
    ) -> Any:
        deployed, key = await self._call(context, self._create, request)
        return pb.CreateProcessInstanceResponse(
            processDefinitionKey=deployed.key,
            bpmnProcessId=deployed.bpmn_process_id,
            version=deployed.version,
            processInstanceKey=key,
            tenantId=TENANT,
        )

    async def CreateProcessInstanceWithResult(
        self, request: pb.CreateProcessInstanceWithResultRequest, context: Any
    ) -> Any:
        future: asyncio.Future = asyncio.get_running_loop().create_future()

        def deliver(state: str, variables: dict[str, Any]) -> None:
            if not future.done():
                future.set_result((state, variables))

        def create() -> tuple[Any, int]:
            deployed, key = self._create(request.request)
            if key in self.engine.instances:
                self.engine.result_waiters.setdefault(key, []).append(deliver)
            return deployed, key

        deployed, key = await self._call(context, create)
        if not future.done() and key not in self.engine.instances:
            done = self.engine.finished_record(key)
            if done is not None:
                future.set_result((done["state"], done["variables"]))
        timeout_ms = request.requestTimeout or DEFAULT_RESULT_TIMEOUT_MS
        try:
            state, variables = await asyncio.wait_for(future, timeout_ms / 1000)
        except TimeoutError:
            await context.abort(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"Expected to complete process instance '{key}' within {timeout_ms} ms, "
                "but it did not",
            )
        if state != "COMPLETED":
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Process instance '{key}' was {state.lower()} before it completed",
            )
        if request.fetchVariables:
            variables = {k: v for k, v in variables.items() if k in request.fetchVariables}
        return pb.CreateProcessInstanceWithResultResponse(
            processDefinitionKey=deployed.key,
            bpmnProcessId=deployed.bpmn_process_id,
            version=deployed.version,
            processInstanceKey=key,
            variables=json.dumps(variables),
            tenantId=TENANT,
        )

    async def CancelProcessInstance(
        self, request: pb.CancelProcessInstanceRequest, context: Any
    ) -> Any:
        await self._call(context, self.engine.cancel_instance, request.processInstanceKey)
        return pb.CancelProcessInstanceResponse()

    async def SetVariables(self, request: pb.SetVariablesRequest, context: Any) -> Any:
        def command() -> int:
            variables = parse_variables(request.variables)
            return self.engine.set_variables(request.elementInstanceKey, variables, request.local)

        key = await self._call(context, command)
        return pb.SetVariablesResponse(key=key)

    async def ResolveIncident(self, request: pb.ResolveIncidentRequest, context: Any) -> Any:
        await self._call(context, self.engine.resolve_incident, request.incidentKey)
        return pb.ResolveIncidentResponse()

    # ---------------------------------------------------------------- jobs
    async def ActivateJobs(
        self, request: pb.ActivateJobsRequest, context: Any
    ) -> AsyncIterator[pb.ActivateJobsResponse]:
        try:
            check_tenants("ActivateJobs", *request.tenantIds)
        except EngineError as exc:
            await _abort(context, exc)
        # Zeebe's job batch activation refuses these (JobBatchActivateProcessor); a timeout
        # below 1 would hand out a job that expires at once and is handed out again
        problem = _activation_problem(request.type, request.maxJobsToActivate, request.timeout)
        if problem:
            await _abort(context, EngineError("INVALID_ARGUMENT", problem))
        try:
            jobs = await self.broker.activate(
                request.type,
                request.maxJobsToActivate,
                request.worker,
                request.timeout,
                list(request.fetchVariable),
                request.requestTimeout,
            )
        except asyncio.CancelledError:
            # the client went away or the engine is stopping: nothing to answer
            return
        yield pb.ActivateJobsResponse(jobs=jobs)

    async def StreamActivatedJobs(
        self, request: pb.StreamActivatedJobsRequest, context: Any
    ) -> AsyncIterator[pb.ActivatedJob]:
        try:
            check_tenants("StreamActivatedJobs", *request.tenantIds)
        except EngineError as exc:
            await _abort(context, exc)
        # worded as Zeebe's StreamJobsHandler
        for field, wanted, bad in (
            ("type", "present", "blank" if not request.type.strip() else ""),
            ("timeout", "greater than zero", str(request.timeout) if request.timeout < 1 else ""),
        ):
            if bad:
                await _abort(
                    context,
                    EngineError(
                        "INVALID_ARGUMENT",
                        f"Expected to stream activated jobs with {field} to be {wanted}, "
                        f"but it was {bad}",
                    ),
                )
        stream = self.broker.open_stream(
            request.type, request.worker, request.timeout, list(request.fetchVariable)
        )
        try:
            while True:
                job = await self.broker.next_streamed(stream)
                if job is None:  # the engine is stopping: end the stream normally
                    return
                yield job
        except asyncio.CancelledError:
            return
        finally:
            self.broker.close_stream(request.type, stream)

    async def CompleteJob(self, request: pb.CompleteJobRequest, context: Any) -> Any:
        def command() -> None:
            self.engine.complete_job(request.jobKey, parse_variables(request.variables))

        await self._call(context, command)
        return pb.CompleteJobResponse()

    async def FailJob(self, request: pb.FailJobRequest, context: Any) -> Any:
        def command() -> None:
            self.engine.fail_job(
                request.jobKey,
                request.retries,
                request.errorMessage,
                request.retryBackOff,
                parse_variables(request.variables),
            )

        await self._call(context, command)
        return pb.FailJobResponse()

    async def ThrowError(self, request: pb.ThrowErrorRequest, context: Any) -> Any:
        def command() -> None:
            if not request.errorCode:
                raise EngineError("INVALID_ARGUMENT", "Expected an error code, but it was empty")
            self.engine.throw_error(
                request.jobKey,
                request.errorCode,
                request.errorMessage,
                parse_variables(request.variables),
            )

        await self._call(context, command)
        return pb.ThrowErrorResponse()

    async def UpdateJobRetries(self, request: pb.UpdateJobRetriesRequest, context: Any) -> Any:
        await self._call(context, self.engine.update_job_retries, request.jobKey, request.retries)
        return pb.UpdateJobRetriesResponse()

    async def UpdateJobTimeout(self, request: pb.UpdateJobTimeoutRequest, context: Any) -> Any:
        await self._call(context, self.engine.update_job_timeout, request.jobKey, request.timeout)
        return pb.UpdateJobTimeoutResponse()

    # ---------------------------------------------------------------- decisions
    async def EvaluateDecision(self, request: pb.EvaluateDecisionRequest, context: Any) -> Any:
        try:
            check_tenants("EvaluateDecision", request.tenantId)
        except EngineError as exc:
            await _abort(context, exc)

        def command() -> dict[str, Any]:
            variables = parse_variables(request.variables)
            if not request.decisionKey and not request.decisionId:
                raise EngineError(
                    "INVALID_ARGUMENT", "Expected either a decision id or a decision key"
                )
            return self.engine.evaluate_decision(request.decisionKey, request.decisionId, variables)

        result = await self._call(context, command)
        deployed, graph = result["deployed"], self.engine.deployed[result["graphKey"]]
        decision = result["graph"].decisions[deployed.bpmn_process_id]
        evaluated = []
        for step in result["steps"]:
            step_deployed = self.engine.versions[("decision", step.decision.id)][-1]
            evaluated.append(
                pb.EvaluatedDecision(
                    decisionKey=step_deployed.key,
                    decisionId=step.decision.id,
                    decisionName=step.decision.name,
                    decisionVersion=step_deployed.version,
                    decisionType="DECISION_TABLE"
                    if step.decision.kind == "table"
                    else "LITERAL_EXPRESSION",
                    decisionOutput=json.dumps(step.output),
                    matchedRules=[
                        pb.MatchedDecisionRule(
                            ruleId=rule.id,
                            ruleIndex=index,
                            evaluatedOutputs=[
                                pb.EvaluatedDecisionOutput(
                                    outputId=oid, outputName=name, outputValue=json.dumps(value)
                                )
                                for oid, name, value in outputs
                            ],
                        )
                        for index, rule, outputs in step.matched
                    ],
                    evaluatedInputs=[
                        pb.EvaluatedDecisionInput(
                            inputId=iid, inputName=label, inputValue=json.dumps(value)
                        )
                        for iid, label, value in step.inputs
                    ],
                    tenantId=TENANT,
                )
            )
        failed = result["failed"]
        return pb.EvaluateDecisionResponse(
            decisionKey=deployed.key,
            decisionId=deployed.bpmn_process_id,
            decisionName=decision.name,
            decisionVersion=deployed.version,
            decisionRequirementsId=graph.bpmn_process_id,
            decisionRequirementsKey=graph.key,
            decisionOutput=json.dumps(result["output"]) if failed is None else "null",
            evaluatedDecisions=evaluated,
            failedDecisionId=failed.decision_id if failed is not None else "",
            failureMessage=str(failed) if failed is not None else "",
            tenantId=TENANT,
        )

    # ---------------------------------------------------------------- messages and signals
    async def PublishMessage(self, request: pb.PublishMessageRequest, context: Any) -> Any:
        try:
            check_tenants("PublishMessage", request.tenantId)
        except EngineError as exc:
            await _abort(context, exc)

        def command() -> int:
            return self.engine.publish_message(
                request.name,
                request.correlationKey,
                request.timeToLive,
                request.messageId,
                parse_variables(request.variables),
            )

        key = await self._call(context, command)
        return pb.PublishMessageResponse(key=key, tenantId=TENANT)

    async def BroadcastSignal(self, request: pb.BroadcastSignalRequest, context: Any) -> Any:
        try:
            check_tenants("BroadcastSignal", request.tenantId)
        except EngineError as exc:
            await _abort(context, exc)

        def command() -> int:
            return self.engine.broadcast_signal(
                request.signalName, parse_variables(request.variables)
            )

        key = await self._call(context, command)
        return pb.BroadcastSignalResponse(key=key, tenantId=TENANT)

    # ---------------------------------------------------------------- not yet
    async def _unimplemented(self, context: Any, name: str) -> None:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED, f"{name} is not implemented by the embedded engine"
        )

    async def ModifyProcessInstance(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "ModifyProcessInstance")

    async def MigrateProcessInstance(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "MigrateProcessInstance")

    async def DeleteResource(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "DeleteResource")
