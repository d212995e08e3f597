"""Helpers for the engine's event tests: messages, timers, errors, escalations, signals,
event sub-processes and DMN decisions.

They extend the inline BPMN builder of ``tests.support.zeebe`` with root-level definitions
(``bpmn:message``, ``bpmn:error``, ``bpmn:escalation``, ``bpmn:signal``) and event elements,
write small DMN 1.3 documents, and wrap the RPCs of this feature (PublishMessage,
BroadcastSignal, EvaluateDecision) and the engine's controlled clock.

Typical use::

    p = EventProcess(unique_id("order"))
    paid = p.message("paid", "=orderId")
    p.chain(p.start(), catch_event(p, "wait", message_def(paid)), p.task("t", t), p.end())
    await deploy(zb.stub, p)
    await publish(zb.stub, "paid", "o-1", ttl_ms=60_000, variables={"amount": 3})
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pyzeebe.proto import gateway_pb2 as pb

from engine.admin_client import AdminClient
from tests.support.engine_process import EngineProcess
from tests.support.zeebe import (
    BPMN_NS,
    XSI_NS,
    ZEEBE_NS,
    Process,
    _Scope,
    _stub_of,
    unique_id,
    wait_for,
)
from tests.support.zeebe_more import io_mapping

DATABASE_KINDS = ["sqlite"] + (["postgresql"] if os.environ.get("KHCN_TEST_DATABASE_URL") else [])

Pairs = Iterable[tuple[str, str]]

MINUTE = 60_000
HOUR = 60 * MINUTE


# --------------------------------------------------------------------------- engines


def controlled_engine(database_url: str) -> Iterator[EngineProcess]:
    """Run an engine on a controlled clock for the duration of a fixture (``yield from``)."""
    proc = EngineProcess(database_url, extra_args=["--clock", "controlled"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


async def advance(admin: AdminClient, ms: int) -> int:
    """Move the controlled clock forward, let everything that fell due run; the new now."""
    now = await admin.increase_time(ms)
    await admin.wait_idle()
    return now


async def engine_now(admin: AdminClient) -> int:
    """The engine's now in ms since the epoch."""
    return (await admin.get_clock())["now"]


# --------------------------------------------------------------------------- BPMN builder


class EventProcess(Process):
    """A Process whose document also holds messages, errors, escalations and signals."""

    def __init__(self, process_id: str, *, name: str | None = None) -> None:
        super().__init__(process_id, name=name)
        self.root: list[str] = []

    def message(self, name: str, correlation_key: str | None = None) -> str:
        """A bpmn:message (with a zeebe:subscription when a correlation key is given): its id."""
        ref = f"Message_{len(self.root)}"
        ext = ""
        if correlation_key is not None:
            ext = (
                "<bpmn:extensionElements><zeebe:subscription correlationKey="
                f"{quoteattr(correlation_key)} /></bpmn:extensionElements>"
            )
        self.root.append(
            f"<bpmn:message id={quoteattr(ref)} name={quoteattr(name)}>{ext}</bpmn:message>"
        )
        return ref

    def error(self, code: str) -> str:
        """A bpmn:error with an errorCode: its id."""
        ref = f"Error_{len(self.root)}"
        self.root.append(
            f"<bpmn:error id={quoteattr(ref)} name={quoteattr(code)} errorCode={quoteattr(code)} />"
        )
        return ref

    def escalation(self, code: str) -> str:
        """A bpmn:escalation with an escalationCode: its id."""
        ref = f"Escalation_{len(self.root)}"
        self.root.append(
            f"<bpmn:escalation id={quoteattr(ref)} name={quoteattr(code)} "
            f"escalationCode={quoteattr(code)} />"
        )
        return ref

    def signal(self, name: str) -> str:
        """A bpmn:signal: its id."""
        ref = f"Signal_{len(self.root)}"
        self.root.append(f"<bpmn:signal id={quoteattr(ref)} name={quoteattr(name)} />")
        return ref

    def xml(self) -> bytes:
        """The complete BPMN document, root definitions after the process."""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:zeebe="{ZEEBE_NS}" '
            f'xmlns:xsi="{XSI_NS}" id="defs_{self.id}" '
            'targetNamespace="http://bpmn.io/schema/bpmn">\n'
            f'<bpmn:process id="{self.id}" name={quoteattr(self.name)} isExecutable="true">\n'
            f"{self.render()}\n"
            "</bpmn:process>\n" + "\n".join(self.root) + "\n</bpmn:definitions>\n"
        ).encode()


# event definitions ----------------------------------------------------------------


def message_def(ref: str) -> str:
    """A messageEventDefinition."""
    return f"<bpmn:messageEventDefinition messageRef={quoteattr(ref)} />"


def timer_def(kind: str, value: str) -> str:
    """A timerEventDefinition; kind is timeDuration, timeDate or timeCycle."""
    assert kind in ("timeDuration", "timeDate", "timeCycle"), kind
    return (
        f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
        f"{escape(value)}</bpmn:{kind}></bpmn:timerEventDefinition>"
    )


def error_def(
    ref: str | None = None, *, code_variable: str | None = None, message_variable: str | None = None
) -> str:
    """An errorEventDefinition; without ref it catches every error (catch-all)."""
    attrs = "" if ref is None else f" errorRef={quoteattr(ref)}"
    if code_variable:
        attrs += f" zeebe:errorCodeVariable={quoteattr(code_variable)}"
    if message_variable:
        attrs += f" zeebe:errorMessageVariable={quoteattr(message_variable)}"
    return f"<bpmn:errorEventDefinition{attrs} />"


def escalation_def(ref: str | None = None) -> str:
    """An escalationEventDefinition; without ref it catches every escalation."""
    attrs = "" if ref is None else f" escalationRef={quoteattr(ref)}"
    return f"<bpmn:escalationEventDefinition{attrs} />"


def signal_def(ref: str) -> str:
    """A signalEventDefinition."""
    return f"<bpmn:signalEventDefinition signalRef={quoteattr(ref)} />"


# event elements -------------------------------------------------------------------


def start_event(
    scope: _Scope,
    node_id: str,
    definition: str,
    *,
    interrupting: bool | None = None,
    outputs: Pairs = (),
) -> str:
    """A start event with an event definition (message, timer, signal, error, escalation)."""
    attrs = {} if interrupting is None else {"isInterrupting": str(interrupting).lower()}
    return scope.node(
        "startEvent", node_id, attrs=attrs, extensions=io_mapping((), outputs), body=definition
    )


def catch_event(scope: _Scope, node_id: str, definition: str, *, outputs: Pairs = ()) -> str:
    """An intermediate catch event (message, timer, signal)."""
    return scope.node(
        "intermediateCatchEvent", node_id, extensions=io_mapping((), outputs), body=definition
    )


def throw_event(scope: _Scope, node_id: str, definition: str) -> str:
    """An intermediate throw event (escalation, signal)."""
    return scope.node("intermediateThrowEvent", node_id, body=definition)


def end_event(scope: _Scope, node_id: str, definition: str) -> str:
    """An end event with an event definition (error, escalation, signal)."""
    return scope.node("endEvent", node_id, body=definition)


def boundary(
    scope: _Scope,
    node_id: str,
    attached_to: str,
    definition: str,
    *,
    interrupting: bool = True,
    outputs: Pairs = (),
) -> str:
    """A boundary event attached to an activity of the same scope."""
    attrs = {"attachedToRef": attached_to}
    if not interrupting:
        attrs["cancelActivity"] = "false"
    return scope.node(
        "boundaryEvent", node_id, attrs=attrs, extensions=io_mapping((), outputs), body=definition
    )


def receive_task(scope: _Scope, node_id: str, message_ref: str, *, outputs: Pairs = ()) -> str:
    """A receive task waiting for a message."""
    return scope.node(
        "receiveTask",
        node_id,
        attrs={"messageRef": message_ref},
        extensions=io_mapping((), outputs),
    )


def event_gateway(scope: _Scope, node_id: str) -> str:
    """An event-based gateway."""
    return scope.node("eventBasedGateway", node_id)


def event_sub_process(scope: _Scope, node_id: str) -> _Scope:
    """An event sub-process (triggeredByEvent); returns its scope."""
    inner = scope.sub_process(node_id)
    scope.nodes[-1].attrs["triggeredByEvent"] = "true"
    return inner


def business_rule_task(
    scope: _Scope, node_id: str, decision_id: str, result_variable: str, *, outputs: Pairs = ()
) -> str:
    """A business rule task calling a DMN decision (zeebe:calledDecision)."""
    ext = (
        f"<zeebe:calledDecision decisionId={quoteattr(decision_id)} "
        f"resultVariable={quoteattr(result_variable)} />"
    )
    return scope.node("businessRuleTask", node_id, extensions=ext + io_mapping((), outputs))


# --------------------------------------------------------------------------- DMN

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def _rule_xml(index: int, inputs: Sequence[str], outputs: Sequence[str]) -> str:
    entries = "".join(
        f'<inputEntry id="r{index}_i{n}"><text>{escape(t)}</text></inputEntry>'
        for n, t in enumerate(inputs)
    )
    entries += "".join(
        f'<outputEntry id="r{index}_o{n}"><text>{escape(t)}</text></outputEntry>'
        for n, t in enumerate(outputs)
    )
    return f'<rule id="rule_{index}">{entries}</rule>'


def decision_table(
    decision_id: str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    rules: Sequence[tuple[Sequence[str], Sequence[str]]],
    *,
    hit_policy: str = "UNIQUE",
    aggregation: str | None = None,
    required: Sequence[str] = (),
    name: str | None = None,
    output_values: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """A decision with a decision table: input expressions, output names, rules of
    (input entries, output entries); rule ids are ``rule_1``, ``rule_2`` ..."""
    reqs = "".join(
        f'<informationRequirement id="req_{decision_id}_{r}">'
        f'<requiredDecision href="#{r}" /></informationRequirement>'
        for r in required
    )
    attrs = f' hitPolicy="{hit_policy}"'
    if aggregation:
        attrs += f' aggregation="{aggregation}"'
    cols = "".join(
        f'<input id="in_{n}" label={quoteattr(e)}><inputExpression id="ie_{n}">'
        f"<text>{escape(e)}</text></inputExpression></input>"
        for n, e in enumerate(inputs)
    )
    for n, out in enumerate(outputs):
        values = (output_values or {}).get(out)
        body = ""
        if values:
            body = f"<outputValues><text>{escape(','.join(values))}</text></outputValues>"
        cols += f'<output id="out_{n}" name={quoteattr(out)} label={quoteattr(out)}>{body}</output>'
    body = "".join(_rule_xml(i, ins, outs) for i, (ins, outs) in enumerate(rules, start=1))
    return (
        f"<decision id={quoteattr(decision_id)} name={quoteattr(name or decision_id)}>{reqs}"
        f'<decisionTable id="table_{decision_id}"{attrs}>{cols}{body}</decisionTable>'
        "</decision>"
    )


def literal_decision(
    decision_id: str, expression: str, *, variable: str | None = None, required: Sequence[str] = ()
) -> str:
    """A decision with a FEEL literal expression."""
    reqs = "".join(
        f'<informationRequirement id="req_{decision_id}_{r}">'
        f'<requiredDecision href="#{r}" /></informationRequirement>'
        for r in required
    )
    return (
        f"<decision id={quoteattr(decision_id)} name={quoteattr(decision_id)}>"
        f"<variable name={quoteattr(variable or decision_id)} />{reqs}"
        f'<literalExpression id="lit_{decision_id}"><text>{escape(expression)}</text>'
        "</literalExpression></decision>"
    )


def dmn(drg_id: str, *decisions: str, name: str | None = None) -> bytes:
    """A DMN 1.3 definitions document holding the given decisions."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{DMN_NS}" id={quoteattr(drg_id)} name={quoteattr(name or drg_id)} '
        'namespace="http://camunda.org/schema/1.0/dmn">\n'
        + "\n".join(decisions)
        + "\n</definitions>\n"
    ).encode()


def dmn_resource(drg_id: str, *decisions: str) -> tuple[str, bytes]:
    """A (name, content) pair for ``deploy``."""
    return (f"{drg_id}.dmn", dmn(drg_id, *decisions))


def unique_decision_id(prefix: str = "d") -> str:
    """A DMN-id-safe unique decision id (letters, digits, underscores)."""
    return unique_id(prefix).replace("-", "_")


# --------------------------------------------------------------------------- RPCs


async def publish(
    target: Any,
    name: str,
    correlation_key: str = "",
    *,
    ttl_ms: int = 0,
    message_id: str = "",
    variables: Mapping[str, Any] | None = None,
) -> pb.PublishMessageResponse:
    """Raw PublishMessage."""
    return await _stub_of(target).PublishMessage(
        pb.PublishMessageRequest(
            name=name,
            correlationKey=correlation_key,
            timeToLive=ttl_ms,
            messageId=message_id,
            variables=json.dumps(dict(variables or {})),
        ),
        timeout=10,
    )


async def broadcast(
    target: Any, name: str, variables: Mapping[str, Any] | None = None
) -> pb.BroadcastSignalResponse:
    """Raw BroadcastSignal."""
    return await _stub_of(target).BroadcastSignal(
        pb.BroadcastSignalRequest(signalName=name, variables=json.dumps(dict(variables or {}))),
        timeout=10,
    )


async def evaluate(
    target: Any,
    decision_id: str = "",
    *,
    decision_key: int = 0,
    variables: Mapping[str, Any] | None = None,
) -> pb.EvaluateDecisionResponse:
    """Raw EvaluateDecision by id (latest version) or by key."""
    return await _stub_of(target).EvaluateDecision(
        pb.EvaluateDecisionRequest(
            decisionId=decision_id,
            decisionKey=decision_key,
            variables=json.dumps(dict(variables or {})),
        ),
        timeout=10,
    )


# --------------------------------------------------------------------------- state


async def active_element_ids(admin: AdminClient, process_instance_key: int) -> list[str]:
    """Sorted element ids of the active element instances (empty when the instance ended)."""
    view = await admin.get_process_instance(process_instance_key)
    return sorted(e["elementId"] for e in view.get("elementInstances", []))


async def await_waiting_at(
    admin: AdminClient, process_instance_key: int, element_id: str, timeout: float = 10.0
) -> list[str]:
    """Wait until an element of an instance is active; return all active element ids."""

    async def check() -> list[str] | None:
        ids = await active_element_ids(admin, process_instance_key)
        return ids if element_id in ids else None

    return await wait_for(
        check, timeout, message=f"instance {process_instance_key} waiting at {element_id}"
    )


async def still_waiting_at(admin: AdminClient, process_instance_key: int, element_id: str) -> bool:
    """After the engine went idle: is the instance (still) waiting at the element?"""
    await admin.wait_idle()
    view = await admin.get_process_instance(process_instance_key)
    return view["state"] == "ACTIVE" and element_id in [
        e["elementId"] for e in view.get("elementInstances", [])
    ]


async def open_job_count(admin: AdminClient, job_type: str) -> int:
    """How many jobs of a type exist and are not completed."""
    return len(await admin.list_jobs(job_type=job_type))
