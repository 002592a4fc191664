"""``context.Request.Headers.GetValueOrDefault("name", "default")`` and ``ContainsKey("name")``
compile to a fast read of the request's headers that skips the ``Request`` view. They must
return what the general form returns -- the same chain read through a local, which the compiler
does not recognise -- for any headers: repeated (comma-joined), in another case, missing, or
changed by a ``set-header`` before the read, with the request's view made or not yet made."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings
from multidict import CIMultiDict

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions import context as ctx
from tests.pipeline.fakes import Pipeline, doc

NAMES = ("X-Tenant", "x-tenant", "X-TENANT", "X-Other", "Accept")
names = st.sampled_from(NAMES)
values = st.text(alphabet="ab09 ,;-", max_size=6)
headers = st.lists(st.tuples(names, values), max_size=5)
reads = st.sampled_from((*NAMES, "X-Missing"))
defaults = st.sampled_from(('"none"', '""', "null", None))
SET_HEADER_ACTIONS = ("override", "skip", "append", "delete")
set_headers = st.lists(
    st.tuples(names, st.sampled_from(SET_HEADER_ACTIONS), st.lists(values, min_size=1, max_size=2)),
    max_size=2,
)


def _call(name: str, default: str | None) -> str:
    return (
        f'GetValueOrDefault("{name}")'
        if default is None
        else (f'GetValueOrDefault("{name}", {default})')
    )


def _fast(read: str) -> str:
    return f"@(context.Request.Headers.{read})"


def _general(read: str) -> str:
    return "@{ var h = context.Request.Headers; return h." + read + "; }"


def _set_header(name: str, action: str, vals: list[str]) -> str:
    inner = "" if action == "delete" else "".join(f"<value>{v}</value>" for v in vals)
    return f'<set-header name="{name}" exists-action="{action}">{inner}</set-header>'


def _set_variable(name: str, value: str) -> str:
    return f'<set-variable name="{name}" value="{value.replace(chr(34), "&quot;")}" />'


def test_the_fast_form_is_compiled_and_the_general_one_is_not() -> None:
    fast = compile_expression(_fast('GetValueOrDefault("X-Tenant", "none")'))
    assert "_rhd(" in fast.python_source
    assert "_rhas(" in compile_expression(_fast('ContainsKey("X-Tenant")')).python_source
    general = compile_expression(_general('GetValueOrDefault("X-Tenant", "none")'))
    assert "_rhd(" not in general.python_source


@settings(max_examples=60, deadline=None)
@given(headers, set_headers, set_headers, reads, defaults, st.booleans())
async def test_a_read_in_a_policy_is_the_general_form_s(
    request_headers: list[tuple[str, str]],
    before: list[tuple[str, str, list[str]]],
    between: list[tuple[str, str, list[str]]],
    name: str,
    default: str | None,
    general_first: bool,
) -> None:
    get, has = _call(name, default), f'ContainsKey("{name}")'
    first = [("fast1", _fast(get)), ("fasthas1", _fast(has))]
    general = [("general1", _general(get)), ("generalhas1", _general(has))]
    inbound = "".join(_set_header(*s) for s in before)
    # before any general read the request's view is not made yet; after one it is
    for var, expr in (general + first) if general_first else (first + general):
        inbound += _set_variable(var, expr)
    inbound += "".join(_set_header(*s) for s in between)
    for var, expr in (
        ("fast2", _fast(get)),
        ("fasthas2", _fast(has)),
        ("general2", _general(get)),
        ("generalhas2", _general(has)),
    ):
        inbound += _set_variable(var, expr)
    pipeline = Pipeline({"policy.xml": doc(inbound=inbound)})
    x = await pipeline.run(headers=CIMultiDict(request_headers))
    seen = {k: x.variables.get(k) for k in ("fast1", "fasthas1", "fast2", "fasthas2")}
    assert seen == {
        "fast1": x.variables.get("general1"),
        "fasthas1": x.variables.get("generalhas1"),
        "fast2": x.variables.get("general2"),
        "fasthas2": x.variables.get("generalhas2"),
    }


@settings(max_examples=60, deadline=None)
@given(headers, reads, defaults)
def test_a_read_of_a_context_made_with_a_request_is_the_general_form_s(
    request_headers: list[tuple[str, str]], name: str, default: str | None
) -> None:
    context = ctx.ExpressionContext(request=ctx.Request(headers=request_headers))
    for read in (_call(name, default), f'ContainsKey("{name}")'):
        fast = compile_expression(_fast(read))(context)
        assert fast == compile_expression(_general(read))(context)


def test_a_context_without_a_request_fails_as_the_general_form_does() -> None:
    context = ctx.ExpressionContext()
    for read in ('GetValueOrDefault("X-Tenant", "none")', 'ContainsKey("X-Tenant")'):
        errors = []
        for source in (_fast(read), _general(read)):
            try:
                compile_expression(source)(context)
            except ExpressionError as error:
                errors.append((type(error), str(error)))
        assert len(errors) == 2
        assert errors[0] == errors[1]


def test_only_a_whole_fast_read_is_a_header_read() -> None:
    # (the plan lets a set-variable of one run after an early cache-lookup: it cannot fail)
    for read in ('GetValueOrDefault("X-Tenant", "none")', 'GetValueOrDefault("X-Tenant", null)'):
        assert compile_expression(_fast(read)).header_read
    assert compile_expression(_fast('GetValueOrDefault("X-Tenant")')).header_read
    assert compile_expression(_fast('ContainsKey("X-Tenant")')).header_read
    for source in (
        _general('GetValueOrDefault("X-Tenant", "none")'),
        _fast('GetValueOrDefault("X-Tenant", "none").ToUpper()'),
        '@(context.Request.Headers.GetValueOrDefault("X-Tenant", "none") + "")',
        '@((context.Request.Headers.ContainsKey("X-Tenant")))',
        '@(context.Request.Headers.ContainsKey("X-Tenant") ? "a" : "b")',
        '@(context.Variables.GetValueOrDefault<string>("tenant", "none"))',
        "@(60 * 5)",
    ):
        assert not compile_expression(source).header_read, source


SUFFIXES = (".ToUpper()", "?.ToLower()", ".Length", "?.Length", '.Split(",")[0]', ".Trim()")
"""What chains go on with after a read: a read of a missing header with a null default makes
some of them fail (NullReferenceException), as the general form does."""


def _outcome(source: str, context: ctx.ExpressionContext) -> object:
    try:
        return ("value", compile_expression(source)(context))
    except ExpressionError as error:
        return ("error", error.exception_type, str(error))


@settings(max_examples=60, deadline=None)
@given(headers, reads, defaults, st.sampled_from(SUFFIXES), st.booleans())
async def test_a_chain_that_goes_on_from_a_read_is_the_general_form_s(
    request_headers: list[tuple[str, str]],
    name: str,
    default: str | None,
    suffix: str,
    made: bool,
) -> None:
    read = _call(name, default) + suffix
    fast = compile_expression(_fast(read))
    assert "_rhd(" in fast.python_source
    assert not fast.header_read
    # a context the pipeline makes (its request's view not made yet) and one made with a request
    if made:
        context = ctx.ExpressionContext(request=ctx.Request(headers=request_headers))
    else:
        pipeline = Pipeline({"policy.xml": doc(inbound="")})
        x = await pipeline.run(headers=CIMultiDict(request_headers))
        context = x.runtime.contexts(x)
    assert _outcome(_fast(read), context) == _outcome(_general(read), context)
