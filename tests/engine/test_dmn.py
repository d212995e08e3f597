"""DMN decisions, end to end (Camunda 8.5 docs, "DMN decision table", "Hit policy",
"Decision literal expression", "Decision requirements graph", "Business rule tasks"):

- DeployResource takes .dmn resources: the decision requirements graph and every decision in
  it get a key and a version (a changed resource makes a new version);
- EvaluateDecision evaluates the latest version by id, or one by key; the reply lists every
  evaluated decision (required ones first) with its inputs and matched rules; a failed
  evaluation is a normal reply with failedDecisionId and failureMessage;
- a decision table's output is the single output's value, or a context of its outputs; the
  hit policies: UNIQUE (more than one match fails), FIRST, PRIORITY (output values order),
  ANY (different outputs fail), COLLECT (a list, or SUM / COUNT / MIN / MAX), RULE ORDER,
  OUTPUT ORDER; input entries are FEEL unary tests ('-' matches anything);
- a required decision's result is visible to the requiring decision by the required
  decision's id;
- a business rule task with zeebe:calledDecision evaluates the decision against the visible
  variables and stores the result in its resultVariable; an unknown decision or a failed
  evaluation is an incident;
- a DMN that cannot be executed is refused with INVALID_ARGUMENT naming decision and rule.
"""

from __future__ import annotations

import json

import grpc
import pytest
from pyzeebe.errors import DecisionNotFoundError

from tests.support.zeebe import (
    FIXTURES,
    activate_one,
    await_instance_state,
    connect,
    create_instance,
    deploy,
    resolve_incident,
    rpc_error,
    unique_id,
)
from tests.support.zeebe_events import (
    EventProcess,
    business_rule_task,
    decision_table,
    dmn_resource,
    evaluate,
    literal_decision,
    unique_decision_id,
)
from tests.support.zeebe_more import await_incidents, service_task


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


async def deploy_table(zb, *decisions: str) -> str:
    """Deploy decisions in one DRG under a unique id; returns the DRG id."""
    drg = unique_decision_id("drg")
    await deploy(zb.stub, dmn_resource(drg, *decisions))
    return drg


async def output_of(zb, decision_id: str, **variables) -> object:
    """Evaluate by id; the parsed output (fails the test on a failed evaluation)."""
    reply = await evaluate(zb.stub, decision_id, variables=variables)
    assert reply.failedDecisionId == "", reply.failureMessage
    return json.loads(reply.decisionOutput)


GRADES = [(["< 50"], ['"low"']), (["[50..80)"], ['"mid"']), ([">= 80"], ['"high"'])]


# --------------------------------------------------------------------------- deployment


async def test_pyzeebe_deploys_a_dmn_file_with_its_decisions(zb):
    reply = await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))

    kinds = {type(d).__name__: d for d in reply.deployments}
    drg = kinds["DecisionRequirementsMetadata"]
    assert drg.dmn_decision_requirements_id == "evt_rating_drg"
    assert drg.resource_name == "evt_rating.dmn"
    decisions = {
        d.dmn_decision_id: d for d in reply.deployments if type(d).__name__ == "DecisionMetadata"
    }
    assert set(decisions) == {"evt_rating", "evt_rating_notice"}
    rating = decisions["evt_rating"]
    assert rating.dmn_decision_name == "Acceptance rating"
    assert rating.version >= 1
    assert rating.decision_requirements_key == drg.decision_requirements_key


async def test_redeploying_a_changed_dmn_makes_a_new_version(zb):
    did = unique_decision_id("grade")
    drg = unique_decision_id("drg")
    await deploy(zb.stub, dmn_resource(drg, decision_table(did, ["x"], ["g"], GRADES)))
    changed = [(["< 60"], ['"low"']), ([">= 60"], ['"high"'])]
    second = await deploy(zb.stub, dmn_resource(drg, decision_table(did, ["x"], ["g"], changed)))

    versions = [d.decision.version for d in second.deployments if d.HasField("decision")]
    assert versions == [2]
    reply = await evaluate(zb.stub, did, variables={"x": 55})
    assert reply.decisionVersion == 2
    assert json.loads(reply.decisionOutput) == "low"


# --------------------------------------------------------------------------- EvaluateDecision


async def test_pyzeebe_evaluates_a_decision_by_id(zb):
    await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))

    reply = await zb.client.evaluate_decision(None, "evt_rating", {"score": 72.5})

    assert reply.decision_id == "evt_rating"
    assert reply.decision_output == "Đạt"
    assert reply.failed_decision_id == ""
    [step] = reply.evaluated_decisions
    assert step.decision_id == "evt_rating"
    assert step.decision_type == "DECISION_TABLE"
    [rule] = step.matched_rules
    assert rule.rule_id == "evt_rating_pass"
    assert rule.rule_index == 2


async def test_evaluate_a_decision_by_key_over_the_raw_protocol(zb):
    deployed = await deploy(zb.stub, ("evt_rating.dmn", (FIXTURES / "evt_rating.dmn").read_bytes()))
    key = next(
        d.decision.decisionKey
        for d in deployed.deployments
        if d.HasField("decision") and d.decision.dmnDecisionId == "evt_rating"
    )

    reply = await evaluate(zb.stub, decision_key=key, variables={"score": 91})

    assert reply.decisionKey == key
    assert reply.decisionId == "evt_rating"
    assert reply.decisionName == "Acceptance rating"
    assert reply.decisionRequirementsId == "evt_rating_drg"
    assert json.loads(reply.decisionOutput) == "Xuất sắc"
    [step] = reply.evaluatedDecisions
    assert [json.loads(i.inputValue) for i in step.evaluatedInputs] == [91]
    [rule] = step.matchedRules
    assert rule.ruleId == "evt_rating_excellent"
    assert [(o.outputName, json.loads(o.outputValue)) for o in rule.evaluatedOutputs] == [
        ("rating", "Xuất sắc")
    ]


async def test_evaluated_inputs_and_outputs_carry_the_dmn_ids_and_names(zb):
    """Zeebe fills inputId / outputId with the DMN element ids, inputName with the input's
    label and outputName with the output's name."""
    await deploy(zb.stub, ("evt_rating.dmn", (FIXTURES / "evt_rating.dmn").read_bytes()))

    reply = await evaluate(zb.stub, "evt_rating", variables={"score": 91})

    [step] = reply.evaluatedDecisions
    [given] = step.evaluatedInputs
    assert (given.inputId, given.inputName) == ("evt_rating_in_score", "Average score")
    [out] = step.matchedRules[0].evaluatedOutputs
    assert (out.outputId, out.outputName) == ("evt_rating_out", "rating")


async def test_required_decision_result_is_visible_by_its_id(zb):
    await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))

    reply = await zb.client.evaluate_decision(
        None, "evt_rating_notice", {"score": 40, "code": "ĐT-01"}
    )

    assert reply.decision_output == "Task ĐT-01: Không đạt"
    assert [d.decision_id for d in reply.evaluated_decisions] == ["evt_rating", "evt_rating_notice"]
    assert reply.evaluated_decisions[1].decision_type == "LITERAL_EXPRESSION"


async def test_unknown_decision_is_not_found(zb):
    missing = unique_decision_id("missing")

    with pytest.raises(DecisionNotFoundError):
        await zb.client.evaluate_decision(None, missing, {})
    err = await rpc_error(evaluate(zb.stub, missing))
    assert err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
    assert missing in err.details()


async def test_failed_evaluation_is_reported_in_the_reply(zb):
    did = unique_decision_id("overlap")
    rules = [([">= 0"], ['"a"']), ([">= 10"], ['"b"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["out"], rules))

    reply = await evaluate(zb.stub, did, variables={"x": 20})

    assert reply.failedDecisionId == did
    assert did in reply.failureMessage
    assert reply.decisionId == did
    # Zeebe writes a nil output for a failed evaluation
    assert reply.decisionOutput == "null"


async def test_pyzeebe_sees_a_failed_evaluation(zb):
    did = unique_decision_id("overlap")
    rules = [([">= 0"], ['"a"']), ([">= 10"], ['"b"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["out"], rules))

    reply = await zb.client.evaluate_decision(None, did, {"x": 20})

    assert reply.failed_decision_id == did
    assert reply.failure_message
    assert reply.decision_output is None


async def test_evaluate_with_bad_variables_is_invalid_argument(zb):
    await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))
    from pyzeebe.proto import gateway_pb2 as pb

    err = await rpc_error(
        zb.stub.EvaluateDecision(
            pb.EvaluateDecisionRequest(decisionId="evt_rating", variables="[1]"), timeout=10
        )
    )

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


# pyzeebe's own evaluate-decision scenarios, on a Modeler-style DMN with DI


@pytest.mark.parametrize(("given", "expected"), [("1", "One"), ("2", {"foo": "bar"}), ("3", 3)])
async def test_pyzeebe_evaluate_decision_by_id(zb, given, expected):
    await zb.client.deploy_resource(str(FIXTURES / "evt_pyzeebe.dmn"))

    reply = await zb.client.evaluate_decision(None, "evt_pyzeebe", {"input": given})

    assert reply.decision_output == expected
    assert reply.evaluated_decisions[0].decision_output == expected
    assert reply.evaluated_decisions[0].matched_rules[0].evaluated_outputs[0].output_value == (
        expected
    )


async def test_pyzeebe_evaluate_decision_by_key(zb):
    deployed = await zb.client.deploy_resource(str(FIXTURES / "evt_pyzeebe.dmn"))
    key = next(
        d.decision_key for d in deployed.deployments if type(d).__name__ == "DecisionMetadata"
    )

    reply = await zb.client.evaluate_decision(key, None, {"input": "1"})

    assert reply.decision_output == "One"
    assert reply.decision_key == key


async def test_pyzeebe_evaluate_a_decision_that_does_not_exist(zb):
    with pytest.raises(DecisionNotFoundError):
        await zb.client.evaluate_decision(1, unique_id("nowhere"))


# --------------------------------------------------------------------------- hit policies


async def test_unique_gives_the_one_matching_rule(zb):
    did = unique_decision_id("unique")
    await deploy_table(zb, decision_table(did, ["x"], ["g"], GRADES))

    assert await output_of(zb, did, x=10) == "low"
    assert await output_of(zb, did, x=50) == "mid"
    assert await output_of(zb, did, x=80) == "high"


async def test_no_matching_rule_gives_null(zb):
    did = unique_decision_id("nomatch")
    await deploy_table(zb, decision_table(did, ["x"], ["g"], [(["> 100"], ['"huge"'])]))

    assert await output_of(zb, did, x=5) is None


async def test_first_gives_the_first_matching_rule(zb):
    did = unique_decision_id("first")
    rules = [([">= 10"], ['"ten"']), ([">= 0"], ['"zero"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["g"], rules, hit_policy="FIRST"))

    assert await output_of(zb, did, x=20) == "ten"
    assert await output_of(zb, did, x=5) == "zero"


async def test_priority_gives_the_match_whose_output_comes_first_in_the_output_values(zb):
    did = unique_decision_id("priority")
    rules = [([">= 0"], ['"low"']), ([">= 10"], ['"high"']), ([">= 5"], ['"medium"'])]
    await deploy_table(
        zb,
        decision_table(
            did,
            ["x"],
            ["level"],
            rules,
            hit_policy="PRIORITY",
            output_values={"level": ['"high"', '"medium"', '"low"']},
        ),
    )

    assert await output_of(zb, did, x=20) == "high"
    assert await output_of(zb, did, x=7) == "medium"
    assert await output_of(zb, did, x=1) == "low"


async def test_any_with_equal_outputs_gives_that_output(zb):
    did = unique_decision_id("any")
    rules = [([">= 0"], ['"ok"']), ([">= 10"], ['"ok"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["g"], rules, hit_policy="ANY"))

    assert await output_of(zb, did, x=20) == "ok"


async def test_any_with_different_outputs_fails(zb):
    did = unique_decision_id("anybad")
    rules = [([">= 0"], ['"ok"']), ([">= 10"], ['"other"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["g"], rules, hit_policy="ANY"))

    reply = await evaluate(zb.stub, did, variables={"x": 20})

    assert reply.failedDecisionId == did
    assert reply.failureMessage


async def test_collect_gives_every_matching_output(zb):
    did = unique_decision_id("collect")
    rules = [([">= 0"], ['"a"']), (["< 0"], ['"b"']), ([">= 10"], ['"c"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["g"], rules, hit_policy="COLLECT"))

    assert sorted(await output_of(zb, did, x=20)) == ["a", "c"]
    assert await output_of(zb, did, x=-1) == ["b"]
    assert await output_of(zb, did, x=None) == []


@pytest.mark.parametrize(
    ("aggregation", "expected"), [("SUM", 60), ("COUNT", 3), ("MIN", 10), ("MAX", 30)]
)
async def test_collect_with_an_aggregation(zb, aggregation, expected):
    did = unique_decision_id(aggregation.lower())
    rules = [([">= 0"], ["10"]), ([">= 1"], ["20"]), ([">= 2"], ["30"]), (["< 0"], ["99"])]
    await deploy_table(
        zb,
        decision_table(
            did, ["x"], ["points"], rules, hit_policy="COLLECT", aggregation=aggregation
        ),
    )

    assert await output_of(zb, did, x=5) == expected


async def test_collect_count_of_no_match_is_zero(zb):
    did = unique_decision_id("count0")
    await deploy_table(
        zb,
        decision_table(
            did, ["x"], ["p"], [(["> 100"], ["1"])], hit_policy="COLLECT", aggregation="COUNT"
        ),
    )

    assert await output_of(zb, did, x=1) == 0


async def test_rule_order_lists_the_matches_in_rule_order(zb):
    did = unique_decision_id("ruleorder")
    rules = [([">= 10"], ['"c"']), ([">= 0"], ['"a"']), ([">= 5"], ['"b"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["g"], rules, hit_policy="RULE ORDER"))

    assert await output_of(zb, did, x=20) == ["c", "a", "b"]


async def test_output_order_lists_the_matches_by_output_value_priority(zb):
    did = unique_decision_id("outputorder")
    rules = [([">= 0"], ['"low"']), ([">= 10"], ['"high"']), ([">= 5"], ['"medium"'])]
    await deploy_table(
        zb,
        decision_table(
            did,
            ["x"],
            ["level"],
            rules,
            hit_policy="OUTPUT ORDER",
            output_values={"level": ['"high"', '"medium"', '"low"']},
        ),
    )

    assert await output_of(zb, did, x=20) == ["high", "medium", "low"]


async def test_several_outputs_give_a_context(zb):
    did = unique_decision_id("multi")
    rules = [([">= 70", "true"], ['"Đạt"', "true"]), (["-", "-"], ['"Không đạt"', "false"])]
    await deploy_table(
        zb,
        decision_table(
            did, ["score", "complete"], ["rating", "accepted"], rules, hit_policy="FIRST"
        ),
    )

    assert await output_of(zb, did, score=75, complete=True) == {"rating": "Đạt", "accepted": True}
    assert await output_of(zb, did, score=75, complete=False) == {
        "rating": "Không đạt",
        "accepted": False,
    }


async def test_unary_tests_lists_negation_and_any(zb):
    did = unique_decision_id("unary")
    rules = [
        (['"A","B"', "-"], ['"ab"']),
        (['not("C")', "[1..3]"], ['"other-small"']),
        (["-", "-"], ['"rest"']),
    ]
    await deploy_table(zb, decision_table(did, ["kind", "n"], ["g"], rules, hit_policy="FIRST"))

    assert await output_of(zb, did, kind="B", n=99) == "ab"
    assert await output_of(zb, did, kind="D", n=2) == "other-small"
    assert await output_of(zb, did, kind="C", n=2) == "rest"


async def test_output_entries_are_feel_expressions_over_the_inputs(zb):
    did = unique_decision_id("expr")
    await deploy_table(
        zb, decision_table(did, ["budget"], ["tranche"], [(["> 0"], ["budget * 0.3"])])
    )

    assert await output_of(zb, did, budget=1000) == 300


async def test_literal_expression_decision(zb):
    did = unique_decision_id("lit")
    await deploy_table(zb, literal_decision(did, "sum(for s in scores return s) / count(scores)"))

    assert await output_of(zb, did, scores=[70, 80, 90]) == 80


async def test_collect_with_several_outputs_gives_a_list_of_contexts(zb):
    did = unique_decision_id("collect2")
    rules = [([">= 0"], ['"a"', "1"]), ([">= 10"], ['"b"', "2"])]
    await deploy_table(
        zb, decision_table(did, ["x"], ["name", "n"], rules, hit_policy="RULE ORDER")
    )

    assert await output_of(zb, did, x=20) == [{"name": "a", "n": 1}, {"name": "b", "n": 2}]


async def test_input_expressions_read_nested_variables(zb):
    did = unique_decision_id("nested")
    rules = [([">= 18"], ["true"]), (["< 18"], ["false"])]
    await deploy_table(zb, decision_table(did, ["applicant.age"], ["adult"], rules))

    assert await output_of(zb, did, applicant={"age": 30}) is True
    assert await output_of(zb, did, applicant={"age": 3}) is False


async def test_redeploying_the_same_dmn_keeps_its_version(zb):
    did = unique_decision_id("same")
    resource = dmn_resource(unique_decision_id("drg"), decision_table(did, ["x"], ["g"], GRADES))
    first = await deploy(zb.stub, resource)
    second = await deploy(zb.stub, resource)

    def keys(reply):
        return [
            (d.decision.decisionKey, d.decision.version)
            for d in reply.deployments
            if d.HasField("decision")
        ]

    assert keys(first) == keys(second)
    assert keys(first)[0][1] == 1


# --------------------------------------------------------------------------- bad DMN


async def test_bad_rule_is_refused_naming_the_decision_and_the_rule(zb):
    did = unique_decision_id("broken")
    rules = [([">= 0"], ['"ok"']), (["[1.."], ['"bad"'])]

    err = await rpc_error(deploy_table(zb, decision_table(did, ["x"], ["g"], rules)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert did in err.details()
    assert "rule_2" in err.details()


async def test_unary_test_that_feel_cannot_parse_is_refused_at_deploy(zb):
    """'>= = 5' is no FEEL unary test; Zeebe (dmn-scala) parses every entry at deployment."""
    did = unique_decision_id("broken")
    rules = [([">= 0"], ['"ok"']), ([">= = 5"], ['"bad"'])]

    err = await rpc_error(deploy_table(zb, decision_table(did, ["x"], ["g"], rules)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert did in err.details()
    assert "rule_2" in err.details()


async def test_rule_with_a_missing_input_entry_is_refused(zb):
    did = unique_decision_id("short")
    rules = [([">= 0"], ['"ok"'])]
    table = decision_table(did, ["x", "y"], ["g"], [([">= 0", "-"], ['"ok"'])])
    table = table.replace('<inputEntry id="r1_i1"><text>-</text></inputEntry>', "")
    del rules

    err = await rpc_error(deploy_table(zb, table))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert did in err.details() and "rule_1" in err.details()


async def test_dmn_that_is_not_xml_is_refused(zb):
    err = await rpc_error(deploy(zb.stub, ("broken.dmn", b"<definitions")))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "broken.dmn" in err.details()


async def test_unknown_required_decision_is_refused(zb):
    did = unique_decision_id("needs")

    err = await rpc_error(deploy_table(zb, literal_decision(did, "1", required=["nowhere"])))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert did in err.details()


# --------------------------------------------------------------------------- business rule tasks


def rule_task_process(decision_id: str) -> tuple[EventProcess, str]:
    """start -> business rule task 'decide' (result in 'rating') -> 'probe' -> end."""
    p = EventProcess(unique_id("brt"))
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        business_rule_task(p, "decide", decision_id, "rating"),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


async def test_business_rule_task_stores_the_result_in_its_result_variable(zb):
    await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))
    p, probe_type = rule_task_process("evt_rating")
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {"score": 88})).processInstanceKey

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables == {"score": 88, "rating": "Xuất sắc"}


async def test_business_rule_task_with_a_required_decision(zb):
    await zb.client.deploy_resource(str(FIXTURES / "evt_rating.dmn"))
    p, probe_type = rule_task_process("evt_rating_notice")
    await deploy(zb.stub, p)

    await create_instance(zb.stub, p.id, {"score": 75, "code": "T-9"})

    job = await activate_one(zb.stub, probe_type)
    assert job.variables["rating"] == "Task T-9: Đạt"


async def test_business_rule_task_with_an_unknown_decision_raises_an_incident(zb):
    missing = unique_decision_id("later")
    p, probe_type = rule_task_process(missing)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"x": 1})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "CALLED_DECISION_ERROR"
    assert incident["elementId"] == "decide"
    assert missing in incident["errorMessage"]

    # deploying the decision and resolving the incident continues the instance
    await deploy_table(zb, literal_decision(missing, "x + 1"))
    await resolve_incident(zb.stub, incident["key"])
    job = await activate_one(zb.stub, probe_type)
    assert job.variables == {"x": 1, "rating": 2}


async def test_business_rule_task_whose_evaluation_fails_raises_an_incident(zb):
    did = unique_decision_id("overlap")
    rules = [([">= 0"], ['"a"']), ([">= 10"], ['"b"'])]
    await deploy_table(zb, decision_table(did, ["x"], ["out"], rules))
    p, _ = rule_task_process(did)
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {"x": 20})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "DECISION_EVALUATION_ERROR"
    assert incident["elementId"] == "decide"
    assert did in incident["errorMessage"]
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"


async def test_business_rule_task_completes_the_instance(zb):
    did = unique_decision_id("lit")
    await deploy_table(zb, literal_decision(did, '"done"'))
    p = EventProcess(unique_id("brt-end"))
    p.chain(p.start(), business_rule_task(p, "decide", did, "outcome"), p.end())
    await deploy(zb.stub, p)

    result = await zb.client.run_process_with_result(p.id, {}, timeout=10_000)

    assert result.variables == {"outcome": "done"}
    await await_instance_state(zb.admin, result.process_instance_key, "COMPLETED")
