"""FEEL for the embedded engine: feelin (JS) in V8 via mini-racer, plus Zeebe's '=' convention."""

from engine.feel.bridge import DEFAULT_BUNDLE, FeelEngine, FeelError, FeelResult
from engine.feel.expressions import evaluate_static_or_feel, expression_body, is_expression

__all__ = [
    "DEFAULT_BUNDLE",
    "FeelEngine",
    "FeelError",
    "FeelResult",
    "evaluate_static_or_feel",
    "expression_body",
    "is_expression",
]
