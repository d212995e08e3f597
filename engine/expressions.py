"""Zeebe expressions: a value starting with '=' is FEEL, anything else is a static string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.feel import FeelEngine, FeelError


class ExpressionFailure(Exception):
    """An expression could not give what its place needs; becomes an incident."""

    def __init__(self, message: str, error_type: str = "EXTRACT_VALUE_ERROR") -> None:
        super().__init__(message)
        self.error_type = error_type


class Expressions:
    """Evaluates Zeebe expressions against a variable context."""

    def __init__(self, feel: FeelEngine) -> None:
        self.feel = feel

    def evaluate(self, text: str, context: Mapping[str, Any]) -> tuple[Any, list[str]]:
        """Value and FEEL warnings of an expression or static value."""
        stripped = text.strip()
        if not stripped.startswith("="):
            return text, []
        try:
            result = self.feel.evaluate(stripped[1:], context)
        except FeelError as exc:
            raise ExpressionFailure(
                f"failed to evaluate expression '{stripped[1:]}': {exc}"
            ) from exc
        return result.value, list(result.warnings)

    def value(self, text: str, context: Mapping[str, Any]) -> Any:
        """Value of an expression; null (None) results are allowed."""
        return self.evaluate(text, context)[0]

    def typed(self, text: str, context: Mapping[str, Any], expected: str) -> Any:
        """Value of an expression that must be of a FEEL type: BOOLEAN, STRING, NUMBER, ARRAY."""
        value, warnings = self.evaluate(text, context)
        if expected == "NUMBER" and not text.strip().startswith("="):
            try:
                return int(text)
            except ValueError:
                pass
        if _feel_type(value) == expected:
            return value
        detail = (
            f" The evaluation reported the following warnings: {'; '.join(warnings)}"
            if warnings
            else ""
        )
        raise ExpressionFailure(
            f"Expected result of the expression '{text.strip().lstrip('=')}' to be '{expected}', "
            f"but was '{_feel_type(value)}'.{detail}"
        )


def _feel_type(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    if isinstance(value, dict):
        return "OBJECT"
    return type(value).__name__.upper()
