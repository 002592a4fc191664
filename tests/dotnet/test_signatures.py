"""Member signatures as data: they parse, they match the implementations beside them (every
declared member is implemented, every implemented library member is declared), and the registry
answers what a type checker asks (member lookup by name, arity and kind, "did you mean")."""

from __future__ import annotations

import pytest

from aiohttp_apim.dotnet import library
from aiohttp_apim.dotnet.core import LIBRARY, TypeRef
from aiohttp_apim.dotnet.signatures import SignatureError, parse
from aiohttp_apim.expressions import runtime

_ = runtime  # the registry as expressions see it: the library and the APIM model loaded

LIBRARY_TYPES = [t for layer in library.LAYERS for m in layer for t in getattr(m, "TYPES", ())]

# Implemented on purpose without a declaration: C# has no such member there, the runtime only
# answers them with .NET's own failure (ParamName of an exception that is no ArgumentException).
UNDECLARED = {"ParamName"}


def _implemented(t: TypeRef) -> list[tuple[str, bool]]:
    names = [(n, False) for n in t.member_names(static=False)]
    names += [(n, True) for n in t.member_names(static=True) if not n.endswith("_")]
    return names


@pytest.mark.parametrize("t", LIBRARY_TYPES, ids=lambda t: t.full_name)
def test_every_implemented_library_member_is_declared(t: TypeRef) -> None:
    undeclared = sorted(
        name
        for name, static in _implemented(t)
        if not t.signatures_of(name, static=static) and name not in UNDECLARED
    )
    assert undeclared == []
    if t.construct is not None:
        assert t.signatures_of(".ctor", static=False), "constructors are declared"
    if t.table().indexer is not None:
        assert t.signatures_of("this[]", static=False), "indexers are declared"


@pytest.mark.parametrize("t", LIBRARY.types, ids=lambda t: t.full_name)
def test_every_declared_member_is_implemented(t: TypeRef) -> None:
    unimplemented = sorted(
        f"{sig}"
        for name, sigs in t.signatures.items()
        for sig in sigs
        if not t.implements(name, static=sig.static)
    )
    assert unimplemented == []


def test_signatures_print_as_they_parse() -> None:
    for t in LIBRARY.types:
        for sigs in t.signatures.values():
            for sig in sigs:
                again = parse(str(sig), t.name)
                assert again == sig, (str(sig), again)


@pytest.mark.parametrize(
    "text",
    ["string (", "int Foo(int)", "static", "Foo Bar(params int[] a, int b)", "new(int x"],
)
def test_a_bad_signature_is_refused(text: str) -> None:
    with pytest.raises(SignatureError):
        parse(text)


def _type(name: str) -> TypeRef:
    t = LIBRARY.lookup(name)
    assert t is not None
    return t


def test_what_a_type_checker_asks() -> None:
    string = _type("string")
    (length,) = string.signatures_of("Length", static=False)
    assert (length.kind, length.returns, length.settable) == ("property", "int", False)
    substring = string.overloads("Substring", 2, static=False)
    assert [str(s) for s in substring] == ["string Substring(int startIndex, int length)"]
    assert string.overloads("Substring", 3, static=False) == []
    join = string.overloads("Join", 5, static=True)  # params object[]
    assert [s.params[-1].params for s in join] == [True, True]
    # inherited members, and extension methods after the type's own members
    where = string.signatures_of("Where", static=False)
    assert where
    assert all(s.extension for s in where)
    (as_jwt,) = string.signatures_of("AsJwt", static=False)
    assert as_jwt.returns == "Jwt"
    (to_string,) = _type("Guid").overloads("ToString", 0, static=False)
    assert to_string.returns == "string"
    # a static member is the type's own; an instance member is not a static one
    assert string.signatures_of("IsNullOrEmpty", static=False) == []
    assert _type("JObject").overloads("Parse", 1, static=True)[0].returns == "JObject"
    # generic methods and out parameters
    (value,) = _type("JToken").overloads("Value", 1, static=False)
    assert value.generic == ("T",)
    (try_parse,) = _type("int").overloads("TryParse", 2, static=True)
    assert try_parse.params[1].modifier == "out"
    constructors = [str(s) for s in _type("DateTime").signatures_of(".ctor", static=False)]
    assert constructors[0] == "new(long ticks)"
    # did you mean
    assert string.suggest("Lenght", static=False) == "Length"
    assert _type("Regex").suggest("IsMach", static=True) == "IsMatch"
    assert string.suggest("Frobnicate", static=False) is None
