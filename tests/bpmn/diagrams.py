"""What the tests of bpmn/ need to know about the files there: paths and a small XML reader."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = BPMN_DIR / "forms"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "zeebe": ZEEBE_NS}

# The call activities of khcn-task, in the order of the 5-step procedure: step 1 runs before
# a task is bound to an edition; the other steps are named by the task's edition.
STEP_CALLS = [
    "khcn-task-list",
    "=stepProcesses.selection",
    "=stepProcesses.implementation",
    "=stepProcesses.acceptance",
    "=stepProcesses.registration",
]

# Element kinds that are flow nodes (have a shape in the diagram).
FLOW_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "userTask",
    "manualTask",
    "scriptTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
}


def bpmn_files() -> list[Path]:
    """Every diagram in bpmn/."""
    return sorted(BPMN_DIR.glob("*.bpmn"))


def dmn_files() -> list[Path]:
    """Every DMN decision file in bpmn/."""
    return sorted(BPMN_DIR.glob("*.dmn"))


def form_files() -> list[Path]:
    """Every Camunda form in bpmn/forms/."""
    return sorted(FORMS_DIR.glob("*.form"))


def all_resources() -> list[Path]:
    """Everything that is deployed together: diagrams, decisions and forms."""
    return bpmn_files() + dmn_files() + form_files()


@dataclass
class Diagram:
    """The parts of one .bpmn file the tests look at."""

    path: Path
    tree: etree._ElementTree
    process_ids: list[str] = field(default_factory=list)

    def elements(self, tag: str) -> list[etree._Element]:
        """Every bpmn:TAG element anywhere in the file."""
        return self.tree.findall(f".//{{{BPMN_NS}}}{tag}")

    def flow_nodes(self) -> list[etree._Element]:
        """Every flow node (events, activities, gateways, sub-processes)."""
        return [e for tag in sorted(FLOW_NODE_TAGS) for e in self.elements(tag)]

    def zeebe(self, tag: str) -> list[etree._Element]:
        """Every zeebe:TAG extension element."""
        return self.tree.findall(f".//{{{ZEEBE_NS}}}{tag}")


@cache
def diagram(path: Path) -> Diagram:
    """Parse a .bpmn file once."""
    tree = etree.parse(str(path))
    ids = [p.get("id") for p in tree.findall(f"{{{BPMN_NS}}}process")]
    return Diagram(path, tree, ids)


def diagrams() -> list[Diagram]:
    """Every diagram, parsed."""
    return [diagram(p) for p in bpmn_files()]


def job_types() -> set[str]:
    """The job types of every service, send and business-rule task (user tasks excluded)."""
    return {d.get("type") for dg in diagrams() for d in dg.zeebe("taskDefinition")}


def form_ids_used() -> set[str]:
    """The formIds the user tasks link to."""
    return {f.get("formId") for dg in diagrams() for f in dg.zeebe("formDefinition")}


def message_names() -> dict[str, str]:
    """Message name -> correlation key expression, over every diagram."""
    found: dict[str, str] = {}
    for dg in diagrams():
        for m in dg.elements("message"):
            sub = m.find(f".//{{{ZEEBE_NS}}}subscription")
            found[m.get("name")] = sub.get("correlationKey") if sub is not None else ""
    return found


def error_codes() -> set[str]:
    """Every BPMN error code declared by a diagram."""
    return {e.get("errorCode") for dg in diagrams() for e in dg.elements("error")}


def user_tasks() -> list[tuple[str, str, str]]:
    """(element id, candidate groups, form id) of every user task."""
    found = []
    for dg in diagrams():
        for task in dg.elements("userTask"):
            assignment = task.find(f".//{{{ZEEBE_NS}}}assignmentDefinition")
            form = task.find(f".//{{{ZEEBE_NS}}}formDefinition")
            found.append(
                (
                    task.get("id"),
                    assignment.get("candidateGroups") if assignment is not None else "",
                    form.get("formId") if form is not None else "",
                )
            )
    return found


def load_form(path: Path) -> dict:
    """A form's JSON document."""
    return json.loads(path.read_text(encoding="utf-8"))
