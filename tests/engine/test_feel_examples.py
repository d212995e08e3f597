"""Every example of the Camunda 8.5 docs' FEEL pages, evaluated by the engine (feel_examples.py).

Plus the rules behind the examples (feel-scala's interpreter and built-ins) where feelin needed
a fix in the bundle's build (engine/feel/js/build.mjs), so each fix is pinned down beyond the
pages' own rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from engine.feel import FeelEngine, FeelError
from tests.engine.feel_examples import PAGES, Fails, Given, Row


def _params(table: dict[str, list[Row]]) -> list[Any]:
    """One pytest param per row: expression, expected, variables, expected warnings."""
    params = []
    for page, rows in table.items():
        for row in rows:
            given = row if isinstance(row, Given) else Given(*row)
            params.append(pytest.param(*given, id=f"{page}: {given.expression}"))
    return params


def _json(value: Any) -> str:
    # compares as the stored JSON does: true is not 1, 2 is not 2.0, keys in any order
    return json.dumps(value, sort_keys=True)


# Rules behind the examples, beyond the pages' own rows.
RULES: dict[str, list[Row]] = {
    "duration arithmetic": [
        ('2 * duration("PT1H")', "PT2H"),  # number * duration
        ('2.9 * duration("PT1H")', "PT2H"),  # factors are whole numbers (intValue)
        ('duration("P1Y") * 2', "P2Y"),
        ('duration("PT1H") / duration("PT40M")', 1),  # days-and-time: whole quotient
        ('duration("P1Y") / duration("P5M")', 2.4),  # years-and-months: a decimal
        ('duration("P1Y") / 5', "P2M"),  # whole months
        ('date("2020-04-06") + duration("PT25H")', "2020-04-07"),  # a date stays a date
        ('years and months duration(date("2013-08-24"), date("2011-12-22"))', "-P1Y8M"),
        (
            'years and months duration(date and time("2011-12-22T10:00:00"), '
            'date and time("2013-08-24T08:00:00"))',
            "P1Y8M",
        ),
    ],
    # BigDecimal arithmetic: exact + - *, quotients to 34 digits, setScale for rounding
    "decimals": [
        ("0.1 + 0.2", 0.3),
        ("0.3 - 0.1", 0.2),
        ("19.99 * 3", 59.97),
        ("1.1 ** 2", 1.21),
        ("2 ** -2", 0.25),
        ("10 / 4", 2.5),
        ("1 / 3", 1 / 3),
        ("sum([0.1, 0.2])", 0.3),
        ("product([0.1, 3])", 0.3),
        ("mean([0.1, 0.2])", 0.15),
        ("median([10, 9, 2])", 9),  # sorted as numbers (feelin sorted "10" < "2")
        ("median([0.1, 0.2])", 0.15),
        ("mode([5, -1, 5, -1, 2.5])", [-1, 5]),  # modes come out sorted
        ("round half up(1.005, 2)", 1.01),  # feelin: 1.005 * 100 is 100.49999999999999
        ("round half down(2.675, 2)", 2.67),
        ("decimal(2.5, 0)", 2),  # half-even
        ('decimal(2.5, 0, "half_up")', 3),  # the mode of feel-scala's 3-argument decimal()
        ("modulo(-12, 5)", 3),  # the divisor's sign, as FEEL's modulo
        ("modulo(12, -5)", -3),
        ("modulo(10.1, 3)", 1.1),
        ("log(10) + 1", 3.302585092994046),  # a double keeps its digits through arithmetic
    ],
    "filters and literals": [
        ("[1,2,3,4][odd(item) = false]", [2, 4]),
        ("[{a: 1}, {a: 2}][even(a)]", [{"a": 2}]),  # a context item's entries are in scope
        ("[1,2,3][count([1, 1])]", 2),  # a number from the first item is an index
        ("[][even(item)]", []),
        (r'"a\\nb"', r"a\nb"),  # an escaped backslash, then an n
        (r'matches("a1", "\d")', True),  # regex escapes stay as written
        ('@"23:59"', "23:59:00"),
    ],
    "contexts": [
        ('context put({x: 1}, ["a", "b", "c"], 2)', {"x": 1, "a": {"b": {"c": 2}}}),
        ('context put({a: 5}, ["a", "b"], 2)', {"a": {"b": 2}}),  # a value in the path is replaced
        ('context put(context: {x: 1}, key: "y", value: 2)', {"x": 1, "y": 2}),
        ('context put(context: {x: 1}, keys: ["y"], value: 2)', {"x": 1, "y": 2}),
        ('put({x: 1}, "y", 2)', {"x": 1, "y": 2}),  # the deprecated names still answer
        ("put all({x: 1}, {y: 2})", {"x": 1, "y": 2}),
        ("put all([{x: 1, y: 0}, {y: 2}])", {"x": 1, "y": 2}),
    ],
    "ranges": [
        ('before(date("2020-01-01"), date("2020-01-02"))', True),
        ('during(time("10:00:00"), [time("09:00:00")..time("11:00:00")])', True),
        ('includes([duration("P1D")..duration("P5D")], duration("P2D"))', True),
        ("before(point: 1, range: [2..5])", True),  # feel-scala's parameter names
        ("coincides(range1: [1..5], range2: [1..5])", True),
    ],
}

NOT_DEFINED = [
    ('duration("P1D") * duration("P1D")', "[INVALID_TYPE] Can't multiply 'P1D' by 'P1D'"),
    ('duration("P1D") / 0', "[INVALID_TYPE] Can't divide 'P1D' by '0'"),
    ('5 / duration("P1D")', "[INVALID_TYPE] Can't divide '5' by 'P1D'"),
    ('duration("P1Y") / duration("P1D")', "[INVALID_TYPE] Can't divide 'P1Y' by 'P1D'"),
    ('"a" * 2', "[INVALID_TYPE] Can't multiply '\"a\"' by '2'"),
]

# Arguments feel-scala has no answer for: null, with a warning.
NOT_ANSWERED = [
    'before(1, "a")',  # points of different kinds
    'includes([1..5], date("2020-01-01"))',
    'before(time("10:00:00"), time("10:00:00+02:00"))',  # a local and a zoned time
    "meets(1, 2)",  # meets() takes ranges
    "round up(5.5)",  # the scale is not optional in Zeebe 8.5
    'decimal(1.5, 0, "sideways")',
    "modulo(1, 0)",
    "context put({x: 1}, [], 2)",
]


@pytest.fixture(scope="module")
def feel() -> Iterator[FeelEngine]:
    engine = FeelEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("expression", "expected", "variables", "warnings"), _params(PAGES) + _params(RULES)
)
def test_documented_example(
    feel: FeelEngine,
    expression: str,
    expected: Any,
    variables: dict[str, Any],
    warnings: tuple[str, ...] | None,
) -> None:
    if isinstance(expected, Fails):
        with pytest.raises(FeelError, match=re.escape(expected.cause)):
            feel.evaluate(expression, variables)
        return
    result = feel.evaluate(expression, variables)

    assert _json(result.value) == _json(expected)
    if expected is not None and warnings is not None:
        assert result.warnings == list(warnings)


@pytest.mark.parametrize(("expression", "warning"), NOT_DEFINED)
def test_undefined_temporal_arithmetic_is_null_with_feel_scalas_warning(
    feel: FeelEngine, expression: str, warning: str
) -> None:
    assert feel.evaluate(expression, {}).value is None
    assert feel.evaluate(expression, {}).warnings == [warning]


@pytest.mark.parametrize("expression", NOT_ANSWERED)
def test_arguments_without_an_answer_are_null_with_a_warning(
    feel: FeelEngine, expression: str
) -> None:
    result = feel.evaluate(expression, {})

    assert result.value is None
    assert [w.split("]")[0] for w in result.warnings] == ["[INVALID_ARGUMENTS"]


def test_now_is_a_zoned_date_and_time(feel: FeelEngine) -> None:
    # the page's example value is a moment in 2020: only its shape can hold
    value = feel.evaluate("now()", {}).value
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d(\[.+\])?)", value)


def test_today_is_a_date(feel: FeelEngine) -> None:
    value = feel.evaluate("today()", {}).value
    assert abs((date.fromisoformat(value) - date.today()).days) <= 1


def test_random_number_is_between_0_and_1(feel: FeelEngine) -> None:
    # the page's 0.9701618132579795 is one draw: only its range can hold
    values = {feel.evaluate("random number()", {}).value for _ in range(20)}
    assert all(isinstance(v, float) and 0 <= v < 1 for v in values)
    assert len(values) > 1


def test_uuid_is_a_random_version_4_uuid(feel: FeelEngine) -> None:
    # the page's "7793aab1-d761-4d38-916b-b7270e309894" is one draw: only its form can hold
    first, second = (feel.evaluate("uuid()", {}).value for _ in range(2))
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(uuid, first) and re.fullmatch(uuid, second)
    assert first != second
