"""Every example of the Camunda 8.5 docs' FEEL temporal pages, as the engine evaluates it.

Pages (Camunda 8.5 docs, components/modeler/feel): language guide "Temporal expressions",
built-in functions "Temporal functions" and "Conversion functions". Each row is an example
and the value its comment gives, written the way the engine stores it (JSON: dates, times and
durations as ISO strings). Where a page's comment differs from what Zeebe 8.5 (feel-scala
1.18) returns, the row holds Zeebe's result and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from engine.feel import FeelEngine

TEMPORAL_EXPRESSIONS = [
    # literals
    ('date("2020-04-06")', "2020-04-06"),
    ('@"2020-04-06"', "2020-04-06"),
    ('time("08:00:00")', "08:00:00"),
    ('time("08:00:00+02:00")', "08:00:00+02:00"),
    ('time("08:00:00@Europe/Berlin")', "08:00:00@Europe/Berlin"),
    ('@"08:00:00"', "08:00:00"),
    ('@"08:00:00+02:00"', "08:00:00+02:00"),
    ('@"08:00:00@Europe/Berlin"', "08:00:00@Europe/Berlin"),
    ('date and time("2020-04-06T08:00:00")', "2020-04-06T08:00:00"),
    ('date and time("2020-04-06T08:00:00+02:00")', "2020-04-06T08:00:00+02:00"),
    (
        'date and time("2020-04-06T08:00:00@Europe/Berlin")',
        "2020-04-06T08:00:00+02:00[Europe/Berlin]",
    ),
    ('@"2020-04-06T08:00:00"', "2020-04-06T08:00:00"),
    ('@"2020-04-06T08:00:00+02:00"', "2020-04-06T08:00:00+02:00"),
    ('@"2020-04-06T08:00:00@Europe/Berlin"', "2020-04-06T08:00:00+02:00[Europe/Berlin]"),
    ('duration("P5D")', "P5D"),
    ('duration("PT6H")', "PT6H"),
    ('@"P5D"', "P5D"),
    ('@"PT6H"', "PT6H"),
    ('duration("P1Y6M")', "P1Y6M"),
    ('duration("P3M")', "P3M"),
    ('@"P1Y6M"', "P1Y6M"),
    ('@"P3M"', "P3M"),
    ('@"2024-06-31"', None),  # not a calendar date
    # addition
    ('date("2020-04-06") + duration("P1D")', "2020-04-07"),
    ('time("08:00:00") + duration("PT1H")', "09:00:00"),
    ('date and time("2020-04-06T08:00:00") + duration("P7D")', "2020-04-13T08:00:00"),
    ('duration("P2D") + duration("P5D")', "P7D"),
    # subtraction
    ('date("2020-04-06") - date("2020-04-01")', "P5D"),
    ('date("2020-04-06") - duration("P5D")', "2020-04-01"),
    ('time("08:00:00") - time("06:00:00")', "PT2H"),
    ('time("08:00:00") - duration("PT2H")', "06:00:00"),
    ('duration("P7D") - duration("P2D")', "P5D"),
    ('duration("P1Y") - duration("P3M")', "P9M"),
    # multiplication
    ('duration("P1D") * 5', "P5D"),
    ('duration("P1M") * 6', "P6M"),
    # division
    ('duration("P5D") / duration("P1D")', 5),
    ('duration("P5D") / 5', "P1D"),
    ('duration("P1Y") / duration("P1M")', 12),
    ('duration("P1Y") / 12', "P1M"),
    # properties
    ('date("2020-04-06").year', 2020),
    ('date("2020-04-06").month', 4),
    ('date("2020-04-06").weekday', 1),
    ('time("08:00:00").hour', 8),
    ('date and time("2020-04-06T08:00:00+02:00").time offset', "PT2H"),
    ('date and time("2020-04-06T08:00:00@Europe/Berlin").timezone', "Europe/Berlin"),
    ('duration("PT2H30M").hours', 2),
    ('duration("PT2H30M").minutes', 30),
    ('duration("P6M").months', 6),
]

TEMPORAL_FUNCTIONS = [
    ('day of week(date("2019-09-17"))', "Tuesday"),
    ('day of week(date and time("2019-09-17T12:00:00"))', "Tuesday"),
    ('day of year(date("2019-09-17"))', 260),
    ('day of year(date and time("2019-09-17T12:00:00"))', 260),
    ('week of year(date("2019-09-17"))', 38),
    ('week of year(date and time("2019-09-17T12:00:00"))', 38),
    ('month of year(date("2019-09-17"))', "September"),
    ('month of year(date and time("2019-09-17T12:00:00"))', "September"),
    ('abs(duration("-PT5H"))', "PT5H"),
    ('abs(duration("PT5H"))', "PT5H"),
    ('abs(duration("-P2M"))', "P2M"),
    ('last day of month(date("2022-10-01"))', "2022-10-31"),
    ('last day of month(date and time("2022-10-16T12:00:00"))', "2022-10-31"),
]

CONVERSION_FUNCTIONS = [
    ("string(1.1)", "1.1"),
    ('string(date("2012-12-25"))', "2012-12-25"),
    ('number("1500.5")', 1500.5),
    ('context([{"key":"a", "value":1}, {"key":"b", "value":2}])', {"a": 1, "b": 2}),
    ('date("2018-04-29")', "2018-04-29"),
    ('date(date and time("2012-12-25T11:00:00"))', "2012-12-25"),
    ('date("2024-06-31")', None),
    ("date(2012, 12, 25)", "2012-12-25"),
    ("date(2024, 6, 31)", None),
    ('time("12:00:00")', "12:00:00"),
    ('time(date and time("2012-12-25T11:00:00"))', "11:00:00"),
    ("time(23, 59, 0)", "23:59:00"),
    ('time(14, 30, 0, duration("PT1H"))', "14:30:00+01:00"),
    ('date and time("2018-04-29T09:30:00")', "2018-04-29T09:30:00"),
    ('date and time("2024-06-31T10:00:00")', None),
    ('date and time(date("2012-12-24"),time("T23:59:00"))', "2012-12-24T23:59:00"),
    (
        'date and time(date and time("2012-12-25T11:00:00"),time("T23:59:00"))',
        "2012-12-25T23:59:00",
    ),
    (
        'date and time(@"2020-07-31T14:27:30@Europe/Berlin", "America/Los_Angeles")',
        "2020-07-31T05:27:30-07:00[America/Los_Angeles]",
    ),
    # The page's comment says 12:27:30Z, as if the local date-time were in Berlin time;
    # feel-scala 1.18 puts a local date-time into the zone as it is (LocalDateTime.atZone).
    ('date and time(@"2020-07-31T14:27:30", "Z")', "2020-07-31T14:27:30Z"),
    ('duration("P5D")', "P5D"),
    ('duration("P32Y")', "P32Y"),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', "P1Y8M"),
]

# Rules behind the examples (feel-scala 1.18's interpreter), beyond the pages' own rows.
ARITHMETIC_RULES = [
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
]

NOT_DEFINED = [
    ('duration("P1D") * duration("P1D")', "[INVALID_TYPE] Can't multiply 'P1D' by 'P1D'"),
    ('duration("P1D") / 0', "[INVALID_TYPE] Can't divide 'P1D' by '0'"),
    ('5 / duration("P1D")', "[INVALID_TYPE] Can't divide '5' by 'P1D'"),
    ('duration("P1Y") / duration("P1D")', "[INVALID_TYPE] Can't divide 'P1Y' by 'P1D'"),
    ('"a" * 2', "[INVALID_TYPE] Can't multiply '\"a\"' by '2'"),
]


@pytest.fixture(scope="module")
def feel() -> Iterator[FeelEngine]:
    engine = FeelEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("expression", "expected"),
    TEMPORAL_EXPRESSIONS + TEMPORAL_FUNCTIONS + CONVERSION_FUNCTIONS + ARITHMETIC_RULES,
)
def test_documented_example(feel: FeelEngine, expression: str, expected: Any) -> None:
    result = feel.evaluate(expression, {})

    assert result.value == expected
    if expected is not None:
        assert result.warnings == []


@pytest.mark.parametrize(("expression", "warning"), NOT_DEFINED)
def test_undefined_temporal_arithmetic_is_null_with_feel_scalas_warning(
    feel: FeelEngine, expression: str, warning: str
) -> None:
    assert feel.evaluate(expression, {}).value is None
    assert feel.evaluate(expression, {}).warnings == [warning]


def test_now_is_a_zoned_date_and_time(feel: FeelEngine) -> None:
    # the page's example value is a moment in 2020: only its shape can hold
    value = feel.evaluate("now()", {}).value
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d(\[.+\])?)", value)


def test_today_is_a_date(feel: FeelEngine) -> None:
    value = feel.evaluate("today()", {}).value
    assert abs((date.fromisoformat(value) - date.today()).days) <= 1
