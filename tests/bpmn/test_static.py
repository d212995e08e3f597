"""Checks of bpmn/ that need no engine: DI, names, forms, the README contract and bpmnlint."""

from __future__ import annotations

import re
import subprocess

import pytest
from lxml import etree

from khcn.forms import render
from models.editions import DEFAULT_REGULATIONS, SCORING_SHEETS
from models.services.implementation import INSPECTION_RESULTS
from models.services.user_tasks import REGISTRY, ballot_fields
from tests.bpmn.diagrams import (
    BPMN_NS,
    BPMNDI_NS,
    ROOT,
    STEP_CALLS,
    ZEEBE_NS,
    bpmn_files,
    diagram,
    diagrams,
    error_codes,
    form_files,
    form_ids_used,
    job_types,
    load_form,
    message_names,
    user_tasks,
)

ROLES = {"staff", "leader", "council", "scientist"}
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"
README = ROOT / "bpmn" / "README.md"


def test_the_top_level_process_calls_one_process_per_step():
    """khcn-task calls the five steps in the order of the procedure; steps 2-5 by the process
    ids of the task's edition (Zeebe 8.5 always calls the latest version of an id)."""
    top = diagram(ROOT / "bpmn" / "khcn-task.bpmn")
    assert top.process_ids == ["khcn-task"]
    called = [c.get("processId") for c in top.zeebe("calledElement")]
    assert called == STEP_CALLS


def test_every_called_process_exists():
    """Every call activity names a process one of the diagrams defines; for each edition,
    every step process it names is defined too."""
    defined = {pid for d in diagrams() for pid in d.process_ids}
    for edition in DEFAULT_REGULATIONS.editions:
        for step, process_id in edition.processes.items():
            assert process_id in defined, (edition.id, step, process_id)
    for d in diagrams():
        for called in d.zeebe("calledElement"):
            process_id = called.get("processId")
            if process_id.startswith("=stepProcesses."):
                continue
            assert process_id in defined, (d.path.name, process_id)


def test_the_editions_differ_only_where_their_processes_do():
    """An edition whose step runs differently names its own process id (a fork), never a
    shared id: the implementation of 2014 inspects, that of 2025 evaluates each year."""
    e2014, e2025 = (DEFAULT_REGULATIONS.edition(e) for e in ("2014", "2025"))
    assert e2014.processes["implementation"] != e2025.processes["implementation"]
    forks = {
        p: {t.get("id") for t in diagram(ROOT / "bpmn" / f"{p}.bpmn").elements("userTask")}
        for p in (e2014.processes["implementation"], e2025.processes["implementation"])
    }
    assert "inspect" in forks["khcn-implementation-2014"]
    assert "evaluateYear" in forks["khcn-implementation-2025"]


def test_one_executable_process_per_file_named_after_it():
    """Each file holds one executable process whose id is the file name."""
    for d in diagrams():
        assert d.process_ids == [d.path.stem]
        (process,) = d.elements("process")
        assert process.get("isExecutable") == "true"


@pytest.mark.parametrize("path", bpmn_files(), ids=lambda p: p.name)
def test_every_flow_node_has_a_shape_and_every_flow_an_edge(path):
    """Full DI: a BPMNShape per flow node and a BPMNEdge with waypoints per sequence flow."""
    d = diagram(path)
    shapes = {s.get("bpmnElement"): s for s in d.tree.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in d.tree.iter(f"{{{BPMNDI_NS}}}BPMNEdge")}
    nodes = d.flow_nodes()
    assert nodes
    for node in nodes:
        shape = shapes.get(node.get("id"))
        assert shape is not None, f"{path.name}: no shape for {node.get('id')}"
        assert shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds") is not None
    for flow in d.elements("sequenceFlow"):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"{path.name}: no edge for {flow.get('id')}"
        assert len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2


@pytest.mark.parametrize("path", bpmn_files(), ids=lambda p: p.name)
def test_elements_have_vietnamese_names_and_english_ids(path):
    """Activities and events are named (Vietnamese); ids are ASCII identifiers."""
    for node in diagram(path).flow_nodes():
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", node.get("id")), node.get("id")
        tag = node.tag.split("}")[1]
        if not tag.endswith("Gateway"):
            assert (node.get("name") or "").strip(), f"{path.name}: {node.get('id')} unnamed"


def test_user_tasks_are_job_worker_tasks_with_a_role_and_a_form():
    """Every user task has a candidate group among the roles and a linked form."""
    tasks = user_tasks()
    assert tasks
    for element_id, groups, form_id in tasks:
        assert groups in ROLES, (element_id, groups)
        assert form_id, element_id
    for d in diagrams():
        assert not d.zeebe("userTask"), f"{d.path.name} uses Camunda user tasks"


def test_forms_are_valid_and_match_the_form_ids_of_the_diagrams():
    """Each form is Camunda Forms JSON named by its id, and diagrams link exactly these ids."""
    ids = set()
    for path in form_files():
        form = load_form(path)
        assert form["id"] == path.stem
        assert form["type"] == "default"
        assert isinstance(form["schemaVersion"], int)
        keys = [c["key"] for c in form["components"] if "key" in c]
        assert keys, path.name
        assert len(keys) == len(set(keys)), path.name
        component_ids = [c["id"] for c in form["components"]]
        assert len(component_ids) == len(set(component_ids)), path.name
        for c in form["components"]:
            if "key" in c:
                assert (c.get("label") or c.get("dateLabel") or "").strip(), (path.name, c["key"])
        ids.add(form["id"])
    assert ids == form_ids_used()


def components(form_id: str) -> dict[str, dict]:
    """The keyed components of a form."""
    form = load_form(ROOT / "bpmn" / "forms" / f"{form_id}.form")
    return {c["key"]: c for c in form["components"] if "key" in c}


def test_the_selection_ballot_is_generated_from_the_scoring_sheets():
    """One group of fields per sheet of TT 20/2023 Đ12, bounded by the criterion's maximum,
    required, shown only for the task's sheet; the committed file is the generator's output."""
    ballot = components("khcn-selection-ballot")
    for sheet in SCORING_SHEETS.values():
        fields = {k: c for k, c in ballot.items() if k in ballot_fields(sheet.id)}
        assert sum(c["validate"]["max"] for c in fields.values()) == sheet.max_total == 100
        for c in fields.values():
            assert c["validate"]["min"] == 0 and c["validate"]["required"] is True
            assert c["conditional"]["hide"] == f'=scoringSheet != "{sheet.id}"'
    path = ROOT / "bpmn" / "forms" / "khcn-selection-ballot.form"
    assert path.read_text(encoding="utf-8") == render(), "run: python -m khcn.forms"


def test_forms_validate_what_they_collect():
    """Decisions are required and offer only the answers the services take."""
    rating = components("khcn-acceptance-ballot")["rating"]
    assert {v["value"] for v in rating["values"]} == {"excellent", "pass", "fail"}
    assert rating["validate"]["required"] is True
    vote = components("khcn-advisory-ballot")["vote"]
    assert {v["value"] for v in vote["values"]} == {"approve", "reject"}
    assert vote["validate"]["required"] is True
    screening = components("khcn-screen-proposal")["screeningResult"]
    assert {v["value"] for v in screening["values"]} == {"passed", "revise", "rejected"}
    inspection = components("khcn-inspection")["inspectionResult"]
    assert {v["value"] for v in inspection["values"]} == set(INSPECTION_RESULTS)
    for form_id, key in [
        ("khcn-council-confirm", "decisionNumber"),
        ("khcn-council-confirm", "meetingAt"),
        ("khcn-approve-list", "listDecisionNumber"),
        ("khcn-approve-selection", "selectionDecisionNumber"),
        ("khcn-acceptance-decision", "acceptanceDecisionNumber"),
    ]:
        assert components(form_id)[key]["validate"]["required"] is True, (form_id, key)
    budget = components("khcn-budget-appraisal")["approvedBudget"]
    assert budget["validate"]["min"] >= 0 and budget["validate"]["required"] is True


def test_every_user_task_form_has_one_model_service():
    """The inbox runs one model service per form (models/services/user_tasks.py)."""
    assert form_ids_used() == set(REGISTRY)


def test_the_readme_documents_the_whole_contract():
    """bpmn/README.md names every job type, message, error code, form id and role used."""
    text = README.read_text(encoding="utf-8")
    for job_type in job_types():
        assert f"`{job_type}`" in text, job_type
    for name, key in message_names().items():
        assert f"`{name}`" in text, name
        assert key == "=taskCode", name
    for code in error_codes():
        assert f"`{code}`" in text, code
    for element_id, _groups, form_id in user_tasks():
        assert f"`{form_id}`" in text, form_id
        assert f"`{element_id}`" in text, element_id
    for entry in REGISTRY.values():
        assert f"`{entry.service}`" in text, (entry.form_id, entry.service)


def test_job_types_follow_the_naming_convention():
    """Job types read khcn.<feature>.<action>, constants-friendly."""
    for job_type in job_types():
        assert re.fullmatch(r"khcn\.[a-z]+\.[a-z]+(-[a-z]+)*", job_type), job_type


def test_business_rule_tasks_call_the_decisions_of_bpmn():
    """Business rule tasks call the DMN decisions shipped next to the diagrams."""
    called = {c.get("decisionId") for d in diagrams() for c in d.zeebe("calledDecision")}
    assert called == {"selection-recommendation", "acceptance-rating"}


def test_boundary_timers_on_legal_deadlines_use_computed_dates():
    """The acceptance and registration deadlines are dates computed by a worker."""
    dates = {}
    for d in diagrams():
        for event in d.elements("boundaryEvent"):
            td = event.find(f".//{{{BPMN_NS}}}timeDate")
            if td is not None:
                dates[event.get("id")] = (td.text, event.get("cancelActivity", "true"))
    assert dates == {
        # TT 11/2014 Đ9.1: the council within 15 working days (the leaders are reminded)
        "timerCouncilSetup": ("=councilSetupDueAt", "false"),
        # reviews one working day before the meeting (late members are reminded) ...
        "timerReviewsDue": ("=reviewsDueAt", "false"),
        # ... and the meeting starts at its hour whoever has not written one
        "timerMeetingStarts": ("=meetingAt", "true"),
        # ballots are cast at the meeting: one not cast by the end of its day is not counted
        "timerBallotsClose": ("=ballotsCloseAt", "true"),
        # TT 20/2023 Đ17.2: an unsigned contract cancels the result
        "timerSignatureDue": ("=signatureDueAt", "true"),
    }
    cycles = {
        e.get("id"): (e.find(f".//{{{BPMN_NS}}}timeCycle").text, e.get("cancelActivity"))
        for d in diagrams()
        for e in d.elements("boundaryEvent")
        if e.find(f".//{{{BPMN_NS}}}timeCycle") is not None
    }
    assert cycles == {
        "timerProgressReport": ("=reportCycle", "false"),
        "timerYearlyReview": ("=reviewCycle", "false"),
        "timerSignReminder": ("=reminderCycle", "false"),
    }


def test_every_wait_for_someone_outside_has_a_deadline():
    """A process never waits for a host or an applicant without a timer beside the message:
    each message catch follows an event-based gateway that also has a timer."""
    for d in diagrams():
        catches = {e.get("id"): e for e in d.elements("intermediateCatchEvent")}
        gateways = {g.get("id") for g in d.elements("eventBasedGateway")}
        targets: dict[str, list[str]] = {}
        for flow in d.elements("sequenceFlow"):
            targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        for gateway in gateways:
            kinds = {
                child.tag.split("}")[1]
                for target in targets[gateway]
                for child in catches[target]
                if child.tag.endswith("EventDefinition")
            }
            assert kinds == {"messageEventDefinition", "timerEventDefinition"}, (
                d.path.name,
                gateway,
            )
        for catch_id, catch in catches.items():
            if catch.find(f"{{{BPMN_NS}}}messageEventDefinition") is None:
                continue
            sources = [s for s, t in targets.items() if catch_id in t]
            assert sources and all(s in gateways for s in sources), (d.path.name, catch_id)


def test_zeebe_extensions_use_the_zeebe_namespace():
    """Every extension element is in Zeebe's namespace (no Camunda 7 leftovers)."""
    for d in diagrams():
        for ext in d.elements("extensionElements"):
            for child in ext:
                assert child.tag.startswith(f"{{{ZEEBE_NS}}}"), (d.path.name, child.tag)


def test_bpmnlint_passes_with_the_camunda_8_5_rules():
    """`bpmnlint` (recommended + camunda-compat camunda-cloud-8-5) reports nothing."""
    assert BPMNLINT.exists(), "node_modules/.bin/bpmnlint is missing: run `make install`"
    result = subprocess.run(
        [str(BPMNLINT), *[str(p.relative_to(ROOT)) for p in bpmn_files()]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stdout, result.stdout
    rc = (ROOT / ".bpmnlintrc").read_text()
    assert "plugin:camunda-compat/camunda-cloud-8-5" in rc


def _centre(shape) -> tuple[float, float]:
    b = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
    x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
    return x + w / 2, y + h / 2


@pytest.mark.parametrize("path", bpmn_files(), ids=lambda p: p.name)
def test_diagrams_read_left_to_right(path):
    """Flows go rightwards; only a loop goes back, and it goes back into a merging gateway."""
    d = diagram(path)
    shapes = {s.get("bpmnElement"): s for s in d.tree.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    nodes = {n.get("id"): n for n in d.flow_nodes()}
    incoming: dict[str, int] = {}
    for flow in d.elements("sequenceFlow"):
        incoming[flow.get("targetRef")] = incoming.get(flow.get("targetRef"), 0) + 1
    for flow in d.elements("sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if _centre(shapes[target])[0] >= _centre(shapes[source])[0]:
            continue
        assert nodes[target].tag == f"{{{BPMN_NS}}}exclusiveGateway", flow.get("id")
        assert incoming[target] >= 2, flow.get("id")


@pytest.mark.parametrize("name", ["selection-recommendation", "acceptance-rating"])
def test_decision_tables_use_hit_policy_first_with_a_catch_all_last_rule(name):
    """FIRST with a last rule of '-' entries: every input gets exactly one answer."""
    dmn_ns = "https://www.omg.org/spec/DMN/20191111/MODEL/"
    tree = etree.parse(str(ROOT / "bpmn" / f"{name}.dmn"))
    (decision,) = tree.findall(f"{{{dmn_ns}}}decision")
    assert decision.get("id") == name
    table = decision.find(f"{{{dmn_ns}}}decisionTable")
    assert table.get("hitPolicy") == "FIRST"
    last = table.findall(f"{{{dmn_ns}}}rule")[-1]
    assert {e.findtext(f"{{{dmn_ns}}}text") for e in last.findall(f"{{{dmn_ns}}}inputEntry")} == {
        "-"
    }
