"""LINQ query syntax, each query against the result .NET gives (the method-syntax equivalent
in a comment where it helps)."""

from __future__ import annotations

import pytest

from aiohttp_apim.expressions import compile_expression

from .test_compiler import compile_error, ev, make_context, raises

PEOPLE = (
    'new[] { new { Name = "Ann", Dept = "ops", Age = 41 }, new { Name = "Bob", Dept = "dev", Age = 25 }, '
    'new { Name = "Cid", Dept = "dev", Age = 33 }, new { Name = "Dee", Dept = "ops", Age = 25 } }'
)
ORDERS = (
    'new[] { new { Who = "Bob", Item = "pen" }, new { Who = "Ann", Item = "ink" }, '
    'new { Who = "Bob", Item = "pad" }, new { Who = "Eve", Item = "cup" } }'
)


def joined(query: str, separator: str = ",") -> object:
    return ev(f'@(string.Join("{separator}", {query}))')


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("from x in new[] { 3, 1, 2 } select x * 10", "30,10,20"),
        ("from x in new[] { 3, 1, 2 } where x > 1 select x", "3,2"),
        ("from x in new[] { 3, 1, 2 } orderby x select x", "1,2,3"),
        ("from x in new[] { 3, 1, 2 } orderby x descending select x", "3,2,1"),
        ("from x in new[] { 3, 1, 2 } orderby x ascending select x", "1,2,3"),
        # ThenBy, and OrderBy is stable
        (f"from p in {PEOPLE} orderby p.Dept, p.Age descending select p.Name", "Cid,Bob,Ann,Dee"),
        (f"from p in {PEOPLE} orderby p.Age select p.Name", "Bob,Dee,Cid,Ann"),
        # let
        (
            "from w in \"b a c\".Split(' ') let u = w.ToUpper() orderby u descending select u + w",
            "Cc,Bb,Aa",
        ),
        (
            "from x in new[] { 1, 2, 3 } let sq = x * x let cube = sq * x where cube > 1 "
            'select x + ":" + sq + ":" + cube',
            "2:4:8,3:9:27",
        ),
        # several from clauses (SelectMany)
        ('from x in new[] { 1, 2 } from y in new[] { "a", "b" } select x + y', "1a,1b,2a,2b"),
        (
            'from s in new[] { "ab", "c" } from ch in s where ch != \'b\' select s + ch',
            "aba,cc",
        ),
        (
            "from x in new[] { 1, 2 } from y in new[] { 10, 20 } where x * y > 15 select x * y",
            "20,20,40",
        ),
        # group by
        (
            f'from p in {PEOPLE} group p.Name by p.Dept into g select g.Key + "=" + string.Join("+", g)',
            "ops=Ann+Dee,dev=Bob+Cid",
        ),
        (
            f"from p in {PEOPLE} group p by p.Age into g orderby g.Key "
            'select g.Key + ":" + g.Count()',
            "25:2,33:1,41:1",
        ),
        (
            'from w in new[] { "ab", "ac", "b" } group w by w[0] into g '
            'orderby g.Count() descending select g.Key + ":" + g.Count()',
            "a:2,b:1",
        ),
        (
            f"from p in {PEOPLE} group p by new {{ p.Dept, Young = p.Age < 30 }} into g "
            'select g.Key.Dept + (g.Key.Young ? "-young" : "") + "=" + g.Count()',
            "ops=1,dev-young=1,dev=1,ops-young=1",
        ),
        # join, and group join (with the left outer join pattern)
        (
            f"from p in {PEOPLE} join o in {ORDERS} on p.Name equals o.Who select p.Name + ':' + o.Item",
            "Ann:ink,Bob:pen,Bob:pad",
        ),
        (
            f"from p in {PEOPLE} join o in {ORDERS} on p.Name equals o.Who into os "
            'select p.Name + ":" + os.Count()',
            "Ann:1,Bob:2,Cid:0,Dee:0",
        ),
        (
            f"from p in {PEOPLE} join o in {ORDERS} on p.Name equals o.Who into os "
            'from o in os.DefaultIfEmpty() select p.Name + ":" + (o == null ? "-" : o.Item)',
            "Ann:ink,Bob:pen,Bob:pad,Cid:-,Dee:-",
        ),
        (
            "from a in new[] { 1, 2 } from b in new[] { 2, 3 } join c in new[] { 3, 4 } "
            "on a + b equals c select a + b + c",
            "6,8,8",
        ),
        # typed range variables: Cast<T>()
        ('from string s in new object[] { "a", "b" } select s.ToUpper()', "A,B"),
        ('from x in new[] { 1 } from string s in new object[] { "q" } select s + x', "q1"),
        # continuations
        ("from x in new[] { 1, 2, 3, 4 } select x * x into sq where sq > 4 select sq", "9,16"),
        # nested queries, anonymous types and tuples in queries
        (
            "from x in new[] { 1, 2 } select (from y in new[] { 1, 2, 3 } where y <= x select y).Sum()",
            "1,3",
        ),
        (
            'from p in new[] { (n: 1, s: "a"), (n: 2, s: "b") } where p.Item1 > 1 select p.Item2',
            "b",
        ),
        (
            "from x in new[] { 1, 2 } select new { x, Double = x * 2 }",
            "{ x = 1, Double = 2 },{ x = 2, Double = 4 }",
        ),
        # method groups and lambdas inside clauses
        ('from s in new[] { "1", "x", "3" } where s.All(char.IsDigit) select int.Parse(s)', "1,3"),
        ("from x in new[] { 1, 2, 3 } where new[] { 2, 3 }.Any(y => y == x) select x", "2,3"),
        # a parenthesised condition before a clause keyword is not a cast
        ("from x in new[] { true, false } where (x) select x", "True"),
    ],
)
def test_queries_give_dotnets_results(query: str, value: object) -> None:
    assert joined(query) == value


def test_a_query_is_an_ordinary_sequence() -> None:
    assert ev("@((from x in new[] { 1, 2, 3 } select x).Sum())") == 6
    assert ev("@((from x in new[] { 1, 2, 3 } where x > 5 select x).Any())") is False
    assert ev("@((from x in new[] { 1, 2, 3 } select x * 2).ToList()[2])") == 6


def test_queries_are_lazy_as_in_dotnet() -> None:
    source = (
        "@{ var list = new List<int> { 1, 2 }; var q = from x in list where x > 1 select x; "
        "list.Add(3); return q.Count(); }"
    )
    assert ev(source) == 2


def test_queries_see_the_request() -> None:
    ctx = make_context(headers={"X-A": "1", "X-B": "2", "Accept": "*/*"})
    source = (
        '@(string.Join(",", from h in context.Request.Headers where h.Key.StartsWith("X-") '
        "orderby h.Key descending select h.Key))"
    )
    assert ev(source, ctx) == "X-B,X-A"


def test_queries_over_json() -> None:
    source = '@((from t in JArray.Parse("[1, 2, 3]") where (int)t > 1 select (int)t * 10).Sum())'
    assert ev(source) == 50


def test_queries_capture_each_loop_iteration() -> None:
    source = (
        "@{ var qs = new List<IEnumerable<int>>(); foreach (var n in new[] { 1, 2 }) "
        "{ qs.Add(from x in new[] { 10, 20 } select x + n); } "
        'return string.Join(",", qs[0]) + "|" + string.Join(",", qs[1]); }'
    )
    assert ev(source) == "11,21|12,22"


def test_from_is_still_a_name_outside_queries() -> None:
    assert ev("@{ var from = 1; var select = 2; return from + select; }") == 3


def test_a_cast_in_from_fails_as_cast_does() -> None:
    assert raises('@(string.Join(",", from string s in new object[] { 1 } select s))') == (
        "InvalidCastException"
    )


def test_a_runaway_query_hits_the_budget() -> None:
    source = "@((from x in Enumerable.Range(0, int.MaxValue) where x >= 0 select x).Count())"
    assert raises(source) == "TimeoutException"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            "@(from x in new[] { 1 } where x > 0)",
            ("expected 'select' or 'group' to end the query, got ')'", 1, 36),
        ),
        (
            "@(from x in new[] { 1 } group x x)",
            ("expected 'by' after the grouped element, got identifier 'x'", 1, 33),
        ),
        (
            "@(from x in new[] { 1 } join y in new[] { 2 } on x y select x)",
            ("expected 'equals' between the keys of a join, got identifier 'y'", 1, 52),
        ),
        (
            "@{ var x = 1; return from x in new[] { 1 } select x; }",
            ("a local named 'x' is already defined in this or an enclosing scope", 1, 22),
        ),
        (
            "@(from x in new[] { 1 } from x in new[] { 2 } select x)",
            ("a local named 'x' is already defined in this or an enclosing scope", 1, 25),
        ),
        ("@(from x in new[] { 1 } select y)", ("unknown name 'y'", 1, 32)),
        # the joined sequence and its key cannot see the outer range variables, as in C#
        (
            "@(from x in new[] { 1 } join y in new[] { x } on x equals y select y)",
            ("unknown name 'x'", 1, 43),
        ),
        (
            "@(from x in new[] { 1 } join y in new[] { 2 } on x equals x select y)",
            ("unknown name 'x'", 1, 59),
        ),
    ],
)
def test_query_errors_when_compiling(source: str, error: tuple[str, int, int]) -> None:
    assert compile_error(source) == error


def test_the_generated_code_calls_the_operators() -> None:
    source = compile_expression(
        "@(from x in new[] { 1 } where x > 0 orderby x select x + 1)"
    ).python_source
    assert "Where" not in source  # names are constants
    assert source.count("def f") == 3  # where, orderby, select
