"""Open-ended names on the ``context`` model: every member its types declare is accepted, any
other name is refused at that name, with a "did you mean" only when the suggestion is a member."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.expressions import ExpressionSyntaxError
from aiohttp_apim.expressions.compiler import compile_program
from aiohttp_apim.expressions.lexer import KEYWORDS
from aiohttp_apim.expressions.runtime import resolve_type

# a path of the context model, and its type's name as messages show it
PATHS = [
    ("context", "IProxyRequestContext"),
    ("context.Request", "IRequest"),
    ("context.Response", "IResponse"),
    ("context.Request.Url", "IUrl"),
    ("context.Api", "IApi"),
    ("context.Operation", "IOperation"),
    ("context.User", "IUser"),
    ("context.Subscription", "ISubscription"),
    ("context.Product", "IProduct"),
    ("context.Deployment", "IDeployment"),
    ("context.Deployment.Gateway", "IGateway"),
    ("context.Workspace", "IWorkspace"),
    ("context.LastError", "ILastError"),
    ("context.Api.SubscriptionKeyParameterNames", "ISubscriptionKeyParameterNames"),
]


def _properties(type_name: str) -> list[str]:
    t = resolve_type(type_name)
    assert t is not None
    return sorted(
        name
        for base in t.linearized()
        for name, sigs in base.signatures.items()
        if any(s.kind == "property" for s in sigs)
    )


def _members(type_name: str) -> set[str]:
    t = resolve_type(type_name)
    assert t is not None
    names = t.member_names(static=False)
    for base in t.linearized():
        names.update(base.signatures)
    return names


@pytest.mark.parametrize(("path", "type_name"), PATHS)
def test_every_declared_property_is_accepted(path: str, type_name: str) -> None:
    properties = _properties(type_name)
    assert properties
    for name in properties:
        compile_program(f"@({path}.{name})")


@given(
    st.sampled_from(PATHS),
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,14}", fullmatch=True).filter(
        lambda name: name not in KEYWORDS
    ),
)
def test_any_other_name_is_refused_where_it_is_written(path: tuple[str, str], name: str) -> None:
    where, type_name = path
    source = f"@({where}.{name})"
    if name in _members(type_name):
        compile_program(source)
        return
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_program(source)
    message = caught.value.message
    assert message.startswith(f"'{type_name}' does not contain a definition for '{name}'")
    assert (caught.value.line, caught.value.column) == (1, len(f"@({where}.") + 1)
    if "did you mean" in message:
        suggested = message.rsplit("'", 2)[1]
        assert suggested in _members(type_name)
