"""FEEL evaluation in-process: the feelin bundle (engine/feel/js) running in V8 via mini-racer.

Values cross the boundary as JSON text. FEEL results become JSON-friendly Python values the
way Zeebe stores them: dates, times and date-times as ISO-8601 strings (a date-time in a
named zone as ``2023-05-01T10:00:00+02:00[Europe/Berlin]``), durations as ISO durations
(``P1D``, ``PT2H``, ``P1Y2M``), contexts as dicts, whole numbers as int. A result that has
no JSON form (a function or a range) raises FeelError; Zeebe would store null instead.

Numbers inside FEEL are IEEE doubles (feelin), but arithmetic computes on the decimals they
spell, as Zeebe's BigDecimals do (engine/feel/js/decimal.js): ``0.1 + 0.2 = 0.3`` holds and
``1 / 3`` is the double nearest to Zeebe's 34-digit quotient. Integers beyond 2**53 lose
precision once an expression computes with them. A plain variable reference or path
(``=orderId``, ``=order.customer.id``) is answered in Python without V8, so such values pass
through unchanged.
"""

from __future__ import annotations

import json
import math
import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

DEFAULT_BUNDLE = Path(__file__).resolve().parent / "dist" / "feel.js"
DEFAULT_TIMEOUT_SECONDS = 1.0
# Without a limit V8 aborts the whole process when its heap fills up; with one, a runaway
# expression fails with FeelError and the isolate is replaced.
DEFAULT_MAX_MEMORY_BYTES = 512 * 1024 * 1024
_BUNDLE_LOAD_TIMEOUT_SECONDS = 30.0
_MAX_PLANS = 4096

# Tests that match every input; answered without V8.
_MATCH_ALL_TESTS = frozenset({"", "-"})

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
# A lone keyword is not a variable reference even if a variable has that name.
_KEYWORDS = frozenset(
    "true false null not and or for in return if then else some every satisfies between "
    "instance of function external".split()
)
_MISSING: Any = object()


class FeelError(Exception):
    """An expression that cannot be parsed or evaluated; the message names it."""

    def __init__(
        self,
        expression: str,
        reason: str,
        *,
        position: int | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.expression = expression
        self.reason = reason
        self.position = position
        self.warnings = list(warnings)
        message = f"failed to evaluate expression '{expression}': {reason}"
        if position is not None:
            message += f" at position {position}"
        if self.warnings:
            message += "; warnings: " + "; ".join(self.warnings)
        super().__init__(message)


@dataclass(frozen=True)
class FeelResult:
    """The JSON-compatible value of an expression and the warnings raised on the way."""

    value: Any
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """What we learnt about one expression text: its root names, or a plain path."""

    path: tuple[str, ...] | None
    names: tuple[str, ...] | None = None


def _parse_float(text: str) -> int | float:
    """JSON numbers with a fraction or exponent: whole values become int, as Zeebe stores them."""
    number = float(text)
    return int(number) if number.is_integer() else number


def _parse_int(text: str) -> int:
    """JSON integers from V8 are doubles: past 2**53, the double's exact value, not its digits."""
    return int(text) if len(text) < 16 else int(float(text))


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_parse_float, parse_int=_parse_int)


def _plain(value: Any) -> Any:
    """A JSON-shaped copy of a variable value (whole floats to int); _MISSING if not JSON."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return _MISSING
        return int(value) if value.is_integer() else value
    if isinstance(value, list | tuple):
        items = [_plain(item) for item in value]
        return _MISSING if any(item is _MISSING for item in items) else items
    if isinstance(value, Mapping):
        entries = {key: _plain(item) for key, item in value.items()}
        if any(not isinstance(key, str) or item is _MISSING for key, item in entries.items()):
            return _MISSING
        return entries
    return _MISSING


def _resolve_path(path: tuple[str, ...], variables: Mapping[str, Any]) -> Any:
    """The value at a.b.c when every step exists (FEEL gives the same); else _MISSING."""
    value: Any = variables
    for name in path:
        if not isinstance(value, Mapping) or name not in value:
            return _MISSING
        value = value[name]
    return value


def _close_racers(box: list[MiniRacer]) -> None:
    """Close the isolate in box (once); runs on close() or at interpreter exit."""
    while box:
        box.pop().close()


def _plan_for(expression: str) -> _Plan:
    text = expression.strip()
    if _PATH.fullmatch(text):
        path = tuple(text.split("."))
        if not any(part in _KEYWORDS for part in path):
            return _Plan(path=path)
    return _Plan(path=None)


class FeelEngine:
    """A V8 isolate with the FEEL bundle loaded; one per process is enough, calls are serialised."""

    def __init__(
        self,
        bundle_path: Path | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_memory: int = DEFAULT_MAX_MEMORY_BYTES,
    ) -> None:
        path = Path(bundle_path) if bundle_path is not None else DEFAULT_BUNDLE
        if not path.is_file():
            raise FileNotFoundError(
                f"FEEL bundle not found at {path}; run `make install` to build it "
                "(npm install + esbuild of engine/feel/js/entry.js)"
            )
        self._bundle = path.read_text(encoding="utf-8")
        self._timeout = timeout
        self._max_memory = max_memory
        # mini-racer serialises calls itself; the lock also keeps the plan caches and the
        # JS-side scratch state (one current scope) consistent across threads.
        self._lock = threading.Lock()
        self._plans: dict[str, _Plan] = {}
        self._test_names: dict[str, tuple[str, ...]] = {}
        # mini-racer 0.14 can hang the interpreter's exit when an isolate is still open at
        # teardown, so the isolate lives in a box that a finalizer closes at exit at the latest.
        self._box: list[MiniRacer] = [self._start()]
        self._finalizer = weakref.finalize(self, _close_racers, self._box)
        self.version: str = self._box[0].eval("KhcnFeel.version")  # type: ignore[assignment]

    def _start(self) -> MiniRacer:
        racer = MiniRacer()
        racer.set_hard_memory_limit(self._max_memory)
        racer.eval(self._bundle, timeout_sec=_BUNDLE_LOAD_TIMEOUT_SECONDS)
        version = racer.eval("typeof KhcnFeel === 'object' ? KhcnFeel.version : null")
        if not isinstance(version, str) or not version.startswith("khcn-feel"):
            raise RuntimeError("the FEEL bundle did not define KhcnFeel; rebuild it: make install")
        return racer

    def close(self) -> None:
        """Release the V8 isolate."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> FeelEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- expressions ---------------------------------------------------------------------

    def evaluate(self, expression: str, variables: Mapping[str, Any]) -> FeelResult:
        """Evaluate a FEEL expression (the text after Zeebe's leading '=') against variables."""
        plan = self._plans.get(expression)
        if plan is None:
            plan = _plan_for(expression)
            with self._lock:
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.clear()
                self._plans[expression] = plan
        if plan.path is not None:
            value = _resolve_path(plan.path, variables)
            if value is not _MISSING:
                value = _plain(value)
                if value is not _MISSING:
                    return FeelResult(value, [])
        payload = self._payload(expression, plan.names, variables)
        code = (
            f"KhcnFeel.evaluate({json.dumps(expression)},{json.dumps(payload)},"
            f"{'false' if plan.names is not None else 'true'})"
        )
        reply = self._call(expression, code)
        if "e" in reply:
            raise FeelError(
                expression, reply["e"], position=reply.get("p"), warnings=reply.get("w", ())
            )
        if "n" in reply:
            plan.names = tuple(reply["n"])
        return FeelResult(reply["v"], reply["w"])

    def check(self, expression: str) -> None:
        """Raise FeelError if the expression does not parse; nothing is evaluated (deploy time)."""
        reply = self._call(expression, f"KhcnFeel.check({json.dumps(expression)},'expression')")
        if "e" in reply:
            raise FeelError(expression, reply["e"], position=reply.get("p"))
        with self._lock:
            plan = self._plans.setdefault(expression, _plan_for(expression))
            plan.names = tuple(reply["n"])

    def check_unary_test(self, test: str) -> None:
        """Raise FeelError if a DMN input entry does not parse; nothing is evaluated."""
        if test.strip() in _MATCH_ALL_TESTS:
            return
        reply = self._call(test, f"KhcnFeel.check({json.dumps(test)},'unary')")
        if "e" in reply:
            raise FeelError(test, reply["e"], position=reply.get("p"))
        with self._lock:
            self._test_names[test] = tuple(reply["n"])

    # -- unary tests (DMN input entries) ----------------------------------------------------

    def unary_test(self, test: str, input_value: Any, variables: Mapping[str, Any]) -> bool:
        """Whether input_value satisfies a DMN input entry such as "-", ">= 70" or "not(3)"."""
        return self.unary_tests([test], input_value, variables)[0]

    def unary_tests(
        self,
        tests: Sequence[str],
        input_value: Any = None,
        variables: Mapping[str, Any] | None = None,
        *,
        input_expression: str | None = None,
    ) -> list[bool]:
        """Run many input entries against one input in a single V8 call.

        With input_expression, the input is that expression's FEEL value (a date stays a
        date instead of becoming an ISO string), and input_value is ignored.
        """
        variables = variables if variables is not None else {}
        results = [True] * len(tests)
        pending = [i for i, test in enumerate(tests) if test.strip() not in _MATCH_ALL_TESTS]
        if not pending:
            return results
        texts = [tests[i] for i in pending]
        names = self._unary_names(texts, input_expression)
        label = texts[0] if len(texts) == 1 else f"{len(texts)} input entries"
        try:
            input_json = json.dumps(input_value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise FeelError(label, f"the input value is not JSON: {exc}") from exc
        code = (
            f"KhcnFeel.unaryTests({json.dumps(json.dumps(texts))},{json.dumps(input_json)},"
            f"{json.dumps(input_expression)},{json.dumps(self._payload(label, names, variables))},"
            f"{'false' if names is not None else 'true'})"
        )
        reply = self._call(label, code)
        if "e" in reply:
            index = reply.get("i", -1)
            failed = input_expression if index < 0 and input_expression else texts[max(index, 0)]
            raise FeelError(
                failed or label, reply["e"], position=reply.get("p"), warnings=reply.get("w", ())
            )
        if "n" in reply:
            self._remember_unary_names(texts, input_expression, reply["n"])
        for i, matched in zip(pending, reply["v"], strict=True):
            results[i] = matched
        return results

    def _unary_names(
        self, texts: Sequence[str], input_expression: str | None
    ) -> tuple[str, ...] | None:
        """Union of the names the tests (and input expression) read; None if any is unknown."""
        names: set[str] = set()
        for text in texts:
            known = self._test_names.get(text)
            if known is None:
                return None
            names.update(known)
        if input_expression is not None:
            plan = self._plans.get(input_expression)
            if plan is None or plan.names is None:
                return None
            names.update(plan.names)
        return tuple(names)

    def _remember_unary_names(
        self, texts: Sequence[str], input_expression: str | None, reply: Mapping[str, Any]
    ) -> None:
        with self._lock:
            if len(self._test_names) >= _MAX_PLANS:
                self._test_names.clear()
            for text, names in zip(texts, reply["tests"], strict=True):
                self._test_names[text] = tuple(names)
            if input_expression is not None and reply.get("input") is not None:
                plan = self._plans.setdefault(input_expression, _plan_for(input_expression))
                plan.names = tuple(reply["input"])

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _payload(
        expression: str, names: tuple[str, ...] | None, variables: Mapping[str, Any]
    ) -> str:
        """Variables as JSON: only the names the expression reads, once those are known."""
        if names is not None:
            variables = {name: variables[name] for name in names if name in variables}
        try:
            return json.dumps(variables, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise FeelError(expression, f"the variables are not JSON: {exc}") from exc

    def _call(self, expression: str, code: str) -> dict[str, Any]:
        """Run one bridge call in V8 under the lock and the per-call timeout."""
        with self._lock:
            if not self._box:
                raise RuntimeError("the FeelEngine is closed")
            try:
                reply = self._box[0].eval(code, timeout_sec=self._timeout)
            except JSTimeoutException as exc:
                raise FeelError(
                    expression, f"evaluation timed out after {self._timeout * 1000:.0f} ms"
                ) from exc
            except JSOOMException as exc:
                # V8 cannot be trusted after running out of memory: start a fresh isolate.
                self._box.pop().close()
                self._box.append(self._start())
                raise FeelError(expression, "evaluation ran out of memory") from exc
            except JSEvalException as exc:
                raise FeelError(expression, f"the FEEL bridge failed: {exc}") from exc
        if not isinstance(reply, str):
            raise FeelError(expression, f"the FEEL bridge returned {type(reply).__name__}")
        return _loads(reply)
