"""The policy model: frozen, slotted value objects with a cheap literal/expression test."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from aiohttp_apim.policy import model
from aiohttp_apim.policy.model import (
    Base,
    CacheLookup,
    CachingType,
    Choose,
    DownstreamCachingType,
    Expr,
    Fragment,
    Literal,
    Location,
    PolicyDocument,
    Section,
    SectionName,
    SetVariable,
    Value,
    When,
    is_literal,
    walk,
)

if typing.TYPE_CHECKING:
    from aiohttp_apim.expressions import CompiledExpression

HERE = Location("policy.xml", 3, 9)


class _FakeCompiled:
    source = "@(1 + 1)"
    is_block = False
    names: frozenset[str] = frozenset()

    def __call__(self, context: object) -> object:
        return 2


def _literal(value: object) -> Literal[object]:
    return Literal(value, str(value), HERE)


def test_location_prints_like_a_compiler_message() -> None:
    assert str(HERE) == "policy.xml:3:9"


def test_literal_and_expr_are_told_apart_without_isinstance() -> None:
    literal: Value[int] = Literal(5, "5", HERE)
    expr: Value[int] = Expr(typing.cast("CompiledExpression", _FakeCompiled()), HERE)
    assert literal.is_literal is True
    assert expr.is_literal is False
    assert is_literal(literal)
    assert not is_literal(expr)
    assert isinstance(expr, Expr)
    assert expr.source == "@(1 + 1)"


def test_values_are_frozen_and_slotted() -> None:
    literal = Literal(5, "5", HERE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        literal.value = 6  # type: ignore[misc]
    assert not hasattr(literal, "__dict__")
    assert not hasattr(HERE, "__dict__")


@pytest.mark.parametrize(
    "cls",
    [
        c
        for c in vars(model).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c) and not c.__name__.startswith("_")
    ],
)
def test_every_model_class_is_frozen_and_slotted(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen, cls
    assert "__slots__" in vars(cls), cls


def test_value_alias_is_subscriptable_at_run_time() -> None:
    alias = Value[int]
    assert set(typing.get_args(alias)) == {Literal[int], Expr}


def test_statements_know_their_element_name() -> None:
    assert Base.element == "base"
    assert CacheLookup.element == "cache-lookup"
    statement_types = typing.get_args(model.Statement)
    assert len({t.element for t in statement_types}) == len(statement_types)


def test_enums_are_string_enums_with_apim_spelling() -> None:
    assert CachingType("prefer-external") is CachingType.PREFER_EXTERNAL
    assert DownstreamCachingType.PUBLIC.value == "public"
    assert str(SectionName.ON_ERROR) == "on-error"


def _section(name: SectionName, *items: model.Statement, present: bool = True) -> Section:
    return Section(name=name, items=items, location=HERE, present=present)


def test_document_sections_in_life_cycle_order() -> None:
    doc = PolicyDocument(
        file="policy.xml",
        inbound=_section(SectionName.INBOUND, Base(location=HERE)),
        backend=_section(SectionName.BACKEND, present=False),
        outbound=_section(SectionName.OUTBOUND),
        on_error=_section(SectionName.ON_ERROR),
    )
    assert [s.name for s in doc.sections] == list(SectionName)
    assert doc.section(SectionName.BACKEND).present is False
    assert doc.section(SectionName.OUTBOUND).present is True
    assert doc.section(SectionName.OUTBOUND).items == ()


def test_statement_ids_default_to_none() -> None:
    assert Base(location=HERE).id is None
    assert Base(location=HERE, id="b1").id == "b1"


def test_walk_descends_into_choose_in_document_order() -> None:
    inner = SetVariable(location=HERE, name="a", value=Literal("1", "1", HERE))
    other = SetVariable(location=HERE, name="b", value=Literal("2", "2", HERE))
    choose = Choose(
        location=HERE,
        whens=(When(condition=Literal(True, "true", HERE), items=(inner,), location=HERE),),
        otherwise=(other,),
    )
    base = Base(location=HERE)
    assert list(walk((base, choose))) == [base, choose, inner, other]
    fragment = Fragment(file="fragments/f.xml", items=(choose,), location=HERE)
    assert list(walk(fragment.items)) == [choose, inner, other]
