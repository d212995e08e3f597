"""Executable process definitions: what the parser produces and the runtime walks."""

from __future__ import annotations

from dataclasses import dataclass, field

# Element kinds whose activation creates a job for a worker.
JOB_KINDS = frozenset(
    {"serviceTask", "sendTask", "scriptTask", "businessRuleTask", "userTask", "messageThrow"}
)
# Kinds that own a flow scope of their own (children activated inside them).
CONTAINER_KINDS = frozenset({"subProcess"})
USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"


@dataclass(frozen=True)
class Mapping:
    """One zeebe:input or zeebe:output: a FEEL source (or static value) and a target path."""

    source: str
    target: str


@dataclass(frozen=True)
class MultiInstance:
    """zeebe:loopCharacteristics of a multi-instance activity."""

    sequential: bool
    input_collection: str
    input_element: str | None = None
    output_collection: str | None = None
    output_element: str | None = None
    completion_condition: str | None = None


@dataclass(frozen=True)
class EventDefinition:
    """What an event waits for or throws: message, timer, signal, error or escalation."""

    kind: str
    name: str | None = None  # message or signal name (may be FEEL)
    correlation_key: str | None = None  # FEEL, for messages of non-start events
    timer_type: str | None = None  # timeDate | timeDuration | timeCycle
    timer: str | None = None  # the timer expression (may be FEEL)
    code: str | None = None  # error / escalation code; None catches all
    code_variable: str | None = None  # zeebe errorCodeVariable / escalationCodeVariable
    message_variable: str | None = None  # zeebe errorMessageVariable


@dataclass
class SequenceFlow:
    """A sequence flow, with its condition expression when it has one."""

    id: str
    source: str
    target: str
    condition: str | None = None


@dataclass
class Element:
    """One flow node of a process, with the Zeebe extension data it needs at runtime."""

    id: str
    kind: str
    name: str | None = None
    scope_id: str = ""  # the process or sub-process that contains it
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    inputs: tuple[Mapping, ...] = ()
    outputs: tuple[Mapping, ...] = ()
    # jobs
    job_type: str | None = None
    job_retries: str = "3"
    headers: dict[str, str] = field(default_factory=dict)
    # user tasks (kept apart from headers: they may be FEEL and are evaluated per instance)
    assignee: str | None = None
    candidate_groups: str | None = None
    candidate_users: str | None = None
    form_key: str | None = None
    form_id: str | None = None  # a linked Camunda form, resolved to its deployed key
    due_date: str | None = None
    follow_up_date: str | None = None
    # FEEL script tasks (zeebe:script)
    script: str | None = None
    # business rule tasks calling a DMN decision
    called_decision: str | None = None
    result_variable: str | None = None
    # gateways
    default_flow: str | None = None
    # end events
    terminate: bool = False
    # sub-processes: the none start event inside
    start_event: str | None = None
    # call activities
    called_process_id: str | None = None
    propagate_all_child: bool = True
    propagate_all_parent: bool = True
    multi_instance: MultiInstance | None = None
    # events
    event: EventDefinition | None = None
    attached_to: str | None = None  # boundary events: the activity they sit on
    interrupting: bool = True  # boundary cancelActivity / event sub-process start isInterrupting
    boundaries: list[str] = field(default_factory=list)  # on activities: their boundary events
    event_subprocess: bool = False  # a sub-process triggeredByEvent
    event_subprocesses: list[str] = field(default_factory=list)  # on sub-processes


@dataclass
class ProcessDefinition:
    """One executable process of a deployed BPMN resource."""

    bpmn_process_id: str
    name: str | None
    elements: dict[str, Element]
    flows: dict[str, SequenceFlow]
    start_event: str
    # for each inclusive gateway that joins: the set of element ids that can reach it
    reaches: dict[str, frozenset[str]] = field(default_factory=dict)
    # event sub-processes directly inside the process
    event_subprocesses: list[str] = field(default_factory=list)
    # start events with a message, timer or signal definition at the process level
    event_starts: list[str] = field(default_factory=list)

    def element(self, element_id: str) -> Element:
        """The element with this id."""
        return self.elements[element_id]
