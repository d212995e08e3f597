"""The engine: Zeebe's element-instance lifecycle over parsed BPMN, one command at a time.

Every public method is one command. It changes the in-memory state, records what it touched
in `self.changes`, and `_commit()` writes that to the database in one transaction before the
caller answers the RPC. Commands run on the event loop thread one at a time, so no job is
ever handed out twice and an instance never sees two commands interleave.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from engine.bpmn.model import JOB_KINDS, Element, ProcessDefinition
from engine.bpmn.parser import parse_bpmn
from engine.clock import Clock
from engine.deployment import Deployments
from engine.dmn import DecisionGraph, parse_dmn
from engine.errors import EngineError, not_found
from engine.events import EventBehaviour
from engine.expressions import ExpressionFailure, Expressions
from engine.jobs import JobBehaviour
from engine.multi_instance import MultiInstanceBehaviour
from engine.state import Deployed, ElementInstance, Incident, Job, make_key
from engine.store import Changes, Store

log = logging.getLogger(__name__)

BODY = "multiInstanceBody"
PROCESS = "process"


class Engine(Deployments, MultiInstanceBehaviour, JobBehaviour, EventBehaviour):
    """The state machine behind the gateway."""

    def __init__(
        self,
        store: Store,
        expressions: Expressions,
        clock: Clock,
        *,
        allow_joining_inclusive_gateway: bool = False,
    ) -> None:
        self.store = store
        # off: deploy refuses a joining inclusive gateway, as Zeebe 8.5 does (models that run
        # here must also deploy on the Zeebe 8.5 cluster of docker-compose.yml)
        self.allow_joining_inclusive_gateway = allow_joining_inclusive_gateway
        self.expr = expressions
        self.clock = clock
        self.changes = Changes()
        self.after_commit: list[Callable[[], None]] = []
        # work a command schedules for after its main step (e.g. correlating buffered messages)
        self.deferred: list[Callable[[], None]] = []
        # set by the job broker: called with a job type when jobs of it became activatable
        self.on_jobs_available: Callable[[str], None] = lambda _type: None
        self.on_timer_added: Callable[[], None] = lambda: None
        self.result_waiters: dict[int, list[Callable[[str, dict[str, Any]], None]]] = {}
        # group commit: commands run, then wait together for one transaction
        self.pending = Changes()
        self.pending_hooks: list[Callable[[], None]] = []
        self.pending_waiters: list[asyncio.Future] = []
        self._inflight: concurrent.futures.Future | None = None
        self._inflight_waiters: list[asyncio.Future] | None = None
        self._flusher: asyncio.Task | None = None
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="engine-writer")
        self._unflushed_finished: dict[int, dict[str, Any]] = {}
        self._load()

    # ------------------------------------------------------------------ state loading
    def _load(self) -> None:
        loaded = self.store.load()
        self.counter: int = loaded["counter"]
        self.deployed: dict[int, Deployed] = {}
        self.versions: dict[tuple[str, str], list[Deployed]] = {}
        self.definitions: dict[int, ProcessDefinition] = {}
        self.graphs: dict[int, DecisionGraph] = {}  # by deployed decision-graph key
        self.graph_of: dict[int, int] = {}  # deployed decision key -> its graph key
        for d in loaded["deployed"]:
            self._register_deployed(d)
        self.instances: dict[int, ElementInstance] = {}
        self.children: dict[int, set[int]] = {}
        for inst in loaded["instances"]:
            self._index_instance(inst)
        self.vars: dict[int, dict[str, Any]] = {}
        for scope, name, value in loaded["variables"]:
            self.vars.setdefault(scope, {})[name] = value
        self.jobs: dict[int, Job] = {}
        self.activatable: dict[str, dict[int, None]] = {}
        self.timers: list[tuple[int, int, str, int]] = []
        for job in loaded["jobs"]:
            self.jobs[job.key] = job
            self._index_job(job)
        self.incidents: dict[int, Incident] = {j.key: j for j in loaded["incidents"]}
        self._load_events(loaded)

    def _register_deployed(self, d: Deployed) -> None:
        self.deployed[d.key] = d
        self.versions.setdefault((d.kind, d.bpmn_process_id), []).append(d)
        if d.kind == "process":
            for pdef in parse_bpmn(d.resource_name, d.xml):
                if pdef.bpmn_process_id == d.bpmn_process_id:
                    self.definitions[d.key] = pdef
        elif d.kind == "drg":
            self.graphs[d.key] = parse_dmn(d.resource_name, d.xml, self.expr.feel)
        elif d.kind == "decision":
            for graph_key in reversed(list(self.graphs)):
                if self.deployed[graph_key].checksum == d.checksum:
                    self.graph_of[d.key] = graph_key
                    break

    def _index_instance(self, inst: ElementInstance) -> None:
        self.instances[inst.key] = inst
        if inst.parent_key is not None:
            self.children.setdefault(inst.parent_key, set()).add(inst.key)

    def _index_job(self, job: Job) -> None:
        if job.state == "ACTIVATABLE":
            self.activatable.setdefault(job.type, {})[job.key] = None
        elif job.state == "ACTIVATED":
            self._add_timer(job.deadline, "job-timeout", job.key)
        elif job.state == "BACKOFF":
            self._add_timer(job.backoff_until, "backoff", job.key)

    # ------------------------------------------------------------------ commit
    def next_key(self) -> int:
        """A fresh key, never reused: the counter is written with the command that used it."""
        self.counter += 1
        self.changes.counter = self.counter
        return make_key(self.counter)

    def run(self, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one command; its changes join the next group commit (await `durable()`)."""
        try:
            result = command(*args, **kwargs)
            while self.deferred:
                self.deferred.pop(0)()
        except EngineError:
            if not self.changes.empty():
                self.rollback()
            else:
                self.after_commit.clear()
                self.deferred.clear()
            raise
        except Exception:
            log.exception("command %s failed", getattr(command, "__name__", command))
            self.rollback()
            raise
        if not self.changes.empty() or self.after_commit:
            self.pending.merge(self.changes)
            self.pending_hooks += self.after_commit
            self.changes, self.after_commit = Changes(), []
            self._want_flush()
        return result

    def durable(self) -> asyncio.Future:
        """Resolves once every command run so far is written to the database."""
        future = asyncio.get_running_loop().create_future()
        if self.pending.empty() and not self.pending_hooks:
            if self._inflight_waiters is not None:
                self._inflight_waiters.append(future)
            else:
                future.set_result(None)
        else:
            self.pending_waiters.append(future)
        return future

    def _want_flush(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        """Group commit: write everything pending in one transaction, then answer them all.

        Commands keep running on the event loop while a batch is written on a worker thread;
        their changes form the next batch. Batches are written in order, so the database
        always holds a prefix of the commands, and no reply leaves before its batch is in.
        """
        while not self.pending.empty() or self.pending_hooks:
            changes, self.pending = self.pending, Changes()
            hooks, self.pending_hooks = self.pending_hooks, []
            waiters, self.pending_waiters = self.pending_waiters, []
            self._inflight_waiters = waiters
            batch = self.store.snapshot(changes, self)
            self._inflight = self._writer.submit(self.store.write, batch)
            try:
                await asyncio.wrap_future(self._inflight)
            except Exception:
                log.exception("could not write engine state; reloading it from the database")
                self._inflight = None
                self._inflight_waiters = None
                self._fail_waiters(waiters)
                self.rollback()
                continue
            self._inflight = None
            self._inflight_waiters = None
            for record in changes.finished:
                self._unflushed_finished.pop(record["key"], None)
            for hook in hooks:
                hook()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until everything run so far is written (used when stopping)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        self._writer.shutdown(wait=True)

    def _fail_waiters(self, waiters: list[asyncio.Future]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(
                    EngineError("UNAVAILABLE", "the engine could not write its state; retry")
                )

    def rollback(self) -> None:
        """Forget what is not yet written by reloading from the database.

        Commands not yet written fail (their callers never got an answer); the batch being
        written is waited for first, so memory and database agree again afterwards.
        """
        if self._inflight is not None:
            try:
                self._inflight.result()
            except Exception:
                log.exception("the batch being written failed too")
        self._fail_waiters(self.pending_waiters)
        self.pending, self.pending_hooks, self.pending_waiters = Changes(), [], []
        self.changes = Changes()
        self.after_commit.clear()
        self.deferred.clear()
        self._unflushed_finished.clear()
        self._load()

    def finished_record(self, key: int) -> dict[str, Any] | None:
        """A finished process instance's record, written or still on its way."""
        record = self._unflushed_finished.get(key)
        if record is not None:
            return {**record, "variables": json.loads(record["variables"])}
        return self.store.finished_instance(key)

    # ------------------------------------------------------------------ variables
    def _root_key(self, scope_key: int) -> int:
        return self.instances[scope_key].process_instance_key

    def visible(self, scope_key: int) -> dict[str, Any]:
        """All variables visible from a scope, inner scopes shadowing outer ones."""
        chain = []
        key: int | None = scope_key
        while key is not None:
            chain.append(key)
            key = self.instances[key].parent_key if key in self.instances else None
        result: dict[str, Any] = {}
        for key in reversed(chain):
            result.update(self.vars.get(key, {}))
        return result

    def _set_local(self, scope_key: int, name: str, value: Any) -> None:
        self.vars.setdefault(scope_key, {})[name] = value
        self.changes.variables.add((scope_key, name))

    def _merge(self, scope_key: int, document: dict[str, Any]) -> None:
        """Zeebe's propagation: update the nearest scope that has the variable, else the root."""
        for name, value in document.items():
            key: int | None = scope_key
            target = None
            while key is not None:
                if name in self.vars.get(key, {}):
                    target = key
                    break
                key = self.instances[key].parent_key
            self._set_local(
                target if target is not None else self._root_key(scope_key), name, value
            )

    def _drop_scope(self, scope_key: int) -> None:
        for name in self.vars.pop(scope_key, {}):
            self.changes.variables.add((scope_key, name))

    def definition_of(self, inst: ElementInstance) -> ProcessDefinition:
        """The parsed process of an element instance."""
        root = self.instances[inst.process_instance_key]
        return self.definitions[root.data["definitionKey"]]

    def element_of(self, inst: ElementInstance) -> Element:
        """The BPMN element an instance runs."""
        pdef = self.definition_of(inst)
        return pdef.elements[inst.element_id]

    # ------------------------------------------------------------------ process instances
    def create_instance(
        self,
        deployed: Deployed,
        variables: dict[str, Any],
        start_at: list[str] | None = None,
        parent: ElementInstance | None = None,
    ) -> ElementInstance:
        """Create a process instance and run it until it waits.

        `start_at` (start instructions) may name elements inside embedded sub-processes: their
        enclosing sub-processes are created first, once each, without running their start
        events (Zeebe 8.5's "create process instance anywhere").
        """
        pdef = self.definitions[deployed.key]
        if not start_at and not pdef.start_event:
            raise EngineError(
                "FAILED_PRECONDITION",
                "Expected to create instance of process with none start event, but there is no "
                "such event",
            )
        key = self.next_key()
        root = ElementInstance(
            key=key,
            process_instance_key=key,
            element_id=pdef.bpmn_process_id,
            kind=PROCESS,
            parent_key=None,
            data={
                "definitionKey": deployed.key,
                "bpmnProcessId": deployed.bpmn_process_id,
                "version": deployed.version,
                "createdAt": self.clock.now_ms(),
            },
        )
        if parent is not None:
            root.data["parentElementInstanceKey"] = parent.key
            root.data["parentProcessInstanceKey"] = parent.process_instance_key
        self._add_instance(root)
        for name, value in variables.items():
            self._set_local(key, name, value)
        try:
            self._open_event_subprocesses(root)
        except ExpressionFailure as exc:
            raise EngineError("INVALID_ARGUMENT", str(exc)) from exc
        if not start_at:
            self._activate(pdef.elements[pdef.start_event], root)
            return root
        # every scope stays open until all instructions ran: a first element that ends at once
        # must not complete a scope the next one starts in
        scopes: dict[str, ElementInstance] = {pdef.bpmn_process_id: root}
        root.data["busy"] = root.data.get("busy", 0) + 1
        for element_id in start_at:
            el = pdef.elements[element_id]
            scope = self._start_scope(pdef, el.scope_id, scopes)
            if scope.key in self.instances:
                self._activate(el, scope)
        for scope in reversed(list(scopes.values())):
            scope.data["busy"] -= 1
            if not scope.data["busy"]:
                del scope.data["busy"]
            self._scope_progress(scope)
        return root

    def start_instance(
        self, deployed: Deployed, variables: dict[str, Any], start_instructions: list[str]
    ) -> ElementInstance:
        """CreateProcessInstance: at the none start event, or where the instructions say."""
        check_start_instructions(self.definitions[deployed.key], start_instructions)
        return self.create_instance(deployed, variables, start_instructions or None)

    def _start_scope(
        self, pdef: ProcessDefinition, scope_id: str, scopes: dict[str, ElementInstance]
    ) -> ElementInstance:
        """The instance of an embedded sub-process a start instruction runs in, made once.

        As Zeebe's ElementActivationBehavior: the sub-process is activated without its input
        mappings or start event; its boundary events and event sub-processes are open.
        """
        if scope_id in scopes:
            return scopes[scope_id]
        el = pdef.elements[scope_id]
        outer = self._start_scope(pdef, el.scope_id, scopes)
        inst = self._new_instance(el.id, el.kind, outer)
        inst.data["busy"] = 1
        try:
            if el.boundaries:
                self._open_boundaries(inst, el)
            self._open_event_subprocesses(inst)
        except ExpressionFailure as exc:
            raise EngineError(
                "INVALID_ARGUMENT",
                f"Expected to subscribe to catch event(s) of '{el.id}' but {exc}",
            ) from exc
        scopes[scope_id] = inst
        return inst

    def cancel_instance(self, key: int) -> None:
        """Terminate a process instance and everything in it."""
        root = self.instances.get(key)
        if root is None or root.kind != PROCESS:
            raise EngineError(
                "NOT_FOUND",
                f"Expected to cancel a process instance with key '{key}', but no such process "
                "was found",
            )
        if "parentElementInstanceKey" in root.data:
            raise EngineError(
                "FAILED_PRECONDITION",
                f"Expected to cancel a process instance with key '{key}', but it is created by a "
                f"parent process instance. Cancel the root process instance "
                f"'{root.data['parentProcessInstanceKey']}' instead.",
            )
        self._terminate(root)

    # ------------------------------------------------------------------ element lifecycle
    def _add_instance(self, inst: ElementInstance) -> None:
        self._index_instance(inst)
        self.changes.instances.add(inst.key)

    def _touch(self, inst: ElementInstance) -> None:
        self.changes.instances.add(inst.key)

    def _activate(
        self,
        el: Element,
        scope: ElementInstance,
        trigger: dict[str, Any] | None = None,
        start_at: str | None = None,
    ) -> None:
        kind = BODY if el.multi_instance is not None else el.kind
        inst = self._new_instance(el.id, kind, scope)
        if trigger is not None:
            inst.data["trigger"] = trigger
        if start_at is not None:
            inst.data["startAt"] = start_at
        self._enter(inst)

    def _new_instance(self, element_id: str, kind: str, parent: ElementInstance) -> ElementInstance:
        """A new element instance inside `parent`, added to the state."""
        inst = ElementInstance(
            key=self.next_key(),
            process_instance_key=parent.process_instance_key,
            element_id=element_id,
            kind=kind,
            parent_key=parent.key,
        )
        self._add_instance(inst)
        return inst

    def _enter(self, inst: ElementInstance) -> None:
        """Input mappings, then the element's own behaviour."""
        el = self.element_of(inst)
        if inst.kind != BODY and el.inputs:
            try:
                self._apply_inputs(el, inst)
            except ExpressionFailure as exc:
                self._raise_incident(inst, "IO_MAPPING_ERROR", str(exc), resume="activate")
                return
        try:
            self._close_subscriptions(inst.key)
            parent = self.instances.get(inst.parent_key) if inst.parent_key else None
            if el.boundaries and not (parent is not None and parent.kind == BODY):
                self._open_boundaries(inst, el)
            if inst.kind == "subProcess":
                self._open_event_subprocesses(inst)
            self._behave(inst, el)
        except ExpressionFailure as exc:
            self._raise_incident(inst, exc.error_type, str(exc), resume="activate")

    def _apply_inputs(self, el: Element, inst: ElementInstance) -> None:
        context = self.visible(inst.key)
        local: dict[str, Any] = {}
        for mapping in el.inputs:
            value = self.expr.value(mapping.source, {**context, **local})
            _assign_path(local, mapping.target, value)
        for name, value in local.items():
            self._set_local(inst.key, name, value)

    def _behave(self, inst: ElementInstance, el: Element) -> None:
        kind = inst.kind
        if kind == BODY:
            self._start_body(inst, el)
        elif kind == "scriptTask" and el.script:
            value = self.expr.value(el.script, self.visible(inst.key))
            self._complete(inst, {el.result_variable or "result": value})
        elif kind == "businessRuleTask" and el.called_decision:
            self._call_decision(inst, el)
        elif kind in JOB_KINDS:
            self._create_job(inst, el)
        elif kind == "subProcess":
            pdef = self.definition_of(inst)
            start = inst.data.pop("startAt", None) or el.start_event or ""
            self._touch(inst)
            self._activate(pdef.elements[start], inst, trigger=inst.data.pop("trigger", None))
        elif kind == "callActivity":
            self._call(inst, el)
        elif kind == "endEvent" and el.terminate:
            scope = self.instances[inst.parent_key or 0]
            for child_key in sorted(self.children.get(scope.key, set()) - {inst.key}):
                self._terminate(self.instances[child_key])
            scope.data.pop("joins", None)
            scope.data["terminating"] = True
            self._touch(scope)
            self._complete(inst)
        elif kind in ("intermediateCatchEvent", "receiveTask"):
            if "trigger" in inst.data:
                self._complete(inst, inst.data.pop("trigger"))
            else:
                root = self.instances[inst.process_instance_key]
                pdef = self.definition_of(inst)
                self._open_subscription(
                    inst, el, root.data["definitionKey"], pdef.bpmn_process_id, inst.key
                )
        elif kind == "eventBasedGateway":
            root = self.instances[inst.process_instance_key]
            pdef = self.definition_of(inst)
            for fid in el.outgoing:
                target = pdef.elements[pdef.flows[fid].target]
                self._open_subscription(
                    inst, target, root.data["definitionKey"], pdef.bpmn_process_id, inst.key
                )
        elif el.event is not None and kind in ("endEvent", "intermediateThrowEvent"):
            self._throw_event(inst, el)
        else:
            # events, gateways and plain tasks pass straight through
            self._complete(inst, inst.data.pop("trigger", None))

    def _throw_event(self, inst: ElementInstance, el: Element) -> None:
        ev = el.event
        assert ev is not None
        if ev.kind == "error":
            code = str(self.expr.typed(ev.code or "", self.visible(inst.key), "STRING"))
            if not self._throw_error(inst, code, "", {}):
                self._raise_incident(
                    inst,
                    "UNHANDLED_ERROR_EVENT",
                    self._uncaught_error(inst, code, ""),
                    resume="activate",
                )
            return
        if ev.kind == "escalation":
            code = str(self.expr.typed(ev.code or "", self.visible(inst.key), "STRING"))
            if self._throw_escalation(inst, code) or inst.key not in self.instances:
                return
        elif ev.kind == "signal":
            name = str(self.expr.typed(ev.name or "", self.visible(inst.key), "STRING"))
            variables = dict(self.vars.get(inst.key, {}))
            self.deferred.append(lambda: self._signal(name, variables))
        self._complete(inst)

    def _complete(self, inst: ElementInstance, result: dict[str, Any] | None = None) -> None:
        """Leave an element: choose flows, apply outputs, remove it, continue in its scope."""
        if inst.kind == PROCESS:
            self._finish_process(inst, "COMPLETED")
            return
        el = self.element_of(inst)
        flows: list[str] = []
        if inst.kind in ("exclusiveGateway", "inclusiveGateway"):
            try:
                flows = self._choose_flows(inst, el)
            except ExpressionFailure as exc:
                self._raise_incident(inst, exc.error_type, str(exc), resume="complete")
                return
        elif inst.kind != "endEvent":
            flows = list(el.outgoing)
        parent = self.instances[inst.parent_key] if inst.parent_key is not None else None
        inner_mi = parent is not None and parent.kind == BODY
        try:
            self._apply_outputs(inst, el, result, inner_mi)
        except ExpressionFailure as exc:
            self._raise_incident(inst, "IO_MAPPING_ERROR", str(exc), resume="complete")
            return
        stop = False
        if inner_mi:
            assert parent is not None
            try:
                self._collect_output_element(parent, inst)
                stop = self._completion_reached(parent, inst)
            except ExpressionFailure as exc:
                self._raise_incident(inst, exc.error_type, str(exc), resume="complete")
                return
        self._remove(inst)
        assert parent is not None
        if inner_mi:
            self._inner_done(parent, stop)
            return
        # a branch that ends at once must not complete the scope before the others start
        parent.data["busy"] = parent.data.get("busy", 0) + 1
        for fid in flows:
            if parent.key not in self.instances or parent.data.get("terminating"):
                break
            self._take_flow(fid, parent)
        parent.data["busy"] -= 1
        if not parent.data["busy"]:
            del parent.data["busy"]
        self._scope_progress(parent)

    def _apply_outputs(
        self, inst: ElementInstance, el: Element, result: dict[str, Any] | None, inner_mi: bool
    ) -> None:
        if inst.kind == BODY:
            mi = el.multi_instance
            if mi is not None and mi.output_collection:
                collected = self.vars.get(inst.key, {}).get(mi.output_collection)
                self._merge(inst.parent_key or inst.key, {mi.output_collection: collected})
            return
        if el.outputs:
            for name, value in (result or {}).items():
                self._set_local(inst.key, name, value)
            context = self.visible(inst.key)
            document: dict[str, Any] = {}
            for mapping in el.outputs:
                value = self.expr.value(mapping.source, {**context, **document})
                _assign_path(document, mapping.target, value, base=context)
            target_scope = inst.key if inner_mi else (inst.parent_key or inst.key)
            self._merge(target_scope, document)
        elif result:
            self._merge(inst.key, result)

    def _choose_flows(self, inst: ElementInstance, el: Element) -> list[str]:
        pdef = self.definition_of(inst)
        context = self.visible(inst.key)
        chosen: list[str] = []
        for fid in el.outgoing:
            flow = pdef.flows[fid]
            if fid == el.default_flow or flow.condition is None:
                continue
            if self.expr.typed(flow.condition, context, "BOOLEAN"):
                chosen.append(fid)
                if el.kind == "exclusiveGateway":
                    return chosen
        if chosen:
            return chosen
        if el.default_flow:
            return [el.default_flow]
        if len(el.outgoing) == 1 and pdef.flows[el.outgoing[0]].condition is None:
            return list(el.outgoing)
        if not el.outgoing:
            return []
        raise ExpressionFailure(
            "Expected at least one condition to evaluate to true, or to have a default flow",
            error_type="CONDITION_ERROR",
        )

    def _take_flow(self, flow_id: str, scope: ElementInstance) -> None:
        pdef = self.definition_of(scope)
        flow = pdef.flows[flow_id]
        target = pdef.elements[flow.target]
        joining = (
            target.kind in ("parallelGateway", "inclusiveGateway") and len(target.incoming) > 1
        )
        if not joining:
            self._activate(target, scope)
            return
        joins = scope.data.setdefault("joins", {})
        tokens = joins.setdefault(target.id, {})
        tokens[flow_id] = tokens.get(flow_id, 0) + 1
        self._touch(scope)
        self._try_joins(scope)

    def _try_joins(self, scope: ElementInstance) -> None:
        """Activate every joining gateway of a scope whose tokens are all in."""
        pdef = self.definition_of(scope)
        progressed = True
        while progressed:
            progressed = False
            for gateway_id, tokens in list(scope.data.get("joins", {}).items()):
                gateway = pdef.elements[gateway_id]
                if gateway.kind == "parallelGateway":
                    ready = all(tokens.get(f, 0) > 0 for f in gateway.incoming)
                else:
                    reaching = pdef.reaches.get(gateway_id, frozenset())
                    ready = not any(
                        self.instances[c].element_id in reaching
                        for c in self.children.get(scope.key, set())
                    )
                if not ready:
                    continue
                if gateway.kind == "parallelGateway":
                    for f in gateway.incoming:
                        tokens[f] -= 1
                    remaining = {f: n for f, n in tokens.items() if n > 0}
                else:
                    remaining = {}
                if remaining:
                    scope.data["joins"][gateway_id] = remaining
                else:
                    del scope.data["joins"][gateway_id]
                self._touch(scope)
                self._activate(gateway, scope)
                progressed = True
                break

    def _scope_progress(self, scope: ElementInstance) -> None:
        """After a child left: waiting joins may fire, and an empty scope completes."""
        if scope.key not in self.instances or scope.state != "ACTIVE" or scope.data.get("busy"):
            return
        if scope.data.get("joins"):
            self._try_joins(scope)
            if scope.key not in self.instances:
                return
        if self.children.get(scope.key) or scope.data.get("joins"):
            return
        if scope.kind in (PROCESS, "subProcess"):
            self._complete(scope)

    def _remove(self, inst: ElementInstance) -> None:
        self.instances.pop(inst.key, None)
        self.changes.instances.add(inst.key)
        if inst.parent_key is not None:
            siblings = self.children.get(inst.parent_key)
            if siblings is not None:
                siblings.discard(inst.key)
                if not siblings:
                    del self.children[inst.parent_key]
        self._drop_scope(inst.key)
        self._close_subscriptions(inst.key)
        for inc in [i for i in self.incidents.values() if i.element_instance_key == inst.key]:
            self._delete_incident(inc)

    def _terminate(self, inst: ElementInstance) -> None:
        """Terminate an instance and everything below it, without continuing the flow."""
        for child_key in sorted(self.children.get(inst.key, set())):
            if child_key in self.instances:
                self._terminate(self.instances[child_key])
        job_key = inst.data.get("job")
        if job_key is not None and job_key in self.jobs:
            self._delete_job(self.jobs[job_key])
        called = inst.data.get("calledInstance")
        if called is not None and called in self.instances:
            self._terminate(self.instances[called])
        if inst.kind == PROCESS:
            self._finish_process(inst, "TERMINATED")
        else:
            self._remove(inst)

    def _finish_process(self, root: ElementInstance, state: str) -> None:
        variables = dict(self.vars.get(root.key, {}))
        record = {
            "key": root.key,
            "bpmn_process_id": root.data["bpmnProcessId"],
            "version": root.data["version"],
            "process_definition_key": root.data["definitionKey"],
            "state": state,
            "parent_key": root.data.get("parentProcessInstanceKey"),
            "variables": json.dumps(variables),
            "ended_at": self.clock.now_ms(),
        }
        self.changes.finished.append(record)
        self._unflushed_finished[root.key] = record
        self._remove(root)
        waiters = self.result_waiters.pop(root.key, [])
        for waiter in waiters:
            self.after_commit.append(functools.partial(waiter, state, variables))
        start_key = root.data.get("startCorrelationKey")
        if start_key:
            pid = root.data["bpmnProcessId"]
            self.deferred.append(lambda: self._start_from_buffer(pid, start_key))
        parent_key = root.data.get("parentElementInstanceKey")
        if state == "COMPLETED" and parent_key is not None and parent_key in self.instances:
            self._call_done(self.instances[parent_key], variables)

    # ------------------------------------------------------------------ call activities
    def _call(self, inst: ElementInstance, el: Element) -> None:
        context = self.visible(inst.key)
        process_id = self.expr.typed(el.called_process_id or "", context, "STRING")
        versions = self.versions.get(("process", process_id), [])
        if not versions:
            raise ExpressionFailure(
                f"Expected process with BPMN process id '{process_id}' to be deployed, "
                "but not found.",
                error_type="CALLED_ELEMENT_ERROR",
            )
        variables = context if el.propagate_all_parent else dict(self.vars.get(inst.key, {}))
        child = self.create_instance(versions[-1], variables, parent=inst)
        if child.key in self.instances:
            inst.data["calledInstance"] = child.key
            self._touch(inst)

    def _call_done(self, inst: ElementInstance, child_variables: dict[str, Any]) -> None:
        el = self.element_of(inst)
        inst.data.pop("calledInstance", None)
        result = child_variables if (el.outputs or el.propagate_all_child) else None
        self._complete(inst, result)

    # ------------------------------------------------------------------ incidents
    def _raise_incident(
        self,
        inst: ElementInstance,
        error_type: str,
        message: str,
        *,
        resume: str,
        job: Job | None = None,
    ) -> None:
        inc = Incident(
            key=self.next_key(),
            process_instance_key=inst.process_instance_key,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            error_type=error_type,
            message=message,
            job_key=job.key if job else None,
            resume=resume,
        )
        self.incidents[inc.key] = inc
        self.changes.incidents.add(inc.key)
        log.info("incident %s on %s: %s", error_type, inst.element_id, message)

    def _delete_incident(self, inc: Incident) -> None:
        self.incidents.pop(inc.key, None)
        self.changes.incidents.add(inc.key)

    def resolve_incident(self, key: int) -> None:
        """ResolveIncident: retry what failed."""
        inc = self.incidents.get(key)
        if inc is None:
            raise not_found("incident", key)
        if inc.job_key is not None:
            job = self.jobs.get(inc.job_key)
            if job is not None and job.retries <= 0:
                raise EngineError(
                    "FAILED_PRECONDITION",
                    f"Expected to resolve incident with key '{key}', but job with key "
                    f"'{job.key}' has no retries left; update its retries first",
                )
            self._delete_incident(inc)
            if job is not None:
                job.deadline = 0
                self._set_job_state(job, "ACTIVATABLE")
            return
        self._delete_incident(inc)
        inst = self.instances.get(inc.element_instance_key)
        if inst is None:
            return
        if inc.resume == "complete":
            self._complete(inst)
        else:
            self._enter(inst)

    # ------------------------------------------------------------------ variables command
    def set_variables(self, scope_key: int, variables: dict[str, Any], local: bool) -> int:
        """SetVariables on a live element instance or process instance."""
        if scope_key not in self.instances:
            raise EngineError(
                "NOT_FOUND",
                f"Expected to update variables for element with key '{scope_key}', but no such "
                "element was found",
            )
        if local:
            for name, value in variables.items():
                self._set_local(scope_key, name, value)
        else:
            self._merge(scope_key, variables)
        return self.next_key()

    # ------------------------------------------------------------------ queries
    def instance_view(self, key: int) -> dict[str, Any]:
        """The admin view of a process instance, live or finished."""
        root = self.instances.get(key)
        if root is None or root.kind != PROCESS:
            done = self.finished_record(key)
            if done is None:
                raise EngineError(
                    "NOT_FOUND", f"Expected to find process instance with key '{key}'"
                )
            return {
                "key": key,
                "bpmnProcessId": done["bpmn_process_id"],
                "version": done["version"],
                "processDefinitionKey": done["process_definition_key"],
                "state": done["state"],
                "variables": done["variables"],
                "scopes": {},
                "elementInstances": [],
                "parentProcessInstanceKey": done["parent_key"],
            }
        members = [i for i in self.instances.values() if i.process_instance_key == key]
        return {
            "key": key,
            "bpmnProcessId": root.data["bpmnProcessId"],
            "version": root.data["version"],
            "processDefinitionKey": root.data["definitionKey"],
            "state": "ACTIVE",
            "variables": dict(self.vars.get(key, {})),
            "scopes": {
                str(i.key): dict(self.vars.get(i.key, {})) for i in members if self.vars.get(i.key)
            },
            "elementInstances": [
                {
                    "key": i.key,
                    "elementId": i.element_id,
                    "elementType": _element_type(i.kind),
                    "parentKey": i.parent_key,
                    "state": i.state,
                }
                for i in members
                if i.kind != PROCESS
            ],
            "parentProcessInstanceKey": root.data.get("parentProcessInstanceKey"),
        }


# Zeebe 8.5's BpmnElementType values that start instructions may target, in the order a real
# Zeebe printed its (hash) set; START_EVENT, SEQUENCE_FLOW and BOUNDARY_EVENT are refused.
START_INSTRUCTION_TYPES = (
    "PROCESS, EVENT_SUB_PROCESS, SUB_PROCESS, END_EVENT, SEND_TASK, INTERMEDIATE_THROW_EVENT, "
    "INCLUSIVE_GATEWAY, CALL_ACTIVITY, MULTI_INSTANCE_BODY, INTERMEDIATE_CATCH_EVENT, "
    "USER_TASK, PARALLEL_GATEWAY, SCRIPT_TASK, MANUAL_TASK, SERVICE_TASK, EXCLUSIVE_GATEWAY, "
    "RECEIVE_TASK, BUSINESS_RULE_TASK, TASK, EVENT_BASED_GATEWAY"
)
_INSTRUCTION_PREFIX = "Expected to create instance of process with start instructions but"


def check_start_instructions(pdef: ProcessDefinition, element_ids: list[str]) -> None:
    """Refuse start instructions as Zeebe 8.5 does, each check over all instructions in turn."""
    for element_id in element_ids:
        if element_id not in pdef.elements and element_id not in pdef.flows:
            raise EngineError(
                "INVALID_ARGUMENT",
                f"{_INSTRUCTION_PREFIX} no element found with id '{element_id}'.",
            )
    for element_id in element_ids:
        if element_id in pdef.elements and _inside_multi_instance(pdef, pdef.elements[element_id]):
            raise EngineError(
                "INVALID_ARGUMENT",
                f"{_INSTRUCTION_PREFIX} the element with id '{element_id}' is inside a "
                "multi-instance subprocess. The creation of elements inside a multi-instance "
                "subprocess is not supported.",
            )
    for element_id in element_ids:
        el = pdef.elements.get(element_id)
        kind = "sequenceFlow" if el is None else el.kind
        if kind in ("startEvent", "sequenceFlow", "boundaryEvent"):
            raise EngineError(
                "INVALID_ARGUMENT",
                f"{_INSTRUCTION_PREFIX} the element with id '{element_id}' targets unsupported "
                f"element type '{_element_type(kind)}'. Supported element types are: "
                f"[{START_INSTRUCTION_TYPES}]",
            )
    for element_id in element_ids:
        el = pdef.elements[element_id]
        sources = (pdef.elements[pdef.flows[f].source] for f in el.incoming)
        if any(source.kind == "eventBasedGateway" for source in sources):
            raise EngineError(
                "INVALID_ARGUMENT",
                f"{_INSTRUCTION_PREFIX} the element with id '{element_id}' belongs to an "
                "event-based gateway. The creation of elements belonging to an event-based "
                "gateway is not supported.",
            )


def _inside_multi_instance(pdef: ProcessDefinition, el: Element) -> bool:
    """Whether an element sits (at any depth) inside a multi-instance sub-process."""
    scope = pdef.elements.get(el.scope_id)
    while scope is not None:
        if scope.multi_instance is not None:
            return True
        scope = pdef.elements.get(scope.scope_id)
    return False


def _element_type(kind: str) -> str:
    names = {BODY: "MULTI_INSTANCE_BODY", PROCESS: "PROCESS"}
    if kind in names:
        return names[kind]
    return "".join("_" + c if c.isupper() else c for c in kind).upper()


def _assign_path(
    document: dict[str, Any], target: str, value: Any, base: dict | None = None
) -> None:
    """Set `a.b.c` in a document, creating (or copying from `base`) the contexts on the way."""
    parts = target.split(".")
    if len(parts) == 1:
        document[target] = value
        return
    head = parts[0]
    if head not in document:
        existing = (base or {}).get(head)
        document[head] = json.loads(json.dumps(existing)) if isinstance(existing, dict) else {}
    node = document[head]
    for part in parts[1:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


__all__ = ["Engine", "EngineError"]
