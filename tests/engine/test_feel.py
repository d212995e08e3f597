"""Unit tests of the FEEL bridge (feelin in V8 via mini-racer); no engine process needed."""

from __future__ import annotations

import base64
import math
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.feel import (
    FeelEngine,
    FeelError,
    FeelResult,
    evaluate_static_or_feel,
    expression_body,
    is_expression,
)

VARIABLES: dict[str, Any] = {
    "a": 1,
    "b": 2.5,
    "flag": True,
    "name": "nông nghiệp",
    "numbers": [1, 2, 3, 4, 5],
    "order": {
        "id": "o-1",
        "customer": {"name": "Lan", "address": {"city": "Huế"}},
        "items": [{"price": 5}, {"price": 12}, {"price": 30}],
    },
    "count": 7,  # same name as a built-in function
    "day": "2023-05-01",
    "offsetTime": "2023-05-01T10:00:00+07:00",
    "zonedTime": "2023-05-01T10:00:00+02:00[Europe/Berlin]",
    "key": 2251799813685249,  # a Zeebe key: partition 1 in the high bits
    "huge": 2**63 - 1,
}


@pytest.fixture(scope="module")
def feel() -> Iterator[FeelEngine]:
    """One engine for the module, as the engine process keeps one."""
    engine = FeelEngine()
    yield engine
    engine.close()


def value(feel: FeelEngine, expression: str, variables: dict[str, Any] | None = None) -> Any:
    """The value of an expression that must evaluate without warnings."""
    result = feel.evaluate(expression, VARIABLES if variables is None else variables)
    assert result.warnings == [], result.warnings
    return result.value


# -- loading ------------------------------------------------------------------------------


def test_bundle_reports_its_version(feel: FeelEngine) -> None:
    assert feel.version.startswith("khcn-feel")
    assert "feelin 8.2.0" in feel.version


def test_missing_bundle_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make install"):
        FeelEngine(tmp_path / "missing.js")


# -- the language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # comparisons and arithmetic
        ("a = 1", True),
        ("a != 1", False),
        ("a < b", True),
        ("b >= 2.5", True),
        ("3 between 1 and 5", True),
        ("a + b", 3.5),
        ("a * 3 - 1", 2),
        ("10 / 4", 2.5),
        ("2 ** 10", 1024),
        ("-a", -1),
        ('"nông" + " " + "nghiệp"', "nông nghiệp"),
        # boolean logic
        ("flag and a > 0", True),
        ("flag and a > 5", False),
        ("a > 5 or flag", True),
        ("not(flag)", False),
        # paths and filters
        ("order.customer.name", "Lan"),
        ("order.customer.address.city", "Huế"),
        ("order.items.price", [5, 12, 30]),
        ("order.items[price > 10].price", [12, 30]),
        ("order.items[1].price", 5),
        ("numbers[item > 3]", [4, 5]),
        ("numbers[-1]", 5),
        ("{x: 1, y: {z: [a, b]}}.y.z", [1, 2.5]),
        # control flow and iteration
        ('if a > 0 then "positive" else "negative"', "positive"),
        ('if a > 5 then "big" else "small"', "small"),
        ("some n in numbers satisfies n > 4", True),
        ("every n in numbers satisfies n > 4", False),
        ("for n in numbers return n * n", [1, 4, 9, 16, 25]),
        ("for i in 1..3 return i * 10", [10, 20, 30]),
        ("for i in [1, 2], j in [10, 20] return i + j", [11, 21, 12, 22]),
        # string built-ins
        ("upper case(name)", "NÔNG NGHIỆP"),
        ("string length(name)", 11),
        ("substring(name, 1, 4)", "nông"),
        ('contains(name, "nghiệp")', True),
        ('starts with(order.id, "o-")', True),
        ('matches(order.id, "^o-[0-9]+$")', True),
        ('replace("a-b-c", "-", "+")', "a+b+c"),
        ('split("a,b,c", ",")', ["a", "b", "c"]),
        ("string(12.5)", "12.5"),
        ('number("12.5")', 12.5),
        # list built-ins
        ("count(numbers)", 5),  # the built-in, although a variable is named count
        ("sum(numbers)", 15),
        ("min(numbers)", 1),
        ("max(numbers)", 5),
        ("mean(numbers)", 3),
        ("list contains(numbers, 3)", True),
        ("append(numbers, 6)", [1, 2, 3, 4, 5, 6]),
        ("reverse([1, 2, 3])", [3, 2, 1]),
        ("index of([1, 2, 3, 2], 2)", [2, 4]),
        ("sort(numbers, function(x, y) x > y)", [5, 4, 3, 2, 1]),
        ("distinct values([1, 2, 1, 3])", [1, 2, 3]),
        ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
        # context built-ins
        ("get entries({a: 1})", [{"key": "a", "value": 1}]),
        ('get value({a: 1}, "a")', 1),
        ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
        ('context put({a: {b: 1}}, ["a", "c"], 2)', {"a": {"b": 1, "c": 2}}),
        ("context merge([{a: 1}, {b: 2}])", {"a": 1, "b": 2}),
        # numeric built-ins
        ("floor(1.5)", 1),
        ("ceiling(1.2)", 2),
        ("round half up(2.5, 0)", 3),
        ("decimal(1 / 3, 2)", 0.33),
        ("modulo(7, 3)", 1),
        ("abs(-2)", 2),
    ],
)
def test_expressions(feel: FeelEngine, expression: str, expected: Any) -> None:
    assert value(feel, expression) == expected


def test_variables_are_read_per_call_although_the_expression_is_cached(feel: FeelEngine) -> None:
    expression = "first + second"
    # the first call sees only `first`; `second` must still be read when it appears later
    assert feel.evaluate(expression, {"first": 1}).value is None
    assert feel.evaluate(expression, {"first": 1, "second": 2}).value == 3
    assert feel.evaluate(expression, {"first": 10, "second": 20}).value == 30


def test_same_expression_many_variable_sets(feel: FeelEngine) -> None:
    for i in range(50):
        assert feel.evaluate("x * 2 + y", {"x": i, "y": 1, "other": "ignored"}).value == 2 * i + 1


# -- missing variables and warnings -------------------------------------------------------


def test_missing_variable_is_null_with_a_warning(feel: FeelEngine) -> None:
    result = feel.evaluate("missing", VARIABLES)
    assert result == FeelResult(None, ["[NO_VARIABLE_FOUND] No variable found with name 'missing'"])


def test_missing_variable_inside_an_expression(feel: FeelEngine) -> None:
    result = feel.evaluate("missing = null", {})
    assert result.value is True
    assert result.warnings == ["[NO_VARIABLE_FOUND] No variable found with name 'missing'"]


def test_missing_context_entry_is_null_with_a_warning(feel: FeelEngine) -> None:
    result = feel.evaluate("order.missing", VARIABLES)
    assert result.value is None
    assert [w.split("]")[0] for w in result.warnings] == ["[NO_CONTEXT_ENTRY_FOUND"]


def test_path_into_a_missing_variable(feel: FeelEngine) -> None:
    result = feel.evaluate("missing.deeper", {})
    assert result.value is None
    assert result.warnings[0] == "[NO_VARIABLE_FOUND] No variable found with name 'missing'"


def test_three_valued_logic_with_null(feel: FeelEngine) -> None:
    assert feel.evaluate("missing and false", {}).value is False
    assert feel.evaluate("missing or true", {}).value is True
    assert feel.evaluate("missing and true", {}).value is None


def test_mixed_type_comparison_is_null_not_true(feel: FeelEngine) -> None:
    # feelin alone answers true here; Zeebe answers null
    assert feel.evaluate('"abc" >= 70', {}).value is None
    assert feel.evaluate("x < 10", {"x": "abc"}).value is None
    assert feel.evaluate('"abc" in [1..5]', {}).value is None
    assert feel.evaluate("x < 10", {"x": 3}).value is True


# -- added Camunda built-ins --------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('get or else(missing, "default")', "default"),
        ('get or else(a, "default")', 1),
        ("get or else(null, null)", None),
        ("is defined(a)", True),
        ("is defined(null)", False),
        ("is defined(order.customer)", True),
        ("is empty([])", True),
        ("is empty(numbers)", False),
        ('trim("  nông  ")', "nông"),
        ('is blank("  ")', True),
        ('is blank(" x ")', False),
        ("partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ("partition([], 2)", []),
        ("duplicate values([1, 2, 1, 3, 3, 3])", [1, 3]),
        ("duplicate values([{a: 1}, {a: 1}, {a: 2}])", [{"a": 1}]),
        ('string join(["a", "b", "c"])', "abc"),
        ('string join(["a", null, "c"], ", ")', "a, c"),
        ('string join(["a", "b"], ", ", "[", "]")', "[a, b]"),
        ("string join([])", ""),
        ('extract("ref 1234, 1256, 1378", "12[0-9]*")', ["1234", "1256"]),
        ('last day of month(date("2024-02-10"))', "2024-02-29"),
        ('last day of month(date and time("2023-04-10T10:00:00"))', "2023-04-30"),
        ('get value({a: {b: 1}}, ["a", "b"])', 1),
        ('get value({a: {b: 1}}, ["a", "x"])', None),
        ("assert(a, a > 0)", 1),
        (
            'to json({a: 1, b: [true, null], c: date("2023-05-01")})',
            '{"a":1,"b":[true,null],"c":"2023-05-01"}',
        ),
        ('from json("{\\"a\\": [1, 2.5]}")', {"a": [1, 2.5]}),
        ("random number() >= 0 and random number() < 1", True),
        (
            'date and time(date and time("2023-05-01T10:00:00Z"), "Asia/Ho_Chi_Minh")',
            "2023-05-01T17:00:00+07:00[Asia/Ho_Chi_Minh]",
        ),
        ('date and time(date and time("2023-05-01T10:00:00"), "Z")', "2023-05-01T10:00:00Z"),
    ],
)
def test_added_builtins(feel: FeelEngine, expression: str, expected: Any) -> None:
    result = feel.evaluate(expression, VARIABLES)
    assert result.value == expected


def test_is_defined_of_a_missing_variable(feel: FeelEngine) -> None:
    assert feel.evaluate("is defined(missing)", {}).value is False
    assert feel.evaluate("is defined(order.missing)", VARIABLES).value is False


def test_to_base64_encodes_utf8(feel: FeelEngine) -> None:
    expected = base64.b64encode("nông nghiệp".encode()).decode()
    assert value(feel, "to base64(name)") == expected


def test_uuid_is_a_random_v4_uuid(feel: FeelEngine) -> None:
    first, second = value(feel, "[uuid(), uuid()]")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )
    assert first != second


def test_now_and_today(feel: FeelEngine) -> None:
    now = value(feel, "now()")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d.*)", now)
    assert value(feel, "today()") == value(feel, "string(date(now()))")
    today = date.fromisoformat(value(feel, "today()"))
    assert abs(today.toordinal() - date.today().toordinal()) <= 1


def test_failed_assertion_is_an_error(feel: FeelEngine) -> None:
    with pytest.raises(FeelError, match="a must be negative"):
        feel.evaluate('assert(a, a < 0, "a must be negative")', VARIABLES)
    with pytest.raises(FeelError, match="assertion failed"):
        feel.evaluate("assert(missing, missing != null)", {})


def test_bad_arguments_to_an_added_builtin_warn(feel: FeelEngine) -> None:
    result = feel.evaluate("partition([1, 2], 0)", {})
    assert result.value is None
    assert result.warnings[0].startswith("[INVALID_ARGUMENTS]")


# -- date and time conversions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("date(day)", "2023-05-01"),
        ('date("2023-05-01") + duration("P1D")', "2023-05-02"),
        ('date and time("2023-05-01T10:00:00")', "2023-05-01T10:00:00"),
        ('date and time("2023-05-01T10:00:00Z")', "2023-05-01T10:00:00Z"),
        ('date and time("2023-05-01T10:00:00.123Z")', "2023-05-01T10:00:00.123Z"),
        ("date and time(offsetTime)", "2023-05-01T10:00:00+07:00"),
        (
            'date and time("2023-05-01T10:00:00@Europe/Berlin")',
            "2023-05-01T10:00:00+02:00[Europe/Berlin]",
        ),
        # Zeebe's own string for a zoned date-time reads back with its zone
        ("date and time(zonedTime)", "2023-05-01T10:00:00+02:00[Europe/Berlin]"),
        ('date and time(zonedTime) + duration("PT1H")', "2023-05-01T11:00:00+02:00[Europe/Berlin]"),
        ('date and time(date("2023-05-01"), time("10:00:00"))', "2023-05-01T10:00:00"),
        ('@"2023-05-01T10:00:00Z"', "2023-05-01T10:00:00Z"),
        ('time("10:15:00")', "10:15:00"),
        ('time("10:15:00+07:00")', "10:15:00+07:00"),
        ('duration("P1D")', "P1D"),
        ('duration("PT2H")', "PT2H"),
        ('duration("P1Y2M")', "P1Y2M"),
        ('duration("P1D") + duration("PT2H")', "P1DT2H"),
        ('date("2023-05-03") - date("2023-05-01")', "P2D"),
        ('date and time("2023-05-01T12:00:00Z") - date and time("2023-05-01T10:00:00Z")', "PT2H"),
        ('years and months duration(date("2020-01-01"), date("2021-03-01"))', "P1Y2M"),
        ("date(day).year", 2023),
        ("date and time(offsetTime).hour", 10),
        ("day of week(date(day))", "Monday"),
        ("month of year(date(day))", "May"),
        ('date(day) < date("2023-06-01")', True),
        ('date and time(offsetTime) < date and time("2023-05-01T04:00:00Z")', True),
        ('{when: date(day), wait: duration("PT5M")}', {"when": "2023-05-01", "wait": "PT5M"}),
    ],
)
def test_temporal_values_become_iso_strings(
    feel: FeelEngine, expression: str, expected: Any
) -> None:
    assert value(feel, expression) == expected


# -- result types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected", "kind"),
    [
        ('"abc"', "abc", str),
        ('"true"', "true", str),
        ("true", True, bool),
        ("1", 1, int),
        ("1.0", 1, int),
        ("7 / 7", 1, int),
        ("1.5", 1.5, float),
        ("null", None, type(None)),
        ('[1, "a", null, true]', [1, "a", None, True], list),
        ("{a: 1}", {"a": 1}, dict),
        ('"nông nghiệp"', "nông nghiệp", str),
        ('"a\\"b"', 'a"b', str),
    ],
)
def test_result_types_survive(feel: FeelEngine, expression: str, expected: Any, kind: type) -> None:
    result = value(feel, expression)
    assert result == expected
    assert type(result) is kind


def test_variable_types_survive(feel: FeelEngine) -> None:
    variables = {"s": "abc", "t": True, "i": 3, "f": 2.5, "wholeFloat": 4.0, "l": [1.0, "x"]}
    assert value(feel, "s", variables) == "abc"
    assert value(feel, 's + ""', variables) == "abc"
    assert value(feel, "t", variables) is True
    assert value(feel, "i", variables) == 3
    assert value(feel, "f", variables) == 2.5
    assert type(value(feel, "wholeFloat", variables)) is int
    assert value(feel, "l", variables) == [1, "x"]
    assert value(feel, "{v: l}", variables) == {"v": [1, "x"]}


def test_non_ascii_strings(feel: FeelEngine) -> None:
    variables = {"linhVuc": "nông nghiệp", "đơnVị": "Sở KH&CN"}
    assert value(feel, 'linhVuc = "nông nghiệp"', variables) is True
    assert value(feel, 'linhVuc + " – " + "công nghệ"', variables) == "nông nghiệp – công nghệ"
    assert value(feel, "{tên: linhVuc}", variables) == {"tên": "nông nghiệp"}
    assert value(feel, "`đơnVị`", variables) == "Sở KH&CN"


def test_large_integers(feel: FeelEngine) -> None:
    # Zeebe keys stay below 2**53 and survive arithmetic exactly
    assert value(feel, "key") == 2251799813685249
    assert value(feel, "key + 1") == 2251799813685250
    assert value(feel, "[key, order.id]") == [2251799813685249, "o-1"]
    # a plain reference passes any integer through untouched
    assert value(feel, "huge") == 2**63 - 1
    assert value(feel, "n.id", {"n": {"id": 10**20}}) == 10**20
    # computing with it goes through IEEE doubles (a documented feelin limitation)
    assert value(feel, "huge + 0") == 2**63


def test_fractions_compute_as_decimals(feel: FeelEngine) -> None:
    # Zeebe computes on BigDecimals: exact sums and products, quotients to 34 digits; the
    # stored result is the double nearest to that decimal
    assert value(feel, "0.1 + 0.2") == 0.3
    assert value(feel, "price * 1.1", {"price": 100}) == 110
    assert type(value(feel, "price * 1.1", {"price": 100})) is int
    assert value(feel, "1 / 3") == 1 / 3
    assert value(feel, "1.1 ** 2") == 1.21
    assert value(feel, "sum([0.1, 0.2])") == 0.3
    # a double from a function keeps all its digits, in arithmetic too
    assert value(feel, "log(10) + 1") == 3.302585092994046
    assert value(feel, "b", {"b": 0.30000000000000004}) == 0.30000000000000004  # untouched


def test_function_and_range_results_are_errors(feel: FeelEngine) -> None:
    with pytest.raises(FeelError, match="function"):
        feel.evaluate("function(x) x + 1", {})
    with pytest.raises(FeelError, match="range"):
        feel.evaluate("[1..5]", {})


def test_variables_must_be_json(feel: FeelEngine) -> None:
    with pytest.raises(FeelError, match="not JSON"):
        feel.evaluate("a + 1", {"a": object()})
    with pytest.raises(FeelError, match="not JSON"):
        feel.evaluate("a + 1", {"a": float("nan")})


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression", ["a +", "if a then", "(1 + 2", "", "[1, 2", "a ! b", "= 5", "a = = 5", "a >= < 3"]
)
def test_syntax_error_names_the_expression(feel: FeelEngine, expression: str) -> None:
    with pytest.raises(FeelError) as caught:
        feel.evaluate(expression, VARIABLES)
    error = caught.value
    assert error.expression == expression
    assert f"'{expression}'" in str(error)
    assert "syntax error" in str(error)
    assert error.position is not None and 0 <= error.position <= len(expression)


def test_check_parses_without_evaluating(feel: FeelEngine) -> None:
    feel.check("assert(x, x > 0)")  # would fail if it were evaluated
    feel.check("[1..5]")
    feel.check_unary_test(">= 70")
    feel.check_unary_test("-")
    with pytest.raises(FeelError, match="syntax error") as caught:
        feel.check("x +")
    assert caught.value.position == 3
    with pytest.raises(FeelError, match="'>= '"):
        feel.check_unary_test(">= ")
    with pytest.raises(FeelError, match="syntax error"):
        feel.check_unary_test(">= = 5")
    # what check learnt does not change what evaluate answers
    assert feel.evaluate("assert(x, x > 0)", {"x": 2}).value == 2


def test_syntax_error_is_raised_every_time(feel: FeelEngine) -> None:
    for _ in range(3):
        with pytest.raises(FeelError, match="position 3"):
            feel.evaluate("a +", {"a": 1})


def test_runaway_expression_times_out_and_the_engine_recovers() -> None:
    with FeelEngine(timeout=0.2) as feel:
        with pytest.raises(FeelError, match="timed out"):
            feel.evaluate("count(for x in 1..5000000 return x)", {})
        assert feel.evaluate("a + 1", {"a": 1}).value == 2


def test_runaway_memory_fails_and_the_engine_recovers() -> None:
    with FeelEngine(timeout=30, max_memory=64 * 1024 * 1024) as feel:
        with pytest.raises(FeelError, match="out of memory"):
            feel.evaluate('for x in 1..20000000 return {n: x, s: "xxxxxxxxxxxxxxxx"}', {})
        assert feel.evaluate("a + 1", {"a": 1}).value == 2


# -- unary tests (DMN input entries) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "input_value", "expected"),
    [
        ("-", 80, True),
        ("", None, True),
        (">= 70", 80, True),
        (">= 70", 70, True),
        (">= 70", 69.5, False),
        (">= 70", None, False),
        (">= 70", "abc", False),
        ("< 10", 3, True),
        ("[1..5]", 3, True),
        ("[1..5]", 5, True),
        ("[1..5)", 5, False),
        ("[1..5]", 6, False),
        ('"a","b"', "b", True),
        ('"a","b"', "c", False),
        ('"nông nghiệp"', "nông nghiệp", True),
        ("not(3)", 3, False),
        ("not(3)", 4, True),
        ('not("a","b")', "c", True),
        ("3, 5, 7", 5, True),
        ("? > a", 5, True),
        ("? > a", 0, False),
        ("a", 1, True),
        ("null", None, True),
        ("true", True, True),
        ("true", False, False),
        ('< date("2023-06-01")', "2023-05-01", False),  # a string is not a date
    ],
)
def test_unary_tests(feel: FeelEngine, test: str, input_value: Any, expected: bool) -> None:
    assert feel.unary_test(test, input_value, VARIABLES) is expected


def test_unary_tests_in_one_call(feel: FeelEngine) -> None:
    tests = [">= 70", "[50..70)", "< 50", "-"]
    assert feel.unary_tests(tests, 65, VARIABLES) == [False, True, False, True]
    assert feel.unary_tests(tests, 80, VARIABLES) == [True, False, False, True]


def test_unary_tests_against_an_input_expression(feel: FeelEngine) -> None:
    # the input expression's FEEL value is used as is, so a date compares as a date
    tests = ['< date("2023-06-01")', '>= date("2023-06-01")', "-"]
    results = feel.unary_tests(tests, variables=VARIABLES, input_expression="date(day)")
    assert results == [True, False, True]


def test_unary_test_syntax_error_names_the_test(feel: FeelEngine) -> None:
    with pytest.raises(FeelError, match="'>= '") as caught:
        feel.unary_test(">= ", 1, {})
    assert caught.value.expression == ">= "


# -- threads -----------------------------------------------------------------------------------


def test_concurrent_evaluations(feel: FeelEngine) -> None:
    errors: list[str] = []

    def work(offset: int) -> None:
        for i in range(40):
            n = offset * 1000 + i
            result = feel.evaluate("n * 2", {"n": n}).value
            if result != n * 2:
                errors.append(f"{n}: {result}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# -- the '=' convention ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=a", True), ("  = a + 1", True), ("a", False), ("", False), (None, False), ("PT1S", False)],
)
def test_is_expression(text: str | None, expected: bool) -> None:
    assert is_expression(text) is expected


def test_expression_body() -> None:
    assert expression_body(" =order.id") == "order.id"
    with pytest.raises(ValueError):
        expression_body("order.id")


def test_evaluate_static_or_feel(feel: FeelEngine) -> None:
    assert evaluate_static_or_feel("=order.id", VARIABLES, feel) == "o-1"
    assert evaluate_static_or_feel("= a + 1", VARIABLES, feel) == 2
    assert evaluate_static_or_feel("PT1S", VARIABLES, feel) == "PT1S"
    assert evaluate_static_or_feel(None, VARIABLES, feel) is None


def test_incoming_fractions_are_the_decimals_their_digits_spell(feel: FeelEngine) -> None:
    # Zeebe reads a double as the decimal Double.toString spells, and so does the engine
    assert value(feel, "x <= 1/3", {"x": 1 / 3}) is True
    assert value(feel, "x = 0.1 + 0.2", {"x": 0.3}) is True
    assert value(feel, "x = 0.3", {"x": 0.1 + 0.2}) is False  # 0.30000000000000004 in Zeebe too
    assert value(feel, "x = log(10)", {"x": math.log(10)}) is True
    assert value(feel, "x > 0.3", {"x": 0.30000001}) is True
