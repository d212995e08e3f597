"""The Zeebe dialect of BPMN 2.0: XML in, executable ProcessDefinitions out.

Parsing is driven by TAG_TABLE (tag -> element parser), in the way SpiffWorkflow's Camunda
dialect maps tags to parser classes. Every refusal names the resource and the element id,
as Zeebe's deployment rejections do, so a designer can find the shape in Camunda Modeler.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from engine.bpmn.model import (
    USER_TASK_JOB_TYPE,
    Element,
    EventDefinition,
    Mapping,
    MultiInstance,
    ProcessDefinition,
    SequenceFlow,
)
from engine.timers import TimerError, parse_cycle, parse_date, parse_duration

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _z(tag: str) -> str:
    return f"{{{ZEEBE}}}{tag}"


class BpmnError(ValueError):
    """A BPMN resource the engine cannot execute; the message says where and why."""


class _Problems:
    """Collects every problem of a resource so the designer sees them all at once."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.items: list[str] = []

    def add(self, element_id: str | None, message: str) -> None:
        where = f"element '{element_id}'" if element_id else "process"
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            listing = "\n- ".join(self.items)
            raise BpmnError(f"resource '{self.resource}' is not executable:\n- {listing}")


class _Context:
    """Root-level definitions that events refer to: errors, escalations, messages, signals."""

    def __init__(self, root: etree._Element) -> None:
        self.errors = {e.get("id"): e.get("errorCode") for e in root.findall(_b("error"))}
        self.escalations = {
            e.get("id"): e.get("escalationCode") for e in root.findall(_b("escalation"))
        }
        self.signals = {e.get("id"): e.get("name") for e in root.findall(_b("signal"))}
        self.messages: dict[str | None, tuple[str | None, str | None]] = {}
        for m in root.findall(_b("message")):
            sub = _one_ext(m, "subscription")
            self.messages[m.get("id")] = (
                m.get("name"),
                sub.get("correlationKey") if sub is not None else None,
            )


ElementParser = Callable[[etree._Element, Element, _Problems, _Context], None]


def _ext(node: etree._Element, tag: str) -> list[etree._Element]:
    ext = node.find(_b("extensionElements"))
    return [] if ext is None else list(ext.iter(_z(tag)))


def _one_ext(node: etree._Element, tag: str) -> etree._Element | None:
    found = _ext(node, tag)
    return found[0] if found else None


def _mappings(node: etree._Element, tag: str, element_id: str, problems: _Problems) -> tuple:
    io = _one_ext(node, "ioMapping")
    if io is None:
        return ()
    result = []
    for m in io.findall(_z(tag)):
        target = m.get("target")
        if not target:
            problems.add(element_id, f"zeebe:{tag} needs a 'target'")
            continue
        result.append(Mapping(source=m.get("source") or "=null", target=target))
    return tuple(result)


def _parse_job(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    definition = _one_ext(node, "taskDefinition")
    if definition is None or not definition.get("type"):
        problems.add(
            el.id,
            "a job task must have a 'zeebe:taskDefinition' with a 'type' "
            "(Camunda Modeler: Task definition > Type)",
        )
        return
    el.job_type = definition.get("type")
    el.job_retries = definition.get("retries") or "3"
    _parse_headers(node, el)


def _parse_script_task(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    script = _one_ext(node, "script")
    if script is None:
        _parse_job(node, el, problems, ctx)
        return
    if not script.get("expression") or not script.get("resultVariable"):
        problems.add(el.id, "zeebe:script needs an expression and a resultVariable")
        return
    el.script = script.get("expression")
    el.result_variable = script.get("resultVariable")


def _parse_business_rule_task(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    called = _one_ext(node, "calledDecision")
    if called is None:
        _parse_job(node, el, problems, ctx)
        return
    if not called.get("decisionId") or not called.get("resultVariable"):
        problems.add(el.id, "zeebe:calledDecision needs a decisionId and a resultVariable")
        return
    el.called_decision = called.get("decisionId")
    el.result_variable = called.get("resultVariable")


def _parse_headers(node: etree._Element, el: Element) -> None:
    for header in _ext(node, "header"):
        if header.get("key"):
            el.headers[header.get("key")] = header.get("value") or ""


def _parse_user_task(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    if _one_ext(node, "userTask") is not None:
        problems.add(
            el.id,
            "Camunda user tasks (zeebe:userTask) are not supported: use a job worker user "
            "task (Camunda Modeler: Implementation > Job worker)",
        )
        return
    el.job_type = USER_TASK_JOB_TYPE
    el.job_retries = "1"
    assignment = _one_ext(node, "assignmentDefinition")
    if assignment is not None:
        el.assignee = assignment.get("assignee")
        el.candidate_groups = assignment.get("candidateGroups")
        el.candidate_users = assignment.get("candidateUsers")
    form = _one_ext(node, "formDefinition")
    if form is not None:
        el.form_key = form.get("formKey") or None
        el.form_id = form.get("formId") or None
    schedule = _one_ext(node, "taskSchedule")
    if schedule is not None:
        el.due_date = schedule.get("dueDate")
        el.follow_up_date = schedule.get("followUpDate")
    _parse_headers(node, el)


def _event_definition(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context, allowed: set[str]
) -> EventDefinition | None:
    """Read the one event definition of an event (None for a none event)."""
    found = [c for c in node if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
    if not found:
        return None
    if len(found) > 1:
        problems.add(el.id, "multiple event definitions on one event are not supported")
        return None
    d = found[0]
    kind = etree.QName(d).localname.removesuffix("EventDefinition")
    if kind not in allowed:
        where = el.kind if not el.attached_to else "boundaryEvent"
        problems.add(el.id, f"a {where} with a {kind} event definition is not supported")
        return None
    if kind == "message":
        ref = d.get("messageRef")
        if ref not in ctx.messages or not ctx.messages[ref][0]:
            problems.add(el.id, f"message event refers to unknown or unnamed message '{ref}'")
            return None
        name, key = ctx.messages[ref]
        return EventDefinition("message", name=name, correlation_key=key)
    if kind == "signal":
        ref = d.get("signalRef")
        if not ctx.signals.get(ref):
            problems.add(el.id, f"signal event refers to unknown or unnamed signal '{ref}'")
            return None
        return EventDefinition("signal", name=ctx.signals[ref])
    if kind == "timer":
        for timer_type in ("timeDate", "timeDuration", "timeCycle"):
            t = d.find(_b(timer_type))
            if t is not None and (t.text or "").strip():
                return EventDefinition("timer", timer_type=timer_type, timer=t.text.strip())
        problems.add(el.id, "timer event needs a timeDate, timeDuration or timeCycle")
        return None
    if kind == "error":
        ref = d.get("errorRef")
        if ref and ref not in ctx.errors:
            problems.add(el.id, f"error event refers to unknown error '{ref}'")
            return None
        code = ctx.errors.get(ref) if ref else None
        return EventDefinition(
            "error",
            code=code or None,
            code_variable=d.get(f"{{{ZEEBE}}}errorCodeVariable")
            or _attr(node, "errorCodeVariable"),
            message_variable=d.get(f"{{{ZEEBE}}}errorMessageVariable")
            or _attr(node, "errorMessageVariable"),
        )
    if kind == "escalation":
        ref = d.get("escalationRef")
        if ref and ref not in ctx.escalations:
            problems.add(el.id, f"escalation event refers to unknown escalation '{ref}'")
            return None
        code = ctx.escalations.get(ref) if ref else None
        return EventDefinition(
            "escalation",
            code=code or None,
            code_variable=d.get(f"{{{ZEEBE}}}escalationCodeVariable"),
        )
    return EventDefinition(kind)


def _attr(node: etree._Element, name: str) -> str | None:
    return node.get(f"{{{ZEEBE}}}{name}")


def _parse_end_event(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    ev = _event_definition(
        node, el, problems, ctx, {"terminate", "error", "escalation", "signal", "message"}
    )
    if ev is None:
        return
    if ev.kind == "terminate":
        el.terminate = True
        return
    if ev.kind == "error" and ev.code is None:
        problems.add(el.id, "an error end event must refer to an error with an errorCode")
    el.event = ev
    if ev.kind == "message":
        el.kind = "messageThrow"
        _parse_job(node, el, problems, ctx)


def _parse_start_event(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    el.event = _event_definition(
        node, el, problems, ctx, {"message", "timer", "signal", "error", "escalation"}
    )
    el.interrupting = node.get("isInterrupting", "true") != "false"


def _parse_intermediate_catch(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    el.event = _event_definition(node, el, problems, ctx, {"message", "timer", "signal"})
    if el.event is None and not problems.items:
        problems.add(el.id, "an intermediate catch event needs a message, timer or signal")
    if el.event is not None and el.event.kind == "timer" and el.event.timer_type == "timeCycle":
        problems.add(el.id, "an intermediate timer catch event cannot have a timeCycle")


def _parse_intermediate_throw(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    el.event = _event_definition(node, el, problems, ctx, {"escalation", "signal", "message"})
    if el.event is not None and el.event.kind == "message":
        el.kind = "messageThrow"
        _parse_job(node, el, problems, ctx)


def _parse_boundary(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    el.attached_to = node.get("attachedToRef")
    el.interrupting = node.get("cancelActivity", "true") != "false"
    el.event = _event_definition(
        node, el, problems, ctx, {"message", "timer", "signal", "error", "escalation"}
    )
    if el.event is None:
        problems.add(el.id, "a boundary event needs an event definition")
    elif el.event.kind == "error" and not el.interrupting:
        problems.add(el.id, "an error boundary event must be interrupting")
    elif el.event.kind == "timer" and el.event.timer_type == "timeCycle" and el.interrupting:
        problems.add(el.id, "an interrupting timer boundary event cannot have a timeCycle")


def _parse_receive_task(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    ref = node.get("messageRef")
    if ref not in ctx.messages or not ctx.messages[ref][0]:
        problems.add(el.id, f"a receive task needs a named message (messageRef '{ref}')")
        return
    name, key = ctx.messages[ref]
    el.event = EventDefinition("message", name=name, correlation_key=key)


def _parse_gateway(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    el.default_flow = node.get("default")


def _parse_call_activity(
    node: etree._Element, el: Element, problems: _Problems, ctx: _Context
) -> None:
    called = _one_ext(node, "calledElement")
    if called is None or not called.get("processId"):
        problems.add(el.id, "a call activity needs 'zeebe:calledElement' with a 'processId'")
        return
    el.called_process_id = called.get("processId")
    el.propagate_all_child = called.get("propagateAllChildVariables", "true") != "false"
    el.propagate_all_parent = called.get("propagateAllParentVariables", "true") != "false"


def _nothing(node: etree._Element, el: Element, problems: _Problems, ctx: _Context) -> None:
    return None


# tag -> (kind, parser). Sub-processes are handled by the scope walker itself.
TAG_TABLE: dict[str, tuple[str, ElementParser]] = {
    _b("startEvent"): ("startEvent", _parse_start_event),
    _b("endEvent"): ("endEvent", _parse_end_event),
    _b("serviceTask"): ("serviceTask", _parse_job),
    _b("sendTask"): ("sendTask", _parse_job),
    _b("scriptTask"): ("scriptTask", _parse_script_task),
    _b("businessRuleTask"): ("businessRuleTask", _parse_business_rule_task),
    _b("userTask"): ("userTask", _parse_user_task),
    _b("task"): ("task", _nothing),
    _b("manualTask"): ("manualTask", _nothing),
    _b("intermediateCatchEvent"): ("intermediateCatchEvent", _parse_intermediate_catch),
    _b("intermediateThrowEvent"): ("intermediateThrowEvent", _parse_intermediate_throw),
    _b("boundaryEvent"): ("boundaryEvent", _parse_boundary),
    _b("receiveTask"): ("receiveTask", _parse_receive_task),
    _b("eventBasedGateway"): ("eventBasedGateway", _nothing),
    _b("exclusiveGateway"): ("exclusiveGateway", _parse_gateway),
    _b("parallelGateway"): ("parallelGateway", _parse_gateway),
    _b("inclusiveGateway"): ("inclusiveGateway", _parse_gateway),
    _b("callActivity"): ("callActivity", _parse_call_activity),
    _b("subProcess"): ("subProcess", _nothing),
}
# Tags that carry no behaviour and may appear anywhere inside a process.
IGNORED = {
    _b(t)
    for t in (
        "sequenceFlow",
        "extensionElements",
        "documentation",
        "laneSet",
        "textAnnotation",
        "association",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "group",
        "incoming",
        "outgoing",
        "ioSpecification",
        "property",
        "multiInstanceLoopCharacteristics",
        "standardLoopCharacteristics",
    )
}


def _parse_multi_instance(node: etree._Element, el: Element, problems: _Problems) -> None:
    loop = node.find(_b("multiInstanceLoopCharacteristics"))
    if loop is None:
        if node.find(_b("standardLoopCharacteristics")) is not None:
            problems.add(el.id, "standard loops are not supported by Zeebe; use multi-instance")
        return
    chars = _one_ext(loop, "loopCharacteristics")
    if chars is None or not chars.get("inputCollection"):
        problems.add(
            el.id, "a multi-instance activity needs zeebe:loopCharacteristics inputCollection"
        )
        return
    cond = loop.find(_b("completionCondition"))
    output_collection = chars.get("outputCollection")
    output_element = chars.get("outputElement")
    if bool(output_collection) != bool(output_element):
        problems.add(el.id, "outputCollection and outputElement must be set together")
    el.multi_instance = MultiInstance(
        sequential=loop.get("isSequential", "false") == "true",
        input_collection=chars.get("inputCollection"),
        input_element=chars.get("inputElement") or None,
        output_collection=output_collection or None,
        output_element=output_element or None,
        completion_condition=_always_feel(cond.text if cond is not None else None),
    )


def _always_feel(text: str | None) -> str | None:
    """Conditions are FEEL with or without the leading '=' Zeebe writes."""
    body = (text or "").strip().lstrip("=").strip()
    return f"={body}" if body else None


def _walk_scope(
    scope: etree._Element,
    scope_id: str,
    elements: dict[str, Element],
    flows: dict[str, SequenceFlow],
    problems: _Problems,
    ctx: _Context,
) -> None:
    for child in scope:
        if not isinstance(child.tag, str):
            continue
        if child.tag == _b("sequenceFlow"):
            fid = child.get("id") or ""
            cond_node = child.find(_b("conditionExpression"))
            condition = _always_feel(cond_node.text if cond_node is not None else None)
            flows[fid] = SequenceFlow(
                fid, child.get("sourceRef") or "", child.get("targetRef") or "", condition or None
            )
            continue
        if child.tag in IGNORED:
            continue
        entry = TAG_TABLE.get(child.tag)
        element_id = child.get("id")
        if entry is None:
            name = etree.QName(child).localname
            problems.add(element_id, f"the element type '{name}' is not supported")
            continue
        if not element_id:
            problems.add(None, f"a {etree.QName(child).localname} has no id")
            continue
        kind, parse = entry
        if element_id in elements:
            problems.add(element_id, "the id is used by more than one element")
            continue
        el = Element(id=element_id, kind=kind, name=child.get("name"), scope_id=scope_id)
        el.inputs = _mappings(child, "input", element_id, problems)
        el.outputs = _mappings(child, "output", element_id, problems)
        parse(child, el, problems, ctx)
        _parse_multi_instance(child, el, problems)
        elements[element_id] = el
        if kind == "subProcess":
            el.event_subprocess = child.get("triggeredByEvent") == "true"
            _walk_scope(child, element_id, elements, flows, problems, ctx)


def _check(definition: ProcessDefinition, problems: _Problems) -> None:
    elements, flows = definition.elements, definition.flows
    for flow in flows.values():
        if flow.source not in elements or flow.target not in elements:
            problems.add(flow.id, "sequence flow refers to an unknown source or target")
            continue
        elements[flow.source].outgoing.append(flow.id)
        elements[flow.target].incoming.append(flow.id)
    starts: dict[str, list[str]] = {}
    for el in elements.values():
        if el.kind == "startEvent":
            starts.setdefault(el.scope_id, []).append(el.id)
            if el.incoming:
                problems.add(el.id, "a start event must not have incoming sequence flows")
        if el.kind == "endEvent" and el.outgoing:
            problems.add(el.id, "an end event must not have outgoing sequence flows")
        if el.kind in ("exclusiveGateway", "inclusiveGateway"):
            _check_gateway(el, flows, problems)
        if el.kind == "parallelGateway" and el.default_flow:
            problems.add(el.id, "a parallel gateway cannot have a default flow")
        for fid in el.outgoing:
            if flows[fid].condition and el.kind not in ("exclusiveGateway", "inclusiveGateway"):
                problems.add(fid, "conditional sequence flows are only supported after gateways")
    root = definition.bpmn_process_id
    _check_events(definition, problems)
    _check_event_details(definition, problems)
    for scope_id in {root} | {e.id for e in elements.values() if e.kind == "subProcess"}:
        found = starts.get(scope_id, [])
        none_starts = [i for i in found if elements[i].event is None]
        event_starts = [i for i in found if elements[i].event is not None]
        if scope_id == root:
            if len(none_starts) > 1:
                problems.add(
                    None, f"must have at most one none start event, found {len(none_starts)}"
                )
            if not found:
                problems.add(None, "must have at least one start event")
            definition.start_event = none_starts[0] if none_starts else ""
            definition.event_starts = event_starts
            for i in event_starts:
                if elements[i].event.kind not in ("message", "timer", "signal"):  # type: ignore[union-attr]
                    problems.add(
                        i, "a process start event may be a none, message, timer or signal event"
                    )
        elif elements[scope_id].event_subprocess:
            if len(found) != 1 or none_starts:
                problems.add(
                    scope_id,
                    "an event sub-process must have exactly one start event with "
                    "an event definition",
                )
            else:
                elements[scope_id].start_event = found[0]
        else:
            if len(none_starts) != 1 or event_starts:
                problems.add(
                    scope_id, f"must have exactly one none start event, found {len(found)}"
                )
            else:
                elements[scope_id].start_event = none_starts[0]
    for el in elements.values():
        if el.kind == "inclusiveGateway" and len(el.incoming) > 1:
            definition.reaches[el.id] = _reaching(el.id, elements, flows)


def _check_events(definition: ProcessDefinition, problems: _Problems) -> None:
    elements, flows = definition.elements, definition.flows
    for el in elements.values():
        if el.kind == "boundaryEvent":
            host = elements.get(el.attached_to or "")
            if host is None or host.scope_id != el.scope_id:
                problems.add(
                    el.id, f"boundary event is attached to unknown activity '{el.attached_to}'"
                )
            else:
                host.boundaries.append(el.id)
            if el.incoming:
                problems.add(el.id, "a boundary event must not have incoming sequence flows")
        if el.kind == "subProcess" and el.event_subprocess:
            if el.incoming or el.outgoing:
                problems.add(el.id, "an event sub-process must not have sequence flows")
            if el.scope_id == definition.bpmn_process_id:
                definition.event_subprocesses.append(el.id)
            else:
                elements[el.scope_id].event_subprocesses.append(el.id)
        if el.kind == "eventBasedGateway":
            if len(el.outgoing) < 2:
                problems.add(el.id, "an event-based gateway needs at least two outgoing flows")
            for fid in el.outgoing:
                target = elements[flows[fid].target]
                ok = target.kind == "receiveTask" or (
                    target.kind == "intermediateCatchEvent" and target.event is not None
                )
                if not ok:
                    problems.add(
                        el.id,
                        f"an event-based gateway may only lead to catch events; "
                        f"'{target.id}' is a {target.kind}",
                    )
        if el.kind == "startEvent" and el.event is not None:
            scope = elements.get(el.scope_id)
            in_event_sub = scope is not None and scope.event_subprocess
            if el.event.kind in ("error", "escalation") and not in_event_sub:
                problems.add(
                    el.id, f"{el.event.kind} start events are only allowed in event sub-processes"
                )
            if (
                el.event.kind == "timer"
                and el.event.timer_type == "timeDuration"
                and not in_event_sub
            ):
                problems.add(el.id, "a timer start event needs a timeDate or timeCycle")
            if scope is not None and not in_event_sub:
                problems.add(el.id, "a start event inside a sub-process must be a none start event")


def _check_event_details(definition: ProcessDefinition, problems: _Problems) -> None:
    """Checks Zeebe makes at deploy: correlation keys, static timers, escalation hosts."""
    elements = definition.elements
    for el in elements.values():
        ev = el.event
        if ev is None:
            continue
        scope = elements.get(el.scope_id)
        process_start = el.kind == "startEvent" and scope is None
        catches = el.kind in (
            "intermediateCatchEvent",
            "receiveTask",
            "boundaryEvent",
            "startEvent",
        )
        if ev.kind == "message" and catches and not process_start and not ev.correlation_key:
            problems.add(
                el.id,
                "a message catch event needs a correlation key (zeebe:subscription "
                "correlationKey on the message)",
            )
        if ev.kind == "timer" and ev.timer and not ev.timer.strip().startswith("="):
            try:
                if ev.timer_type == "timeDuration":
                    parse_duration(ev.timer)
                elif ev.timer_type == "timeDate":
                    parse_date(ev.timer)
                else:
                    parse_cycle(ev.timer)
            except TimerError as exc:
                problems.add(el.id, f"invalid {ev.timer_type}: {exc}")
        if ev.kind in ("error", "escalation") and ev.code and ev.code.startswith("="):
            if el.kind not in ("endEvent", "intermediateThrowEvent"):
                problems.add(el.id, f"the {ev.kind} code of a catch event must be static")
        if el.kind == "boundaryEvent" and ev.kind == "escalation":
            host = elements.get(el.attached_to or "")
            if host is not None and host.kind not in ("subProcess", "callActivity"):
                problems.add(
                    el.id,
                    "an escalation boundary event can only be attached to a sub-process or "
                    "a call activity",
                )


def _check_gateway(el: Element, flows: dict[str, SequenceFlow], problems: _Problems) -> None:
    if el.default_flow and el.default_flow not in el.outgoing:
        problems.add(el.id, f"default flow '{el.default_flow}' is not an outgoing flow")
    elif el.default_flow and flows[el.default_flow].condition:
        problems.add(el.id, f"default flow '{el.default_flow}' must not have a condition")
    if len(el.outgoing) > 1:
        for fid in el.outgoing:
            if fid != el.default_flow and not flows[fid].condition:
                problems.add(
                    fid, f"outgoing flow of gateway '{el.id}' needs a condition or must be default"
                )


def _reaching(
    target: str, elements: dict[str, Element], flows: dict[str, SequenceFlow]
) -> frozenset:
    """Element ids from which `target` can be reached along sequence flows."""
    seen: set[str] = set()
    stack = [flows[f].source for f in elements[target].incoming]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(flows[f].source for f in elements[node].incoming)
    return frozenset(seen)


def parse_bpmn(resource_name: str, content: bytes) -> list[ProcessDefinition]:
    """Parse a BPMN resource into its executable processes, or raise BpmnError."""
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise BpmnError(f"resource '{resource_name}' is not well-formed XML: {exc}") from exc
    if root.tag != _b("definitions"):
        raise BpmnError(f"resource '{resource_name}': root element is not bpmn:definitions")
    result = []
    for process in root.findall(_b("process")):
        if process.get("isExecutable", "true") == "false":
            continue
        problems = _Problems(resource_name)
        pid = process.get("id") or ""
        if not pid:
            problems.add(None, "the process has no id")
        elements: dict[str, Element] = {}
        flows: dict[str, SequenceFlow] = {}
        _walk_scope(process, pid, elements, flows, problems, _Context(root))
        definition = ProcessDefinition(pid, process.get("name"), elements, flows, start_event="")
        problems.raise_if_any()
        _check(definition, problems)
        problems.raise_if_any()
        result.append(definition)
    if not result:
        raise BpmnError(f"resource '{resource_name}' contains no executable process")
    return result
