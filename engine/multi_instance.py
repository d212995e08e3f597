"""Multi-instance activities: the body, its inner instances and their collections (a mixin).

Follows Zeebe: the body holds the output collection; each inner instance owns loopCounter,
the input element and (when it is a plain variable) the output element, so parallel inner
instances never race on one variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bpmn.model import Element
from engine.expressions import Expressions
from engine.state import ElementInstance


class MultiInstanceBehaviour:
    """Multi-instance bodies and inner instances (mixed into Engine)."""

    # what the host (engine.runtime.Engine) provides
    instances: dict[int, ElementInstance]
    children: dict[int, set[int]]
    vars: dict[int, dict[str, Any]]
    expr: Expressions
    visible: Callable[[int], dict[str, Any]]
    element_of: Callable[[ElementInstance], Element]
    _new_instance: Callable[[str, str, ElementInstance], ElementInstance]
    _complete: Callable[..., None]
    _enter: Callable[[ElementInstance], None]
    _set_local: Callable[[int, str, Any], None]
    _terminate: Callable[[ElementInstance], None]
    _touch: Callable[[ElementInstance], None]

    def _start_body(self, body: ElementInstance, el: Element) -> None:
        mi = el.multi_instance
        assert mi is not None
        items = self.expr.typed(mi.input_collection, self.visible(body.key), "ARRAY")
        body.data.update({"items": items, "next": 0, "completed": 0, "terminated": 0})
        self._touch(body)
        if mi.output_collection:
            self._set_local(body.key, mi.output_collection, [None] * len(items))
        if not items:
            self._complete(body)
            return
        if mi.sequential:
            self._spawn_inner(body, el)
            return
        body.data["spawning"] = True
        for _ in items:
            self._spawn_inner(body, el)
            if body.key not in self.instances:
                return
        body.data.pop("spawning", None)
        self._body_progress(body)

    def _spawn_inner(self, body: ElementInstance, el: Element) -> None:
        index = body.data["next"]
        body.data["next"] = index + 1
        self._touch(body)
        inner = self._new_instance(el.id, el.kind, body)
        self._set_local(inner.key, "loopCounter", index + 1)
        mi = el.multi_instance
        assert mi is not None
        if mi.input_element:
            self._set_local(inner.key, mi.input_element, body.data["items"][index])
        target = _plain_variable(mi.output_element)
        if target and target != mi.input_element:
            # as Zeebe does: a job result for the output element stays in its inner instance
            # instead of propagating to the process, where parallel instances would race
            self._set_local(inner.key, target, None)
        self._enter(inner)

    def _collect_output_element(self, body: ElementInstance, inner: ElementInstance) -> None:
        mi = self.element_of(body).multi_instance
        if mi is None or not mi.output_collection or not mi.output_element:
            return
        value = self.expr.value(mi.output_element, self.visible(inner.key))
        index = self.vars[inner.key]["loopCounter"] - 1
        collected = list(self.vars.get(body.key, {}).get(mi.output_collection) or [])
        while len(collected) <= index:
            collected.append(None)
        collected[index] = value
        self._set_local(body.key, mi.output_collection, collected)

    def _completion_reached(self, body: ElementInstance, inner: ElementInstance) -> bool:
        """The completion condition, seen from the inner instance that is completing."""
        mi = self.element_of(body).multi_instance
        if mi is None or not mi.completion_condition:
            return False
        counters = self._mi_counters(body)
        counters["numberOfCompletedInstances"] += 1
        counters["numberOfActiveInstances"] -= 1
        context = {**self.visible(inner.key), **counters}
        return bool(self.expr.typed(mi.completion_condition, context, "BOOLEAN"))

    def _inner_done(self, body: ElementInstance, stop: bool) -> None:
        """After an inner instance completed: stop early, start the next, or complete."""
        body.data["completed"] = body.data.get("completed", 0) + 1
        self._touch(body)
        el = self.element_of(body)
        mi = el.multi_instance
        assert mi is not None
        if stop:
            for child_key in sorted(self.children.get(body.key, set())):
                body.data["terminated"] = body.data.get("terminated", 0) + 1
                self._terminate(self.instances[child_key])
            self._complete(body)
            return
        if body.data.get("spawning"):
            return
        if mi.sequential and body.data["next"] < len(body.data["items"]):
            self._spawn_inner(body, el)
            return
        self._body_progress(body)

    def _body_progress(self, body: ElementInstance) -> None:
        """Complete the body once every inner instance has run and none is left."""
        if body.key in self.instances and not self.children.get(body.key):
            if body.data["next"] >= len(body.data["items"]):
                self._complete(body)

    def _mi_counters(self, body: ElementInstance) -> dict[str, int]:
        active = len(self.children.get(body.key, set()))
        return {
            "numberOfInstances": len(body.data.get("items", [])),
            "numberOfActiveInstances": active,
            "numberOfCompletedInstances": body.data.get("completed", 0),
            "numberOfTerminatedInstances": body.data.get("terminated", 0),
        }


def _plain_variable(expression: str | None) -> str | None:
    """The variable name when an expression is just `=name`, else None."""
    if not expression:
        return None
    body = expression.strip().removeprefix("=").strip()
    return body if body.isidentifier() else None
