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
    Mapping,
    MultiInstance,
    ProcessDefinition,
    SequenceFlow,
)

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


ElementParser = Callable[[etree._Element, Element, _Problems], None]


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


def _parse_job(node: etree._Element, el: Element, problems: _Problems) -> None:
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


def _parse_headers(node: etree._Element, el: Element) -> None:
    for header in _ext(node, "header"):
        if header.get("key"):
            el.headers[header.get("key")] = header.get("value") or ""


def _parse_user_task(node: etree._Element, el: Element, problems: _Problems) -> None:
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
        el.form_key = form.get("formKey") or (
            f"camunda-forms:bpmn:{form.get('formId')}" if form.get("formId") else None
        )
    schedule = _one_ext(node, "taskSchedule")
    if schedule is not None:
        el.due_date = schedule.get("dueDate")
        el.follow_up_date = schedule.get("followUpDate")
    _parse_headers(node, el)


def _parse_end_event(node: etree._Element, el: Element, problems: _Problems) -> None:
    definitions = [c for c in node if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
    for d in definitions:
        if d.tag == _b("terminateEventDefinition"):
            el.terminate = True
        else:
            problems.add(el.id, f"end events with {etree.QName(d).localname} are not supported yet")


def _parse_start_event(node: etree._Element, el: Element, problems: _Problems) -> None:
    definitions = [c for c in node if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
    if definitions:
        kind = etree.QName(definitions[0]).localname
        problems.add(el.id, f"start events with {kind} are not supported yet")


def _parse_gateway(node: etree._Element, el: Element, problems: _Problems) -> None:
    el.default_flow = node.get("default")


def _parse_call_activity(node: etree._Element, el: Element, problems: _Problems) -> None:
    called = _one_ext(node, "calledElement")
    if called is None or not called.get("processId"):
        problems.add(el.id, "a call activity needs 'zeebe:calledElement' with a 'processId'")
        return
    el.called_process_id = called.get("processId")
    el.propagate_all_child = called.get("propagateAllChildVariables", "true") != "false"
    el.propagate_all_parent = called.get("propagateAllParentVariables", "true") != "false"


def _nothing(node: etree._Element, el: Element, problems: _Problems) -> None:
    return None


# tag -> (kind, parser). Sub-processes are handled by the scope walker itself.
TAG_TABLE: dict[str, tuple[str, ElementParser]] = {
    _b("startEvent"): ("startEvent", _parse_start_event),
    _b("endEvent"): ("endEvent", _parse_end_event),
    _b("serviceTask"): ("serviceTask", _parse_job),
    _b("sendTask"): ("sendTask", _parse_job),
    _b("scriptTask"): ("scriptTask", _parse_job),
    _b("businessRuleTask"): ("businessRuleTask", _parse_job),
    _b("userTask"): ("userTask", _parse_user_task),
    _b("task"): ("task", _nothing),
    _b("manualTask"): ("manualTask", _nothing),
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
        "sequenceFlow", "extensionElements", "documentation", "laneSet", "textAnnotation",
        "association", "dataObject", "dataObjectReference", "dataStoreReference", "group",
        "incoming", "outgoing", "ioSpecification", "property",
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
        problems.add(el.id, "a multi-instance activity needs zeebe:loopCharacteristics inputCollection")
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
        completion_condition=(cond.text or "").strip() or None if cond is not None else None,
    )


def _walk_scope(
    scope: etree._Element,
    scope_id: str,
    elements: dict[str, Element],
    flows: dict[str, SequenceFlow],
    problems: _Problems,
) -> None:
    for child in scope:
        if not isinstance(child.tag, str):
            continue
        if child.tag == _b("sequenceFlow"):
            fid = child.get("id") or ""
            cond_node = child.find(_b("conditionExpression"))
            condition = (cond_node.text or "").strip() if cond_node is not None else None
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
        if kind == "subProcess" and child.get("triggeredByEvent") == "true":
            problems.add(element_id, "event sub-processes are not supported yet")
            continue
        el = Element(id=element_id, kind=kind, name=child.get("name"), scope_id=scope_id)
        el.inputs = _mappings(child, "input", element_id, problems)
        el.outputs = _mappings(child, "output", element_id, problems)
        parse(child, el, problems)
        _parse_multi_instance(child, el, problems)
        elements[element_id] = el
        if kind == "subProcess":
            _walk_scope(child, element_id, elements, flows, problems)


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
    for scope_id in {root} | {e.id for e in elements.values() if e.kind == "subProcess"}:
        found = starts.get(scope_id, [])
        if len(found) != 1:
            problems.add(
                scope_id if scope_id != root else None,
                f"must have exactly one none start event, found {len(found)}",
            )
        elif scope_id == root:
            definition.start_event = found[0]
        else:
            elements[scope_id].start_event = found[0]
    for el in elements.values():
        if el.kind == "inclusiveGateway" and len(el.incoming) > 1:
            definition.reaches[el.id] = _reaching(el.id, elements, flows)


def _check_gateway(el: Element, flows: dict[str, SequenceFlow], problems: _Problems) -> None:
    if el.default_flow and el.default_flow not in el.outgoing:
        problems.add(el.id, f"default flow '{el.default_flow}' is not an outgoing flow")
    if len(el.outgoing) > 1 or el.kind == "inclusiveGateway":
        for fid in el.outgoing:
            if fid != el.default_flow and not flows[fid].condition:
                problems.add(
                    fid, f"outgoing flow of gateway '{el.id}' needs a condition or must be default"
                )


def _reaching(target: str, elements: dict[str, Element], flows: dict[str, SequenceFlow]) -> frozenset:
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
        _walk_scope(process, pid, elements, flows, problems)
        definition = ProcessDefinition(pid, process.get("name"), elements, flows, start_event="")
        problems.raise_if_any()
        _check(definition, problems)
        problems.raise_if_any()
        result.append(definition)
    if not result:
        raise BpmnError(f"resource '{resource_name}' contains no executable process")
    return result
