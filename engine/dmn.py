"""DMN 1.3 decisions: decision tables (all hit policies) and literal expressions, in FEEL.

Input entries are FEEL unary tests and output entries FEEL expressions, evaluated by the same
FEEL engine as the BPMN expressions. Required decisions are evaluated first and their results
are visible by decision id, as in Camunda 8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.feel import FeelEngine, FeelError

HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "COUNT", "MIN", "MAX"}


class DmnError(ValueError):
    """A DMN resource that cannot be deployed or a decision that cannot be evaluated."""

    def __init__(self, message: str, decision_id: str = "") -> None:
        super().__init__(message)
        self.decision_id = decision_id


@dataclass
class Rule:
    """One row of a decision table."""

    id: str
    inputs: list[str]
    outputs: list[str]


@dataclass
class Decision:
    """A decision: a table or a literal expression, with the decisions it requires."""

    id: str
    name: str
    kind: str  # "table" | "literal"
    required: list[str] = field(default_factory=list)
    hit_policy: str = "UNIQUE"
    aggregation: str | None = None
    input_expressions: list[str] = field(default_factory=list)
    input_ids: list[tuple[str, str]] = field(default_factory=list)  # (id, label) per input
    outputs: list[str] = field(default_factory=list)  # output names
    output_ids: list[str] = field(default_factory=list)
    output_values: list[list[str]] = field(default_factory=list)  # priorities per output
    rules: list[Rule] = field(default_factory=list)
    expression: str = ""
    variable: str = ""


@dataclass
class DecisionGraph:
    """The decisions of one DMN resource (its decision requirements graph)."""

    id: str
    name: str
    decisions: dict[str, Decision]


@dataclass
class Evaluated:
    """What one decision gave, and which rules matched (for EvaluateDecision's reply)."""

    decision: Decision
    output: Any
    inputs: list[tuple[str, str, Any]] = field(default_factory=list)  # (id, label, value)
    # (rule index, rule, [(output id, output name, value)])
    matched: list[tuple[int, Rule, list[tuple[str, str, Any]]]] = field(default_factory=list)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _child(node: etree._Element, name: str) -> etree._Element | None:
    for c in node:
        if isinstance(c.tag, str) and _local(c) == name:
            return c
    return None


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and _local(c) == name]


def _text(node: etree._Element | None) -> str:
    if node is None:
        return ""
    t = _child(node, "text")
    return (t.text or "").strip() if t is not None else ""


def parse_dmn(resource_name: str, content: bytes, feel: FeelEngine) -> DecisionGraph:
    """Parse and check a DMN resource; DmnError names the decision and rule at fault."""
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DmnError(f"resource '{resource_name}' is not well-formed XML: {exc}") from exc
    if _local(root) != "definitions":
        raise DmnError(f"resource '{resource_name}': root element is not dmn:definitions")
    decisions: dict[str, Decision] = {}
    for node in _children(root, "decision"):
        decision = _parse_decision(resource_name, node, feel)
        decisions[decision.id] = decision
    if not decisions:
        raise DmnError(f"resource '{resource_name}' contains no decision")
    for d in decisions.values():
        for req in d.required:
            if req not in decisions:
                raise DmnError(
                    f"resource '{resource_name}': decision '{d.id}' requires unknown decision "
                    f"'{req}'",
                    d.id,
                )
    _check_cycles(resource_name, decisions)
    return DecisionGraph(root.get("id") or resource_name, root.get("name") or "", decisions)


def _parse_decision(resource: str, node: etree._Element, feel: FeelEngine) -> Decision:
    did = node.get("id") or ""
    if not did:
        raise DmnError(f"resource '{resource}': a decision has no id")
    where = f"resource '{resource}', decision '{did}'"
    required = []
    for req in _children(node, "informationRequirement"):
        ref = _child(req, "requiredDecision")
        if ref is not None and ref.get("href"):
            required.append(ref.get("href", "").lstrip("#"))
    table = _child(node, "decisionTable")
    literal = _child(node, "literalExpression")
    decision = Decision(id=did, name=node.get("name") or did, kind="table", required=required)
    if literal is not None:
        decision.kind = "literal"
        decision.expression = _text(literal)
        var = _child(node, "variable")
        decision.variable = var.get("name", did) if var is not None else did
        _check_expression(feel, decision.expression, f"{where}, literal expression")
        return decision
    if table is None:
        raise DmnError(f"{where}: needs a decisionTable or a literalExpression", did)
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        raise DmnError(f"{where}: unknown hit policy '{policy}'", did)
    decision.hit_policy = policy
    aggregation = table.get("aggregation")
    if aggregation:
        if policy != "COLLECT" or aggregation.upper() not in AGGREGATIONS:
            raise DmnError(f"{where}: aggregation '{aggregation}' needs hit policy COLLECT", did)
        decision.aggregation = aggregation.upper()
    for inp in _children(table, "input"):
        expression = _text(_child(inp, "inputExpression"))
        label = inp.get("label") or expression
        _check_expression(feel, expression, f"{where}, input '{label}'")
        decision.input_expressions.append(expression)
        decision.input_ids.append((inp.get("id") or label, label))
    for out in _children(table, "output"):
        decision.outputs.append(out.get("name") or out.get("label") or out.get("id") or "")
        decision.output_ids.append(out.get("id") or decision.outputs[-1])
        values = _text(_child(out, "outputValues"))
        decision.output_values.append(_split_values(values))
    if not decision.outputs:
        raise DmnError(f"{where}: a decision table needs at least one output", did)
    if decision.aggregation and len(decision.outputs) > 1:
        raise DmnError(f"{where}: aggregation needs exactly one output", did)
    for index, rule_node in enumerate(_children(table, "rule"), start=1):
        rid = rule_node.get("id") or f"rule {index}"
        inputs = [_text(e) or "-" for e in _children(rule_node, "inputEntry")]
        outputs = [_text(e) for e in _children(rule_node, "outputEntry")]
        row = f"{where}, rule {index} ('{rid}')"
        if len(inputs) != len(decision.input_expressions):
            raise DmnError(
                f"{row}: has {len(inputs)} input entries for {len(decision.input_expressions)} "
                "inputs",
                did,
            )
        if len(outputs) != len(decision.outputs):
            raise DmnError(
                f"{row}: has {len(outputs)} output entries for {len(decision.outputs)} outputs",
                did,
            )
        for column, test in enumerate(inputs, start=1):
            try:
                feel.check_unary_test(test)
            except FeelError as exc:
                raise DmnError(f"{row}, input entry {column} '{test}': {exc.reason}", did) from exc
        for column, expression in enumerate(outputs, start=1):
            if expression:
                _check_expression(feel, expression, f"{row}, output entry {column}")
        decision.rules.append(Rule(rid, inputs, outputs))
    return decision


def _split_values(text: str) -> list[str]:
    """The comma-separated literal values of an outputValues list (for PRIORITY ordering)."""
    if not text:
        return []
    values, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            values.append(current.strip())
            current = ""
        else:
            current += ch
    values.append(current.strip())
    return [v for v in values if v]


def _check_expression(feel: FeelEngine, expression: str, where: str) -> None:
    if not expression:
        return
    try:
        feel.check(expression)
    except FeelError as exc:
        raise DmnError(f"{where}: '{expression}': {exc.reason}") from exc


def _check_cycles(resource: str, decisions: dict[str, Decision]) -> None:
    state: dict[str, int] = {}

    def visit(did: str) -> None:
        if state.get(did) == 2:
            return
        if state.get(did) == 1:
            raise DmnError(f"resource '{resource}': decision '{did}' requires itself", did)
        state[did] = 1
        for req in decisions[did].required:
            visit(req)
        state[did] = 2

    for did in decisions:
        visit(did)


def evaluate_decision(
    graph: DecisionGraph, decision_id: str, variables: dict[str, Any], feel: FeelEngine
) -> tuple[Any, list[Evaluated]]:
    """Evaluate a decision and the ones it requires; returns its output and each step."""
    done: dict[str, Evaluated] = {}
    order: list[Evaluated] = []

    def run(did: str) -> Any:
        if did in done:
            return done[did].output
        decision = graph.decisions[did]
        context = dict(variables)
        for req in decision.required:
            context[req] = run(req)
        evaluated = _evaluate_one(decision, context, feel)
        done[did] = evaluated
        order.append(evaluated)
        return evaluated.output

    output = run(decision_id)
    return output, order


def _evaluate_one(decision: Decision, context: dict[str, Any], feel: FeelEngine) -> Evaluated:
    try:
        if decision.kind == "literal":
            return Evaluated(decision, feel.evaluate(decision.expression, context).value)
        return _evaluate_table(decision, context, feel)
    except FeelError as exc:
        raise DmnError(f"failed to evaluate decision '{decision.id}': {exc}", decision.id) from exc


def _evaluate_table(decision: Decision, context: dict[str, Any], feel: FeelEngine) -> Evaluated:
    inputs = [feel.evaluate(e, context).value if e else None for e in decision.input_expressions]
    matches = [True] * len(decision.rules)
    for column, expression in enumerate(decision.input_expressions):
        tests = [rule.inputs[column] for rule in decision.rules]
        # the input expression goes to FEEL as such, so a date input stays a date
        results = feel.unary_tests(tests, None, context, input_expression=expression or "null")
        matches = [m and r for m, r in zip(matches, results, strict=True)]
    evaluated = Evaluated(
        decision,
        None,
        inputs=[(i, label, v) for (i, label), v in zip(decision.input_ids, inputs, strict=True)],
    )
    rows: list[tuple[int, Rule, Any]] = []
    for index, (rule, matched) in enumerate(zip(decision.rules, matches, strict=True), start=1):
        if not matched:
            continue
        values = [feel.evaluate(e, context).value if e else None for e in rule.outputs]
        output = values[0] if len(values) == 1 else dict(zip(decision.outputs, values, strict=True))
        rows.append((index, rule, output))
        named = list(zip(decision.output_ids, decision.outputs, values, strict=True))
        evaluated.matched.append((index, rule, named))
    evaluated.output = _apply_hit_policy(decision, rows)
    if decision.hit_policy in ("FIRST", "UNIQUE", "ANY", "PRIORITY") and evaluated.matched:
        kept = _kept_rule(decision, rows)
        evaluated.matched = [m for m in evaluated.matched if m[0] == kept]
    return evaluated


def _priority(decision: Decision, output: Any) -> tuple[int, ...]:
    values = output if isinstance(output, dict) else {decision.outputs[0]: output}
    key = []
    for name, allowed in zip(decision.outputs, decision.output_values, strict=True):
        literal = _literal(values.get(name))
        key.append(allowed.index(literal) if literal in allowed else len(allowed))
    return tuple(key)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kept_rule(decision: Decision, rows: list[tuple[int, Rule, Any]]) -> int:
    if decision.hit_policy == "PRIORITY":
        return min(rows, key=lambda r: _priority(decision, r[2]))[0]
    return rows[0][0]


def _apply_hit_policy(decision: Decision, rows: list[tuple[int, Rule, Any]]) -> Any:
    policy = decision.hit_policy
    outputs = [r[2] for r in rows]
    if policy == "UNIQUE":
        if len(rows) > 1:
            ids = ", ".join(f"'{r[1].id}'" for r in rows)
            raise DmnError(
                f"decision '{decision.id}': hit policy UNIQUE but {len(rows)} rules matched "
                f"({ids})",
                decision.id,
            )
        return outputs[0] if outputs else None
    if policy == "FIRST":
        return outputs[0] if outputs else None
    if policy == "ANY":
        if any(o != outputs[0] for o in outputs[1:]):
            raise DmnError(
                f"decision '{decision.id}': hit policy ANY but the matched rules give different "
                "outputs",
                decision.id,
            )
        return outputs[0] if outputs else None
    if policy == "PRIORITY":
        if not rows:
            return None
        return min(rows, key=lambda r: _priority(decision, r[2]))[2]
    if policy == "OUTPUT ORDER":
        return [r[2] for r in sorted(rows, key=lambda r: _priority(decision, r[2]))]
    if policy == "RULE ORDER":
        return outputs
    # COLLECT
    if decision.aggregation is None:
        return outputs
    numbers = [o for o in outputs if o is not None]
    if decision.aggregation == "COUNT":
        return len(numbers)
    if not numbers:
        return None
    if decision.aggregation == "SUM":
        return sum(numbers)
    if decision.aggregation == "MIN":
        return min(numbers)
    return max(numbers)
