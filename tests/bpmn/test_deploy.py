"""bpmn/ on the real engine: everything deploys in one call; the DMN tables at their edges."""

from __future__ import annotations

import json

import pytest

from tests.bpmn.diagrams import all_resources, bpmn_files, dmn_files, form_files
from tests.support.zeebe import connect, deploy
from tests.support.zeebe_events import evaluate


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        await deploy(conn.stub, *all_resources())
        yield conn


async def test_every_diagram_decision_and_form_deploys_in_one_call(zb):
    """One DeployResource with all of bpmn/ is accepted: every file is executable."""
    reply = await deploy(zb.stub, *all_resources())
    processes = {d.process.bpmnProcessId for d in reply.deployments if d.HasField("process")}
    decisions = {d.decision.dmnDecisionId for d in reply.deployments if d.HasField("decision")}
    forms = {d.form.formId for d in reply.deployments if d.HasField("form")}
    assert processes == {p.stem for p in bpmn_files()}
    assert decisions == {"selection-recommendation", "acceptance-rating"}
    assert forms == {p.stem for p in form_files()}
    assert len(dmn_files()) == 2


async def _recommended(zb, average, max_zero, scorers):
    reply = await evaluate(
        zb.stub,
        "selection-recommendation",
        variables={"averageScore": average, "maxZeroCount": max_zero, "scorerCount": scorers},
    )
    return json.loads(reply.decisionOutput)


@pytest.mark.parametrize(
    ("average", "max_zero", "scorers", "expected"),
    [
        (70, 0, 9, True),  # exactly 70 is enough
        (70.0, 0, 7, True),
        (69.99, 0, 9, False),  # just below
        (100, 3, 9, True),  # exactly 1/3 of members gave a 0: still recommended
        (100, 4, 9, False),  # more than 1/3
        (85, 2, 7, True),  # 2/7 < 1/3
        (85, 3, 7, False),  # 3/7 > 1/3
        (69, 0, 9, False),
    ],
)
async def test_selection_recommendation_edges(zb, average, max_zero, scorers, expected):
    """Average ≥ 70 and at most 1/3 zero scores on any criterion group → recommended."""
    assert await _recommended(zb, average, max_zero, scorers) is expected


@pytest.mark.parametrize(
    ("present", "excellent", "passed", "expected"),
    [
        (8, 6, 0, "excellent"),  # exactly 3/4 Xuất sắc
        (8, 5, 1, "pass"),  # 3/4 Đạt or better, but only 5/8 Xuất sắc
        (8, 0, 6, "pass"),  # exactly 3/4 Đạt
        (8, 0, 5, "fail"),  # 5/8 < 3/4
        (9, 7, 0, "excellent"),
        (9, 6, 0, "fail"),  # 6/9 < 3/4: three members rated Không đạt
        (7, 3, 3, "pass"),
        (0, 0, 0, "fail"),  # nobody present: never a pass
    ],
)
async def test_acceptance_rating_edges(zb, present, excellent, passed, expected):
    """≥ 3/4 Đạt or better → Đạt; and ≥ 3/4 Xuất sắc → Xuất sắc; else Không đạt (FIRST)."""
    reply = await evaluate(
        zb.stub,
        "acceptance-rating",
        variables={"presentCount": present, "excellentCount": excellent, "passCount": passed},
    )
    result = json.loads(reply.decisionOutput)
    assert result["rating"] == expected
    labels = {"excellent": "Xuất sắc", "pass": "Đạt", "fail": "Không đạt"}
    assert result["label"] == labels[expected]
