"""The FEEL conditions of Camunda Forms (`"conditional": {"hide": "=..."}`), on the server.

Forms hide a component when its condition is true. The portal evaluates the small part of FEEL
such conditions use: literals (numbers, strings, `true`, `false`, `null`), variable paths
(`assignment.memberId`), comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`), `and`, `or`,
`not(...)` and parentheses, with FEEL's three-valued logic (a comparison with `null` or of
different types is `null`, which does not hide). Anything else (function calls other than
`not`, arithmetic, lists, `if`, filters ...) is refused when the form is loaded, so a form is
never shown with a condition the portal would get wrong.

A parsed condition is a small JSON-able tree (lists), so the browser can evaluate the same
tree (portal/static/js/forms.js) without a FEEL parser of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Node = list[Any]
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORDS = {"and", "or", "not", "true", "false", "null"}
# FEEL words of what the portal does not evaluate: named in the refusal
UNSUPPORTED = {"if", "then", "else", "for", "in", "return", "some", "every", "satisfies"}
UNSUPPORTED |= {"between", "instance", "of", "function", "is"}
TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>\d+(?:\.\d+)?)"
    r'|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>!=|<=|>=|=|<|>|\(|\)|\.|-)"
    r")"
)


class ConditionError(ValueError):
    """A condition outside the FEEL the portal evaluates (the message says what)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ConditionError(f"unexpected {text[position:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    """Recursive descent: or → and → not/comparison → value."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, value: str | None = None) -> tuple[str, str] | None:
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        if token is None or (value is not None and token[1] != value):
            return None
        return token

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek(value)
        if token is None:
            got = self.tokens[self.at][1] if self.at < len(self.tokens) else "the end"
            raise ConditionError(f"expected {value or 'a value'}, found {got!r}")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.disjunction()
        if self.at != len(self.tokens):
            raise ConditionError(f"unexpected {self.tokens[self.at][1]!r}")
        return node

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.peek("or"):
            self.take("or")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ["or", parts]

    def conjunction(self) -> Node:
        parts = [self.comparison()]
        while self.peek("and"):
            self.take("and")
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else ["and", parts]

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in COMPARISONS:
            self.take()
            return ["cmp", token[1], left, self.operand()]
        return left

    def operand(self) -> Node:
        token = self.take()
        kind, text = token
        if text == "(":
            inner = self.disjunction()
            self.take(")")
            return inner
        if text == "not":
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return ["not", inner]
        if text == "-" and self.peek() and self.peek()[0] == "number":  # type: ignore[index]
            return ["lit", -_number(self.take()[1])]
        if kind == "number":
            return ["lit", _number(text)]
        if kind == "string":
            return ["lit", re.sub(r"\\(.)", r"\1", text[1:-1])]
        if text in ("true", "false"):
            return ["lit", text == "true"]
        if text == "null":
            return ["lit", None]
        if text in UNSUPPORTED:
            raise ConditionError(f"'{text}' is not supported")
        if kind == "name" and text not in KEYWORDS:
            path = [text]
            while self.peek("."):
                self.take(".")
                name = self.take()
                if name[0] != "name" or name[1] in KEYWORDS:
                    raise ConditionError(f"expected a name after '.', found {name[1]!r}")
                path.append(name[1])
            if self.peek("("):
                raise ConditionError(f"the function {text}() is not supported")
            return ["path", path]
        raise ConditionError(f"unexpected {text!r}")


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def parse(expression: str) -> Node:
    """A condition's tree; ConditionError when it is not in the supported FEEL."""
    text = expression.strip()
    if not text.startswith("="):
        raise ConditionError("a condition is a FEEL expression starting with '='")
    if not text[1:].strip():
        raise ConditionError("an empty condition")
    return _Parser(text[1:]).parse()


def paths(node: Node) -> set[str]:
    """The first names of every variable path of a condition (what it depends on)."""
    kind = node[0]
    if kind == "path":
        return {node[1][0]}
    if kind == "cmp":
        return paths(node[2]) | paths(node[3])
    if kind in ("and", "or"):
        return set().union(*(paths(part) for part in node[1]))
    if kind == "not":
        return paths(node[1])
    return set()


def _lookup(context: Mapping[str, Any], path: list[str]) -> Any:
    value: Any = context
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _compare(op: str, left: Any, right: Any) -> bool | None:
    kinds = (_kind(left), _kind(right))
    if op in ("=", "!="):
        if "null" in kinds:
            equal = left is None and right is None
        elif kinds[0] != kinds[1] or "other" in kinds:
            return None  # FEEL: values of different types do not compare
        else:
            equal = left == right
        return equal if op == "=" else not equal
    if kinds[0] != kinds[1] or kinds[0] not in ("number", "string"):
        return None
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def evaluate(node: Node, context: Mapping[str, Any]) -> Any:
    """A condition's value in a context (FEEL's null is None)."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "path":
        return _lookup(context, node[1])
    if kind == "cmp":
        return _compare(node[1], evaluate(node[2], context), evaluate(node[3], context))
    if kind == "not":
        value = evaluate(node[1], context)
        return (not value) if isinstance(value, bool) else None
    values = [evaluate(part, context) for part in node[1]]
    if kind == "and":
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def holds(node: Node, context: Mapping[str, Any]) -> bool:
    """Whether a condition is true (null and false both leave the component shown)."""
    return evaluate(node, context) is True
