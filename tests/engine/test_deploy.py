"""Deployments, versions, instance creation by id/version/key and the gateway's own RPCs.

Expected behaviour follows Zeebe 8.5's gateway protocol (gateway.proto error lists) and
its deployment rules: an identical resource is a duplicate of the latest version and gets
no new version; anything changed becomes the next version; a deployment is atomic.
"""

import json

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe.errors import ProcessDefinitionNotFoundError, ProcessInvalidError
from pyzeebe.grpc_internals.types import TopologyResponse
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    Process,
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    fixture_xml,
    rpc_error,
    simple_process,
    unique_id,
)
from tests.support.zeebe_events import dmn, dmn_resource, literal_decision, unique_decision_id

Partition = TopologyResponse.BrokerInfo.Partition


@pytest.fixture
async def zb(engine_address):
    """A connection to the module's engine."""
    async with connect(engine_address) as conn:
        yield conn


def _processes(reply: pb.DeployResourceResponse) -> list[pb.ProcessMetadata]:
    """The process metadata of a DeployResource reply, in order."""
    assert all(d.WhichOneof("Metadata") == "process" for d in reply.deployments)
    return [d.process for d in reply.deployments]


# --------------------------------------------------------------------------- deploying


async def test_deploy_one_bpmn_file_with_pyzeebe(zb, tmp_path):
    """pyzeebe's deploy_resource of a Modeler file returns the process, version 1."""
    pid = unique_id("order")
    path = tmp_path / "order.bpmn"
    path.write_bytes(fixture_xml("deploy_order.bpmn", {"deploy-order": pid}))

    reply = await zb.client.deploy_resource(path)

    assert reply.key > 0
    assert len(reply.deployments) == 1
    meta = reply.deployments[0]
    assert meta.bpmn_process_id == pid
    assert meta.version == 1
    assert meta.process_definition_key > 0
    assert meta.resource_name == "order.bpmn"


async def test_deployed_process_can_be_started_and_runs(zb):
    """A deployed Modeler file is executable: its service task creates a job."""
    pid = unique_id("order")
    await deploy(zb, ("order.bpmn", fixture_xml("deploy_order.bpmn", {"deploy-order": pid})))

    created = await zb.client.run_process(pid, {"orderId": 7})
    job = await activate_one(zb.stub, f"{pid}-work")

    assert job.process_instance_key == created.process_instance_key
    assert job.element_id == "Task_Work"
    assert job.bpmn_process_id == pid
    assert job.variables == {"orderId": 7}


async def test_deploy_several_resources_in_one_call(zb):
    """One DeployResource with two files returns both processes, each with its resource name."""
    order, invoice = unique_id("order"), unique_id("invoice")

    reply = await deploy(
        zb,
        ("order.bpmn", fixture_xml("deploy_order.bpmn", {"deploy-order": order})),
        ("invoice.bpmn", fixture_xml("deploy_invoice.bpmn", {"deploy-invoice": invoice})),
    )

    procs = _processes(reply)
    assert [(p.bpmnProcessId, p.resourceName, p.version) for p in procs] == [
        (order, "order.bpmn", 1),
        (invoice, "invoice.bpmn", 1),
    ]
    assert procs[0].processDefinitionKey != procs[1].processDefinitionKey
    created = await zb.client.run_process(invoice)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_collaboration_with_two_pools_deploys_both_processes(zb):
    """A Modeler collaboration (two participants) deploys each executable process."""
    a, b = unique_id("poola"), unique_id("poolb")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collaboration_1">
    <bpmn:participant id="Participant_A" processRef="{a}" />
    <bpmn:participant id="Participant_B" processRef="{b}" />
  </bpmn:collaboration>
  <bpmn:process id="{a}" isExecutable="true">
    <bpmn:startEvent id="Start_A" />
  </bpmn:process>
  <bpmn:process id="{b}" isExecutable="true">
    <bpmn:startEvent id="Start_B" />
  </bpmn:process>
</bpmn:definitions>
"""

    reply = await deploy(zb, ("pools.bpmn", xml))

    procs = _processes(reply)
    assert sorted(p.bpmnProcessId for p in procs) == sorted([a, b])
    assert {p.resourceName for p in procs} == {"pools.bpmn"}
    for pid in (a, b):
        created = await zb.client.run_process(pid)
        await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_same_process_id_twice_in_one_deployment_is_rejected(zb):
    """Two resources defining the same process id in one call: INVALID_ARGUMENT naming both
    resources (Zeebe: "Duplicated process id in resources 'one.bpmn' and 'two.bpmn'")."""
    pid = unique_id("twice")

    err = await rpc_error(
        deploy(
            zb,
            ("one.bpmn", simple_process(pid).xml()),
            ("two.bpmn", simple_process(pid, job_type=unique_id("j")).xml()),
        )
    )

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "one.bpmn" in err.details()
    assert "two.bpmn" in err.details()
    missing = await rpc_error(create_instance(zb, pid))
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_redeploying_identical_xml_keeps_version_and_key(zb):
    """Deploying the same resource again is a duplicate: same version, same definition key."""
    p = simple_process(unique_id("dup"))
    first = _processes(await deploy(zb, p))[0]

    second = _processes(await deploy(zb, p))[0]

    assert first.version == 1
    assert (second.version, second.processDefinitionKey) == (1, first.processDefinitionKey)


async def test_changed_xml_becomes_the_next_version(zb):
    """A changed resource for the same process id gets version 2 and a new definition key."""
    pid = unique_id("versioned")
    v1 = _processes(await deploy(zb, simple_process(pid)))[0]

    v2 = _processes(await deploy(zb, simple_process(pid, job_type=unique_id("job"))))[0]

    assert (v1.version, v2.version) == (1, 2)
    assert v2.processDefinitionKey != v1.processDefinitionKey
    assert v2.bpmnProcessId == pid


async def test_identical_xml_under_another_resource_name_is_a_new_version(zb):
    """Zeebe's duplicate check compares content and resource name: a renamed file is new."""
    p = simple_process(unique_id("renamed"))
    first = _processes(await deploy(zb, ("first.bpmn", p.xml())))[0]

    second = _processes(await deploy(zb, ("second.bpmn", p.xml())))[0]

    assert (first.version, second.version) == (1, 2)
    assert second.processDefinitionKey != first.processDefinitionKey
    assert second.resourceName == "second.bpmn"


async def test_redeploying_an_older_version_is_a_new_version(zb):
    """Only the latest version counts as a duplicate: going back to v1's XML makes v3."""
    pid = unique_id("revert")
    v1_xml = simple_process(pid)
    v1 = _processes(await deploy(zb, v1_xml))[0]
    await deploy(zb, simple_process(pid, job_type=unique_id("j")))

    v3 = _processes(await deploy(zb, v1_xml))[0]

    assert v3.version == 3
    assert v3.processDefinitionKey != v1.processDefinitionKey


async def test_empty_deployment_is_invalid_argument(zb):
    """DeployResource without resources is INVALID_ARGUMENT ("no resources given")."""
    err = await rpc_error(zb.stub.DeployResource(pb.DeployResourceRequest(resources=[])))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_default_tenant_is_accepted_and_reported(zb):
    """Without multi-tenancy everything belongs to the "<default>" tenant, which may be named."""
    pid = unique_id("tenant")
    reply = await zb.stub.DeployResource(
        pb.DeployResourceRequest(
            resources=[pb.Resource(name="t.bpmn", content=simple_process(pid).xml())],
            tenantId="<default>",
        )
    )

    assert reply.tenantId == "<default>"
    assert reply.deployments[0].process.tenantId == "<default>"
    created = await zb.client.run_process(pid)
    assert created.tenant_id == "<default>"


async def test_other_tenant_is_invalid_argument_without_multi_tenancy(zb):
    """A tenant id other than "<default>" while multi-tenancy is off is INVALID_ARGUMENT."""
    pid = unique_id("tenantx")
    deploy_err = await rpc_error(
        zb.stub.DeployResource(
            pb.DeployResourceRequest(
                resources=[pb.Resource(name="t.bpmn", content=simple_process(pid).xml())],
                tenantId="tenant-a",
            )
        )
    )
    await deploy(zb, simple_process(pid))
    create_err = await rpc_error(
        zb.stub.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId=pid, version=-1, tenantId="tenant-a")
        )
    )

    assert deploy_err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert create_err.code() == grpc.StatusCode.INVALID_ARGUMENT


# --------------------------------------------------------------------------- creating instances


@pytest.fixture
async def two_versions(zb):
    """A process id deployed twice: v1 is start->end, v2 waits on a job; returns metadata."""
    pid, job_type = unique_id("twover"), unique_id("v2job")
    v1 = _processes(await deploy(zb, simple_process(pid)))[0]
    v2 = _processes(await deploy(zb, simple_process(pid, job_type=job_type)))[0]
    return pid, job_type, v1, v2


async def test_create_instance_uses_latest_version_by_default(zb, two_versions):
    """CreateProcessInstance with version -1 starts the latest version."""
    pid, job_type, _, v2 = two_versions

    created = await zb.client.run_process(pid)

    assert created.version == 2
    assert created.process_definition_key == v2.processDefinitionKey
    job = await activate_one(zb.stub, job_type)
    assert job.process_instance_key == created.process_instance_key
    assert job.process_definition_version == 2
    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert (view["bpmnProcessId"], view["version"]) == (pid, 2)
    assert view["processDefinitionKey"] == v2.processDefinitionKey


async def test_create_instance_of_a_given_version(zb, two_versions):
    """CreateProcessInstance with an explicit older version starts that version."""
    pid, _, v1, _ = two_versions

    created = await zb.client.run_process(pid, version=1)

    assert created.version == 1
    assert created.process_definition_key == v1.processDefinitionKey
    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["version"] == 1


async def test_create_instance_by_process_definition_key(zb, two_versions):
    """CreateProcessInstance by processDefinitionKey alone starts exactly that definition."""
    pid, _, v1, _ = two_versions

    created = await create_instance(zb, process_definition_key=v1.processDefinitionKey)

    assert (created.bpmnProcessId, created.version) == (pid, 1)
    assert created.processDefinitionKey == v1.processDefinitionKey
    await await_instance_state(zb.admin, created.processInstanceKey, "COMPLETED")


async def test_running_instance_keeps_its_version_after_a_new_deployment(zb):
    """An instance started on v1 finishes on v1's model even after v2 is deployed."""
    pid = unique_id("keepver")
    t1, t1_next, t2 = unique_id("v1a"), unique_id("v1b"), unique_id("v2a")
    v1 = Process(pid)
    v1.chain(v1.start(), v1.task("Task_A", t1), v1.task("Task_B", t1_next), v1.end())
    await deploy(zb, v1)
    created = await zb.client.run_process(pid)
    job = await activate_one(zb.stub, t1)
    v2 = Process(pid)
    v2.chain(v2.start(), v2.task("Task_A", t2), v2.end())
    await deploy(zb, v2)

    await complete(zb.stub, job.key)

    nxt = await activate_one(zb.stub, t1_next)
    assert nxt.process_instance_key == created.process_instance_key
    assert nxt.process_definition_version == 1
    newer = await zb.client.run_process(pid)
    assert newer.version == 2


async def test_create_instance_of_unknown_process_id_is_not_found(zb):
    """An unknown bpmnProcessId is NOT_FOUND (pyzeebe: ProcessDefinitionNotFoundError)."""
    err = await rpc_error(create_instance(zb, unique_id("nobody")))
    assert err.code() == grpc.StatusCode.NOT_FOUND

    with pytest.raises(ProcessDefinitionNotFoundError):
        await zb.client.run_process(unique_id("nobody"))


async def test_create_instance_of_unknown_version_is_not_found(zb, two_versions):
    """A known id with a version that was never deployed is NOT_FOUND."""
    pid, *_ = two_versions

    err = await rpc_error(create_instance(zb, pid, version=99))

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_create_instance_of_unknown_definition_key_is_not_found(zb, two_versions):
    """A processDefinitionKey that does not exist is NOT_FOUND."""
    *_, v2 = two_versions
    never_used = v2.processDefinitionKey + (1 << 40)

    err = await rpc_error(create_instance(zb, process_definition_key=never_used))

    assert err.code() == grpc.StatusCode.NOT_FOUND


# --------------------------------------------------------------------------- rejected resources


async def test_malformed_xml_is_invalid_argument_naming_the_resource(zb):
    """Broken XML is rejected with INVALID_ARGUMENT whose details name the resource."""
    err = await rpc_error(deploy(zb, ("broken-order.bpmn", fixture_xml("deploy_broken.bpmn"))))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "broken-order.bpmn" in err.details()


async def test_malformed_xml_is_process_invalid_error_in_pyzeebe(zb, tmp_path):
    """pyzeebe maps the rejection to ProcessInvalidError."""
    path = tmp_path / "broken.bpmn"
    path.write_bytes(fixture_xml("deploy_broken.bpmn"))

    with pytest.raises(ProcessInvalidError):
        await zb.client.deploy_resource(path)


async def test_empty_resource_is_rejected_naming_it(zb):
    """A .bpmn resource without content is INVALID_ARGUMENT naming the resource."""
    err = await rpc_error(deploy(zb, ("empty.bpmn", b"")))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "empty.bpmn" in err.details()


async def test_xml_with_byte_order_mark_is_accepted(zb):
    """A UTF-8 file starting with a byte order mark deploys like any other."""
    pid = unique_id("bom")
    xml = b"\xef\xbb\xbf" + fixture_xml("deploy_invoice.bpmn", {"deploy-invoice": pid})

    reply = await deploy(zb, ("bom.bpmn", xml))

    assert _processes(reply)[0].bpmnProcessId == pid


async def test_deployment_is_atomic(zb):
    """When one resource is invalid, none of the resources of that call is deployed."""
    good = unique_id("good")

    err = await rpc_error(
        deploy(
            zb,
            ("good.bpmn", fixture_xml("deploy_invoice.bpmn", {"deploy-invoice": good})),
            ("broken.bpmn", fixture_xml("deploy_broken.bpmn")),
        )
    )

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    missing = await rpc_error(create_instance(zb, good))
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_service_task_without_task_definition_is_rejected(zb):
    """A service task lacking zeebe:taskDefinition: INVALID_ARGUMENT naming the element id."""
    p = Process(unique_id("notype"))
    p.chain(p.start(), p.node("serviceTask", "Task_NoType"), p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Task_NoType" in err.details()
    assert "taskDefinition" in err.details()


async def test_exclusive_flow_without_condition_and_not_default_is_rejected(zb):
    """Zeebe's "Must have a condition or be default flow": names the sequence flow's id."""
    p = Process(unique_id("nocond"))
    g = p.exclusive("Gateway_Choice")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=x > 1", flow_id="Flow_WithCondition")
    p.flow(g, p.end("End_B"), flow_id="Flow_NoCondition")

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Flow_NoCondition" in err.details()


async def test_default_flow_with_a_condition_is_rejected(zb):
    """Zeebe: "Default flow must not have a condition" (reported on the gateway)."""
    p = Process(unique_id("defcond"))
    g = p.exclusive("Gateway_DefaultCond")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=x > 1")
    p.flow(g, p.end("End_B"), condition="=x <= 1", default=True)

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Gateway_DefaultCond" in err.details()


async def test_sequence_flow_to_a_missing_element_is_rejected(zb):
    """A sequence flow whose targetRef names no element is INVALID_ARGUMENT naming the flow."""
    p = Process(unique_id("dangling"))
    p.chain(p.start(), p.end())
    p.flow("start", "Task_Missing", flow_id="Flow_Dangling")

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Flow_Dangling" in err.details() or "Task_Missing" in err.details()


async def test_unsupported_element_is_rejected_naming_it(zb):
    """An element the engine cannot execute (complex gateway) is INVALID_ARGUMENT with its id."""
    p = Process(unique_id("complex"))
    g = p.node("complexGateway", "Gateway_Complex")
    p.chain(p.start(), g, p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Gateway_Complex" in err.details()


async def test_camunda_user_task_is_rejected_in_favour_of_job_worker_user_task(zb):
    """A zeebe:userTask (Camunda user task) is INVALID_ARGUMENT telling to use a job worker one."""
    p = Process(unique_id("camundaut"))
    p.chain(p.start(), p.node("userTask", "Task_Review", extensions="<zeebe:userTask />"), p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Task_Review" in err.details()
    assert "job" in err.details().lower()


async def test_condition_with_feel_syntax_error_is_rejected(zb):
    """Zeebe parses expressions at deployment: a broken condition is INVALID_ARGUMENT naming
    its sequence flow."""
    p = Process(unique_id("badfeel"))
    g = p.exclusive("Gateway_Check")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=x >", flow_id="Flow_Broken")
    p.flow(g, p.end("End_B"), default=True)

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Flow_Broken" in err.details()


async def test_empty_job_type_is_rejected(zb):
    """A task definition with an empty type is INVALID_ARGUMENT naming the task."""
    p = Process(unique_id("emptytype"))
    p.chain(p.start(), p.task("Task_Empty", ""), p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Task_Empty" in err.details()


async def test_subprocess_with_two_start_events_is_rejected(zb):
    """An embedded sub-process must have exactly one none start event."""
    p = Process(unique_id("twostarts"))
    sub = p.sub_process("Sub_TwoStarts")
    end = sub.end("Sub_End")
    sub.chain(sub.start("Sub_Start_1"), end)
    sub.chain(sub.start("Sub_Start_2"), end)
    p.chain(p.start(), "Sub_TwoStarts", p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Sub_TwoStarts" in err.details()


async def test_process_without_start_event_is_rejected(zb):
    """A process must have at least one start event: INVALID_ARGUMENT naming the process."""
    p = Process(unique_id("nostart"))
    p.chain(p.node("task", "Task_Orphan"), p.end())

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert p.id in err.details()


async def test_rejected_process_is_not_deployed(zb):
    """After a rejection the process id does not exist."""
    p = Process(unique_id("rejected"))
    p.chain(p.start(), p.node("serviceTask", "Task_NoType"), p.end())
    await rpc_error(deploy(zb, p))

    err = await rpc_error(create_instance(zb, p.id))

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_process_not_marked_executable_is_rejected(zb):
    """A BPMN file without an executable process (isExecutable="false") is INVALID_ARGUMENT."""
    xml = (
        simple_process(unique_id("notexec"))
        .xml()
        .replace(b'isExecutable="true"', b'isExecutable="false"')
    )

    err = await rpc_error(deploy(zb, ("not-executable.bpmn", xml)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not-executable.bpmn" in err.details()


async def test_resource_of_unknown_type_is_rejected_naming_it(zb):
    """A resource that is neither BPMN, DMN nor a form is INVALID_ARGUMENT naming it."""
    err = await rpc_error(deploy(zb, ("notes.txt", b"just some text")))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "notes.txt" in err.details()


async def test_versions_are_counted_per_process_id(zb):
    """Deploying another process id does not advance this one's version."""
    a, b = unique_id("va"), unique_id("vb")
    await deploy(zb, simple_process(a))
    await deploy(zb, simple_process(b))
    await deploy(zb, simple_process(b, job_type=unique_id("j")))

    a2 = _processes(await deploy(zb, simple_process(a, job_type=unique_id("j"))))[0]

    assert a2.version == 2


async def test_process_without_none_start_event_cannot_be_created(zb):
    """Only processes with a none start event can be started by CreateProcessInstance:
    a message-start-only process is FAILED_PRECONDITION."""
    pid = unique_id("msgstart")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="Start_Message">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="Message_Go" />
    </bpmn:startEvent>
    <bpmn:endEvent id="End"><bpmn:incoming>Flow_1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Message" targetRef="End" />
  </bpmn:process>
  <bpmn:message id="Message_Go" name="{pid}-go" />
</bpmn:definitions>
"""
    await deploy(zb, ("message-start.bpmn", xml))

    err = await rpc_error(create_instance(zb, pid))

    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION


# --------------------------------------------------------------------------- Zeebe 8.5 rules


async def test_deploy_reply_lists_processes_then_decisions_then_requirements_then_forms(zb):
    """Zeebe's gateway orders the reply by kind, whatever the order of the resources;
    clients index into it (pyzeebe's own tests read deployments[0].decision_key)."""
    pid, drg = unique_id("order"), unique_id("drg")
    first, second, form_id = (
        unique_decision_id("first"),
        unique_decision_id("second"),
        unique_id("f"),
    )
    form = json.dumps({"id": form_id, "type": "default", "components": []})

    reply = await deploy(
        zb,
        (f"{form_id}.form", form),
        dmn_resource(drg, literal_decision(first, "1"), literal_decision(second, "2")),
        simple_process(pid),
    )

    kinds = [d.WhichOneof("Metadata") for d in reply.deployments]
    assert kinds == ["process", "decision", "decision", "decisionRequirements", "form"]
    assert reply.deployments[0].process.bpmnProcessId == pid
    assert [d.decision.dmnDecisionId for d in reply.deployments[1:3]] == [first, second]
    assert reply.deployments[3].decisionRequirements.dmnDecisionRequirementsId == drg
    assert reply.deployments[4].form.formId == form_id


async def test_pyzeebe_reads_the_decision_key_of_a_dmn_deployment_first(zb, tmp_path):
    """pyzeebe's integration tests do `deploy_resource("x.dmn").deployments[0].decision_key`."""
    decision = unique_decision_id("first")
    path = tmp_path / "decision.dmn"
    path.write_bytes(dmn(unique_id("drg"), literal_decision(decision, '"yes"')))

    reply = await zb.client.deploy_resource(str(path))

    key = reply.deployments[0].decision_key
    result = await zb.client.evaluate_decision(key, None, {})
    assert result.decision_id == decision
    assert result.decision_output == "yes"


def joining_inclusive_process() -> Process:
    """An OR fork whose two branches join in a second inclusive gateway."""
    p = Process(unique_id("orjoin"))
    fork, join = p.inclusive("fork"), p.inclusive("join")
    p.chain(p.start(), fork)
    p.flow(fork, p.node("manualTask", "a"), condition="=true")
    p.flow(fork, p.node("manualTask", "b"), condition="=true")
    p.chain("a", join)
    p.chain("b", join)
    p.chain(join, p.end())
    return p


async def test_joining_inclusive_gateway_is_refused_as_zeebe_8_5_refuses_it(zb):
    """Models that run here must deploy on the Zeebe 8.5 cluster of docker-compose.yml.
    (The engine setting --allow-joining-inclusive-gateway lifts this: test_flow's engine.)"""
    p = joining_inclusive_process()

    err = await rpc_error(deploy(zb, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == (
        f"resource '{p.id}.bpmn' is not executable:\n- element 'join': Currently the inclusive "
        "gateway can only have one incoming sequence flow"
    )
    err = await rpc_error(create_instance(zb, p.id))
    assert err.code() == grpc.StatusCode.NOT_FOUND


# --------------------------------------------------------------------------- gateway RPCs


async def test_topology_is_one_broker_leading_partition_one(zb):
    """Topology: a single broker whose only partition, 1, it leads."""
    topo = await zb.client.topology()

    assert topo.cluster_size == 1
    assert topo.partitions_count == 1
    assert topo.replication_factor == 1
    assert len(topo.brokers) == 1
    (partition,) = topo.brokers[0].partitions
    assert partition.partition_id == 1
    assert partition.role == Partition.PartitionBrokerRole.LEADER
    assert partition.health == Partition.PartitionBrokerHealth.HEALTHY


async def test_health_check_is_serving(zb):
    """The standard gRPC health service reports SERVING (pyzeebe and the raw stub)."""
    reply = await zb.client.healthcheck()
    assert reply.status == reply.ServingStatus.SERVING

    raw = await health_pb2_grpc.HealthStub(zb.channel).Check(
        health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"), timeout=5
    )
    assert raw.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_of_the_whole_server_and_of_an_unknown_service(zb):
    """Standard gRPC health: the server as a whole ("") is SERVING, an unknown service is
    NOT_FOUND."""
    stub = health_pb2_grpc.HealthStub(zb.channel)

    whole = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    unknown = await rpc_error(
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    )

    assert whole.status == health_pb2.HealthCheckResponse.SERVING
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


async def test_unimplemented_rpc_answers_unimplemented(zb):
    """An RPC the engine does not offer (MigrateProcessInstance) is UNIMPLEMENTED."""
    err = await rpc_error(
        zb.stub.MigrateProcessInstance(
            pb.MigrateProcessInstanceRequest(processInstanceKey=1), timeout=5
        )
    )

    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
