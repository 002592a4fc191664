"""The sandbox's type registry: every .NET type an expression can see, and its member tables.

A policy expression never touches a Python attribute by name. Each .NET type is a `TypeRef`
that lists, in plain dicts, the members (getters), methods, static members and static methods
the expression may use. `runtime.py` dispatches through these tables: the Python class of the
value (exact type, then its MRO for our own classes) gives a flattened `Table`, and the member
name gives the implementation — two dict lookups on the hot path.

Modules of the .NET library (primitives.py, strings.py, json.py, ...) declare their types with
`declare` and list them in ``TYPES``; `Registry.add` makes them visible, when
``aiohttp_apim.dotnet.library.load()`` loads the library, layer by layer.

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
from aiohttp_apim.dotnet.signatures import CONSTRUCTOR, INDEXER, Signature
from aiohttp_apim.dotnet.signatures import parse as parse_signature
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "CAST_HOOKS",
    "CLOCK",
    "LIBRARY",
    "MAX_ITEMS",
    "MAX_STRING_LENGTH",
    "NULL_RECEIVER_METHODS",
    "TABLES",
    "ExpressionError",
    "Getter",
    "Method",
    "Registry",
    "StaticMethod",
    "Table",
    "TypeRef",
    "arity",
    "check_items",
    "check_length",
    "check_size",
    "declare",
    "enumerate_raw",
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
        "_signatures",
        "_table",
        "_unparsed",
        "aliases",
        "bases",
        "check",
        "construct",
        "convert",
        "default",
        "element",
        "full_name",
        "generic",
        "implicit",
        "indexer",
        "iterate",
        "members",
        "methods",
        "name",
        "nullable_of",
        "operators",
        "owns",
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
        self.aliases: tuple[str, ...] = ()
        # the names its signatures give its generic parameters, in order (``("TKey",
        # "TValue")``): how the type checker reads ``Dictionary<string, int>``'s members
        self.generic: tuple[str, ...] = ()
        self.owns = True
        # member signatures as declared with `sign`, parsed on first use (most processes never
        # ask: parsing every type's at import would cost more than the rest of loading them)
        self._signatures: dict[str, list[Signature]] = {}
        self._unparsed: list[str] = []
        # user-defined operators (C#'s op_Addition...): (operator, left class, right class) or
        # (operator, operand class) -> implementation; the language's operators use them
        self.operators: dict[tuple[str, type] | tuple[str, type, type], Callable[..., object]] = {}
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

    def sign(self, *lines: str) -> TypeRef:
        """Declare member signatures in C# syntax (see `signatures.parse`), one per overload."""
        self._unparsed.extend(lines)
        return self

    @property
    def signatures(self) -> dict[str, list[Signature]]:
        """Member name -> its declared signatures (overloads); constructors are ``.ctor``,
        indexers ``this[]``."""
        if self._unparsed:
            lines, self._unparsed = self._unparsed, []
            for line in lines:
                sig = parse_signature(line, self.name)
                self._signatures.setdefault(sig.name, []).append(sig)
        return self._signatures

    def implements(self, name: str, *, static: bool) -> bool:
        """Whether the type (instance: with its bases) has an implementation of member ``name``."""
        if name == CONSTRUCTOR:
            return self.construct is not None
        if static:
            return name in self.statics or name in self.static_methods
        table = self.table()
        if name == INDEXER:
            return table.indexer is not None
        return name in table.members or name in table.methods

    def signatures_of(self, name: str, *, static: bool) -> list[Signature]:
        """The declared signatures of member ``name``: a static member of this type, or an
        instance member of it or of the nearest base type that declares one (as C# hides),
        followed by the extension methods of that name on it or its bases."""
        if static or name == CONSTRUCTOR:
            return [s for s in self.signatures.get(name, ()) if s.static or name == CONSTRUCTOR]
        own: list[Signature] = []
        extensions: list[Signature] = []
        for t in reversed(self.linearized()):  # the type itself first, then its bases
            sigs = t.signatures.get(name, ())
            if not own:
                own = [s for s in sigs if not s.static and not s.extension]
            extensions.extend(s for s in sigs if s.extension)
        return own + extensions

    def overloads(self, name: str, arg_count: int, *, static: bool) -> list[Signature]:
        """The signatures of ``name`` that a call with ``arg_count`` arguments can bind to."""
        return [s for s in self.signatures_of(name, static=static) if s.accepts(arg_count)]

    def member_names(self, *, static: bool) -> set[str]:
        """Every member name expressions can use on the type (implemented, signed or not)."""
        if static:
            return set(self.statics) | set(self.static_methods)
        table = self.table()
        return set(table.members) | set(table.methods)

    def suggest(self, name: str, *, static: bool) -> str | None:
        """The member name closest to ``name`` (for "did you mean"), if one is close."""
        import difflib

        names = sorted(self.member_names(static=static))
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
        return close[0] if close else None

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


class Registry:
    """The .NET types expressions can see, by name and by Python class, and the hooks the
    library's modules offer each other (conversions, extension methods on a null receiver).

    Nothing is registered by importing a module: ``aiohttp_apim.dotnet.library.load()`` adds
    every module's ``TYPES`` (and runs its ``register``) in layer order, once."""

    def __init__(self) -> None:
        self.by_name: dict[str, TypeRef] = {}
        self.by_py: dict[type, TypeRef] = {}
        self.types: list[TypeRef] = []
        self.tables: dict[type, Table] = {}
        """Flattened table per exact Python class, filled on first use (the dispatch cache)."""
        self.cast_hooks: dict[type, Callable[[TypeRef, object], object]] = {}
        """User-defined explicit conversions by source class (Newtonsoft's JToken → string/int/...).
        A hook gets the target type as written (possibly Nullable) and returns NotImplemented to
        fall back to the ordinary cast."""
        self.null_receiver_methods: dict[str, Method] = {}
        """Extension methods that accept a null receiver (``((string)null).AsJwt()`` is null, not
        a NullReferenceException: C# passes the receiver of an extension method as an
        argument)."""

    def add(self, *types: TypeRef) -> None:
        """Make ``types`` visible to expressions (by every name, and by Python class for those
        that own their classes); a type without bases derives from System.Object."""
        for t in types:
            if t in self.types:
                continue
            base = self.by_name.get("Object")
            if not t.bases and t.name != "Object" and base is not None:
                t.bases = (base,)
            for n in (t.name, t.full_name, *t.aliases):
                self.by_name[n] = t
            if t.owns:
                for cls in t.py_types:
                    self.by_py[cls] = t
            self.types.append(t)
        self.invalidate()

    def invalidate(self) -> None:
        """Forget flattened tables (after members were added to a type others inherit from)."""
        for t in self.types:
            t._table = None
        self.tables.clear()

    def lookup(self, name: str) -> TypeRef | None:
        return self.by_name.get(name)

    def type_of(self, value: object) -> TypeRef | None:
        """The registered .NET type of a value (nearest registered class in its MRO)."""
        cls = type(value)
        by_py = self.by_py
        t = by_py.get(cls)
        if t is not None:
            return t
        for base in cls.__mro__[1:]:
            t = by_py.get(base)
            if t is not None:
                return t
        return None

    def table_of(self, value: object) -> Table:
        """Slow path of dispatch: find, flatten and cache the table of a value's class."""
        if value is None:
            raise ExpressionError(
                "NullReferenceException", "Object reference not set to an instance of an object."
            )
        t = self.type_of(value)
        if t is None:
            raise ExpressionError(
                "InvalidOperationException",
                f"A value of Python type '{type(value).__name__}' is not visible to expressions",
            )
        table = t.table()
        self.tables[type(value)] = table
        return table


LIBRARY = Registry()
"""The registry expressions use (filled by ``aiohttp_apim.dotnet.library.load()``)."""

TABLES = LIBRARY.tables
CAST_HOOKS = LIBRARY.cast_hooks
NULL_RECEIVER_METHODS = LIBRARY.null_receiver_methods
lookup = LIBRARY.lookup
type_of = LIBRARY.type_of
table_of = LIBRARY.table_of
invalidate_tables = LIBRARY.invalidate


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
    generic: tuple[str, ...] = (),
) -> TypeRef:
    """A .NET type, not registered yet (see `Registry.add`). ``owns``: the Python classes map
    to this type for dispatch once it is registered; ``generic``: the names of its generic
    parameters as its signatures write them."""
    t = TypeRef(
        name, full_name, py_types, bases=tuple(bases), value_type=value_type, default=default
    )
    t.aliases = tuple(aliases)
    t.owns = owns
    t.generic = generic
    return t


def enumerate_raw(v: object) -> Iterable[object]:
    """Enumerate any .NET enumerable value, as ``foreach`` does (no budget drawn: the loop
    takes a step per iteration itself)."""
    table = TABLES.get(type(v)) or table_of(v)
    if table.iterate is None:
        raise ExpressionError(
            "InvalidOperationException",
            f"foreach statement cannot operate on variables of type "
            f"'{table.type.name}' because it does not contain a public definition for "
            "'GetEnumerator'",
        )
    return table.iterate(v)


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
