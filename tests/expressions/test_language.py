"""C# 7 constructs of policy expressions beyond the basics of test_compiler.py, each against the
value .NET gives: checked/unchecked arithmetic and constant expressions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.expressions import compile_expression

from .test_compiler import compile_error, ev, make_context, raises

# ------------------------------------------------------------------------- checked / unchecked


@pytest.mark.parametrize(
    ("source", "value"),
    [
        # constants: folded at compile time, wrapping only where 'unchecked' says so
        ("@(unchecked(int.MaxValue + 1))", -(2**31)),
        ("@(unchecked(2147483647 * 2))", -2),
        ("@(unchecked((byte)300))", 44),
        ("@(unchecked((uint)-1))", 2**32 - 1),
        ("@(unchecked((sbyte)200))", -56),
        ("@(unchecked(-int.MinValue))", -(2**31)),
        ("@(unchecked(long.MaxValue + 1L))", -(2**63)),
        ("@((byte)255)", 255),
        ("@(int.MaxValue)", 2**31 - 1),
        ("@(long.MinValue)", -(2**63)),
        ("@(checked(int.MaxValue - 1 + 1))", 2**31 - 1),
        ("@(1.0 / 0)", float("inf")),
        ("@(checked(double.MaxValue * 2))", float("inf")),  # floating point never overflows
        # run-time values: unchecked unless 'checked' says otherwise
        ("@{ int x = int.MaxValue; return x + 1; }", -(2**31)),
        ("@{ int x = int.MaxValue; x++; return x; }", -(2**31)),
        ("@{ int x = 300; return (byte)x; }", 44),
        ("@{ int x = int.MaxValue; return unchecked(x + 1); }", -(2**31)),
        ("@{ int x = int.MaxValue; return checked(unchecked(x + 1)); }", -(2**31)),
        ("@{ uint x = 0; return unchecked(x - 1u); }", 2**32 - 1),
        ("@{ int x = 5; checked { x = x * 2; } return x; }", 10),
        ("@{ int x = 200; return checked((byte)x); }", 200),
        ("@{ int x = int.MaxValue; unchecked { x += 1; } return x; }", -(2**31)),
    ],
)
def test_overflow_contexts_give_the_values_dotnet_gives(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    "source",
    [
        "@{ int x = int.MaxValue; return checked(x + 1); }",
        "@{ int x = int.MinValue; return checked(x - 1); }",
        "@{ int x = 65536; return checked(x * x); }",
        "@{ long x = long.MaxValue; return checked(x * 2); }",
        "@{ uint x = 0; return checked(x - 1u); }",
        "@{ var x = int.MinValue; return checked(-x); }",
        "@{ int x = int.MaxValue; checked { x++; } return x; }",
        "@{ int x = int.MaxValue; checked { ++x; } return x; }",
        "@{ int x = int.MaxValue; checked { x += 1; } return x; }",
        "@{ int x = 300; return checked((byte)x); }",
        "@{ long x = 3000000000; return checked((int)x); }",
        "@{ double d = 1e20; return checked((long)d); }",
        "@{ int x = -1; return checked((uint)x); }",
        "@{ int x = -1; return checked((char)x); }",
        # lexical: a lambda written inside the checked block is checked
        "@{ checked { Func<int, int> f = x => x + 1; return f(int.MaxValue); } }",
        "@{ int x = int.MaxValue; return checked((int?)(x + 1L)); }",
    ],
)
def test_checked_context_throws_overflow_exception(source: str) -> None:
    assert raises(source) == "OverflowException"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("@(int.MaxValue + 1)", "the operation overflows at compile time in checked mode", 3),
        ("@(2147483647 + 1)", "the operation overflows at compile time in checked mode", 3),
        ("@(checked(int.MaxValue + 1))", "the operation overflows at compile time", 11),
        ("@(-int.MinValue)", "the operation overflows at compile time", 3),
        ("@(long.MaxValue * 2)", "the operation overflows at compile time", 3),
        ("@(decimal.MaxValue + 1m)", "the operation overflows at compile time", 3),
        ("@((byte)300)", "constant value '300' cannot be converted to a 'byte'", 3),
        ("@((uint)-1)", "constant value '-1' cannot be converted to a 'uint'", 3),
        ("@((int)3000000000L)", "constant value '3000000000' cannot be converted to a 'int'", 3),
        ("@((char)-1)", "constant value '-1' cannot be converted to a 'char'", 3),
        ("@(1 / 0)", "division by constant zero", 3),
        ("@(5 % (2 - 2))", "division by constant zero", 3),
        ("@(1m / 0m)", "division by constant zero", 3),
        ("@(unchecked(1 / 0))", "division by constant zero", 13),
    ],
)
def test_constant_overflow_is_a_compile_time_error(source: str, message: str, column: int) -> None:
    text, line, at = compile_error(source)
    assert text.startswith(message)
    assert (line, at) == (1, column)


def test_constant_fields_are_constants() -> None:
    for source, value in [
        ("@(int.MaxValue)", 2**31 - 1),
        ("@(Math.PI * 2)", 6.283185307179586),
        ('@("max " + byte.MaxValue)', "max 255"),
        ("@(char.MaxValue)", "\uffff"),
    ]:
        compiled = compile_expression(source)
        assert compiled.is_constant
        assert compiled.constant == value


def test_checked_needs_parentheses() -> None:
    assert compile_error("@(checked 1)") == ("expected '(' after 'checked', got literal 1", 1, 11)


# ---------------------------------------------------------------------------------- default


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("@(default(int))", 0),
        ("@(default(bool))", False),
        ("@(default(char) == '\\0')", True),
        ("@(default(double))", 0.0),
        ("@(default(decimal))", Decimal(0)),
        ("@(default(DateTime) == DateTime.MinValue)", True),
        ("@(default(DateTime).Year)", 1),
        ("@(default(TimeSpan) == TimeSpan.Zero)", True),
        ("@(default(Guid) == Guid.Empty)", True),
        ("@(default(Guid).ToString())", "00000000-0000-0000-0000-000000000000"),
        ("@(default(DayOfWeek).ToString())", "Sunday"),
        ("@(default(string))", None),
        ("@(default(int?))", None),
        ("@(default(JObject))", None),
        ("@(default(int[]))", None),
        ("@{ int x = default; return x; }", 0),
        ("@{ bool b = default; return b; }", False),
        ("@{ DateTime d = default; return d == DateTime.MinValue; }", True),
        ("@{ string s = default; return s; }", None),
        ("@{ int? n = default; return n; }", None),
        ("@{ int x = 5; x = default; return x; }", 0),
        ("@{ int F() { return default; } return F(); }", 0),
        ("@{ bool F() => default; return F(); }", False),
        ("@{ Guid F() { return (default); } return F() == Guid.Empty; }", True),
        ('@(context.Variables.ContainsKey("k") ? 7 : default)', 0),
        ('@(!context.Variables.ContainsKey("k") ? default : 2.5)', 0.0),
        ('@(context.Variables.ContainsKey("k") ? "s" : default)', None),
    ],
)
def test_default_values_are_dotnets(source: str, value: object) -> None:
    result = ev(source)
    assert result == value
    assert type(result) is type(value)


def test_default_keeps_the_value_type() -> None:
    assert type(ev("@(default(long))")) is dotnet.Int64
    assert type(ev("@{ long x = default; return x; }")) is dotnet.Int64
    assert type(ev("@(default(char))")) is dotnet.Char


def test_default_literal_needs_a_type_for_var() -> None:
    assert compile_error("@{ var x = default; return x; }") == (
        "cannot infer the type of an implicitly typed variable from 'default'",
        1,
        12,
    )


# ----------------------------------------------------------------------------------- nameof


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("@{ var count = 1; return nameof(count); }", "count"),
        ("@(nameof(context))", "context"),
        ("@(nameof(context.Request.Headers))", "Headers"),
        ("@(nameof(string.Length))", "Length"),
        ("@(nameof(int.MaxValue))", "MaxValue"),
        ("@(nameof(DateTime))", "DateTime"),
        ("@(nameof(System.DateTime))", "DateTime"),
        ("@(nameof(DateTime.UtcNow))", "UtcNow"),
        ("@(nameof(Regex.IsMatch))", "IsMatch"),
        ("@(nameof(DayOfWeek.Monday))", "Monday"),
        ('@{ var s = "x"; return nameof(s.Length) + "!"; }', "Length!"),
        ("@{ int F(int x) => x; return nameof(F); }", "F"),
    ],
)
def test_nameof_gives_the_last_name(source: str, value: str) -> None:
    assert ev(source) == value


def test_nameof_is_a_constant() -> None:
    compiled = compile_expression("@(nameof(context.Variables) + 1)")
    assert compiled.is_constant
    assert compiled.constant == "Variables1"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("@(nameof(nothing))", ("unknown name 'nothing'", 1, 10)),
        (
            "@(nameof(string.Lenght))",
            ("'String' does not contain a definition for 'Lenght'", 1, 10),
        ),
        ("@(nameof(DateTime.Utc))", ("'DateTime' does not contain a definition for 'Utc'", 1, 10)),
        ("@(nameof(1 + 2))", ("this expression does not have a name", 1, 10)),
        (
            "@(nameof(context.Request.Url.ToString()))",
            ("this expression does not have a name", 1, 10),
        ),
    ],
)
def test_nameof_checks_the_name(source: str, error: tuple[str, int, int]) -> None:
    assert compile_error(source) == error


# ------------------------------------------------------------------------------- typeof, Enum


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("@(typeof(string).Name)", "String"),
        ("@(typeof(string).FullName)", "System.String"),
        ("@(typeof(Regex).Namespace)", "System.Text.RegularExpressions"),
        ("@(typeof(string).ToString())", "System.String"),
        ('@("type: " + typeof(int))', "type: System.Int32"),
        ("@(typeof(int) == typeof(int))", True),
        ("@(typeof(int) == typeof(System.Int32))", True),
        ("@(typeof(int) == typeof(long))", False),
        ("@(typeof(int).Equals(typeof(int)))", True),
        ("@(typeof(DayOfWeek).IsEnum)", True),
        ("@(typeof(string).IsEnum)", False),
        ("@(typeof(int).IsValueType)", True),
        ("@(typeof(JObject).IsValueType)", False),
        ("@(typeof(string[]).IsArray)", True),
    ],
)
def test_typeof_names_the_type(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('@(Enum.Parse(typeof(DayOfWeek), "Monday").ToString())', "Monday"),
        ('@((DayOfWeek)Enum.Parse(typeof(DayOfWeek), "Friday") == DayOfWeek.Friday)', True),
        ('@(Enum.Parse(typeof(DayOfWeek), "monday", true).ToString())', "Monday"),
        ('@(Enum.Parse(typeof(DayOfWeek), "  Tuesday ").ToString())', "Tuesday"),
        ('@(Enum.Parse(typeof(DayOfWeek), "3").ToString())', "Wednesday"),
        ('@(Enum.Parse<DayOfWeek>("Sunday") == DayOfWeek.Sunday)', True),
        ('@(Enum.Parse<UriKind>("relative", true).ToString())', "Relative"),
        (
            '@(Enum.Parse(typeof(StringSplitOptions), "RemoveEmptyEntries, TrimEntries").ToString())',
            "RemoveEmptyEntries, TrimEntries",
        ),
        (
            '@{ var ok = Enum.TryParse("Tuesday", out DayOfWeek d); return ok + " " + d; }',
            "True Tuesday",
        ),
        (
            '@{ DayOfWeek d; var ok = Enum.TryParse("Saturday", out d); return ok + " " + d; }',
            "True Saturday",
        ),
        (
            '@{ var ok = Enum.TryParse("saturday", true, out DayOfWeek d); return ok + " " + d; }',
            "True Saturday",
        ),
        (
            '@{ var ok = Enum.TryParse<DayOfWeek>("nope", out var d); return ok + " " + d; }',
            "False Sunday",
        ),
        ('@{ var ok = Enum.TryParse("", out DayOfWeek d); return ok; }', False),
        (
            '@{ var ok = Enum.TryParse(typeof(UriKind), "Absolute", out object k); return k.ToString(); }',
            "Absolute",
        ),
        ('@(Enum.IsDefined(typeof(DayOfWeek), "Monday"))', True),
        ('@(Enum.IsDefined(typeof(DayOfWeek), "monday"))', False),
        ("@(Enum.IsDefined(typeof(DayOfWeek), 6))", True),
        ("@(Enum.IsDefined(typeof(DayOfWeek), 7))", False),
        ("@(Enum.IsDefined(typeof(DayOfWeek), DayOfWeek.Friday))", True),
        (
            '@(string.Join(",", Enum.GetNames(typeof(DayOfWeek))))',
            "Sunday,Monday,Tuesday,Wednesday,Thursday,Friday,Saturday",
        ),
        (
            '@(string.Join(",", Enum.GetNames(typeof(UriKind))))',
            "RelativeOrAbsolute,Absolute,Relative",
        ),
        (
            '@(string.Join(",", Enum.GetNames<StringSplitOptions>()))',
            "None,RemoveEmptyEntries,TrimEntries",
        ),
        ("@(Enum.GetValues(typeof(DayOfWeek)).Length)", 7),
        ('@(string.Join(",", Enum.GetValues<UriKind>()))', "RelativeOrAbsolute,Absolute,Relative"),
        ("@(Enum.GetName(typeof(DayOfWeek), 3))", "Wednesday"),
        ("@(Enum.GetName(typeof(DayOfWeek), 9))", None),
        ("@(Enum.GetName(DayOfWeek.Monday))", "Monday"),
    ],
)
def test_enum_statics_give_dotnets_values(source: str, value: object) -> None:
    assert ev(source) == value


@pytest.mark.parametrize(
    ("source", "exception"),
    [
        ('@(Enum.Parse(typeof(DayOfWeek), "Someday"))', "ArgumentException"),
        ('@(Enum.Parse(typeof(DayOfWeek), "monday"))', "ArgumentException"),
        ('@(Enum.Parse(typeof(DayOfWeek), " "))', "ArgumentException"),
        ("@(Enum.Parse(typeof(DayOfWeek), null))", "ArgumentNullException"),
        ('@(Enum.Parse(typeof(string), "x"))', "ArgumentException"),
        ('@(Enum.Parse(null, "x"))', "ArgumentNullException"),
        ('@(Enum.TryParse(typeof(int), "1", out object x))', "ArgumentException"),
        ("@(Enum.IsDefined(typeof(DayOfWeek), 1L))", "ArgumentException"),
        ("@(Enum.IsDefined(typeof(DayOfWeek), UriKind.Absolute))", "ArgumentException"),
        ('@{ var ok = Enum.TryParse("Monday", out var d); return d; }', "ArgumentException"),
    ],
)
def test_enum_statics_throw_as_dotnet_does(source: str, exception: str) -> None:
    assert raises(source) == exception


# -------------------------------------------------------------------------- catch ... when


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (
            '@{ try { throw new FormatException("bad"); } '
            'catch (FormatException e) when (e.Message == "bad") { return 1; } '
            "catch { return 2; } }",
            1,
        ),
        (
            '@{ try { throw new FormatException("worse"); } '
            'catch (FormatException e) when (e.Message == "bad") { return 1; } '
            "catch { return 2; } }",
            2,
        ),
        (
            '@{ var retry = false; try { throw new Exception("x"); } '
            'catch when (retry) { return "retry"; } '
            'catch (Exception e) when (e.Message.Length == 1) { return "short " + e.Message; } }',
            "short x",
        ),
        (
            '@{ try { throw new ArgumentNullException("p"); } '
            'catch (Exception e) when (e is ArgumentException) { return "argument"; } '
            'catch (Exception) { return "other"; } }',
            "argument",
        ),
        (
            # a filter that throws counts as false, as in .NET
            '@{ try { throw new Exception("x"); } '
            "catch (Exception) when (((string)null).Length > 0) { return 1; } "
            "catch { return 2; } }",
            2,
        ),
        (
            '@{ try { throw new Exception("x"); } '
            "catch (Exception e) when (new[] { 1, 2 }.Any(n => n == e.Message.Length)) "
            "{ return 1; } catch { return 2; } }",
            1,
        ),
        (
            '@{ try { try { throw new FormatException("f"); } '
            'catch (FormatException e) when (e.Message == "f") { throw; } } '
            'catch (FormatException e) { return "outer " + e.Message; } }',
            "outer f",
        ),
        (
            '@{ var n = 0; foreach (var s in new[] { "1", "x", "3" }) { try { n += int.Parse(s); } '
            "catch (FormatException) when (n > 0) { n += 10; } } return n; }",
            14,
        ),
    ],
)
def test_exception_filters_choose_the_clause(source: str, value: object) -> None:
    assert ev(source) == value


def test_an_exception_no_filter_accepts_propagates() -> None:
    source = (
        '@{ try { throw new FormatException("f"); } '
        'catch (FormatException e) when (e.Message == "g") { return 1; } }'
    )
    assert raises(source) == "FormatException"


def test_a_filter_cannot_swallow_the_budget() -> None:
    source = (
        "@{ bool Spin() { while (true) { } } "
        'try { throw new Exception("x"); } catch (Exception) when (Spin()) { return 1; } '
        "catch { return 2; } }"
    )
    assert raises(source) == "TimeoutException"


# ------------------------------------------------------------------------------ method groups


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('@(string.Join(",", "1,2,3".Split(\',\').Select(int.Parse).Select(n => n * 2)))', "2,4,6"),
        ('@("aBc".Any(char.IsUpper))', True),
        ('@("abc".All(char.IsLower))', True),
        ('@(new[] { "a", "", null }.Where(string.IsNullOrEmpty).Count())', 2),
        ('@(new[] { "a", "", null }.Count(string.IsNullOrWhiteSpace))', 2),
        ('@(new[] { "a", "b" }.Aggregate(string.Concat))', "ab"),
        ('@(new[] { "a b" }.Select(Uri.EscapeDataString).First())', "a%20b"),
        ("@(new[] { 1.5, 2.5 }.Select(Math.Floor).Sum())", 3.0),
        ('@(string.Join("|", new[] { 65, 66 }.Select(Convert.ToChar)))', "A|B"),
        (
            '@{ var allowed = new List<string> { "x", "y" }; '
            'return new[] { "x", "z", "y" }.Where(allowed.Contains).Count(); }',
            2,
        ),
        ('@{ var s = "hello"; return new[] { "he", "lo", "x" }.Count(s.StartsWith); }', 1),
        ('@(new[] { "Accept", "X-None" }.Count(context.Request.Headers.ContainsKey))', 1),
        ('@{ Func<string, int> parse = int.Parse; return parse("41") + 1; }', 42),
        ('@{ var s = "hello"; Func<string, bool> has = s.Contains; return has("ell"); }', True),
        ('@{ Func<string, bool> empty; empty = string.IsNullOrEmpty; return empty(""); }', True),
        # the receiver is the one when the delegate was made
        (
            '@{ var s = "ab"; Func<string, bool> has = s.Contains; s = "xy"; return has("a"); }',
            True,
        ),
        # a property in an argument is still a property
        ('@{ var s = "abc"; return Math.Max(s.Length, 2); }', 3),
        ('@{ int? n = null; return string.Concat(n.HasValue, "!"); }', "False!"),
        # local functions are method groups too
        ("@{ int Twice(int x) => x * 2; return new[] { 1, 2 }.Select(Twice).Sum(); }", 6),
    ],
)
def test_method_groups_are_delegates(source: str, value: object) -> None:
    assert ev(source, make_context(headers={"Accept": "*/*"})) == value


def test_a_static_method_group_is_a_constant() -> None:
    compiled = compile_expression('@(new[] { "1" }.Select(int.Parse).First())')
    assert "Parse" not in compiled.python_source
    assert raises('@(new[] { "x" }.Select(int.Parse).First())') == "FormatException"
