"""Messages, end to end (Camunda 8.5 docs, "Messages" and "Message events"):

- a subscription (catch event, receive task, boundary event, event-based gateway) is opened
  when the element is entered; its correlation key is a FEEL expression evaluated then, and
  not updated afterwards; it must give a string or a number, else an incident;
- a published message is correlated to the subscriptions with its name and correlation key;
  without one it is buffered for its time to live (TTL 0: discarded), then gone;
- a message ID is unique among the buffered messages with the same name and correlation key:
  a second publication is rejected (ALREADY_EXISTS);
- a message is correlated at most once per process (BPMN process id), but to every process
  that waits for it;
- message variables are merged into the process instance, or only what output mappings take;
- message start events create instances; while an instance created with a correlation key
  is active, a message with the same key creates no new instance; a buffered one does once
  the active instance ended; messages published before the deployment are not correlated.

Also pyzeebe's own integration scenarios (run, run with result, cancel, publish a message
that starts a process, topology, health check) against the embedded engine.

The module runs its own engine on a controlled clock, so TTLs expire without waiting.
"""

from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest
from pyzeebe.errors import MessageAlreadyExistsError, ProcessDefinitionNotFoundError
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    fixture_xml,
    no_jobs,
    resolve_incident,
    rpc_error,
    running_worker,
    set_variables,
    unique_id,
    wait_for,
)
from tests.support.zeebe_events import (
    DATABASE_KINDS,
    HOUR,
    MINUTE,
    EventProcess,
    advance,
    await_waiting_at,
    boundary,
    catch_event,
    controlled_engine,
    event_gateway,
    message_def,
    open_job_count,
    publish,
    receive_task,
    start_event,
    still_waiting_at,
    timer_def,
)
from tests.support.zeebe_more import await_incidents, expect_code, loop, service_task


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture
async def zb(clock_engine):
    async with connect(clock_engine.address) as conn:
        yield conn


def catch_process(
    message: str, key_expr: str = "=orderId", *, outputs=()
) -> tuple[EventProcess, str]:
    """start -> message catch 'wait' -> service task 'probe' -> end: (process, probe type)."""
    p = EventProcess(unique_id("msg"))
    ref = p.message(message, key_expr)
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        catch_event(p, "wait", message_def(ref), outputs=outputs),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


async def start_waiting(zb, p: EventProcess, variables: dict) -> int:
    """Create an instance and wait until it waits at 'wait': its key."""
    pik = (await create_instance(zb.stub, p.id, variables)).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait")
    return pik


# --------------------------------------------------------------------------- catch events


async def test_message_catch_event_correlates_and_merges_the_message_variables(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"orderId": "o-1"})

    reply = await publish(zb.stub, name, "o-1", variables={"amount": 12.5, "by": "card"})

    assert reply.key > 0
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables == {"orderId": "o-1", "amount": 12.5, "by": "card"}
    await complete(zb.stub, job.key)
    view = await await_instance_state(zb.admin, pik, "COMPLETED")
    assert view["variables"] == {"orderId": "o-1", "amount": 12.5, "by": "card"}


async def test_message_with_another_correlation_key_is_not_correlated(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"orderId": "o-1"})

    await publish(zb.stub, name, "o-2")
    await publish(zb.stub, unique_id("other-name"), "o-1")

    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)


async def test_catch_event_output_mappings_take_only_the_mapped_message_variables(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name, outputs=[("=payment.amount", "amount")])
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"orderId": "o-1"})

    await publish(zb.stub, name, "o-1", variables={"payment": {"amount": 7}, "junk": 1})

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables == {"orderId": "o-1", "amount": 7}


async def test_numeric_correlation_key_matches_its_string_form(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"orderId": 42})

    await publish(zb.stub, name, "42")

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik


async def test_correlation_key_is_a_feel_expression_evaluated_when_the_subscription_opens(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name, '=order.prefix + "-" + string(order.no)')
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"order": {"prefix": "A", "no": 7}})

    # the subscription is not updated when the variables change afterwards
    await set_variables(zb.stub, pik, {"order": {"prefix": "B", "no": 8}})
    await publish(zb.stub, name, "B-8")
    assert await still_waiting_at(zb.admin, pik, "wait")

    await publish(zb.stub, name, "A-7")
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik


async def test_message_name_may_be_a_feel_expression(zb):
    p = EventProcess(unique_id("msgname"))
    ref = p.message('="paid-" + kind', "=orderId")
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        catch_event(p, "wait", message_def(ref)),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    kind = unique_id("k")
    pik = await start_waiting(zb, p, {"orderId": "o-1", "kind": kind})

    await publish(zb.stub, f"paid-{kind}", "o-1")

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik


async def test_correlation_key_that_is_null_raises_an_incident(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "wait"
    assert "orderId" in incident["errorMessage"]

    # once the variable exists, resolving opens the subscription
    await set_variables(zb.stub, pik, {"orderId": "o-9"})
    await resolve_incident(zb.stub, incident["key"])
    await await_waiting_at(zb.admin, pik, "wait")
    await publish(zb.stub, name, "o-9")
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik


async def test_correlation_key_of_the_wrong_type_raises_an_incident(zb):
    p, _ = catch_process(unique_id("paid"))
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"orderId": {"id": 1}})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "wait"


async def test_receive_task_waits_for_its_message(zb):
    name = unique_id("signed")
    p = EventProcess(unique_id("recv"))
    ref = p.message(name, "=contractNo")
    probe_type = unique_id("probe")
    p.chain(p.start(), receive_task(p, "wait", ref), service_task(p, "probe", probe_type), p.end())
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"contractNo": "HD-1"})
    assert await no_jobs(zb.stub, probe_type)

    await publish(zb.stub, name, "HD-1", variables={"signed": True})

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables["signed"] is True


# --------------------------------------------------------------------------- buffering


async def test_buffered_message_is_correlated_when_a_subscription_opens_later(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR, variables={"amount": 3})

    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables == {"orderId": "o-1", "amount": 3}


async def test_buffered_message_is_still_correlated_just_before_its_ttl_ends(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=10 * MINUTE)
    await advance(zb.admin, 10 * MINUTE - 1_000)

    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik


async def test_buffered_message_is_gone_after_its_ttl(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=10 * MINUTE, variables={"stale": True})
    await advance(zb.admin, 10 * MINUTE + 1_000)

    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey

    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)
    # the subscription itself works: a fresh message is correlated
    await publish(zb.stub, name, "o-1", variables={"fresh": True})
    job = await activate_one(zb.stub, probe_type)
    assert job.variables == {"orderId": "o-1", "fresh": True}


async def test_message_with_zero_ttl_is_not_buffered(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=0)

    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey

    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)


async def test_a_buffered_message_is_correlated_only_once_per_process(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR)

    first = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == first
    second = await start_waiting(zb, p, {"orderId": "o-1"})

    assert await still_waiting_at(zb.admin, second, "wait")
    assert await no_jobs(zb.stub, probe_type)


async def test_message_correlates_once_to_an_instance_waiting_twice_for_it(zb):
    name = unique_id("paid")
    p = EventProcess(unique_id("twice"))
    ref = p.message(name, "=orderId")
    left, right = unique_id("left"), unique_id("right")
    fork = p.parallel("fork")
    p.chain(p.start(), fork)
    p.chain(
        fork,
        catch_event(p, "wait_left", message_def(ref)),
        service_task(p, "left", left),
        p.end("end_left"),
    )
    p.chain(
        fork,
        catch_event(p, "wait_right", message_def(ref)),
        service_task(p, "right", right),
        p.end("end_right"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait_right")

    await publish(zb.stub, name, "o-1")

    await zb.admin.wait_idle()
    assert await open_job_count(zb.admin, left) + await open_job_count(zb.admin, right) == 1


async def test_boundary_correlation_key_sees_the_activity_input_mappings(zb):
    name = unique_id("cancelled")
    p = EventProcess(unique_id("mbound"))
    ref = p.message(name, "=localKey")
    work, after = unique_id("work"), unique_id("after")
    p.chain(p.start(), service_task(p, "work", work, inputs=[('="L-" + key', "localKey")]), p.end())
    p.chain(
        boundary(p, "msg", "work", message_def(ref)),
        service_task(p, "after_msg", after),
        p.end("end_msg"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "7"})).processInstanceKey
    await activate_one(zb.stub, work)

    await publish(zb.stub, name, "L-7")

    assert (await activate_one(zb.stub, after)).process_instance_key == pik


async def test_message_catch_without_a_correlation_key_is_refused_at_deploy(zb):
    p = EventProcess(unique_id("nokey"))
    ref = p.message(unique_id("m"))
    p.chain(p.start(), catch_event(p, "wait", message_def(ref)), p.end())

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "wait" in err.details()


async def test_event_based_gateway_with_one_outgoing_flow_is_refused_at_deploy(zb):
    p = EventProcess(unique_id("gw1"))
    ref = p.message(unique_id("m"), "=k")
    p.chain(p.start(), event_gateway(p, "gw"), catch_event(p, "wait", message_def(ref)), p.end())

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "gw" in err.details()


async def test_message_correlated_on_publish_stays_buffered_only_for_other_processes(zb):
    name = unique_id("paid")
    p, probe = catch_process(name)
    other, other_probe = catch_process(name)
    await deploy(zb.stub, p, other)
    first = await start_waiting(zb, p, {"orderId": "o-1"})
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR)
    assert (await activate_one(zb.stub, probe)).process_instance_key == first

    again = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    elsewhere = (await create_instance(zb.stub, other.id, {"orderId": "o-1"})).processInstanceKey

    assert (await activate_one(zb.stub, other_probe)).process_instance_key == elsewhere
    assert await still_waiting_at(zb.admin, again, "wait")


async def test_each_multi_instance_catch_event_waits_for_its_own_key(zb):
    name = unique_id("doc")
    p = EventProcess(unique_id("mi-msg"))
    ref = p.message(name, "=item")
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        p.node("intermediateCatchEvent", "wait", body=message_def(ref) + loop("=docs", "item")),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"docs": ["d1", "d2"]})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait")

    await publish(zb.stub, name, "d2")
    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)
    await publish(zb.stub, name, "d1")

    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


# --------------------------------------------------------------------------- message id


async def test_second_message_with_the_same_id_is_rejected_while_buffered(zb):
    name = unique_id("paid")
    message_id = unique_id("mid")
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id)

    err = await expect_code(
        publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert message_id in err.details()


async def test_pyzeebe_raises_message_already_exists_for_a_duplicate_id(zb):
    name = unique_id("paid")
    message_id = unique_id("mid")
    await zb.client.publish_message(
        name, "o-1", time_to_live_in_milliseconds=HOUR, message_id=message_id
    )

    with pytest.raises(MessageAlreadyExistsError):
        await zb.client.publish_message(
            name, "o-1", time_to_live_in_milliseconds=HOUR, message_id=message_id
        )


async def test_same_message_id_with_another_correlation_key_is_accepted(zb):
    name = unique_id("paid")
    message_id = unique_id("mid")
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id)

    reply = await publish(zb.stub, name, "o-2", ttl_ms=HOUR, message_id=message_id)

    assert reply.key > 0


async def test_same_message_id_is_accepted_again_after_the_first_expired(zb):
    name = unique_id("paid")
    message_id = unique_id("mid")
    await publish(zb.stub, name, "o-1", ttl_ms=MINUTE, message_id=message_id)
    await advance(zb.admin, 2 * MINUTE)

    reply = await publish(zb.stub, name, "o-1", ttl_ms=MINUTE, message_id=message_id)

    assert reply.key > 0


async def test_duplicate_message_is_not_correlated(zb):
    name = unique_id("paid")
    message_id = unique_id("mid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id, variables={"n": 1})
    await expect_code(
        publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id, variables={"n": 2}),
        grpc.StatusCode.ALREADY_EXISTS,
    )

    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables["n"] == 1


# --------------------------------------------------------------------------- cardinality


async def test_message_correlates_to_one_waiting_instance_of_a_process(zb):
    name = unique_id("paid")
    p, probe_type = catch_process(name)
    await deploy(zb.stub, p)
    a = await start_waiting(zb, p, {"orderId": "same"})
    b = await start_waiting(zb, p, {"orderId": "same"})

    await publish(zb.stub, name, "same")

    first = await activate_one(zb.stub, probe_type)
    assert first.process_instance_key in (a, b)
    assert await no_jobs(zb.stub, probe_type)
    other = b if first.process_instance_key == a else a
    assert await still_waiting_at(zb.admin, other, "wait")

    await publish(zb.stub, name, "same")
    second = await activate_one(zb.stub, probe_type)
    assert second.process_instance_key == other


async def test_message_correlates_to_every_process_waiting_for_it(zb):
    name = unique_id("paid")
    p1, probe1 = catch_process(name)
    p2, probe2 = catch_process(name)
    await deploy(zb.stub, p1, p2)
    a = await start_waiting(zb, p1, {"orderId": "o-1"})
    b = await start_waiting(zb, p2, {"orderId": "o-1"})

    await publish(zb.stub, name, "o-1")

    assert (await activate_one(zb.stub, probe1)).process_instance_key == a
    assert (await activate_one(zb.stub, probe2)).process_instance_key == b


# --------------------------------------------------------------------------- boundary events


def task_with_message_boundary(name: str, *, interrupting: bool) -> tuple[EventProcess, str, str]:
    """start -> task 'work' (message boundary 'msg' -> task 'after_msg') -> end."""
    p = EventProcess(unique_id("mbound"))
    ref = p.message(name, "=key")
    work, after = unique_id("work"), unique_id("after-msg")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "msg", "work", message_def(ref), interrupting=interrupting),
        service_task(p, "after_msg", after),
        p.end("end_msg"),
    )
    return p, work, after


async def test_interrupting_message_boundary_event_terminates_the_task(zb):
    name = unique_id("cancelled")
    p, work, after = task_with_message_boundary(name, interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1", variables={"reason": "late"})

    followed = await activate_one(zb.stub, after)
    assert followed.process_instance_key == pik
    assert followed.variables == {"key": "k1", "reason": "late"}
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, followed.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_non_interrupting_message_boundary_event_keeps_the_task(zb):
    name = unique_id("reminder")
    p, work, after = task_with_message_boundary(name, interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1")

    followed = await activate_one(zb.stub, after)
    assert followed.process_instance_key == pik
    await complete(zb.stub, followed.key)
    assert await still_waiting_at(zb.admin, pik, "work")
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_non_interrupting_message_boundary_can_be_triggered_again(zb):
    name = unique_id("reminder")
    p, work, after = task_with_message_boundary(name, interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1")
    await publish(zb.stub, name, "k1")

    await zb.admin.wait_idle()
    assert await open_job_count(zb.admin, after) == 2
    assert await still_waiting_at(zb.admin, pik, "work")


async def test_boundary_subscription_closes_when_the_task_completes(zb):
    name = unique_id("cancelled")
    p = EventProcess(unique_id("mbound"))
    ref = p.message(name, "=key")
    work, nxt, after = unique_id("work"), unique_id("next"), unique_id("after")
    p.chain(p.start(), service_task(p, "work", work), service_task(p, "next", nxt), p.end())
    p.chain(
        boundary(p, "msg", "work", message_def(ref)),
        service_task(p, "after_msg", after),
        p.end("end_msg"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    await complete(zb.stub, (await activate_one(zb.stub, work)).key)
    await activate_one(zb.stub, nxt)

    await publish(zb.stub, name, "k1")

    assert await still_waiting_at(zb.admin, pik, "next")
    assert await no_jobs(zb.stub, after)


# --------------------------------------------------------------------------- event-based gateway


def gateway_process(name: str) -> tuple[EventProcess, str, str]:
    """start -> event gateway -> (message 'paid' -> A | timer PT1H 'timeout' -> B) -> end."""
    p = EventProcess(unique_id("evgw"))
    ref = p.message(name, "=orderId")
    a, b = unique_id("on-msg"), unique_id("on-timer")
    gw = event_gateway(p, "gw")
    p.chain(p.start(), gw)
    p.chain(gw, catch_event(p, "paid", message_def(ref)), service_task(p, "A", a), p.end("endA"))
    p.chain(
        gw,
        catch_event(p, "timeout", timer_def("timeDuration", "PT1H")),
        service_task(p, "B", b),
        p.end("endB"),
    )
    return p, a, b


async def test_event_based_gateway_takes_the_message_that_arrives_first(zb):
    name = unique_id("paid")
    p, a, b = gateway_process(name)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "gw")

    await publish(zb.stub, name, "o-1", variables={"paidAt": "now"})

    job = await activate_one(zb.stub, a)
    assert job.variables == {"orderId": "o-1", "paidAt": "now"}
    await advance(zb.admin, 2 * HOUR)
    assert await no_jobs(zb.stub, b)
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_event_based_gateway_takes_the_timer_when_it_fires_first(zb):
    name = unique_id("paid")
    p, a, b = gateway_process(name)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "gw")

    await advance(zb.admin, HOUR)

    job = await activate_one(zb.stub, b)
    assert job.process_instance_key == pik
    await publish(zb.stub, name, "o-1")
    assert await no_jobs(zb.stub, a)


# --------------------------------------------------------------------------- message start events


def message_start_process(name: str) -> tuple[EventProcess, str]:
    """message start 'start' -> service task 'probe' -> end."""
    p = EventProcess(unique_id("mstart"))
    ref = p.message(name)
    probe_type = unique_id("probe")
    p.chain(
        start_event(p, "start", message_def(ref)), service_task(p, "probe", probe_type), p.end()
    )
    return p, probe_type


async def test_message_start_event_creates_an_instance_with_the_message_variables(zb):
    name = unique_id("proposal-submitted")
    p, probe_type = message_start_process(name)
    await deploy(zb.stub, p)

    await publish(zb.stub, name, "", variables={"proposalId": 5})

    job = await activate_one(zb.stub, probe_type)
    assert job.bpmn_process_id == p.id
    assert job.variables == {"proposalId": 5}


async def test_create_instance_of_a_process_with_only_a_message_start_is_refused(zb):
    p, _ = message_start_process(unique_id("only-message"))
    await deploy(zb.stub, p)

    err = await expect_code(create_instance(zb.stub, p.id, {}), grpc.StatusCode.FAILED_PRECONDITION)
    assert "none start event" in err.details()


async def test_message_start_with_an_active_instance_for_its_key_creates_no_second_one(zb):
    name = unique_id("proposal-submitted")
    p, probe_type = message_start_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "k-1", variables={"n": 1})
    first = await activate_one(zb.stub, probe_type)

    await publish(zb.stub, name, "k-1", variables={"n": 2})
    await zb.admin.wait_idle()
    assert await no_jobs(zb.stub, probe_type)

    await publish(zb.stub, name, "k-2", variables={"n": 3})
    other = await activate_one(zb.stub, probe_type)
    assert other.variables == {"n": 3}
    assert other.process_instance_key != first.process_instance_key


async def test_buffered_start_message_creates_an_instance_once_the_active_one_ended(zb):
    name = unique_id("proposal-submitted")
    p, probe_type = message_start_process(name)
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "k-1", variables={"n": 1})
    first = await activate_one(zb.stub, probe_type)
    await publish(zb.stub, name, "k-1", ttl_ms=HOUR, variables={"n": 2})
    assert await no_jobs(zb.stub, probe_type)

    await complete(zb.stub, first.key)
    await await_instance_state(zb.admin, first.process_instance_key, "COMPLETED")

    second = await activate_one(zb.stub, probe_type, timeout=3)
    assert second.variables == {"n": 2}
    assert second.process_instance_key != first.process_instance_key


async def test_message_start_without_correlation_key_always_creates_an_instance(zb):
    name = unique_id("ping")
    p, probe_type = message_start_process(name)
    await deploy(zb.stub, p)

    await publish(zb.stub, name, "")
    await publish(zb.stub, name, "")

    await zb.admin.wait_idle()
    assert await open_job_count(zb.admin, probe_type) == 2


async def test_message_published_before_the_deployment_starts_no_instance(zb):
    name = unique_id("early")
    p, probe_type = message_start_process(name)
    await publish(zb.stub, name, "", ttl_ms=HOUR)

    await deploy(zb.stub, p)

    await zb.admin.wait_idle()
    assert await no_jobs(zb.stub, probe_type)


async def test_message_start_correlates_to_the_latest_version_only(zb):
    name = unique_id("versioned")
    p, old_type = message_start_process(name)
    await deploy(zb.stub, p)
    v2 = EventProcess(p.id)
    ref = v2.message(name)
    new_type = unique_id("probe2")
    v2.chain(
        start_event(v2, "start", message_def(ref)), service_task(v2, "probe", new_type), v2.end()
    )
    await deploy(zb.stub, v2)

    await publish(zb.stub, name, "")

    job = await activate_one(zb.stub, new_type)
    assert job.process_definition_version == 2
    assert await no_jobs(zb.stub, old_type)


async def test_publish_with_bad_variables_is_invalid_argument(zb):
    err = await expect_code(
        zb.stub.PublishMessage(pb.PublishMessageRequest(name="x", variables="[1, 2]"), timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details()


# --------------------------------------------------------------------------- pyzeebe's scenarios
# As pyzeebe's own integration suite: one process with a none start and a message start
# leading to a job that a real ZeebeWorker handles (input, should_throw -> output).


@pytest.fixture
async def scenario(zb):
    suffix = unique_id("s")
    await deploy(
        zb.stub, ("evt_pyzeebe.bpmn", fixture_xml("evt_pyzeebe.bpmn", {"__SUFFIX__": suffix}))
    )
    seen: list[str] = []

    async def handler(input: str, should_throw: bool) -> dict:
        seen.append(input)
        if should_throw:
            raise RuntimeError("Error thrown")
        return {"output": input + "-done"}

    async with running_worker(
        zb.channel, {f"evt-pyzeebe-{suffix}": handler}, request_timeout_ms=500
    ):
        yield SimpleNamespace(
            process_id=f"evt-pyzeebe-{suffix}", message=f"start-evt-pyzeebe-{suffix}", seen=seen
        )


async def test_pyzeebe_run_process(zb, scenario):
    variables = {"input": unique_id("in"), "should_throw": False}

    created = await zb.client.run_process(scenario.process_id, variables)

    assert created.bpmn_process_id == scenario.process_id
    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert scenario.seen == [variables["input"]]
    assert view["variables"]["output"] == variables["input"] + "-done"


async def test_pyzeebe_run_process_with_result(zb, scenario):
    variables = {"input": unique_id("in"), "should_throw": False}

    result = await zb.client.run_process_with_result(scenario.process_id, variables, timeout=10_000)

    assert result.variables["output"].startswith(variables["input"])


async def test_pyzeebe_run_process_with_result_fetching_some_variables(zb, scenario):
    variables = {"input": unique_id("in"), "should_throw": False}

    result = await zb.client.run_process_with_result(
        scenario.process_id, variables, timeout=10_000, variables_to_fetch=["output"]
    )

    assert result.variables == {"output": variables["input"] + "-done"}


async def test_pyzeebe_publish_message_starts_a_process(zb, scenario):
    variables = {"input": unique_id("in"), "should_throw": False}

    reply = await zb.client.publish_message(
        scenario.message, correlation_key="", variables=variables
    )

    assert reply.key > 0
    await wait_for(
        lambda: variables["input"] in scenario.seen,
        message="the message-started instance reached the worker",
    )


async def test_pyzeebe_run_a_process_that_does_not_exist(zb):
    with pytest.raises(ProcessDefinitionNotFoundError):
        await zb.client.run_process(unique_id("nowhere"))


async def test_pyzeebe_cancel_process_instance(zb):
    name = unique_id("never")
    p, _ = catch_process(name)
    await deploy(zb.stub, p)
    created = await zb.client.run_process(p.id, {"orderId": "o-1"})
    await await_waiting_at(zb.admin, created.process_instance_key, "wait")

    await zb.client.cancel_process_instance(created.process_instance_key)

    await await_instance_state(zb.admin, created.process_instance_key, "TERMINATED")
    # its subscription went with it: the message finds nobody
    await publish(zb.stub, name, "o-1", ttl_ms=0)
    await zb.admin.wait_idle()
    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["state"] == "TERMINATED"


async def test_pyzeebe_topology(zb):
    topology = await zb.client.topology()

    assert topology.cluster_size == 1
    assert topology.partitions_count == 1
    [broker] = topology.brokers
    assert f"{broker.host}:{broker.port}" == zb.address
    [partition] = broker.partitions
    assert partition.role == partition.PartitionBrokerRole.LEADER


async def test_pyzeebe_healthcheck(zb):
    reply = await zb.client.healthcheck()

    assert reply.status == reply.ServingStatus.SERVING
