"""Value tuples and anonymous types (C# 7): literals, element names, deconstruction, ToString,
equality and JSON -- each against what .NET gives."""

from __future__ import annotations

import pytest

from aiohttp_apim.expressions import compile_expression

from .test_compiler import compile_error, ev, raises

# ------------------------------------------------------------------------------ value tuples


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('@((1, "a").ToString())', "(1, a)"),
        ("@((1, (string)null, 2.5).ToString())", "(1, , 2.5)"),
        ('@{ var t = (1, "a"); return t.Item1 + t.Item2; }', "1a"),
        ('@{ var t = (a: 1, b: "x"); return t.b + t.a; }', "x1"),
        ('@{ var t = (a: 1, b: "x"); return t.Item2 + t.Item1; }', "x1"),
        ('@{ (int a, string b) t = (1, "x"); return t.b + t.a; }', "x1"),
        ('@{ (int, string) t = (1, "x"); return t.Item2 + t.Item1; }', "x1"),
        # names inferred from projections (C# 7.1)
        (
            '@{ var name = "n"; var t = (name, context.Request.Method); return t.name + t.Method; }',
            "nGET",
        ),
        # a local function's declared element names
        (
            '@{ (int num, string word) F() => (5, "five"); var r = F(); return r.word + r.num; }',
            "five5",
        ),
        ("@((1, 2) == (1, 2))", True),
        ('@((1, "a") == (1, "b"))', False),
        ("@((1, 2).Equals((1, 2)))", True),
        ("@{ var t = (1, 2); return t != (2, 1); }", True),
        # tuples in collections and LINQ
        (
            '@(string.Join(",", new[] { (1, "a"), (2, "b") }.Select(p => p.Item2 + p.Item1)))',
            "a1,b2",
        ),
        ("@(new List<(int, int)> { (1, 2), (3, 4) }.Sum(p => p.Item1 * p.Item2))", 14),
        ("@(((int, int))(1, 2) == (1, 2))", True),
        ("@(((1, 2)).Item2)", 2),
    ],
)
def test_value_tuples(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("@{ var (a, b) = (1, 2); return a * 10 + b; }", 12),
        ("@{ var (a, b) = (1, 2); (a, b) = (b, a); return a * 10 + b; }", 21),
        ('@{ (var n, var s) = (1, "x"); return s + n; }', "x1"),
        ('@{ (int n, string s) = (7, "y"); return s + n; }', "y7"),
        ('@{ int x; string y; (x, y) = (3, "q"); return y + x; }', "q3"),
        ("@{ var (a, (b, c)) = (1, (2, 3)); return a * 100 + b * 10 + c; }", 123),
        ("@{ var (_, b) = (1, 2); return b; }", 2),
        ("@{ var t = (4, 5); var (p, q) = t; return p + q; }", 9),
        ("@{ double d; int i; (d, i) = (1, 2); return d / 4; }", 0.25),  # d converts to double
        ('@{ (int, string) F() => (5, "five"); var (n, w) = F(); return w + n; }', "five5"),
        (
            '@{ var d = new Dictionary<string, int> { ["x"] = 1, ["y"] = 2 }; var s = ""; '
            "foreach (var (k, v) in d) { s += k + v; } return s; }",
            "x1y2",
        ),
        (
            '@{ var s = ""; foreach ((string k, int v) in new Dictionary<string, int> { ["z"] = 9 }) '
            "{ s += k + v; } return s; }",
            "z9",
        ),
        (
            "@{ var total = 0; foreach (var (a, b) in new[] { (1, 2), (3, 4) }) { total += a * b; } "
            "return total; }",
            14,
        ),
        # a KeyValuePair deconstructs into its key and value
        (
            '@{ var (k, v) = new Dictionary<string, int> { ["k"] = 1 }.First(); return k + v; }',
            "k1",
        ),
        # members and indexers as targets
        (
            "@{ var arr = new int[2]; (arr[0], arr[1]) = (5, 6); return arr[0] * 10 + arr[1]; }",
            56,
        ),
        # closures capture the deconstructed variables of each iteration
        (
            "@{ var fs = new List<Func<int>>(); foreach (var (a, b) in new[] { (1, 2), (3, 4) }) "
            "{ fs.Add(() => a + b); } return fs[0]() * 10 + fs[1](); }",
            37,
        ),
    ],
)
def test_deconstruction(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    ("source", "exception"),
    [
        ("@{ var (a, b) = (1, 2, 3); return a; }", "InvalidCastException"),
        ("@{ var t = (1, 2); t.Item1 = 5; return t.Item1; }", "InvalidOperationException"),
        ('@{ var (a, b) = "ab"; return a; }', "MissingMemberException"),
        (
            '@{ (int, int) t = ((int, int))context.Variables["missing-is-null"]; var (a, b) = t; return a; }',
            "KeyNotFoundException",
        ),
    ],
)
def test_deconstruction_failures(source: str, exception: str) -> None:
    assert raises(source) == exception


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("@((x, y) = (4, 5))", ("a deconstruction can only be a statement here", 1, 3)),
        (
            "@{ var (a) = 1; return a; }",
            ("a deconstruction must contain at least two variables", 1, 8),
        ),
        ("@((a: 1))", ("a tuple must contain at least two elements", 1, 3)),
        (
            "@{ var (a, a) = (1, 2); return a; }",
            ("a local named 'a' is already defined in this or an enclosing scope", 1, 12),
        ),
        ("@((1, 2, 3, 4, 5, 6, 7, 8))", ("tuples of more than 7 elements are not supported", 1, 3)),
    ],
)
def test_tuple_errors_when_compiling(source: str, error: tuple[str, int, int]) -> None:
    assert compile_error(source) == error


# --------------------------------------------------------------------------- anonymous types


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('@(new { a = 1, b = "x" }.ToString())', "{ a = 1, b = x }"),
        ("@(new { a = 1, b = (string)null }.ToString())", "{ a = 1, b =  }"),
        ("@(new { }.ToString())", "{ }"),
        ('@("obj: " + new { n = 2.5 })', "obj: { n = 2.5 }"),
        ("@(new { context.Request.Method }.Method)", "GET"),
        (
            '@{ var x = new { Name = "n" }; var y = new { x.Name, Len = x.Name.Length }; return y; }',
            None,
        ),
        ('@(new { a = 1, b = "x" }.Equals(new { a = 1, b = "x" }))', True),
        ('@(new { a = 1, b = "x" }.Equals(new { a = 1, b = "y" }))', False),
        ("@(new { a = 1 }.Equals(new { b = 1 }))", False),  # another shape is another type
        ("@(new { a = 1 }.Equals(new { a = 1L }))", False),
        ("@(new { a = 1 } == new { a = 1 })", False),  # == compares references, as in C#
        ("@{ var o = new { a = 1 }; return o == o; }", True),
        (
            "@(new { a = 1 }.GetHashCode() == new { a = 1 }.GetHashCode())",
            True,
        ),
        ("@(new[] { new { a = 1 }, new { a = 1 }, new { a = 2 } }.Distinct().Count())", 2),
        (
            '@(string.Join(";", new[] { "ab", "ac", "b" }.GroupBy(s => new { First = s[0] })'
            '.Select(g => g.Key.First + "=" + g.Count())))',
            "a=2;b=1",
        ),
        (
            '@(string.Join(",", new[] { 3, 1, 2 }.Select(n => new { n, sq = n * n })'
            ".OrderBy(p => p.sq).Select(p => p.n)))",
            "1,2,3",
        ),
        # JSON sees the properties, in order (what anonymous objects are mostly used for)
        (
            '@(JsonConvert.SerializeObject(new { typ = "JWT", alg = "HS256", n = new { x = 1 } }))',
            '{"typ":"JWT","alg":"HS256","n":{"x":1}}',
        ),
        (
            "@(JObject.FromObject(new { a = 1, b = new[] { 1, 2 } }).ToString(Formatting.None))",
            '{"a":1,"b":[1,2]}',
        ),
    ],
)
def test_anonymous_types(source: str, value: object) -> None:
    if value is None:  # the projection initializer names the property after the member
        assert ev(source.replace("return y;", "return y.Name + y.Len;")) == "n1"
        return
    assert ev(source) == value


def test_anonymous_properties_are_read_only() -> None:
    assert raises("@{ var o = new { a = 1 }; o.a = 2; return o.a; }") == "InvalidOperationException"
    assert raises("@(new { a = 1 }.b)") == "MissingMemberException"


def test_anonymous_type_errors_when_compiling() -> None:
    assert compile_error("@(new { a = 1, a = 2 })") == (
        "an anonymous type cannot have multiple properties with the same name",
        1,
        20,
    )


def test_a_shape_is_one_type() -> None:
    a = compile_expression("@(new { p = 1, q = 2 })")(None)
    b = compile_expression('@(new { p = "x", q = 2.0 })')(None)
    c = compile_expression("@(new { q = 1, p = 2 })")(None)
    assert type(a) is type(b)
    assert type(a) is not type(c)
