"""Fuzzing policy files and expressions: whatever the text, loading raises ``PolicyError`` (or
succeeds), compiling raises ``ExpressionSyntaxError`` (or succeeds), and evaluating raises
``ExpressionError`` (or gives a value) -- never another exception, and never for longer than the
expression budget allows.

The example count comes from the Hypothesis profile: ``ci`` (the default) keeps the run short;
for a long run, ``APIM_HYPOTHESIS_PROFILE=thorough pytest tests/expressions/test_fuzz.py``.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim import PolicyError, load_policies
from aiohttp_apim.dotnet.budget import Budget, BudgetLimits, using
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import ExpressionSyntaxError, compile_expression
from aiohttp_apim.expressions.context import ExpressionContext, Request

LIMITS = BudgetLimits(seconds=0.05, steps=20_000)
CPU_BOUND = 1.0
"""CPU seconds one evaluation may take: the budget's 50 ms, and a generous allowance for the
work between two checks of the clock (and for slow machines)."""

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),  # 4301+ digits
    st.sampled_from(["0x" + "f" * 40, "0b" + "1" * 70, "1e400", "1.5m", "2f", "3UL", "1_000"]),
)
STRINGS = st.text(max_size=12).map(
    lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
)
ATOMS = st.one_of(
    NUMBERS,
    STRINGS,
    st.sampled_from(
        [
            "null",
            "true",
            "'x'",
            '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"',
            'context.Variables["v"]',
            'context.Request.Headers.GetValueOrDefault("Accept", "")',
            "context.Request.Url.Path",
            "context.Request.Body.As<JObject>(preserveContent: true)",
            "context.Request.Body.As<string>(preserveContent: true)",
            "new[] { 1, 2, 3 }",
            "Enumerable.Range(0, 100000)",
            "Enumerable.Range(0, 1000).SelectMany(i => Enumerable.Range(0, 1000))",
            'JObject.Parse("{\\"a\\": [1, 2, {\\"b\\": null}]}")',
            "DateTime.UtcNow",
            "TimeSpan.FromSeconds(90)",
            'new StringBuilder("x")',
        ]
    ),
)
SUFFIXES = st.sampled_from(
    [
        ".ToString()",
        ".Length",
        ".Count()",
        ".Sum()",
        ".Select(x => x.ToString()).ToArray()",
        ".Where(x => x != null).Count()",
        '.Split(",")',
        ".ToUpper()",
        "[0]",
        '["a"]',
        ".Substring(1)",
        '.Replace("a", "aa")',
        ".GetHashCode()",
        '.Append("y")',
        '.Value<string>("a")',
        ".Select(int.Parse).Sum()",
        ".Any(char.IsUpper)",
        ".Item1",
    ]
)
BINARY = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", "&&", "||", "??", "&", "<<"])


def _expressions(max_leaves: int = 8) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, SUFFIXES).map("".join),
            st.tuples(inner, BINARY, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"Regex.IsMatch({t[0]}, {t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            inner.map(lambda x: f"(string){x}"),
            inner.map(lambda x: f"(int){x}"),
            inner.map(lambda x: f"JToken.Parse({x})"),
            inner.map(lambda x: f'string.Join(",", {x})'),
            inner.map(lambda x: f"checked({x})"),
            inner.map(lambda x: f"new {{ a = {x} }}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})"),
            inner.map(lambda x: f"(from v in {x} where v != null select v.ToString())"),
        )

    return st.recursive(ATOMS, extend, max_leaves=max_leaves)


STATEMENTS = st.sampled_from(
    [
        "while (true) { }",
        "for (var i = 0; i < 1000000; i++) { s = s + i; }",
        "foreach (var c in s) { n++; }",
        "try { n = int.Parse(s); } catch (FormatException) { n = -1; }",
        "var sb = new StringBuilder(); for (var i = 0; i < 100000; i++) { sb.Append(s); }",
        "if (n > 3) { return s; }",
        "throw new InvalidOperationException(s);",
        "n += s.Length;",
        'switch (s) { case "ab": n = 1; break; case string t when t.Length > n: return t; '
        "default: break; }",
        "var (p, q) = (s, n); n += q;",
        "try { n = int.Parse(s); } catch (FormatException e) when (e.Message.Length > n) { n = -2; }",
        "checked { n = n * 1000000 * 1000000; }",
        "foreach (var (k, v) in new Dictionary<string, int> { [s] = n }) { n += v; }",
    ]
)


def _programs() -> st.SearchStrategy[str]:
    single = _expressions().map(lambda e: f"@({e})")
    block = st.tuples(st.lists(STATEMENTS, max_size=3), _expressions()).map(
        lambda t: '@{ var s = "ab"; var n = 0; ' + " ".join(t[0]) + f" return {t[1]}; }}"
    )
    garbage = st.text(max_size=40).map(lambda s: "@(" + s)
    tokens = st.lists(
        st.sampled_from(
            [
                "(",
                ")",
                "{",
                "}",
                "[",
                "]",
                "=>",
                ".",
                ",",
                ";",
                "?.",
                "new",
                "var",
                "x",
                "1",
                '"',
                "'",
                '$"{',
                "@",
                "<",
                ">",
                "is",
                "as",
                "out",
            ]
        ),
        max_size=20,
    ).map(lambda parts: "@(" + " ".join(parts) + ")")
    return st.one_of(single, block, garbage, tokens)


def _context() -> ExpressionContext:
    return ExpressionContext(
        request=Request(
            method="POST",
            url="https://api.contoso.com/shop/items?color=red",
            headers={"Accept": "application/json", "X-Input": "a" * 40 + "b"},
            body=b'{"a": [1, 2, {"b": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}], "c": "x"}',
        ),
        variables={"v": "42"},
    )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_programs())
def test_expressions_compile_and_run_to_a_value_or_their_own_errors(source: str) -> None:
    try:
        compiled = compile_expression(source)
    except ExpressionSyntaxError:
        return
    started = time.thread_time()
    try:
        with using(Budget(LIMITS)):
            compiled(_context())
    except ExpressionError:
        pass
    assert time.thread_time() - started < CPU_BOUND, source


POLICY_PARTS = st.sampled_from(
    [
        '<set-variable name="v" value="@({e})" />',
        '<set-header name="X" exists-action="override"><value>@({e})</value></set-header>',
        '<choose><when condition="@({e})"><return-response /></when></choose>',
        '<cache-lookup vary-by-developer="false" vary-by-developer-groups="{t}" />',
        '<cache-store duration="@({e})" />',
        '<rate-limit-by-key calls="{t}" renewal-period="60" counter-key="@({e})" />',
        "<{t} />",
        "{t}",
        "<set-body>@{{ return {e}; }}</set-body>",
        '<set-variable name="v" value="{t}" />',
    ]
)


_SMALL_EXPRESSIONS = _expressions(max_leaves=3)


def _attribute_safe(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@st.composite
def _policy_documents(draw: st.DrawFn) -> str:
    parts = []
    for template in draw(st.lists(POLICY_PARTS, max_size=3)):
        expression = draw(_SMALL_EXPRESSIONS)
        text = draw(st.text(max_size=10))
        if draw(st.booleans()):
            expression = _attribute_safe(expression)
        parts.append(template.format(e=expression, t=text))
    inbound = "".join(parts)
    return (
        "<policies><inbound>" + inbound + "</inbound><backend><forward-request /></backend>"
        "<outbound /><on-error /></policies>"
    )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_policy_documents())
def test_policy_files_load_or_raise_policy_error(document: str) -> None:
    try:
        load_policies({"policy.xml": document})
    except PolicyError as error:
        problems = error.problems
    else:
        return
    assert problems
    assert all(p.line >= 1 and p.column >= 1 for p in problems)


def test_a_numeric_literal_of_4301_digits_is_a_located_expression_problem() -> None:
    digits = "1" * 4301
    with pytest.raises(ExpressionSyntaxError, match="too large") as caught:
        compile_expression(f"@(1 + {digits})")
    assert (caught.value.line, caught.value.column) == (1, 7)
    document = (
        "<policies>\n<inbound>\n"
        f'  <set-variable name="v" value="@(1 + {digits})" />\n'
        "</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>"
    )
    with pytest.raises(PolicyError) as loading:
        load_policies({"policy.xml": document})
    (problem,) = loading.value.problems
    assert problem.kind == "expression"
    assert (problem.line, problem.column) == (3, 39)  # the first digit
    assert "too large" in problem.message
