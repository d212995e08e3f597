"""Zeebe's convention for attribute values: text starting with '=' is a FEEL expression."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.feel.bridge import FeelEngine


def is_expression(text: str | None) -> bool:
    """True when text is a FEEL expression, i.e. starts with '=' after leading whitespace."""
    return text is not None and text.lstrip().startswith("=")


def expression_body(text: str) -> str:
    """The FEEL source of an expression attribute: the text after the leading '='."""
    stripped = text.lstrip()
    if not stripped.startswith("="):
        raise ValueError(f"not a FEEL expression (no leading '='): {text!r}")
    return stripped[1:]


def evaluate_static_or_feel(
    text: str | None, variables: Mapping[str, Any], engine: FeelEngine
) -> Any:
    """The value of an attribute: evaluated when it is an expression, else the text itself."""
    if text is None or not is_expression(text):
        return text
    return engine.evaluate(expression_body(text), variables).value
