"""Every example of the Camunda 8.5 docs' FEEL pages, as tables the engine must reproduce.

Pages (Camunda 8.5 docs, components/modeler/feel; the same text as feel-scala's reference when
Camunda took it over): the built-in function pages (boolean, string, numeric, list, context,
range, temporal, conversion) and the language guide pages whose examples give a result (data
types, boolean, string, numeric, list, context and temporal expressions, control flow,
functions, error handling, comments). Each row is an example and the value its comment gives,
written the way the engine stores it (JSON: dates, times and durations as ISO strings).

Where a page's comment differs from what Zeebe 8.5 returns (feel-scala 1.17.x, whose built-ins
equal 1.18's but for the four 1.18 adds), the row holds Zeebe's result and says why. Examples
that later pages add for the same functions are rows too ("later page"); so are the functions
later pages add which the engine offers as well (LATER_FUNCTIONS, MISCELLANEOUS_FUNCTIONS).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Given(NamedTuple):
    """An example that needs variables, or whose warnings are not those of Zeebe's wording."""

    expression: str
    expected: Any
    variables: dict[str, Any] = {}
    # the warnings the evaluation must give; None: not compared (feelin words them otherwise)
    warnings: tuple[str, ...] | None = ()


class Fails(NamedTuple):
    """The evaluation fails (in Zeebe: an incident) with a message that contains `cause`."""

    cause: str


Row = tuple[str, Any] | Given


# -- built-in functions ------------------------------------------------------------------------

BOOLEAN_FUNCTIONS: list[Row] = [
    ("not(true)", False),
    ("not(null)", None),
    ("is defined(1)", True),
    ("is defined(null)", False),
    Given(
        "is defined(x)", False, warnings=("[NO_VARIABLE_FOUND] No variable found with name 'x'",)
    ),
    Given("is defined(x.y)", False, warnings=None),
    Given("is defined(x.y)", False, {"x": {}}, warnings=None),
    ('get or else("this", "default")', "this"),
    ('get or else(null, "default")', "default"),
    ("get or else(null, null)", None),
    Given("assert(x, x != null)", "value", {"x": "value"}),
    Given("assert(x, x != null)", Fails("The condition is not fulfilled"), {"x": None}),
    Given("assert(x, x != null)", Fails("The condition is not fulfilled"), warnings=None),
    Given("assert(x, x >= 0)", 4, {"x": 4}),
    Given("assert(x, x >= 0)", Fails("The condition is not fulfilled"), {"x": -1}),
    Given("""assert(x, x != null, "'x' should not be null")""", "value", {"x": "value"}),
    Given(
        """assert(x, x != null, "'x' should not be null")""",
        Fails("'x' should not be null"),
        warnings=None,
    ),
    Given("""assert(x, x >= 0, "'x' should be positive")""", 4, {"x": 4}),
    Given(
        """assert(x, x >= 0, "'x' should be positive")""",
        Fails("'x' should be positive"),
        {"x": -4},
    ),
]

STRING_FUNCTIONS: list[Row] = [
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", -2)', "ar"),  # later page
    ('substring("foobar", 3, 3)', "oba"),
    ('substring("foobar", -3, 2)', "ba"),  # later page
    ('substring("foobar", 3, 10)', "obar"),  # later page
    ('string length("foo")', 3),
    ('upper case("aBc4")', "ABC4"),
    ('lower case("aBc4")', "abc4"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring after("foobar", "ob")', "ar"),
    ('contains("foobar", "of")', False),
    ('starts with("foobar", "fo")', True),
    ('ends with("foobar", "r")', True),
    ('matches("foobar", "^fo*bar")', True),
    ('matches("FooBar", "foo", "i")', True),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    (r'replace("0123456789", "(\d{3})(\d{3})(\d{4})", "($1) $2-$3")', "(012) 345-6789"),
    ('replace("How do you feel?", "Feel", "FEEL", "i")', "How do you FEEL?"),
    (r'split("John Doe", "\s" )', ["John", "Doe"]),
    ('split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
    ('extract("references are 1234, 1256, 1378", "12[0-9]*")', ["1234", "1256"]),
]

NUMERIC_FUNCTIONS: list[Row] = [
    ("decimal(1/3, 2)", 0.33),
    ("decimal(1.5, 0)", 2),
    ("floor(1.5)", 1),
    ("floor(-1.5)", -2),
    ("floor(-1.56, 1)", -1.6),
    ("ceiling(1.5)", 2),
    ("ceiling(-1.5)", -1),
    ("ceiling(-1.56, 1)", -1.5),
    ("round up(5.5, 0)", 6),
    ("round up(-5.5, 0)", -6),
    ("round up(1.121, 2)", 1.13),
    ("round up(-1.126, 2)", -1.13),
    ("round down(5.5, 0)", 5),
    ("round down (-5.5, 0)", -5),
    ("round down (1.121, 2)", 1.12),
    ("round down (-1.126, 2)", -1.12),
    ("round half up(5.5, 0)", 6),
    ("round half up(-5.5, 0)", -6),
    ("round half up(1.121, 2)", 1.12),
    ("round half up(-1.126, 2)", -1.13),
    ("round half down (5.5, 0)", 5),
    ("round half down (-5.5, 0)", -5),
    ("round half down (1.121, 2)", 1.12),
    ("round half down (-1.126, 2)", -1.13),
    ("abs(10)", 10),
    ("abs(-10)", 10),
    ("modulo(12, 5)", 2),
    ("sqrt(16)", 4),
    ("log(10)", 2.302585092994046),
    ("exp(5)", 148.4131591025766),
    ("odd(5)", True),
    ("odd(2)", False),
    ("even(5)", False),
    ("even(2)", True),
    # random number(): its value is random; test_feel_examples checks its range
]

LIST_FUNCTIONS: list[Row] = [
    ("list contains([1,2,3], 2)", True),
    ("count([1,2,3])", 3),
    ("min([1,2,3])", 1),
    ("min(1,2,3)", 1),
    ("max([1,2,3])", 3),
    ("max(1,2,3)", 3),
    ("sum([1,2,3])", 6),
    ("sum(1,2,3)", 6),
    ("product([2, 3, 4])", 24),
    ("product(2, 3, 4)", 24),
    ("mean([1,2,3])", 2),
    ("mean(1,2,3)", 2),
    ("median(8, 2, 5, 3, 4)", 4),
    ("median([6, 1, 2, 3])", 2.5),
    ("stddev(2, 4, 7, 5)", 2.0816659994661326),
    ("stddev([2, 4, 7, 5])", 2.0816659994661326),
    ("mode(6, 3, 9, 6, 6)", [6]),
    ("mode([6, 1, 9, 6, 1])", [1, 6]),
    ("all([true,false])", False),
    ("all(false,null,true)", False),
    ("any([false,true])", True),
    ("any(false,null,true)", True),
    ("sublist([1,2,3], 2)", [2, 3]),
    ("sublist([1,2,3], 1, 2)", [1, 2]),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1,2],[3])", [1, 2, 3]),
    ("concatenate([1],[2],[3])", [1, 2, 3]),
    ("insert before([1,3],1,2)", [2, 1, 3]),
    ("remove([1,2,3], 2)", [1, 3]),
    ("reverse([1,2,3])", [3, 2, 1]),
    ("index of([1,2,3,2],2)", [2, 4]),
    ("union([1,2],[2,3])", [1, 2, 3]),
    ("distinct values([1,2,3,2,1])", [1, 2, 3]),
    ("duplicate values([1,2,3,2,1])", [1, 2]),
    ("flatten([[1,2],[[3]], 4])", [1, 2, 3, 4]),
    ("sort(list: [3,1,4,5,2], precedes: function(x,y) x < y)", [1, 2, 3, 4, 5]),
    ('string join(["a","b","c"])', "abc"),
    ('string join(["a",null,"c"])', "ac"),
    ("string join([])", ""),
    ('string join(["a"], "X")', "a"),
    ('string join(["a","b","c"], ", ")', "a, b, c"),
    ('string join(["a","b","c"], ", ", "[", "]")', "[a, b, c]"),
]

CONTEXT_FUNCTIONS: list[Row] = [
    ('get value({foo: 123}, "foo")', 123),
    ('get value({a: 1}, "b")', None),
    ('get value({x:1, y: {z:0}}, ["y", "z"])', 0),
    ('get value({x: {y: {z:0}}}, ["x", "y"])', {"z": 0}),
    ('get value({a: {b: 3}}, ["b"])', None),
    ("get entries({foo: 123})", [{"key": "foo", "value": 123}]),
    ('context put({x:1}, "y", 2)', {"x": 1, "y": 2}),
    ('context put({x:1}, ["y"], 2)', {"x": 1, "y": 2}),
    ('context put({x:1, y: {z:0}}, ["y", "z"], 2)', {"x": 1, "y": {"z": 2}}),
    ('context put({x:1}, ["y", "z"], 2)', {"x": 1, "y": {"z": 2}}),
    ("context merge([{x:1}, {y:2}])", {"x": 1, "y": 2}),
    ("context merge([{x:1, y: 0}, {y:2}])", {"x": 1, "y": 2}),
]

RANGE_FUNCTIONS: list[Row] = [
    ("before(1, 10)", True),
    ("before(10, 1)", False),
    ("before([1..5], 10)", True),
    ("before(1, [2..5])", True),
    ("before([1..5], [6..10])", True),
    ("before([1..5),[5..10])", True),
    ("after(10, 1)", True),
    ("after(1, 10)", False),
    ("after([1..5], 10)", False),
    ("after(12, [2..5])", True),
    ("after([6..10], [1..5])", True),
    ("after([5..10], [1..5))", True),
    ("meets([1..5], [5..10])", True),
    ("meets([1..3], [4..6])", False),
    ("meets([1..3], [3..5])", True),
    ("meets([1..5], (5..8])", False),
    ("met by([5..10], [1..5])", True),
    ("met by([3..4], [1..2])", False),
    ("met by([3..5], [1..3])", True),
    ("met by((5..8], [1..5))", False),
    ("met by([5..10], [1..5))", False),
    ("overlaps([5..10], [1..6])", True),
    ("overlaps((3..7], [1..4])", True),
    ("overlaps([1..3], (3..6])", False),
    ("overlaps((5..8], [1..5))", False),
    ("overlaps([4..10], [1..5))", True),
    ("overlaps before([1..5], [4..10])", True),
    ("overlaps before([3..4], [1..2])", False),
    ("overlaps before([1..3], (3..5])", False),
    ("overlaps before([1..5), (3..8])", True),
    ("overlaps before([1..5), [5..10])", False),
    ("overlaps after([4..10], [1..5])", True),
    ("overlaps after([3..4], [1..2])", False),
    ("overlaps after([3..5], [1..3))", False),
    ("overlaps after((5..8], [1..5))", False),
    ("overlaps after([4..10], [1..5))", True),
    ("finishes(5, [1..5])", True),
    ("finishes(10, [1..7])", False),
    ("finishes([3..5], [1..5])", True),
    ("finishes((1..5], [1..5))", False),
    ("finishes([5..10], [1..10))", False),
    ("finished by([5..10], 10)", True),
    ("finished by([3..4], 2)", False),
    ("finished by([1..5], [3..5])", True),
    ("finished by((5..8], [1..5))", False),
    ("finished by([5..10], (1..10))", False),
    ("includes([5..10], 6)", True),
    ("includes([3..4], 5)", False),
    ("includes([1..10], [4..6])", True),
    ("includes((5..8], [1..5))", False),
    ("includes([1..10], [1..5))", True),
    ("during(5, [1..10])", True),
    ("during(12, [1..10])", False),
    ("during(1, (1..10])", False),
    ("during([4..6], [1..10))", True),
    ("during((1..5], (1..10])", True),
    ("starts(1, [1..5])", True),
    ("starts(1, (1..8])", False),
    ("starts((1..5], [1..5])", False),
    ("starts([1..10], [1..5])", False),
    ("starts((1..5), (1..10))", True),
    ("started by([1..10], 1)", True),
    ("started by((1..10], 1)", False),
    ("started by([1..10], [1..5])", True),
    ("started by((1..10], [1..5))", False),
    ("started by([1..10], [1..10))", True),
    ("coincides(5, 5)", True),
    ("coincides(3, 4)", False),
    ("coincides([1..5], [1..5])", True),
    ("coincides((1..5], [1..5))", False),
    ("coincides([1..5], [2..6])", False),
]

TEMPORAL_EXPRESSIONS: list[Row] = [
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

TEMPORAL_FUNCTIONS: list[Row] = [
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

CONVERSION_FUNCTIONS: list[Row] = [
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

# Functions of later pages (Zeebe 8.6+: feel-scala 1.18's string functions; 8.8: `fromAi`), which
# the engine offers too. A model that uses them does not run on the Zeebe 8.5 cluster.
LATER_FUNCTIONS: list[Row] = [
    ('trim("  hello world  ")', "hello world"),
    ('trim("hello   world ")', "hello   world"),
    ('to base64("FEEL")', "RkVFTA=="),
    ('is blank("")', True),
    ('is blank(" ")', True),
    ('is blank("hello world")', False),
    # uuid(): random; test_feel_examples checks its form
]

TOOL_CALL = {
    "toolCall": {"searchQuery": "FEEL", "userId": 7, "documentType": "invoice", "tags": ["a"]}
}

MISCELLANEOUS_FUNCTIONS: list[Row] = [
    Given("fromAi(toolCall.searchQuery)", "FEEL", TOOL_CALL),
    Given("fromAi(toolCall.userId)", 7, TOOL_CALL),
    ('fromAi("A")', "A"),
    Given(
        'fromAi(toolCall.searchQuery, "The search query used to find the best match.")',
        "FEEL",
        TOOL_CALL,
    ),
    Given("fromAi(toolCall.searchQuery, null)", "FEEL", TOOL_CALL),
    Given(
        'fromAi(toolCall.searchQuery, "The search query used to find the best match.", "string")',
        "FEEL",
        TOOL_CALL,
    ),
    Given("""fromAi(toolCall.userId, "The user's ID", "number")""", 7, TOOL_CALL),
    Given('fromAi(toolCall.userId, null, "number")', 7, TOOL_CALL),
    Given('fromAi(value: toolCall.userId, type: "number")', 7, TOOL_CALL),
    Given(
        """fromAi(toolCall.documentType, "The document type to provide", "string", {
  enum: ["invoice", "receipt", "contract"]
})""",
        "invoice",
        TOOL_CALL,
    ),
    Given(
        """fromAi(value: toolCall.documentType,
  description: "The document type to provide", schema: {
  type: "string",
  enum: ["invoice", "receipt", "contract"]
})""",
        "invoice",
        TOOL_CALL,
    ),
    Given(
        """fromAi(toolCall.tags, "Tags to apply to the blog post", "array", {
  items: {
    type: "string"
  }
})""",
        ["a"],
        TOOL_CALL,
    ),
    Given(
        """fromAi(toolCall.documentType, "The document type to provide", "string", null, {
  strict: true,
  required: false
})""",
        "invoice",
        TOOL_CALL,
    ),
    Given(
        """fromAi(value: toolCall.documentType, options: {
  strict: true,
  required: false
})""",
        "invoice",
        TOOL_CALL,
    ),
]

# -- language guide -------------------------------------------------------------------------

DATA_TYPES: list[Row] = [
    ("null", None),
    ("1", 1),
    ("2.3", 2.3),
    (".4", 0.4),
    ("-5", -5),
    ('"valid"', "valid"),
    # the escapes the page lists; feel-scala keeps \u and \U sequences as written
    (r'"\'"', "'"),
    (r'"\""', '"'),
    (r'"\\"', "\\"),
    (r'"a\nb"', "a\nb"),
    (r'"a\rb"', "a\rb"),
    (r'"a\tb"', "a\tb"),
    (r'"\u269D"', r"\u269D"),
    (r'"\U101EF"', r"\U101EF"),
    ("true", True),
    ("false", False),
    ('date("2017-03-10")', "2017-03-10"),
    ('@"2017-03-10"', "2017-03-10"),
    ('time("11:45:30")', "11:45:30"),
    ('time("13:30")', "13:30:00"),
    ('time("11:45:30+02:00")', "11:45:30+02:00"),
    ('time("10:31:10@Europe/Paris")', "10:31:10@Europe/Paris"),
    ('@"11:45:30"', "11:45:30"),
    ('@"13:30"', "13:30:00"),
    ('@"11:45:30+02:00"', "11:45:30+02:00"),
    ('@"10:31:10@Europe/Paris"', "10:31:10@Europe/Paris"),
    ('date and time("2015-09-18T10:31:10")', "2015-09-18T10:31:10"),
    ('date and time("2015-09-18T10:31:10+01:00")', "2015-09-18T10:31:10+01:00"),
    (
        'date and time("2015-09-18T10:31:10@Europe/Paris")',
        "2015-09-18T10:31:10+02:00[Europe/Paris]",
    ),
    ('@"2015-09-18T10:31:10"', "2015-09-18T10:31:10"),
    ('@"2015-09-18T10:31:10+01:00"', "2015-09-18T10:31:10+01:00"),
    ('@"2015-09-18T10:31:10@Europe/Paris"', "2015-09-18T10:31:10+02:00[Europe/Paris]"),
    ('duration("P4D")', "P4D"),
    ('duration("PT2H")', "PT2H"),
    ('duration("PT30M")', "PT30M"),
    ('duration("P1DT6H")', "P1DT6H"),
    ('@"P4D"', "P4D"),
    ('@"PT2H"', "PT2H"),
    ('@"PT30M"', "PT30M"),
    ('@"P1DT6H"', "P1DT6H"),
    ('duration("P2Y")', "P2Y"),
    ('duration("P6M")', "P6M"),
    ('duration("P1Y6M")', "P1Y6M"),
    ('@"P2Y"', "P2Y"),
    ('@"P6M"', "P6M"),
    ('@"P1Y6M"', "P1Y6M"),
    ("[]", []),
    ("[1,2,3]", [1, 2, 3]),
    ('["a","b"]', ["a", "b"]),
    ('[["list"], "of", [["lists"]]]', [["list"], "of", [["lists"]]]),
    ("{}", {}),
    ("{a:1}", {"a": 1}),
    ('{b: 2, c: "valid"}', {"b": 2, "c": "valid"}),
    ("{nested: {d: 3}}", {"nested": {"d": 3}}),
    ('{"a": 1}', {"a": 1}),
    ('{"b": 2, "c": "valid"}', {"b": 2, "c": "valid"}),
]

BOOLEAN_EXPRESSIONS: list[Row] = [
    ("true", True),
    ("false", False),
    ("5 = 5", True),
    ("5 != 5", False),
    ('date("2020-04-05") < date("2020-04-06")', True),
    ('time("08:00:00") <= time("08:00:00")', True),
    ('duration("P1D") > duration("P5D")', False),
    ('duration("P1Y") >= duration("P6M")', True),
    ("5 between 3 and 7", True),
    ('date("2020-04-06") between date("2020-04-05") and date("2020-04-09")', True),
    ("null = null", True),
    ('"foo" = null', False),
    ("{x: null}.x = null", True),
    Given("{}.y = null", True, warnings=None),
    # The page's tip says `is defined(null)` and `is defined({x: null}.x)` are true; feel-scala's
    # `is defined` is false for every null (the boolean functions page agrees).
    ("is defined(null)", False),
    ("is defined({x: null}.x)", False),
    Given("is defined({}.y)", False, warnings=None),
    ("true and true", True),
    ("true and false", False),
    ("true and null", None),
    ('true and "otherwise"', None),
    ("false and null", False),
    ('false and "otherwise"', False),
    ("true or false", True),
    ("false or false", False),
    ("true or null", True),
    ('true or "otherwise"', True),
    ("false or null", None),
    ('false or "otherwise"', None),
    ("1 instance of number", True),
    ("1 instance of string", False),
    ("1 instance of Any", True),
    ("null instance of Any", False),
    ('duration("P3M") instance of years and months duration', True),
    ('duration("PT4H") instance of days and time duration', True),
    ("5 in (3..7)", True),
    ('date("2021-06-04") in [date("2021-05-01")..date("2021-05-31")]', False),
    ("5 in (3,5,7)", True),
    ("5 in [2,4,6,8]", False),
]

STRING_EXPRESSIONS: list[Row] = [
    ('"valid"', "valid"),
    ('"foo" + "bar"', "foobar"),
    ('"order-" + string(123)', "order-123"),  # the page's tip gives no result
]

NUMERIC_EXPRESSIONS: list[Row] = [
    ("1", 1),
    ("0.5", 0.5),
    (".5", 0.5),
    ("-2", -2),
    ("01", 1),
    ("-0002", -2),
    ("2 + 3", 5),
    ("5 - 3", 2),
    ("5 * 3", 15),
    ("6 / 2", 3),
    ("2 ** 3", 8),
]

INVOICES = {
    "invoices": [
        {"id": 1, "person": "A", "amount": 10},
        {"id": 2, "person": "A", "amount": 20},
        {"id": 3, "person": "A", "amount": 30},
        {"id": 4, "person": "A", "amount": 40},
        {"id": 5, "person": "B", "amount": 15},
        {"id": 6, "person": "B", "amount": 25},
    ]
}

FILES = {
    "x": {"files": [{"id": 1, "content": "a"}, {"id": 2, "content": "b"}]},
    "y": {"files": [{"id": 1, "content": "a2"}, {"id": 3, "content": "c"}]},
}

LIST_EXPRESSIONS: list[Row] = [
    ("[1,2,3,4]", [1, 2, 3, 4]),
    ("[[1,2], [3,4], [5,6]]", [[1, 2], [3, 4], [5, 6]]),
    ("[1,2,3,4][1]", 1),
    ("[1,2,3,4][2]", 2),
    ("[1,2,3,4][4]", 4),
    ("[1,2,3,4][5]", None),
    ("[1,2,3,4][0]", None),
    ("[1,2,3,4][-1]", 4),
    ("[1,2,3,4][-2]", 3),
    ("[1,2,3,4][-5]", None),
    ("[1,2,3,4][item > 2]", [3, 4]),
    ("[1,2,3,4][item > 10]", []),
    ("[1,2,3,4][even(item)]", [2, 4]),
    ("some x in [1,2,3] satisfies x > 2", True),
    ("some x in [1,2,3] satisfies x > 5", False),
    ("some x in [1,2,3] satisfies even(x)", True),
    ("some x in [1,2], y in [2,3] satisfies x < y", True),
    ("every x in [1,2,3] satisfies x >= 1", True),
    ("every x in [1,2,3] satisfies x >= 2", False),
    ("every x in [1,2,3] satisfies even(x)", False),
    ("every x in [1,2], y in [2,3] satisfies x < y", False),
    # later page: worked examples with their evaluation context and result
    Given(
        "for p in distinct values(invoices.person) return invoices[person = p]",
        [INVOICES["invoices"][:4], INVOICES["invoices"][4:]],
        INVOICES,
    ),
    Given(
        """ {
   ids: union(x.files.id,y.files.id),
   getById: function (files,fileId) get or else(files[id=fileId][1], {}),
   merge: for id in ids return context merge(getById(x.files, id), getById(y.files, id))
 }.merge""",
        [{"id": 1, "content": "a2"}, {"id": 2, "content": "b"}, {"id": 3, "content": "c"}],
        FILES,
        warnings=None,
    ),
]

P1_P2 = """[
  {
    a: "p1",
    b: 5
  },
  {
    a: "p2",
    b: 10
  }
]"""

CONTEXT_EXPRESSIONS: list[Row] = [
    ("{\n  a: 1,\n  b: 2\n}", {"a": 1, "b": 2}),
    ('{\n  "a": 1,\n  "b": 2\n}', {"a": 1, "b": 2}),
    ("{\n  a: 2,\n  b: a * 2\n}", {"a": 2, "b": 4}),
    ("{\n  a: 1,\n  b: {\n    c: 2\n  }\n}", {"a": 1, "b": {"c": 2}}),
    ("{a: 2}.a", 2),
    ("{a: {b: 3}}.a", {"b": 3}),
    ("{a: {b: 3}}.a.b", 3),
    Given("{a: 1}.b", None, warnings=None),
    Given("{a: 1}.b.c", None, warnings=None),
    # The page's comment shows the context alone; a filter gives a list, in Zeebe too.
    (P1_P2 + "[b > 7]", [{"a": "p2", "b": 10}]),
    (P1_P2 + ".a", ["p1", "p2"]),
    Given(P1_P2.replace("b: 10", "c: 20") + ".b", [5, None], warnings=None),
]

CONTROL_FLOW: list[Row] = [
    ('if 5 < 10  then "low" else "high"', "low"),
    ('if 12 < 10 then "low" else "high"', "high"),
    ('if null then "low" else "high"', "high"),
    ("for x in [1,2,3] return x * 2", [2, 4, 6]),
    ("for x in [1,2], y in [3,4] return x * y", [3, 4, 6, 8]),
    (
        "for i in 1..10 return if (i <= 2) then 1 else partial[-1] + partial[-2]",
        [1, 1, 2, 3, 5, 8, 13, 21, 34, 55],
    ),
    ("for x in 0..8 return 2 ** x", [1, 2, 4, 8, 16, 32, 64, 128, 256]),
    ("for x in 3..1 return 2 * x", [6, 4, 2]),
]

FUNCTIONS: list[Row] = [
    ('contains("me@camunda.com", ".com")', True),
    ('contains(string: "me@camunda.com", match: ".de")', False),
]

ERROR_HANDLING: list[Row] = [
    Given("a.b > 10", None, warnings=None),
    Given("[{a: 1}, {b: 2}].a", [1, None], warnings=None),
    Given("[{a: 1}, {b: 2}][a < 10]", [{"a": 1}], warnings=None),
]

COMMENTS: list[Row] = [
    ("// returns the last item\n[1,2,3,4][-1]", 4),
    ("/* returns the last item */\n[1,2,3,4][-1]", 4),
    ("/*\n * returns the last item\n */\n[1,2,3,4][-1]", 4),
]

# page title -> its rows, in the order of the docs' sidebar
PAGES: dict[str, list[Row]] = {
    "boolean functions": BOOLEAN_FUNCTIONS,
    "string functions": STRING_FUNCTIONS,
    "numeric functions": NUMERIC_FUNCTIONS,
    "list functions": LIST_FUNCTIONS,
    "context functions": CONTEXT_FUNCTIONS,
    "range functions": RANGE_FUNCTIONS,
    "temporal functions": TEMPORAL_FUNCTIONS,
    "conversion functions": CONVERSION_FUNCTIONS,
    "later functions": LATER_FUNCTIONS,
    "miscellaneous functions": MISCELLANEOUS_FUNCTIONS,
    "data types": DATA_TYPES,
    "boolean expressions": BOOLEAN_EXPRESSIONS,
    "string expressions": STRING_EXPRESSIONS,
    "numeric expressions": NUMERIC_EXPRESSIONS,
    "list expressions": LIST_EXPRESSIONS,
    "context expressions": CONTEXT_EXPRESSIONS,
    "temporal expressions": TEMPORAL_EXPRESSIONS,
    "control flow": CONTROL_FLOW,
    "functions": FUNCTIONS,
    "error handling": ERROR_HANDLING,
    "comments": COMMENTS,
}
