"""``System.Type`` as far as policy expressions meet it -- the value of ``typeof(T)`` -- and the
static members of ``System.Enum`` that take one (``Enum.Parse(typeof(DayOfWeek), "Monday")``) or
a type argument (``Enum.TryParse<DayOfWeek>(s, out var day)``).

A `TypeObject` names a type of the library: its name, full name and a few ``Is...`` answers.
It opens nothing else (no members, assemblies or methods of the type: reflection stays out of
the sandbox). There is one per type, so ``typeof(int) == typeof(int)`` as in .NET.

Enum names are .NET's: an enum member that Python must spell ``None_`` is ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final

from aiohttp_apim.dotnet import core
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.errors import ExpressionError

__all__ = ["ENUM_STATICS", "TYPE", "TYPES", "TypeObject", "register", "type_object"]


class TypeObject:
    """A ``System.Type`` value: the type ``typeof(T)`` names (see `type_object`)."""

    __slots__ = ("type",)

    def __init__(self, t: TypeRef) -> None:
        self.type = t

    def __repr__(self) -> str:
        return f"typeof({self.type.full_name})"


_OBJECTS: dict[int, TypeObject] = {}


def type_object(t: TypeRef) -> TypeObject:
    """The one ``System.Type`` value of ``t``."""
    found = _OBJECTS.get(id(t))
    if found is None or found.type is not t:
        found = _OBJECTS[id(t)] = TypeObject(t)
    return found


def _namespace(t: TypeRef) -> str:
    return t.full_name.rsplit(".", 1)[0] if "." in t.full_name else ""


def _is_enum(t: TypeRef) -> bool:
    return t is not dotnet.ENUM and dotnet.ENUM in t.linearized()


TYPE = declare("Type", "System.Type", (TypeObject,))
TYPE.members.update(
    {
        "Name": lambda o: o.type.name,
        "FullName": lambda o: o.type.full_name,
        "Namespace": lambda o: _namespace(o.type),
        "IsEnum": lambda o: _is_enum(o.type),
        "IsValueType": lambda o: o.type.value_type,
        "IsArray": lambda o: o.type.element is not None,
    }
)
TYPE.methods["ToString"] = lambda o, a, t: (
    arity("Type", "ToString", a, 0),
    o.type.full_name,
)[1]
TYPE.sign(
    "string Name { get; }",
    "string FullName { get; }",
    "string Namespace { get; }",
    "bool IsEnum { get; }",
    "bool IsValueType { get; }",
    "bool IsArray { get; }",
    "string ToString()",
)

TYPES: Final[tuple[TypeRef, ...]] = (TYPE,)


# ------------------------------------------------------------------------------ Enum's statics


def _enum_class(t: TypeRef) -> type[enum.Enum]:
    cls = t.py_types[0] if _is_enum(t) and t.py_types else None
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise ExpressionError(
            "ArgumentException", "Type provided must be an Enum. (Parameter 'enumType')"
        )
    return cls


def _enum_type(value: object) -> tuple[TypeRef, type[enum.Enum]]:
    """The enum type an ``enumType`` argument names."""
    if value is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'enumType')"
        )
    if not isinstance(value, TypeObject):
        raise ExpressionError(
            "ArgumentException", "Type provided must be an Enum. (Parameter 'enumType')"
        )
    return value.type, _enum_class(value.type)


def _type_argument(method: str, type_args: Sequence[TypeRef]) -> tuple[TypeRef, type[enum.Enum]]:
    if len(type_args) != 1:
        raise ExpressionError(
            "ArgumentException",
            f"The type arguments of method 'Enum.{method}' cannot be inferred from the usage: "
            f"write Enum.{method}<TEnum>(...)",
        )
    return type_args[0], _enum_class(type_args[0])


def _members(cls: type[enum.Enum]) -> list[tuple[str, enum.Enum]]:
    """(name, member) in .NET's order: by value as an unsigned number, aliases included."""
    members = [(name.removesuffix("_"), member) for name, member in cls.__members__.items()]
    return sorted(members, key=lambda item: int(item[1].value) & 0xFFFFFFFFFFFFFFFF)


def _parse(t: TypeRef, cls: type[enum.Enum], value: object, ignore_case: bool) -> enum.Enum:
    """``Enum.Parse``: a name, names separated by commas (flags), or a number."""
    if value is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    if not isinstance(value, str):
        raise ExpressionError("InvalidCastException", "the value to parse must be a string")
    text = value.strip()
    if not text:
        raise ExpressionError(
            "ArgumentException",
            "Must specify valid information for parsing in the string. (Parameter 'value')",
        )
    if text[0].isdigit() or text[0] in "+-":
        try:
            number = int(text)
        except ValueError:
            raise ExpressionError(
                "ArgumentException", f"Requested value '{value}' was not found."
            ) from None
        return _member(t, cls, number)
    names: dict[str, enum.Enum] = {}
    for name, member in _members(cls):
        names.setdefault(name.lower() if ignore_case else name, member)
    result = 0
    for part in text.split(","):
        key = part.strip().lower() if ignore_case else part.strip()
        found = names.get(key)
        if found is None:
            raise ExpressionError("ArgumentException", f"Requested value '{value}' was not found.")
        result |= int(found.value)
    return _member(t, cls, result)


def _member(t: TypeRef, cls: type[enum.Enum], number: int) -> enum.Enum:
    """The enum value of ``number`` (converted as ``(TEnum)number`` is)."""
    value = t.convert(number) if t.convert is not None else cls(number)
    if not isinstance(value, cls):  # pragma: no cover - an enum type converts to itself
        raise ExpressionError("InvalidCastException", f"{number} is not a value of {t.name}")
    return value


def _ignore_case(args: Sequence[object], at: int) -> bool:
    if len(args) <= at:
        return False
    flag = args[at]
    if type(flag) is not bool:
        raise ExpressionError("InvalidCastException", "ignoreCase must be a bool")
    return flag


def _enum_parse(args: Sequence[object], type_args: Sequence[TypeRef]) -> object:
    """``Enum.Parse(Type, string[, bool])`` and ``Enum.Parse<TEnum>(string[, bool])``."""
    if type_args:
        arity("Enum", "Parse", args, 1, 2)
        t, cls = _type_argument("Parse", type_args)
        return _parse(t, cls, args[0], _ignore_case(args, 1))
    arity("Enum", "Parse", args, 2, 3)
    t, cls = _enum_type(args[0])
    return _parse(t, cls, args[1], _ignore_case(args, 2))


def _enum_try_parse(args: Sequence[object], type_args: Sequence[TypeRef]) -> bool:
    """``Enum.TryParse<TEnum>(string[, bool], out TEnum)`` and
    ``Enum.TryParse(Type, string[, bool], out object)``: false (and the default value) where
    Parse would throw for the text."""
    if type_args or not (args and isinstance(args[0], TypeObject)):
        arity("Enum", "TryParse", args, 2, 3)
        t, cls = _type_argument("TryParse", type_args)
        text, ignore_case = args[0], _ignore_case(args[:-1], 1)
        failed: object = t.default
    else:
        arity("Enum", "TryParse", args, 3, 4)
        t, cls = _enum_type(args[0])
        text, ignore_case = args[1], _ignore_case(args[:-1], 2)
        failed = None
    try:
        parsed = _parse(t, cls, text, ignore_case)
    except ExpressionError:
        dotnet.set_out(args, len(args) - 1, failed)
        return False
    dotnet.set_out(args, len(args) - 1, parsed)
    return True


def _enum_value(t: TypeRef, cls: type[enum.Enum], value: object) -> int | str:
    """What IsDefined/GetName look up: a name, or the number of a value of the enum."""
    if value is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum):
        if not isinstance(value, cls):
            raise ExpressionError(
                "ArgumentException",
                "Object must be the same type as the enum. The type passed in was "
                f"'{core.net_name(value, full=True)}'; the enum type was '{t.full_name}'.",
            )
        return int(value.value)
    if type(value) is not int:  # every enum of the library has Int32 as its underlying type
        raise ExpressionError(
            "ArgumentException",
            "Enum underlying type and the object must be same type or object. Type passed in "
            f"was '{core.net_name(value, full=True)}'; the enum underlying type was "
            "'System.Int32'.",
        )
    return value


def _enum_is_defined(args: Sequence[object], type_args: Sequence[TypeRef]) -> bool:
    """``Enum.IsDefined(Type, object)`` / ``Enum.IsDefined<TEnum>(TEnum)``."""
    t, cls, value = _enum_and_value("IsDefined", args, type_args)
    wanted = _enum_value(t, cls, value)
    if isinstance(wanted, str):
        return any(name == wanted for name, _ in _members(cls))
    return any(int(member.value) == wanted for _, member in _members(cls))


def _enum_get_name(args: Sequence[object], type_args: Sequence[TypeRef]) -> str | None:
    """``Enum.GetName(Type, object)`` / ``Enum.GetName<TEnum>(TEnum)``: null when undefined."""
    t, cls, value = _enum_and_value("GetName", args, type_args)
    wanted = _enum_value(t, cls, value)
    if isinstance(wanted, str):
        raise ExpressionError(
            "ArgumentException",
            "The value passed in must be an enum base or an underlying type for an enum, such "
            "as an Int32. (Parameter 'value')",
        )
    return next((name for name, m in _members(cls) if int(m.value) == wanted), None)


def _enum_and_value(
    method: str, args: Sequence[object], type_args: Sequence[TypeRef]
) -> tuple[TypeRef, type[enum.Enum], object]:
    if not type_args and len(args) == 1 and isinstance(args[0], enum.Enum):
        # Enum.GetName(DayOfWeek.Monday): TEnum is the value's type, as C# infers it
        inferred = core.type_of(args[0])
        type_args = () if inferred is None else (inferred,)
    if type_args:
        arity("Enum", method, args, 1)
        return (*_type_argument(method, type_args), args[0])
    arity("Enum", method, args, 2)
    return (*_enum_type(args[0]), args[1])


def _enum_type_of(
    method: str, args: Sequence[object], type_args: Sequence[TypeRef]
) -> type[enum.Enum]:
    if type_args:
        arity("Enum", method, args, 0)
        return _type_argument(method, type_args)[1]
    arity("Enum", method, args, 1)
    return _enum_type(args[0])[1]


def _enum_get_names(args: Sequence[object], type_args: Sequence[TypeRef]) -> list[object]:
    """``Enum.GetNames(Type)`` / ``Enum.GetNames<TEnum>()``: ordered by value."""
    return [name for name, _ in _members(_enum_type_of("GetNames", args, type_args))]


def _enum_get_values(args: Sequence[object], type_args: Sequence[TypeRef]) -> list[object]:
    """``Enum.GetValues(Type)`` / ``Enum.GetValues<TEnum>()``: ordered by value."""
    return [member for _, member in _members(_enum_type_of("GetValues", args, type_args))]


ENUM_STATICS: Final[dict[str, core.StaticMethod]] = {
    "Parse": _enum_parse,
    "TryParse": _enum_try_parse,
    "IsDefined": _enum_is_defined,
    "GetName": _enum_get_name,
    "GetNames": _enum_get_names,
    "GetValues": _enum_get_values,
}
ENUM_SIGNATURES: Final = (
    "static object Parse(Type enumType, string value)",
    "static object Parse(Type enumType, string value, bool ignoreCase)",
    "static TEnum Parse<TEnum>(string value)",
    "static TEnum Parse<TEnum>(string value, bool ignoreCase)",
    "static bool TryParse<TEnum>(string value, out TEnum result)",
    "static bool TryParse<TEnum>(string value, bool ignoreCase, out TEnum result)",
    "static bool TryParse(Type enumType, string value, out object result)",
    "static bool TryParse(Type enumType, string value, bool ignoreCase, out object result)",
    "static bool IsDefined(Type enumType, object value)",
    "static bool IsDefined<TEnum>(TEnum value)",
    "static string GetName(Type enumType, object value)",
    "static string GetName<TEnum>(TEnum value)",
    "static string[] GetNames(Type enumType)",
    "static string[] GetNames<TEnum>()",
    "static Array GetValues(Type enumType)",
    "static TEnum[] GetValues<TEnum>()",
)


def register(registry: Registry) -> None:
    """``System.Type``, and Enum's statics that take one."""
    dotnet.ENUM.static_methods.update(ENUM_STATICS)
    dotnet.ENUM.sign(*ENUM_SIGNATURES)
    registry.add(*TYPES)
