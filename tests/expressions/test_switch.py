"""The switch statement (C# 7): constants, type and var patterns, guards, default, and C#'s rules
for break, continue, return and fall-through -- each against the value .NET gives."""

from __future__ import annotations

import pytest

from .test_compiler import compile_error, ev, make_context, raises

CLASSIFY = """@{
    var v = context.Variables["v"];
    switch (v) {
        case null:
            return "null";
        case int n when n < 0:
            return "negative int";
        case int n:
            return "int " + n;
        case string s when s.Length == 0:
            return "empty string";
        case string s:
            return "string " + s.ToUpper();
        case long _:
            return "long";
        case JObject o:
            return "object with " + o.Count;
        default:
            return "other";
    }
}"""


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (None, "null"),
        (-3, "negative int"),
        (7, "int 7"),
        ("", "empty string"),
        ("abc", "string ABC"),
        (True, "other"),  # a bool is not an int
        (2.5, "other"),
    ],
)
def test_type_patterns_and_guards(value: object, result: str) -> None:
    assert ev(CLASSIFY, v=value) == result


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (
            '@{ var x = 2; switch (x) { case 1: return "one"; case 2: case 3: return "two or three"; '
            'default: return "many"; } }',
            "two or three",
        ),
        (
            '@{ var x = 9; switch (x) { case 1: return "one"; default: return "many"; } }',
            "many",
        ),
        # default is tried last wherever it is written
        ('@{ var x = 1; switch (x) { default: return "d"; case 1: return "one"; } }', "one"),
        ('@{ var x = 5; switch (x) { default: return "d"; case 1: return "one"; } }', "d"),
        # strings are compared ordinally
        (
            '@{ var m = "get"; switch (m) { case "GET": return 1; case "get": return 2; } return 0; }',
            2,
        ),
        (
            '@{ string m = null; switch (m) { case "": return 1; case null: return 2; } return 0; }',
            2,
        ),
        ("@{ var c = 'b'; switch (c) { case 'a': return 1; case 'b': return 2; } return 0; }", 2),
        ("@{ long big = 3; switch (big) { case 3: return 1; } return 0; }", 1),
        ("@{ var d = 2.0; switch (d) { case 2: return 1; } return 0; }", 1),
        (
            "@{ var b = true; switch (b) { case false: return 0; case true: return 1; } return -1; }",
            1,
        ),
        (
            "@{ switch (DayOfWeek.Tuesday) { case DayOfWeek.Monday: return 1; "
            "case DayOfWeek.Tuesday: return 2; default: return 0; } }",
            2,
        ),
        (
            "@{ var x = int.MaxValue; switch (x) { case int.MaxValue: return 1; } return 0; }",
            1,
        ),
        (
            '@{ object o = 1; switch (o) { case "1": return "string"; case 1: return "int"; } return "none"; }',
            "int",
        ),
        # var patterns match everything, null too; a guard can reject
        (
            "@{ string s = null; switch (s) { case var x when x != null: return 1; case var y: return 2; } }",
            2,
        ),
        (
            '@{ switch (context.Request.Method) { case "GET": case "HEAD": return "read"; default: return "write"; } }',
            "read",
        ),
        # no section taken: the statement after the switch runs
        ('@{ var r = "none"; switch (3) { case 1: r = "one"; break; } return r; }', "none"),
        ('@{ var r = "none"; switch (1) { case 1: r = "one"; break; } return r; }', "one"),
        ("@{ var x = 0; switch (x) { } return 7; }", 7),
        ("@{ var x = 1; switch (x) { default: x = 5; break; } return x; }", 5),
    ],
)
def test_switch_takes_the_section_dotnet_takes(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    ("source", "value"),
    [
        # break leaves the switch (from any depth of ifs), not the loop around it
        (
            "@{ var n = 0; foreach (var i in new[] { 1, 2, 3, 4 }) { switch (i % 2) { "
            "case 0: if (i == 4) break; n += 10; continue; default: n += 1; break; } n += 100; } "
            "return n; }",
            312,
        ),
        # continue goes to the loop around the switch (a for loop runs its update)
        (
            "@{ var n = 0; for (var i = 0; i < 5; i++) { switch (i) { case 2: continue; "
            "default: n += i; break; } } return n; }",
            8,
        ),
        (
            "@{ var n = 0; for (var i = 0; i < 5; i++) { switch (i) { case 2: if (n > 0) continue; "
            "break; default: n += i; break; } n += 100; } return n; }",
            408,
        ),
        # a break in a loop inside a switch is the loop's
        (
            "@{ var n = 0; switch (1) { case 1: while (true) { n++; if (n == 3) break; } "
            "n *= 10; break; } return n; }",
            30,
        ),
        # nested switches: each break is its own switch's
        (
            '@{ var r = ""; foreach (var a in new[] { 1, 2 }) { switch (a) { case 1: '
            'switch (a + 1) { case 2: r += "x"; break; } r += "y"; break; default: '
            'r += "z"; break; } } return r; }',
            "xyz",
        ),
        (
            "@{ var r = 0; foreach (var a in new[] { 1, 2, 3 }) { switch (a) { case 2: "
            "switch (a) { case 2: if (r > 0) continue; break; } r += 100; break; } r += a; } "
            "return r; }",
            4,
        ),
        # a throw ends a section too
        (
            '@{ try { switch (1) { case 1: throw new FormatException("f"); } } '
            'catch (FormatException) { return "caught"; } return "none"; }',
            "caught",
        ),
        # lambdas in guards and bodies
        (
            '@{ var names = new[] { "a", "b" }; switch ("b") { '
            "case string s when names.Any(x => x == s): return names.Count(x => x != s); "
            "default: return -1; } }",
            1,
        ),
        (
            "@{ var fs = new List<Func<int>>(); foreach (var i in new[] { 1, 2 }) { "
            "switch (i) { case 1: fs.Add(() => i * 10); break; default: fs.Add(() => i); break; } } "
            "return fs[0]() + fs[1](); }",
            12,
        ),
        # pattern variables are the section's: the same name in two sections
        (
            "@{ object o = 5L; switch (o) { case int n: return n; case long n: return n * 2; } "
            "return 0; }",
            10,
        ),
        # a default section that has other labels too
        (
            '@{ var x = 2; switch (x) { case 1: default: return "one or other"; case 2: return "two"; } }',
            "two",
        ),
        # checked/unchecked, local functions inside sections
        (
            "@{ switch (1) { case 1: int Twice(int v) => v * 2; return Twice(21); } return 0; }",
            42,
        ),
    ],
)
def test_jumps_out_of_a_switch(source: str, value: object) -> None:
    assert ev(source) == value


def test_the_switch_subject_is_evaluated_once() -> None:
    source = (
        "@{ var calls = 0; int Next() { calls++; return calls; } "
        "switch (Next()) { case 5: return -1; case 6: return -2; } return calls; }"
    )
    assert ev(source) == 1


def test_a_guard_that_throws_throws() -> None:
    source = '@{ switch ("x") { case string s when s.Substring(5) == "": return 1; } return 0; }'
    assert raises(source) == "ArgumentOutOfRangeException"


def test_switch_on_the_request() -> None:
    ctx = make_context(method="POST")
    source = '@{ switch (context.Request.Method) { case "GET": return 1; case "POST": return 2; } return 0; }'
    assert ev(source, ctx) == 2


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            "@{ var x = 1; switch (x) { case 1: x = 2; case 2: return 2; } return x; }",
            ("control cannot fall through from one case label ('case 1:') to another", 1, 28),
        ),
        (
            "@{ var x = 1; switch (x) { case 1: return 1; default: x = 3; } return x; }",
            ("control cannot fall out of switch from final case label ('default:')", 1, 46),
        ),
        (
            '@{ var x = "a"; switch (x) { case "a": if (x != null) return 1; } return 0; }',
            ("control cannot fall out of switch from final case label ('case \"a\":')", 1, 30),
        ),
        (
            "@{ var x = 1; switch (x) { case 1: return 1; } }",
            ("not all code paths return a value", 1, 48),
        ),
        (
            "@{ var x = 1; var y = 2; switch (x) { case y: return 1; } return 0; }",
            ("a constant value is expected", 1, 44),
        ),
        (
            "@{ var x = 1; switch (x) { case 1: return 1; case 1: return 2; } return 0; }",
            ("the switch statement contains multiple cases with the label value '1'", 1, 51),
        ),
        (
            "@{ var x = 1; switch (x) { default: return 1; default: return 2; } }",
            ("the switch statement contains multiple cases with the label value 'default'", 1, 47),
        ),
        (
            "@{ object x = 1; switch (x) { case int? n: return 1; } return 0; }",
            (
                "it is not legal to use nullable type 'int?' in a pattern; "
                "use the underlying type 'int' instead",
                1,
                36,
            ),
        ),
        (
            "@{ var x = 1; switch (x) { case 1: continue; } return 0; }",
            ("no enclosing loop out of which to continue", 1, 36),
        ),
        (
            "@{ var x = 1; switch (x) { case Foo f: return 1; } return 0; }",
            ("unknown type 'Foo'", 1, 33),
        ),
        (
            "@{ var x = 1; switch (x) { case 1: goto case 2; case 2: return 2; } return 0; }",
            ("'goto' statements are not supported in policy expressions", 1, 36),
        ),
        (
            "@{ switch (1) { case 1: } return 0; }",
            ("expected a statement after the case label, got '}'", 1, 25),
        ),
        ("@{ switch (1) { return 1; } }", ("expected 'case' or 'default', got 'return'", 1, 17)),
        ("@{ case 1: return 1; }", ("unexpected 'case'", 1, 4)),
        (
            '@(1 switch { 1 => "a", _ => "b" })',
            (
                "switch expressions ('x switch { ... }') are C# 8, and policy expressions are "
                "C# 7: write a switch statement",
                1,
                5,
            ),
        ),
    ],
)
def test_switch_errors_are_found_when_compiling(source: str, error: tuple[str, int, int]) -> None:
    assert compile_error(source) == error
