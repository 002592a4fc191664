"""The sandbox's type registry: every .NET type an expression can see, and its member tables.

A policy expression never touches a Python attribute by name. Each .NET type is a `TypeRef`
that lists, in plain dicts, the members (getters), methods, static members and static methods
the expression may use. `runtime.py` dispatches through these tables: the Python class of the
value (exact type, then its MRO for our own classes) gives a flattened `Table`, and the member
name gives the implementation — two dict lookups on the hot path.

Modules of the .NET surface (dotnet.py, strings.py, json.py, ...) declare their types here at
import time; `runtime.py` imports them all before the first dispatch.

Implementation signatures (uniform so dispatch needs no introspection):

* getter ``(obj) -> value``; setter ``(obj, value) -> None``
* method ``(obj, args, type_args) -> value``; static method ``(args, type_args) -> value``
* indexer ``(obj, args) -> value``; index setter ``(obj, args, value) -> None``
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NoReturn

from aiohttp_apim.dotnet.budget import FREE_CHARS, charge_chars
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "CAST_HOOKS",
    "CLOCK",
    "MAX_ITEMS",
    "MAX_STRING_LENGTH",
    "NULL_RECEIVER_METHODS",
    "ExpressionError",
    "Getter",
    "Method",
    "StaticMethod",
    "Table",
    "TypeRef",
    "arity",
    "check_items",
    "check_length",
    "check_size",
    "declare",
    "invalidate_tables",
    "lookup",
    "net_name",
    "table_of",
    "throw",
    "type_of",
]

Getter = Callable[[Any], object]
Setter = Callable[[Any, object], None]
Method = Callable[[Any, Sequence[object], Sequence["TypeRef"]], object]
StaticMethod = Callable[[Sequence[object], Sequence["TypeRef"]], object]
StaticGetter = Callable[[], object]
Indexer = Callable[[Any, Sequence[object]], object]
IndexSetter = Callable[[Any, Sequence[object], object], None]
Iterate = Callable[[Any], Iterable[object]]
Constructor = Callable[[Sequence[object], Sequence["TypeRef"]], object]
Converter = Callable[[object], object]

CLOCK: contextvars.ContextVar[Callable[[], float]] = contextvars.ContextVar(
    "aiohttp_apim_expression_clock", default=time.time
)
"""Seconds since the epoch; DateTime.Now/UtcNow/Today and context.Elapsed read it."""

MAX_STRING_LENGTH = 1 << 20
"""Longest string (in UTF-16-ish chars, i.e. Python code points) an expression may build.
Longer results raise OutOfMemoryException, as .NET would on a runaway string, but early."""

MAX_ITEMS = 1 << 20
"""Most items an expression may materialise in one collection (ToArray, ToList, Add...)."""


def throw(exception_type: str, message: str) -> NoReturn:
    raise ExpressionError(exception_type, message)


def check_size(n: int) -> None:
    """Refuse a string of ``n`` characters *before* building it (a check that built the string
    first would already have spent the memory the limit protects); a long one that may be built
    is charged to the expression budget."""
    if n >= FREE_CHARS:
        if n <= MAX_STRING_LENGTH:
            charge_chars(n)
            return
        raise ExpressionError(
            "OutOfMemoryException",
            "Insufficient memory to continue the execution of the program. "
            f"(string of {n} characters exceeds the {MAX_STRING_LENGTH} limit)",
        )


def check_length(s: str) -> str:
    check_size(len(s))
    return s


def check_items(n: int) -> None:
    if n > MAX_ITEMS:
        raise ExpressionError(
            "OutOfMemoryException",
            "Insufficient memory to continue the execution of the program. "
            f"(collection of more than {MAX_ITEMS} items)",
        )


def arity(type_name: str, method: str, args: Sequence[object], *allowed: int) -> bool:
    """Check the argument count (returns True so it can sit in a lambda's tuple)."""
    if len(args) not in allowed:
        raise ExpressionError(
            "MissingMethodException",
            f"No overload for method '{method}' of '{type_name}' takes {len(args)} arguments",
        )
    return True


class TypeRef:
    """A .NET type known to the sandbox (opaque to the compiler)."""

    __slots__ = (
        "_table",
        "bases",
        "check",
        "construct",
        "convert",
        "default",
        "element",
        "full_name",
        "implicit",
        "indexer",
        "iterate",
        "members",
        "methods",
        "name",
        "nullable_of",
        "py_types",
        "set_indexer",
        "setters",
        "static_methods",
        "statics",
        "value_type",
    )

    def __init__(
        self,
        name: str,
        full_name: str,
        py_types: tuple[type, ...] = (),
        *,
        bases: tuple[TypeRef, ...] = (),
        value_type: bool = False,
        default: object = None,
    ) -> None:
        self.name = name
        self.full_name = full_name
        self.py_types = py_types
        self.bases = bases
        self.value_type = value_type
        self.default = default
        self.members: dict[str, Getter] = {}
        self.setters: dict[str, Setter] = {}
        self.methods: dict[str, Method] = {}
        self.statics: dict[str, StaticGetter] = {}
        self.static_methods: dict[str, StaticMethod] = {}
        self.construct: Constructor | None = None
        self.indexer: Indexer | None = None
        self.set_indexer: IndexSetter | None = None
        self.iterate: Iterate | None = None
        # explicit conversion *to* this type from an arbitrary value ((T)x); None: reference cast
        self.convert: Converter | None = None
        # C# implicit user-defined conversion: a local declared with this type converts what is
        # assigned to it with ``convert`` (``XNamespace ns = "urn:x";``)
        self.implicit = False
        # isinstance test when py_types is not enough (interfaces such as IEnumerable)
        self.check: Callable[[object], bool] | None = None
        self.element: TypeRef | None = None  # arrays: element type
        self.nullable_of: TypeRef | None = None  # Nullable<T>: T
        self._table: Table | None = None

    def __repr__(self) -> str:
        return f"<TypeRef {self.full_name}>"

    def is_instance(self, value: object) -> bool:
        if value is None:
            return False
        if self.check is not None:
            return self.check(value)
        if self.value_type:  # boxed value types: exactly that type (True is not an Int32)
            return type(value) in self.py_types
        return isinstance(value, self.py_types)

    def linearized(self) -> list[TypeRef]:
        """Bases first (most general), self last: later entries override earlier ones."""
        seen: list[TypeRef] = []

        def visit(t: TypeRef) -> None:
            for b in t.bases:
                visit(b)
            if t in seen:
                seen.remove(t)
            seen.append(t)

        visit(self)
        return seen

    def table(self) -> Table:
        if self._table is None:
            table = Table(self)
            for t in self.linearized():
                table.members.update(t.members)
                table.setters.update(t.setters)
                table.methods.update(t.methods)
                if t.indexer is not None:
                    table.indexer = t.indexer
                if t.set_indexer is not None:
                    table.set_indexer = t.set_indexer
                if t.iterate is not None:
                    table.iterate = t.iterate
            self._table = table
        return self._table


class Table:
    """The flattened instance members of one .NET type (own members override inherited ones)."""

    __slots__ = ("indexer", "iterate", "members", "methods", "set_indexer", "setters", "type")

    def __init__(self, t: TypeRef) -> None:
        self.type = t
        self.members: dict[str, Getter] = {}
        self.setters: dict[str, Setter] = {}
        self.methods: dict[str, Method] = {}
        self.indexer: Indexer | None = None
        self.set_indexer: IndexSetter | None = None
        self.iterate: Iterate | None = None


_BY_NAME: dict[str, TypeRef] = {}
_BY_PY: dict[type, TypeRef] = {}
CAST_HOOKS: dict[type, Callable[[TypeRef, object], object]] = {}
"""User-defined explicit conversions by source class (Newtonsoft's JToken → string/int/...).
A hook gets the target type as written (possibly Nullable) and returns NotImplemented to fall
back to the ordinary cast."""

NULL_RECEIVER_METHODS: dict[str, Method] = {}
"""Extension methods that accept a null receiver (``((string)null).AsJwt()`` is null, not a
NullReferenceException: C# passes the receiver of an extension method as an argument)."""

TABLES: dict[type, Table] = {}
"""Flattened table per exact Python class, filled on first use (the dispatch cache)."""


def declare(
    name: str,
    full_name: str,
    py_types: tuple[type, ...] = (),
    *,
    aliases: Iterable[str] = (),
    bases: Iterable[TypeRef] = (),
    value_type: bool = False,
    default: object = None,
    owns: bool = True,
) -> TypeRef:
    """Register a .NET type. ``owns``: the Python classes map to this type for dispatch."""
    base_tuple = tuple(bases)
    if not base_tuple and name != "Object" and "Object" in _BY_NAME:
        base_tuple = (_BY_NAME["Object"],)
    t = TypeRef(name, full_name, py_types, bases=base_tuple, value_type=value_type, default=default)
    for n in (name, full_name, *aliases):
        _BY_NAME[n] = t
    if owns:
        for cls in py_types:
            _BY_PY[cls] = t
    TABLES.clear()
    return t


def invalidate_tables() -> None:
    """Forget flattened tables (after members were added to a type others inherit from)."""
    for t in set(_BY_NAME.values()):
        t._table = None
    TABLES.clear()


def lookup(name: str) -> TypeRef | None:
    return _BY_NAME.get(name)


def type_of(value: object) -> TypeRef | None:
    """The registered .NET type of a value (nearest registered class in its MRO)."""
    cls = type(value)
    t = _BY_PY.get(cls)
    if t is not None:
        return t
    for base in cls.__mro__[1:]:
        t = _BY_PY.get(base)
        if t is not None:
            return t
    return None


def table_of(value: object) -> Table:
    """Slow path of dispatch: find, flatten and cache the table of a value's class."""
    if value is None:
        raise ExpressionError(
            "NullReferenceException", "Object reference not set to an instance of an object."
        )
    t = type_of(value)
    if t is None:
        raise ExpressionError(
            "InvalidOperationException",
            f"A value of Python type '{type(value).__name__}' is not visible to expressions",
        )
    table = t.table()
    TABLES[type(value)] = table
    return table


def net_name(value: object, *, full: bool = False) -> str:
    """The .NET type name of a value, for messages."""
    t = type_of(value)
    if t is None:
        return "Object" if not full else "System.Object"
    return t.full_name if full else t.name


def iter_checked(it: Iterable[object]) -> Iterator[object]:
    """Iterate while enforcing MAX_ITEMS (for materialising sequences)."""
    for n, item in enumerate(it, 1):
        if n > MAX_ITEMS:
            check_items(n)
        yield item
