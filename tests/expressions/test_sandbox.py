"""The sandbox: expressions reach nothing but runtime.py's allow-listed surface, and every runaway
(loops, string growth, recursion, deep nesting) ends in a bounded error instead of a hang."""

from __future__ import annotations

import ast
import contextlib
import io
import keyword
import re
import time
import tokenize as pytokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import ExpressionSyntaxError, compile_expression
from aiohttp_apim.expressions.compiler import _HELPERS, CompiledExpression
from aiohttp_apim.expressions.context import ExpressionContext

from .test_compiler import inline_caches, make_context

__all__ = ["inline_caches"]  # the fixture, re-exported for pytest


@pytest.fixture
def ctx() -> ExpressionContext:
    return make_context(variables={"x": "value", "n": 3})


def fails_safely(source: str, ctx: ExpressionContext) -> str:
    """Compile and run; the only acceptable outcomes are a syntax error or an ExpressionError."""
    try:
        compiled = compile_expression(source)
    except ExpressionSyntaxError as exc:
        return f"compile: {exc.message}"
    with pytest.raises(ExpressionError) as info:
        compiled(ctx)
    return f"{info.value.exception_type}: {info.value.message}"


# ----------------------------------------------------------------------- no way out by name


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('@(__import__("os"))', "unknown name '__import__'"),
        ('@(eval("1 + 1"))', "unknown name 'eval'"),
        ('@(exec("x = 1"))', "unknown name 'exec'"),
        ('@(open("/etc/passwd"))', "unknown name 'open'"),
        ("@(globals())", "unknown name 'globals'"),
        ("@(__builtins__)", "unknown name '__builtins__'"),
        ('@(System.IO.File.ReadAllText("/etc/passwd"))', "unknown name 'System.IO.File'"),
        ('@(File.ReadAllText("/etc/passwd"))', "unknown name 'File'"),
        ('@(System.Diagnostics.Process.Start("sh"))', "unknown name 'System.Diagnostics.Process'"),
        ('@(Environment.GetEnvironmentVariable("PATH"))', "unknown name 'Environment'"),
        ('@(System.Reflection.Assembly.Load("x"))', "unknown name 'System.Reflection.Assembly'"),
        ("@(AppDomain.CurrentDomain)", "unknown name 'AppDomain'"),
        ('@(Activator.CreateInstance("a", "b"))', "unknown name 'Activator'"),
        ("@(new System.Net.WebClient())", "unknown type 'System.Net.WebClient'"),
        ("@(typeof(System.IO.File))", "unknown type 'System.IO.File'"),
        # the generated code's own names are not reachable from C#
        ("@(c)", "unknown name 'c'"),
        ("@(e(context))", "unknown name 'e'"),
        ("@(k0)", "unknown name 'k0'"),
        ('@(_gm(context, "Request"))', "unknown name '_gm'"),
        ("@(b)", "unknown name 'b'"),
        ("@{ return v1; }", "unknown name 'v1'"),
        ("@(_Err)", "unknown name '_Err'"),
        ("@(nameof(__import__))", "unknown name '__import__'"),
    ],
)
def test_dangerous_names_do_not_compile(source: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_expression(source)
    assert info.value.message == message


REFLECTION = [
    "@(context.GetType())",
    "@(context.GetType().Assembly)",
    '@("".GetType())',
    '@(((object)"s").GetType().Assembly.Location)',
    '@(Type.GetType("System.IO.File"))',
    '@("".__class__)',
    '@("".__class__.__mro__)',
    "@(context.__dict__)",
    "@(context.__class__)",
    '@(context.Variables.__getitem__("x"))',
    '@("abc".__len__())',
    "@(context.Request.__dict__)",
    '@(context.Variables["x"].__class__.__subclasses__())',
    '@(context.Variables.GetType().GetMethod("Clear"))',
    "@(context.Variables.__init__)",
    "@(new[] { 1 }.GetType())",
    '@("x".Normalize().GetType())',
    "@(context.Trace.__globals__)",
    "@(Regex.__init__)",
    "@(new { a = 1 }.__class__)",
    "@(new { a = 1 }.keys())",
    '@(new { a = 1 }.get("a"))',
    "@((1, 2).items)",
    '@(new[] { "a" }.Select(string.Empty.GetType).First())',
    '@(new[] { "a" }.Select(context.__class__).First())',
    '@(new[] { "a" }.Select("".__getattribute__).First())',
    '@{ Func<string, object> f = "".__format__; return f(""); }',
    "@((1, 2).Item3)",
    "@(typeof(string).Assembly)",
    "@(typeof(string).type)",
    "@(typeof(string).__class__)",
    '@(typeof(string).GetMethod("Concat"))',
    "@(typeof(Regex).GetType())",
    '@(Enum.Parse(typeof(string), "x"))',
    "@(string.__dict__)",
    "@(Encoding.UTF8.__class__)",
    '@(JObject.Parse("{}").__class__)',
    "@{ var d = context.Variables; return d.__class__; }",
    '@(context.Variables["x"] = "changed")',
    '@{ context.Variables["x"] = "changed"; return 1; }',
    '@{ context.Request.Method = "POST"; return 1; }',
]


@pytest.mark.parametrize("source", REFLECTION)
def test_reflection_and_python_internals_fail_at_run_time(
    source: str, ctx: ExpressionContext
) -> None:
    fails_safely(source, ctx)


@pytest.mark.usefixtures("inline_caches")
@pytest.mark.parametrize("source", REFLECTION)
def test_reflection_fails_with_inline_caches_too(source: str, ctx: ExpressionContext) -> None:
    fails_safely(source, ctx)


def test_variables_are_read_only(ctx: ExpressionContext) -> None:
    fails_safely('@{ context.Variables["x"] = "changed"; return 1; }', ctx)
    assert compile_expression('@(context.Variables["x"])')(ctx) == "value"


def test_assigning_to_context_itself_does_not_compile() -> None:
    with pytest.raises(ExpressionSyntaxError, match="'context' is read-only"):
        compile_expression("@{ context = null; return 1; }")


# --------------------------------------------------- the generated Python is built from templates

_ALLOWED_NAMES = (
    (
        set(keyword.kwlist)
        - {
            "import",
            "global",
            "lambda",
            "class",
            "with",
            "yield",
            "async",
            "await",
            "del",
            "assert",
        }
    )
    | set(_HELPERS)
    | {"e", "c", "b", "_dflt", "_fm", "_fmg", "_fi", "_fc"}
    | {"value"}  # the attribute of the OutRef of an ``out`` argument (``_Out(None)``)
)
_GENERATED = re.compile(r"^[kvtfxTK]\d+$")
_ALLOWED_STRINGS = {
    "''",
    *(
        repr(op)
        for op in [
            "+",
            "-",
            "*",
            "/",
            "%",
            "&",
            "|",
            "^",
            "<<",
            ">>",
            "==",
            "!=",
            "<",
            ">",
            "<=",
            ">=",
            "!",
            "~",
        ]
    ),
}


def assert_only_templates(compiled: CompiledExpression) -> None:
    for tok in pytokenize.generate_tokens(io.StringIO(compiled.python_source).readline):
        if tok.type == pytokenize.NAME:
            assert tok.string in _ALLOWED_NAMES or _GENERATED.match(tok.string), tok
        elif tok.type == pytokenize.STRING:
            assert tok.string in _ALLOWED_STRINGS, tok
        elif tok.type == pytokenize.NUMBER:  # only the templates' own 0/1 (budget, [-1])
            assert tok.string in ("0", "1"), tok


SAMPLES = [
    '@("user-" + context.Variables["id"])',
    '@((string)context.Request.Headers.GetValueOrDefault("Accept","") + "|" + '
    "context.Request.Url.Path)",
    '@{ var __import__ = "os"; var exec = 1; string open = "x" + __import__; '
    "foreach (var __class__ in new[] { 1, 2 }) { exec += __class__; } return open + exec; }",
    '@(context.Variables.GetValueOrDefault<string>("__globals__", "eval(1)") + 0x10 + 1.5 + \'q\')',
    "@{ int F(int os) => os + 1; Func<int, int> g = sys => F(sys); return g(41); }",
    '@($"{context.Variables["x"],5:F2} {{}} \\" \'")',
    "@{ try { throw new FormatException(\"__import__('os')\"); } "
    "catch (FormatException) { return 1; } }",
    "@(new { __class__ = 1, b = 2 })",
    "@{ var __class__ = 1; return nameof(__class__) + nameof(context.Request); }",
    '@{ try { throw new Exception("__import__"); } catch (Exception __class__) '
    'when (__class__.Message.Contains("import")) { return 1; } catch { return 2; } }',
    '@{ object __class__ = context.Variables["x"]; foreach (var i in new[] { 1, 2 }) { '
    'switch (__class__) { case "__import__": continue; case string os when os.Length > i: '
    "if (i > 1) break; return os; case int exec: return exec; default: break; } } return null; }",
    '@{ var (__class__, exec) = (1, "__import__"); (int os, string sys) t = (__class__, exec); '
    "foreach (var (k, v) in new[] { (t.os, t.sys) }) { return new { __dict__ = k, v }; } "
    "return new { __globals__ = t }; }",
    '@{ var exec = new List<string> { "__import__" }; '
    'return new[] { "1" }.Select(int.Parse).Count() + new[] { "os" }.Count(exec.Contains); }',
    '@{ var __import__ = new[] { "os" }; return from exec in __import__ '
    'join eval in new[] { "os" } on exec equals eval into __globals__ '
    "from compile in __globals__.DefaultIfEmpty() let __class__ = exec + compile "
    "where __class__ != null orderby __class__ descending group exec by __class__ into __dict__ "
    "select new { __dict__.Key, n = __dict__.Count() }; }",
    "@{ int x = 1; checked { x++; x = -x; x = (byte)x; x += 2; } return unchecked(x * 2); }",
]


@pytest.mark.parametrize("source", SAMPLES)
def test_generated_code_never_contains_source_text(source: str) -> None:
    assert_only_templates(compile_expression(source))


def _tested_expressions() -> list[str]:
    """Every expression the tests of this folder write out (string literals ``@(...)`` and
    ``@{...}``): the C# constructs each test module covers."""
    found: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and value.startswith(("@(", "@{")):
                found.add(value)
    return sorted(found)


def test_the_generated_code_of_every_tested_expression_is_made_of_templates() -> None:
    compiled = 0
    for source in _tested_expressions():
        try:
            expression = compile_expression(source)
        except ExpressionSyntaxError:
            continue
        assert_only_templates(expression)
        compiled += 1
    assert compiled > 500


# ------------------------------------------------------------------------------- runaways


def run_bounded(source: str, ctx: ExpressionContext, *, seconds: float = 10.0) -> ExpressionError:
    compiled = compile_expression(source)
    start = time.monotonic()
    with pytest.raises(ExpressionError) as info:
        compiled(ctx)
    assert time.monotonic() - start < seconds
    return info.value


@pytest.mark.parametrize(
    "source",
    [
        "@{ while (true) { } }",
        "@{ for (;;) { } }",
        "@{ do { } while (true); }",
        "@{ var i = 0; while (i >= 0) { i = i + 0; } return i; }",
        "@{ for (var i = 0; i < 10; i += 0) { continue; } return 1; }",
        "@{ while (true) { try { while (true) { } } catch { } } }",
        "@{ while (true) { try { while (true) { } } catch (Exception) { } finally { } } }",
        "@{ var n = 0; foreach (var x in Enumerable.Range(0, int.MaxValue)) { n++; } return n; }",
        "@{ Func<int, int> f = null; f = x => { while (true) { } }; return f(1); }",
    ],
)
def test_runaway_loops_hit_the_iteration_budget(source: str, ctx: ExpressionContext) -> None:
    error = run_bounded(source, ctx)
    assert error.exception_type == "TimeoutException"


@pytest.mark.parametrize(
    "source",
    [
        '@{ var s = "x"; for (;;) s += s; }',
        '@{ var s = "x"; while (true) s = s + s; }',
        '@{ var s = "x"; while (true) s = $"{s}{s}"; }',
        '@{ var s = "x"; while (true) s = s + "|" + s; }',
        '@{ string s = ""; for (var i = 0; i < 100000; i++) { s = s + "0123456789abcdefghij"; } '
        "return s; }",
        '@{ var s = "ab"; while (true) { s = string.Concat(s, s); } }',
        "@(new string('x', int.MaxValue))",
        '@("x".PadLeft(int.MaxValue))',
        "@(new int[int.MaxValue])",
        '@{ var l = new List<string>(); while (true) { l.Add("xxxxxxxxxxxxxxxx"); } }',
    ],
)
def test_runaway_growth_is_bounded(source: str, ctx: ExpressionContext) -> None:
    run_bounded(source, ctx)


@pytest.mark.parametrize(
    "source",
    [
        "@{ Func<int, int> f = null; f = x => f(x + 1); return f(0); }",
        "@{ int F(int x) { return F(x + 1); } return F(0); }",
        "@{ int F(int x) => G(x); int G(int x) => F(x); return F(0); }",
    ],
)
def test_runaway_recursion_is_an_expression_error(source: str, ctx: ExpressionContext) -> None:
    error = run_bounded(source, ctx)
    assert error.exception_type == "InsufficientExecutionStackException"


def test_budget_is_per_evaluation(ctx: ExpressionContext) -> None:
    compiled = compile_expression(
        "@{ var n = 0; for (var i = 0; i < 60000; i++) { n++; } return n; }"
    )
    assert compiled(ctx) == 60000
    assert compiled(ctx) == 60000  # a second evaluation starts with a fresh budget


@pytest.mark.parametrize(
    "source",
    [
        "@(" + "(" * 5000 + "1" + ")" * 5000 + ")",
        "@(" + "!" * 5000 + "true)",
        "@(" + "-" * 5000 + "1)",
        "@(" + "a." * 5000 + "b)",
        "@(" + " + ".join(["1"] * 5000) + ")",
        "@(" + "f(" * 3000 + ")" * 3000 + ")",
        "@(" + "new[] {" * 2000 + "}" * 2000 + ")",
        "@{" + "{" * 3000 + "}" * 3000 + " return 1; }",
        "@{" + "if (true) " * 3000 + "return 1; return 2; }",
        '@($"' + '{$"' * 500 + '"}' * 500 + '")',
        "@(" + "x => " * 3000 + "1)",
        "@(a" + "?.b" * 3000 + ")",
        "@(" + "a ? b : " * 3000 + "c)",
        "@(" + "a ?? " * 3000 + "c)",
        "@{ var x = 0; " + "x = " * 3000 + "1; return x; }",
        "@(List<" * 2000 + "int" + ">" * 2000 + ")",
    ],
)
def test_deep_nesting_is_a_syntax_error_not_a_crash(source: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(source)


# -------------------------------------------------------------------------------- fuzzing


_TOKENS = [
    "context",
    ".",
    "Variables",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    '"s"',
    '@"v"',
    '$"i{x}"',
    "1",
    "2.5",
    "'c'",
    "x",
    "var",
    "=",
    ";",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">",
    ">>",
    "&&",
    "||",
    "!",
    "?",
    ":",
    "??",
    "?.",
    "?[",
    "=>",
    ",",
    "return",
    "if",
    "else",
    "while",
    "for",
    "foreach",
    "in",
    "new",
    "string",
    "int",
    "true",
    "null",
    "out",
    "is",
    "as",
    "Regex",
    "Match",
    "++",
    "--",
    "+=",
    "try",
    "catch",
    "throw",
    "break",
    "continue",
    "<T>",
    "List",
    "typeof",
    "default",
    "unchecked",
    "checked",
    "nameof",
    "switch",
    "case",
    "when",
    "(1, 2)",
    "(a: 1, b: 2)",
    "var (a, b)",
    "new { a = 1 }",
    "from x in",
    "select",
    "where",
    "orderby",
    "group",
    "by",
    "join",
    "void",
    "F",
]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_the_compiler(text: str) -> None:
    for source in (text, "@(" + text + ")", "@{" + text + "}"):
        try:
            compiled = compile_expression(source)
        except ExpressionSyntaxError:
            continue
        assert isinstance(compiled, CompiledExpression)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=25), st.booleans())
def test_token_soup_compiles_or_fails_cleanly_and_runs_safely(
    tokens: list[str], block: bool
) -> None:
    body = " ".join(tokens)
    source = "@{" + body + "}" if block else "@(" + body + ")"
    try:
        compiled = compile_expression(source)
    except ExpressionSyntaxError as exc:
        position = (exc.line, exc.column)
        assert min(position) >= 1
        return
    assert_only_templates(compiled)
    with contextlib.suppress(ExpressionError):
        compiled(make_context(variables={"x": "value"}))
