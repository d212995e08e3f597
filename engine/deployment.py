"""Deployment of BPMN, DMN and forms, and the lookups of what is deployed (a mixin of Engine).

Resources are checked whole before anything is stored, so a deployment is all or nothing;
unchanged resources keep their version, as in Zeebe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from engine.bpmn.model import Element, ProcessDefinition
from engine.bpmn.parser import BpmnError, parse_bpmn
from engine.dmn import DecisionGraph, DmnError, evaluate_decision, parse_dmn
from engine.errors import EngineError
from engine.expressions import ExpressionFailure, Expressions
from engine.feel import FeelError
from engine.state import Deployed, ElementInstance
from engine.store import Changes

# Zeebe 8.5's deploy-time refusal (InclusiveGatewayValidator); 8.6 lifted it.
JOINING_INCLUSIVE_GATEWAY = (
    "Currently the inclusive gateway can only have one incoming sequence flow"
)


class Deployments:
    """DeployResource, process and decision lookups, EvaluateDecision (mixed into Engine)."""

    # what the host (engine.runtime.Engine) provides
    allow_joining_inclusive_gateway: bool
    changes: Changes
    definitions: dict[int, ProcessDefinition]
    deployed: dict[int, Deployed]
    versions: dict[tuple[str, str], list[Deployed]]
    graphs: dict[int, DecisionGraph]
    graph_of: dict[int, int]
    expr: Expressions
    next_key: Callable[[], int]
    visible: Callable[[int], dict[str, Any]]
    _complete: Callable[..., None]
    _register_deployed: Callable[[Deployed], None]
    _open_start_subscriptions: Callable[[Deployed, ProcessDefinition], None]

    def deploy(self, resources: list[tuple[str, bytes]]) -> tuple[int, list[dict[str, Any]]]:
        """Deploy BPMN and form resources atomically; unchanged ones keep their version."""
        parsed: list[tuple[str, bytes, str, Any]] = []
        for name, content in resources:
            lower = name.lower()
            if lower.endswith(".form"):
                parsed.append((name, content, "form", _parse_form(name, content)))
            elif lower.endswith(".dmn"):
                try:
                    parsed.append((name, content, "drg", parse_dmn(name, content, self.expr.feel)))
                except DmnError as exc:
                    raise EngineError("INVALID_ARGUMENT", str(exc)) from exc
            elif lower.endswith((".bpmn", ".xml")):
                try:
                    processes = parse_bpmn(name, content)
                except BpmnError as exc:
                    raise EngineError("INVALID_ARGUMENT", str(exc)) from exc
                for pdef in processes:
                    self._check_joining_inclusive_gateways(name, pdef)
                    self._check_expressions(name, pdef)
                parsed.append((name, content, "process", processes))
            else:
                raise EngineError(
                    "INVALID_ARGUMENT",
                    f"resource '{name}': expected a .bpmn, .dmn or .form resource",
                )
        seen: dict[tuple[str, str], str] = {}
        for name, _content, kind, payload in parsed:
            ids = [p.bpmn_process_id for p in payload] if kind == "process" else [payload]
            if kind == "drg":
                ids = list(payload.decisions)
            for item_id in ids:
                if (kind, item_id) in seen:
                    raise EngineError(
                        "INVALID_ARGUMENT",
                        f"Duplicated {'process' if kind == 'process' else kind} id '{item_id}' "
                        f"in resources '{seen[(kind, item_id)]}' and '{name}'",
                    )
                seen[(kind, item_id)] = name
        deployment_key = self.next_key()
        result: list[dict[str, Any]] = []
        for name, content, kind, payload in parsed:
            if kind == "process":
                items = [("process", p.bpmn_process_id) for p in payload]
            elif kind == "drg":
                items = [("drg", payload.id)] + [("decision", i) for i in payload.decisions]
            else:
                items = [(kind, payload)]
            checksum = hashlib.sha256(content).hexdigest()
            for kind, item_id in items:
                existing = self.versions.get((kind, item_id), [])
                latest = existing[-1] if existing else None
                if (
                    latest is not None
                    and latest.checksum == checksum
                    and latest.resource_name == name
                ):
                    d = latest
                else:
                    d = Deployed(
                        key=self.next_key(),
                        kind=kind,
                        bpmn_process_id=item_id,
                        version=(latest.version + 1) if latest else 1,
                        resource_name=name,
                        checksum=checksum,
                        xml=content,
                        deployment_key=deployment_key,
                    )
                    self.changes.definitions.append(d)
                    self._register_deployed(d)
                    if kind == "process":
                        self._open_start_subscriptions(d, self.definitions[d.key])
                result.append(
                    {
                        "name": _display_name(payload, kind, item_id),
                        "kind": kind,
                        "id": item_id,
                        "version": d.version,
                        "key": d.key,
                        "resourceName": d.resource_name,
                    }
                )
        return deployment_key, result

    def _check_joining_inclusive_gateways(self, resource: str, pdef: ProcessDefinition) -> None:
        """Refuse a joining inclusive gateway as Zeebe 8.5 does, unless the engine allows it.

        Checked at deploy only (not when loading what is deployed), so turning the setting off
        later leaves running models alone.
        """
        if self.allow_joining_inclusive_gateway:
            return
        joining = [
            el.id
            for el in pdef.elements.values()
            if el.kind == "inclusiveGateway" and len(el.incoming) > 1
        ]
        if joining:
            listing = "\n- ".join(
                f"element '{gid}': {JOINING_INCLUSIVE_GATEWAY}" for gid in joining
            )
            raise EngineError(
                "INVALID_ARGUMENT", f"resource '{resource}' is not executable:\n- {listing}"
            )

    def _check_expressions(self, resource: str, pdef: ProcessDefinition) -> None:
        """Refuse a process whose FEEL does not parse, naming the element, as Zeebe does."""
        problems = []
        for owner, text in _expressions_of(pdef):
            if not text or not text.strip().startswith("="):
                continue
            try:
                self.expr.feel.check(text.strip()[1:])
            except FeelError as exc:
                problems.append(
                    f"element '{owner}': invalid expression '{text.strip()}': {exc.reason}"
                    + (f" at position {exc.position}" if exc.position is not None else "")
                )
        if problems:
            listing = "\n- ".join(problems)
            raise EngineError(
                "INVALID_ARGUMENT", f"resource '{resource}' is not executable:\n- {listing}"
            )

    def evaluate_decision(
        self, decision_key: int, decision_id: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """EvaluateDecision: the latest decision by id, or one by key."""
        if decision_key:
            deployed = self.deployed.get(decision_key)
            if deployed is None or deployed.kind != "decision":
                raise EngineError(
                    "NOT_FOUND",
                    f"Expected to evaluate decision with key '{decision_key}', but no such "
                    "decision was found",
                )
        else:
            versions = self.versions.get(("decision", decision_id), [])
            if not versions:
                raise EngineError(
                    "NOT_FOUND",
                    f"Expected to evaluate decision '{decision_id}', but no decision found for "
                    f"id '{decision_id}'",
                )
            deployed = versions[-1]
        graph_key = self.graph_of[deployed.key]
        graph = self.graphs[graph_key]
        result: dict[str, Any] = {"deployed": deployed, "graphKey": graph_key, "graph": graph}
        try:
            output, steps = evaluate_decision(
                graph, deployed.bpmn_process_id, variables, self.expr.feel
            )
            result.update(output=output, steps=steps, failed=None)
        except DmnError as exc:
            result.update(output=None, steps=[], failed=exc)
        return result

    def _call_decision(self, inst: ElementInstance, el: Element) -> None:
        context = self.visible(inst.key)
        decision_id = self.expr.typed(el.called_decision or "", context, "STRING")
        versions = self.versions.get(("decision", decision_id), [])
        if not versions:
            raise ExpressionFailure(
                f"Expected to evaluate decision '{decision_id}', but no decision found for id "
                f"'{decision_id}'",
                error_type="CALLED_DECISION_ERROR",
            )
        graph = self.graphs[self.graph_of[versions[-1].key]]
        try:
            output, _steps = evaluate_decision(graph, decision_id, context, self.expr.feel)
        except DmnError as exc:
            raise ExpressionFailure(str(exc), error_type="DECISION_EVALUATION_ERROR") from exc
        self._complete(inst, {el.result_variable or "result": output})

    def find_definition(self, bpmn_process_id: str, version: int, key: int) -> Deployed:
        """The deployed process by key, or by id and version (≤ 0 means latest)."""
        if key:
            d = self.deployed.get(key)
            if d is None or d.kind != "process":
                raise EngineError(
                    "NOT_FOUND",
                    f"Expected to find process definition with key '{key}', but none found",
                )
            return d
        versions = self.versions.get(("process", bpmn_process_id), [])
        if not versions:
            raise EngineError(
                "NOT_FOUND",
                f"Expected to find process definition with process ID '{bpmn_process_id}', "
                "but none found",
            )
        if version <= 0:
            return versions[-1]
        for d in versions:
            if d.version == version:
                return d
        raise EngineError(
            "NOT_FOUND",
            f"Expected to find process definition with process ID '{bpmn_process_id}' and "
            f"version '{version}', but none found",
        )


def _expressions_of(pdef: ProcessDefinition) -> list[tuple[str, str | None]]:
    """Every (element id, expression text) of a process that may hold FEEL."""
    found: list[tuple[str, str | None]] = []
    for flow in pdef.flows.values():
        found.append((flow.id, flow.condition))
    for el in pdef.elements.values():
        texts = [
            el.job_type,
            el.job_retries,
            el.assignee,
            el.candidate_groups,
            el.candidate_users,
            el.due_date,
            el.follow_up_date,
            el.called_process_id,
            el.called_decision,
        ]
        texts += [m.source for m in el.inputs] + [m.source for m in el.outputs]
        mi = el.multi_instance
        if mi is not None:
            texts += [mi.input_collection, mi.output_element]
            texts.append(mi.completion_condition)
        if el.event is not None:
            texts += [el.event.name, el.event.correlation_key, el.event.timer]
        found += [(el.id, t) for t in texts]
    return found


def _display_name(payload: Any, kind: str, item_id: str) -> str:
    """The human name of a deployed item, for deployment replies."""
    if kind == "drg":
        return payload.name or item_id
    if kind == "decision":
        return payload.decisions[item_id].name
    return item_id


def _parse_form(name: str, content: bytes) -> str:
    try:
        form = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EngineError(
            "INVALID_ARGUMENT", f"resource '{name}': form is not valid JSON: {exc}"
        ) from exc
    if not isinstance(form, dict) or not isinstance(form.get("id"), str) or not form["id"]:
        raise EngineError("INVALID_ARGUMENT", f"resource '{name}': form has no 'id'")
    return form["id"]
