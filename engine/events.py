"""Events of the engine: messages, timers, signals, errors and escalations.

A mixin of Engine (engine/runtime.py), kept apart because it is one feature: subscriptions
are opened when an element instance is entered, closed when it leaves, and triggered by
PublishMessage, BroadcastSignal, due timers, ThrowError and throw events.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from engine.bpmn.model import Element, EventDefinition, ProcessDefinition
from engine.clock import Clock
from engine.expressions import (
    ExpressionFailure,
    Expressions,
    body_of,
    feel_type,
    with_warnings,
)
from engine.state import Deployed, ElementInstance, Message, Subscription
from engine.store import Changes
from engine.timers import TimerError, parse_cycle, parse_date, parse_duration

PROCESS = "process"
BODY = "multiInstanceBody"
TIMER_RESULT_TYPES = {
    "timeDuration": ("DURATION", "PERIOD", "STRING"),
    "timeDate": ("DATE_TIME", "STRING"),
}


class EventBehaviour:
    """Subscriptions, correlation and error/escalation propagation (mixed into Engine)."""

    subscriptions: dict[int, Subscription]
    messages: dict[int, Message]

    # what the host (engine.runtime.Engine) provides
    instances: dict[int, ElementInstance]
    children: dict[int, set[int]]
    changes: Changes
    clock: Clock
    expr: Expressions
    deferred: list[Callable[[], None]]
    deployed: dict[int, Deployed]
    versions: dict[tuple[str, str], list[Deployed]]
    definitions: dict[int, ProcessDefinition]
    next_key: Callable[[], int]
    visible: Callable[[int], dict[str, Any]]
    definition_of: Callable[[ElementInstance], ProcessDefinition]
    create_instance: Callable[..., ElementInstance]
    _activate: Callable[..., None]
    _add_timer: Callable[[int, str, int], None]
    _complete: Callable[..., None]
    _remove: Callable[[ElementInstance], None]
    _terminate: Callable[[ElementInstance], None]
    _touch: Callable[[ElementInstance], None]

    # ------------------------------------------------------------------ loading
    def _load_events(self, loaded: dict[str, Any]) -> None:
        self.subscriptions = {}
        self.messages = {}
        for sub in loaded["subscriptions"]:
            self.subscriptions[sub.key] = sub
            if sub.kind == "timer":
                self._add_timer(sub.due, "timer", sub.key)
        for msg in loaded["messages"]:
            self.messages[msg.key] = msg
            self._add_timer(msg.expires, "message-ttl", msg.key)

    # ------------------------------------------------------------------ opening / closing
    def _open_subscription(
        self,
        owner: ElementInstance | None,
        el: Element,
        pdef_key: int,
        bpmn_process_id: str,
        scope_key: int | None,
    ) -> None:
        """Open the wait of one catching element; FEEL in it is evaluated in `scope_key`."""
        ev = el.event
        assert ev is not None
        context = self.visible(scope_key) if scope_key is not None else {}
        sub = Subscription(
            key=self.next_key(),
            kind=ev.kind,
            element_id=el.id,
            owner_key=owner.key if owner else 0,
            process_instance_key=owner.process_instance_key if owner else 0,
            definition_key=pdef_key,
            bpmn_process_id=bpmn_process_id,
            interrupting=el.interrupting,
        )
        if ev.kind == "message":
            sub.name = str(self.expr.typed(ev.name or "", context, "STRING"))
            if owner is not None:
                sub.correlation_key = self._correlation_key(ev, context)
        elif ev.kind == "signal":
            sub.name = str(self.expr.typed(ev.name or "", context, "STRING"))
        elif ev.kind == "timer":
            self._schedule(sub, ev, context)
        else:
            return
        self.subscriptions[sub.key] = sub
        self.changes.subscriptions.add(sub.key)
        if sub.kind == "timer":
            self._add_timer(sub.due, "timer", sub.key)
        if sub.kind == "message" and owner is not None:
            self.deferred.append(functools.partial(self._correlate_buffered, sub.key))

    def _correlation_key(self, ev: EventDefinition, context: dict[str, Any]) -> str:
        if not ev.correlation_key:
            raise ExpressionFailure(
                "a message catch event needs a zeebe:subscription correlationKey"
            )
        value, warnings = self.expr.evaluate(ev.correlation_key, context)
        if feel_type(value) not in ("STRING", "NUMBER"):
            raise ExpressionFailure(
                with_warnings(
                    f"Failed to extract the correlation key for '{body_of(ev.correlation_key)}': "
                    f"The value must be either a string or a number, but was "
                    f"'{feel_type(value)}'.",
                    warnings,
                )
            )
        # as Zeebe: a number key is its whole part (Number.longValue)
        return value if isinstance(value, str) else str(int(value))

    def _schedule(self, sub: Subscription, ev: EventDefinition, context: dict) -> None:
        text = ev.timer or ""
        # the result types and wording of Zeebe's interval, date-time and string evaluations
        warnings: list[str] = []
        if ev.timer_type == "timeCycle":
            value = self.expr.typed(text, context, "STRING")
        else:
            kinds = TIMER_RESULT_TYPES[ev.timer_type or "timeDuration"]
            value, warnings = self.expr.one_of(text, context, kinds)
        now = self.clock.now_ms()
        try:
            if ev.timer_type == "timeDuration":
                sub.due = now + parse_duration(value)
            elif ev.timer_type == "timeDate":
                sub.due = parse_date(value)
            else:
                cycle = parse_cycle(value)
                sub.due = cycle.first_due(now)
                sub.cycle = value
                sub.repetitions = cycle.repetitions
        except TimerError as exc:
            if ev.timer_type == "timeCycle":
                raise ExpressionFailure(f"timer of '{sub.element_id}': {exc}") from exc
            what = "duration" if ev.timer_type == "timeDuration" else "date-time"
            raise ExpressionFailure(
                with_warnings(
                    f"Invalid {what} format '{value}' for expression '{body_of(text)}'.", warnings
                )
            ) from exc

    def _open_boundaries(self, inst: ElementInstance, el: Element) -> None:
        pdef = self.definition_of(inst)
        for bid in el.boundaries:
            boundary = pdef.elements[bid]
            if boundary.event and boundary.event.kind in ("message", "timer", "signal"):
                root = self.instances[inst.process_instance_key]
                self._open_subscription(
                    inst, boundary, root.data["definitionKey"], pdef.bpmn_process_id, inst.key
                )

    def _open_event_subprocesses(self, scope: ElementInstance) -> None:
        pdef = self.definition_of(scope)
        ids = (
            pdef.event_subprocesses
            if scope.kind == PROCESS
            else pdef.elements[scope.element_id].event_subprocesses
        )
        root = self.instances[scope.process_instance_key]
        for sid in ids:
            start = pdef.elements[pdef.elements[sid].start_event or ""]
            if start.event and start.event.kind in ("message", "timer", "signal"):
                self._open_subscription(
                    scope, start, root.data["definitionKey"], pdef.bpmn_process_id, scope.key
                )

    def _close_subscriptions(self, owner_key: int, only: set[str] | None = None) -> None:
        for sub in [s for s in self.subscriptions.values() if s.owner_key == owner_key]:
            if only is None or sub.element_id in only:
                self._close(sub)

    def _close(self, sub: Subscription) -> None:
        self.subscriptions.pop(sub.key, None)
        self.changes.subscriptions.add(sub.key)

    # ------------------------------------------------------------------ process start events
    def _open_start_subscriptions(self, deployed: Deployed, pdef: ProcessDefinition) -> None:
        """A new version replaces the timer start events of the older ones."""
        for sub in list(self.subscriptions.values()):
            if sub.owner_key == 0 and sub.bpmn_process_id == deployed.bpmn_process_id:
                self._close(sub)
        for sid in pdef.event_starts:
            start = pdef.elements[sid]
            if start.event and start.event.kind == "timer":
                try:
                    self._open_subscription(
                        None, start, deployed.key, deployed.bpmn_process_id, None
                    )
                except ExpressionFailure as exc:
                    from engine.errors import EngineError

                    raise EngineError("INVALID_ARGUMENT", f"element '{sid}': {exc}") from exc

    def _latest_with_start(self, kind: str, name: str) -> list[tuple[Deployed, str]]:
        found = []
        for (dkind, _pid), versions in self.versions.items():
            if dkind != "process":
                continue
            latest = versions[-1]
            pdef = self.definitions[latest.key]
            for sid in pdef.event_starts:
                ev = pdef.elements[sid].event
                if ev is not None and ev.kind == kind and ev.name == name:
                    found.append((latest, sid))
        return found

    # ------------------------------------------------------------------ messages
    def publish_message(
        self, name: str, correlation_key: str, ttl_ms: int, message_id: str, variables: dict
    ) -> int:
        """PublishMessage: correlate now, and buffer for the time to live."""
        from engine.errors import EngineError

        if not name:
            raise EngineError("INVALID_ARGUMENT", "Expected a message name, but it was empty")
        now = self.clock.now_ms()
        if message_id:
            for m in self.messages.values():
                if (
                    m.message_id == message_id
                    and m.name == name
                    and m.correlation_key == correlation_key
                    and m.expires > now
                ):
                    raise EngineError(
                        "ALREADY_EXISTS",
                        f"Expected to publish a new message with id '{message_id}', but a message "
                        "with that id was already published",
                    )
        msg = Message(
            key=self.next_key(),
            name=name,
            correlation_key=correlation_key,
            message_id=message_id,
            variables=variables,
            expires=now + max(ttl_ms, 0),
        )
        self._correlate_to_starts(msg)
        self._correlate_to_subscriptions(msg)
        if ttl_ms > 0:
            self.messages[msg.key] = msg
            self.changes.messages.add(msg.key)
            self._add_timer(msg.expires, "message-ttl", msg.key)
        return msg.key

    def _correlate_to_starts(self, msg: Message) -> None:
        for deployed, sid in self._latest_with_start("message", msg.name):
            pid = deployed.bpmn_process_id
            if pid in msg.correlated:
                continue
            if msg.correlation_key and any(
                i.kind == PROCESS
                and i.data.get("bpmnProcessId") == pid
                and i.data.get("startCorrelationKey") == msg.correlation_key
                for i in self.instances.values()
            ):
                continue
            root = self.create_instance(deployed, msg.variables, [sid])
            if root.key in self.instances and msg.correlation_key:
                root.data["startCorrelationKey"] = msg.correlation_key
                self._touch(root)
            msg.correlated.append(pid)

    def _start_from_buffer(self, bpmn_process_id: str, correlation_key: str) -> None:
        """An instance started by a message ended: a buffered message may start the next one."""
        versions = self.versions.get(("process", bpmn_process_id), [])
        if not versions:
            return
        pdef = self.definitions[versions[-1].key]
        names = {
            pdef.elements[sid].event.name: sid  # type: ignore[union-attr]
            for sid in pdef.event_starts
            if pdef.elements[sid].event and pdef.elements[sid].event.kind == "message"  # type: ignore[union-attr]
        }
        now = self.clock.now_ms()
        for msg in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                msg.name in names
                and msg.correlation_key == correlation_key
                and msg.expires > now
                and bpmn_process_id not in msg.correlated
            ):
                root = self.create_instance(versions[-1], msg.variables, [names[msg.name]])
                if root.key in self.instances:
                    root.data["startCorrelationKey"] = correlation_key
                    self._touch(root)
                msg.correlated.append(bpmn_process_id)
                self.changes.messages.add(msg.key)
                return

    def _correlate_to_subscriptions(self, msg: Message) -> None:
        matching = sorted(
            (
                s
                for s in self.subscriptions.values()
                if s.kind == "message"
                and s.owner_key
                and s.name == msg.name
                and s.correlation_key == msg.correlation_key
            ),
            key=lambda s: s.key,
        )
        for sub in matching:
            if sub.bpmn_process_id in msg.correlated or sub.key not in self.subscriptions:
                continue
            msg.correlated.append(sub.bpmn_process_id)
            self._trigger(sub, msg.variables)

    def _correlate_buffered(self, sub_key: int) -> None:
        sub = self.subscriptions.get(sub_key)
        if sub is None:
            return
        now = self.clock.now_ms()
        for msg in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                msg.name == sub.name
                and msg.correlation_key == sub.correlation_key
                and msg.expires > now
                and sub.bpmn_process_id not in msg.correlated
            ):
                msg.correlated.append(sub.bpmn_process_id)
                self.changes.messages.add(msg.key)
                self._trigger(sub, msg.variables)
                return

    # ------------------------------------------------------------------ signals
    def broadcast_signal(self, name: str, variables: dict) -> int:
        """BroadcastSignal: every open signal subscription of that name, and signal starts."""
        from engine.errors import EngineError

        if not name:
            raise EngineError("INVALID_ARGUMENT", "Expected a signal name, but it was empty")
        key = self.next_key()
        self._signal(name, variables)
        return key

    def _signal(self, name: str, variables: dict) -> None:
        for sub in sorted(self.subscriptions.values(), key=lambda s: s.key):
            if sub.kind == "signal" and sub.name == name and sub.key in self.subscriptions:
                self._trigger(sub, variables)
        for deployed, sid in self._latest_with_start("signal", name):
            self.create_instance(deployed, variables, [sid])

    # ------------------------------------------------------------------ timers
    def _fire_timer(self, sub: Subscription, due: int) -> None:
        if sub.due != due:
            return
        if sub.cycle and sub.repetitions != 1 and self._repeats(sub):
            cycle = parse_cycle(sub.cycle)
            sub.repetitions = sub.repetitions - 1 if sub.repetitions > 0 else -1
            sub.due = cycle.next_due(due)
            self.changes.subscriptions.add(sub.key)
            self._add_timer(sub.due, "timer", sub.key)
        else:
            self._close(sub)
        self._trigger(sub, {})

    def _repeats(self, sub: Subscription) -> bool:
        """Cycles repeat on start events and on non-interrupting boundaries and sub-processes."""
        if sub.owner_key == 0:
            return True
        owner = self.instances.get(sub.owner_key)
        if owner is None:
            return False
        el = self.definition_of(owner).elements[sub.element_id]
        return el.kind in ("boundaryEvent", "startEvent") and not el.interrupting

    def _expire_message(self, key: int, due: int) -> None:
        msg = self.messages.get(key)
        if msg is not None and msg.expires <= due:
            self.messages.pop(key)
            self.changes.messages.add(key)

    # ------------------------------------------------------------------ triggering
    def _trigger(self, sub: Subscription, variables: dict) -> None:
        """A message, timer or signal arrived for a subscription."""
        if sub.owner_key == 0:
            self.create_instance(self.deployed[sub.definition_key], variables, [sub.element_id])
            return
        owner = self.instances.get(sub.owner_key)
        if owner is None:
            self._close(sub)
            return
        pdef = self.definition_of(owner)
        el = pdef.elements[sub.element_id]
        if el.kind == "boundaryEvent":
            self._catch_at_boundary(owner, el, variables)
        elif el.kind == "startEvent":
            self._start_event_subprocess(owner, el, variables)
        elif owner.kind == "eventBasedGateway":
            self._close_subscriptions(owner.key)
            parent = self.instances[owner.parent_key or 0]
            self._remove(owner)
            self._activate(el, parent, trigger=variables)
        else:
            self._close_subscriptions(owner.key)
            self._complete(owner, variables)

    def _catch_at_boundary(self, owner: ElementInstance, el: Element, variables: dict) -> None:
        parent = self.instances[owner.parent_key or 0]
        if el.interrupting:
            self._terminate(owner)
        self._activate(el, parent, trigger=variables)

    def _start_event_subprocess(
        self, scope: ElementInstance, start: Element, variables: dict
    ) -> None:
        pdef = self.definition_of(scope)
        sub_el = pdef.elements[start.scope_id]
        if start.interrupting:
            ids = (
                pdef.event_subprocesses
                if scope.kind == PROCESS
                else pdef.elements[scope.element_id].event_subprocesses
            )
            starts = {pdef.elements[i].start_event or "" for i in ids}
            self._close_subscriptions(scope.key, only=starts)
            for child_key in sorted(self.children.get(scope.key, set())):
                if child_key in self.instances:
                    self._terminate(self.instances[child_key])
            scope.data.pop("joins", None)
            scope.data["interrupted"] = True
            self._touch(scope)
        self._activate(sub_el, scope, trigger=variables, start_at=start.id)

    # ------------------------------------------------------------------ errors and escalations
    def _catch_candidates(
        self, source: ElementInstance
    ) -> Iterator[tuple[str, ElementInstance, list[Element]]]:
        """From `source` outwards: (where, owner, catch events) in the order a throw looks."""
        node: ElementInstance | None = source
        while node is not None:
            pdef = self.definition_of(node)
            if (
                node.kind in (PROCESS, "subProcess")
                and node is not source
                and not node.data.get("interrupted")
            ):
                ids = (
                    pdef.event_subprocesses
                    if node.kind == PROCESS
                    else pdef.elements[node.element_id].event_subprocesses
                )
                starts = [pdef.elements[pdef.elements[i].start_event or ""] for i in ids]
                yield "eventSubprocess", node, starts
            parent = self.instances.get(node.parent_key) if node.parent_key else None
            inner_mi = parent is not None and parent.kind == BODY
            if node.kind != PROCESS and not inner_mi:
                el = pdef.elements[node.element_id]
                yield "boundary", node, [pdef.elements[b] for b in el.boundaries]
            if node.kind == PROCESS:
                parent_key = node.data.get("parentElementInstanceKey")
                node = self.instances.get(parent_key) if parent_key else None
            else:
                node = parent

    def _find_catcher(
        self, source: ElementInstance, kind: str, code: str
    ) -> tuple[str, ElementInstance, Element] | None:
        """Walk up from `source` to the nearest boundary or event sub-process catching it."""
        for where, owner, candidates in self._catch_candidates(source):
            match = _best_match(candidates, kind, code)
            if match is not None:
                return where, owner, match
        return None

    def _uncaught_error(self, source: ElementInstance, code: str, message: str) -> str:
        """Zeebe's incident message for an error nothing catches, naming the codes in reach."""
        available = [
            el.event.code
            for _where, _owner, candidates in self._catch_candidates(source)
            for el in candidates
            if el.event is not None and el.event.kind == "error" and el.event.code
        ]
        with_message = f" with message '{message}'" if message else ""
        listing = (
            f" Available error events are [{', '.join(available)}]"
            if available
            else " No error events are available in the scope."
        )
        return (
            f"Expected to throw an error event with the code '{code}'{with_message}, "
            f"but it was not caught.{listing}"
        )

    def _throw_error(
        self, source: ElementInstance, code: str, message: str, variables: dict
    ) -> bool:
        """Throw a BPMN error from `source`; False when nothing catches it."""
        found = self._find_catcher(source, "error", code)
        if found is None:
            return False
        where, owner, catcher = found
        ev = catcher.event
        trigger = dict(variables)
        if ev is not None and ev.code_variable:
            trigger[ev.code_variable] = code
        if ev is not None and ev.message_variable:
            trigger[ev.message_variable] = message
        if where == "boundary":
            self._catch_at_boundary(owner, catcher, trigger)
        else:
            self._start_event_subprocess(owner, catcher, trigger)
        return True

    def _throw_escalation(self, source: ElementInstance, code: str) -> bool:
        """Throw an escalation; True when a catcher interrupted the thrower."""
        found = self._find_catcher(source, "escalation", code)
        if found is None:
            return False
        where, owner, catcher = found
        trigger: dict[str, Any] = {}
        if catcher.event is not None and catcher.event.code_variable:
            trigger[catcher.event.code_variable] = code
        if where == "boundary":
            self._catch_at_boundary(owner, catcher, trigger)
        else:
            self._start_event_subprocess(owner, catcher, trigger)
        return catcher.interrupting

    # ------------------------------------------------------------------ timer heap entries
    def _fire_event_timer(self, kind: str, key: int, due: int) -> bool:
        """Apply a due timer of the events feature; False when it is not one of ours."""
        if kind == "timer":
            sub = self.subscriptions.get(key)
            if sub is not None:
                self._fire_timer(sub, due)
            return True
        if kind == "message-ttl":
            self._expire_message(key, due)
            return True
        return False


def _best_match(candidates: list[Element], kind: str, code: str) -> Element | None:
    """An exact code match wins over a catch-all at the same level."""
    catch_all = None
    for el in candidates:
        ev = el.event
        if ev is None or ev.kind != kind:
            continue
        if ev.code == code:
            return el
        if ev.code is None and catch_all is None:
            catch_all = el
    return catch_all
