"""bpmn/ on the real engine: everything deploys in one call; the DMN tables at their edges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.editions import (
    DEFAULT_REGULATIONS,
    AcceptanceRules,
    SelectionRules,
    apply_overrides,
)
from models.rules import acceptance_verdict, selection_recommended
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


def selection_inputs(rules: SelectionRules) -> dict[str, Any]:
    """The thresholds the count feeds the table (workers/councils.py), from an edition."""
    return {
        "minAverage": rules.min_average,
        "zeroShareNumerator": rules.zero_share.numerator,
        "zeroShareDenominator": rules.zero_share.denominator,
    }


def acceptance_inputs(rules: AcceptanceRules) -> dict[str, Any]:
    """The shares the count feeds the table, from an edition."""
    return {
        "excellentShareNumerator": rules.excellent_share.numerator,
        "excellentShareDenominator": rules.excellent_share.denominator,
        "failShareNumerator": rules.fail_share.numerator,
        "failShareDenominator": rules.fail_share.denominator,
    }


async def recommended(zb, rules: SelectionRules, average: float, max_zero: int, present: int):
    reply = await evaluate(
        zb.stub,
        "selection-recommendation",
        variables={
            "averageScore": average,
            "maxZeroCount": max_zero,
            "membersPresent": present,
            **selection_inputs(rules),
        },
    )
    return json.loads(reply.decisionOutput)


@pytest.mark.parametrize("edition", ["2014", "2025"])
@pytest.mark.parametrize(
    ("average", "max_zero", "present", "expected"),
    [
        # TT 20/2023 Đ11.8a: the average reaches 70 ...
        (70, 0, 9, True),
        (69.99, 0, 9, False),
        # ... and no criterion got 0 from more than 1/4 of the members present
        (85, 2, 9, True),  # 2/9 ≤ 1/4
        (85, 3, 9, False),  # 3/9 > 1/4
        (85, 2, 8, True),  # exactly 1/4
        (85, 1, 7, True),
        (85, 2, 7, False),  # 2 > 7/4
    ],
)
async def test_selection_recommendation_edges(zb, edition, average, max_zero, present, expected):
    """The table fed an edition's thresholds answers as the article and as models/rules.py."""
    rules = DEFAULT_REGULATIONS.edition(edition).selection
    assert await recommended(zb, rules, average, max_zero, present) is expected
    assert selection_recommended(average, max_zero, present, rules) is expected


async def test_the_selection_table_follows_a_province_s_own_threshold(zb):
    """Nothing is written in the table: a province's minimum of 75 changes its answer."""
    regulations = apply_overrides(
        DEFAULT_REGULATIONS, {"all": {"selection": {"min_average": 75}}}, "test"
    )
    rules = regulations.edition("2025").selection
    assert await recommended(zb, rules, 74.99, 0, 9) is False
    assert await recommended(zb, rules, 75, 0, 9) is True


async def rating(zb, rules: AcceptanceRules, excellent: int, passed: int, failed: int, late=False):
    reply = await evaluate(
        zb.stub,
        "acceptance-rating",
        variables={
            "presentCount": excellent + passed + failed,
            "excellentCount": excellent,
            "passCount": passed,
            "failCount": failed,
            "dossierTooLate": late,
            **acceptance_inputs(rules),
        },
    )
    return json.loads(reply.decisionOutput)


@pytest.mark.parametrize("edition", ["2014", "2025"])
async def test_acceptance_rating_agrees_with_article_13_2_on_every_council(zb, edition):
    """Every way 0 or 7-9 members present can rate (TT 11/2014 Đ13.2), and a dossier more
    than six months late (Đ13.1c): the table and acceptance_verdict give the same rating."""
    rules = DEFAULT_REGULATIONS.edition(edition).acceptance
    labels = {"excellent": "Xuất sắc", "pass": "Đạt", "fail": "Không đạt"}
    cases = [(0, 0, 0, False), (9, 0, 0, True)] + [
        (e, p, n - e - p, False) for n in (7, 8, 9) for e in range(n + 1) for p in range(n + 1 - e)
    ]
    for excellent, passed, failed, late in cases:
        result = await rating(zb, rules, excellent, passed, failed, late)
        expected = acceptance_verdict(
            excellent=excellent,
            passed=passed,
            failed=failed,
            present=excellent + passed + failed,
            too_late=late,
            rules=rules,
        )
        assert result == {"rating": expected.value, "label": labels[expected.value]}, (
            excellent,
            passed,
            failed,
            late,
        )


@pytest.mark.parametrize(
    ("excellent", "passed", "failed", "expected"),
    [
        (6, 2, 0, "excellent"),  # exactly 3/4 Xuất sắc, nobody Không đạt (Đ13.2a)
        (5, 3, 0, "pass"),
        (8, 0, 1, "pass"),  # a single Không đạt rules Xuất sắc out
        (6, 0, 3, "pass"),  # exactly 1/3 Không đạt is not more than 1/3 (Đ13.2b)
        (5, 0, 4, "fail"),
    ],
)
async def test_acceptance_rating_edges(zb, excellent, passed, failed, expected):
    """The edges of TT 11/2014 Đ13.2 spelled out."""
    rules = DEFAULT_REGULATIONS.edition("2025").acceptance
    assert (await rating(zb, rules, excellent, passed, failed))["rating"] == expected
