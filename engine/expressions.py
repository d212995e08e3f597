"""Zeebe expressions: a value starting with '=' is FEEL, anything else is a static string.

Failures are worded as Zeebe 8.5's ExpressionProcessor words them, FEEL's warnings appended
one per line as `[TYPE] message`, since operators debug incidents from these texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.feel import FeelEngine, FeelError


class ExpressionFailure(Exception):
    """An expression could not give what its place needs; becomes an incident."""

    def __init__(self, message: str, error_type: str = "EXTRACT_VALUE_ERROR") -> None:
        super().__init__(message)
        self.error_type = error_type


def with_warnings(message: str, warnings: Sequence[str]) -> str:
    """A failure message followed by FEEL's warnings, as Zeebe appends them."""
    if not warnings:
        return message
    return message + " The evaluation reported the following warnings:\n" + "\n".join(warnings)


def feel_type(value: Any) -> str:
    """Zeebe's name for the type of an expression result (NULL, STRING, NUMBER ...)."""
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


def body_of(text: str) -> str:
    """The expression as Zeebe quotes it in messages: without the leading '='."""
    stripped = text.strip()
    return stripped[1:] if stripped.startswith("=") else stripped


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
            where = f" at position {exc.position}" if exc.position is not None else ""
            raise ExpressionFailure(
                with_warnings(
                    f"failed to evaluate expression '{stripped[1:]}': {exc.reason}{where}",
                    exc.warnings,
                )
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
        if feel_type(value) == expected:
            return value
        raise ExpressionFailure(
            with_warnings(
                f"Expected result of the expression '{body_of(text)}' to be '{expected}', "
                f"but was '{feel_type(value)}'.",
                warnings,
            )
        )

    def one_of(
        self, text: str, context: Mapping[str, Any], expected: Sequence[str]
    ) -> tuple[Any, list[str]]:
        """Value and warnings of an expression that must be one of some FEEL types.

        Temporal values reach us as ISO strings, so DURATION, PERIOD and DATE_TIME are met
        by a STRING result; the caller parses it.
        """
        value, warnings = self.evaluate(text, context)
        if feel_type(value) != "STRING":
            raise ExpressionFailure(
                with_warnings(
                    f"Expected result of the expression '{body_of(text)}' to be one of "
                    f"'[{', '.join(expected)}]', but was '{feel_type(value)}'.",
                    warnings,
                )
            )
        return value, warnings
