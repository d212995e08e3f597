"""The engine's live state: element instances, variables, jobs and incidents, in memory.

The database (engine/store.py) is the truth; this is its hot copy, rebuilt from it on start.
Only live things are kept: a finished element instance leaves the state, as in Zeebe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Zeebe shapes keys as (partition id << 51) + counter; we are partition 1.
PARTITION_BITS = 51
PARTITION_ID = 1


def make_key(counter: int) -> int:
    """A Zeebe-shaped 64-bit key of partition 1."""
    return (PARTITION_ID << PARTITION_BITS) + counter


@dataclass
class Deployed:
    """One deployed version of a process (kind 'process') or a form (kind 'form')."""

    key: int
    kind: str
    bpmn_process_id: str
    version: int
    resource_name: str
    checksum: str
    xml: bytes
    deployment_key: int


@dataclass
class ElementInstance:
    """A live element instance; the process instance itself is one too (kind 'process')."""

    key: int
    process_instance_key: int
    element_id: str
    kind: str
    parent_key: int | None
    state: str = "ACTIVE"
    # kind-specific runtime data (MI body counters, join tokens, child instance keys ...)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    """A job for a worker; user tasks are jobs of type io.camunda.zeebe:userTask."""

    key: int
    type: str
    process_instance_key: int
    element_instance_key: int
    element_id: str
    bpmn_process_id: str
    version: int
    process_definition_key: int
    retries: int
    headers: dict[str, str]
    state: str = "ACTIVATABLE"  # ACTIVATABLE | ACTIVATED | FAILED | BACKOFF | ERROR
    worker: str = ""
    deadline: int = 0  # ms since epoch while ACTIVATED
    backoff_until: int = 0  # ms since epoch while BACKOFF
    error_message: str = ""


@dataclass
class Incident:
    """An open incident: the instance waits until an operator resolves it."""

    key: int
    process_instance_key: int
    element_instance_key: int
    element_id: str
    error_type: str
    message: str
    job_key: int | None = None
    # what to retry on resolution: "job", "activate" or "complete"
    resume: str = "activate"


@dataclass
class Subscription:
    """An open wait for a message, timer or signal, owned by an element instance.

    Process-level start events (message, timer, signal) have no owner (key 0) and belong to
    the process definition instead.
    """

    key: int
    kind: str  # message | timer | signal
    element_id: str  # the catching element: catch event, boundary or start event
    owner_key: int  # the element instance that waits; 0 for process start events
    process_instance_key: int
    definition_key: int
    bpmn_process_id: str
    name: str = ""  # message or signal name
    correlation_key: str = ""
    interrupting: bool = True
    due: int = 0  # timers: next firing, ms since epoch
    cycle: str = ""  # timers: the remaining cycle, empty for one-shot timers
    repetitions: int = 0  # timers: remaining firings of a cycle; -1 forever


@dataclass
class Message:
    """A published message, buffered until its time to live ends."""

    key: int
    name: str
    correlation_key: str
    message_id: str
    variables: dict[str, Any]
    expires: int  # ms since epoch
    correlated: list[str] = field(default_factory=list)  # bpmn process ids it reached
