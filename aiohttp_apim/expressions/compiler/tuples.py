"""Value tuples (C# 7): tuple literals, element names, and deconstruction.

A tuple is the library's ``ValueTuple`` value (``Item1``...``Item7``). Element names exist only
at compile time, as in C#: a local declared with a tuple type (``(int a, string b) t``), or
initialised from a tuple literal (``var t = (a: 1, b: x.Name)``, names inferred from the
projections as C# 7.1 does) or from a call of a local function that declares its tuple return
type, knows them, and ``t.a`` compiles to ``t.Item1``.

A deconstruction (``var (a, b) = e;``, ``(x, y) = (y, x);``, ``foreach (var (k, v) in d)``)
evaluates the value once, takes its items (a tuple's, a KeyValuePair's key and value, or what a
``Deconstruct`` method gives: ``runtime.deconstruct``), then assigns the targets in order.
"""

from __future__ import annotations

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.compiler.codegen import Code, CodeGen
from aiohttp_apim.expressions.compiler.scopes import Local, err, resolve_required

__all__ = ["MAX_TUPLE", "TupleGen", "inferred_names"]

MAX_TUPLE = 7
"""Most elements of a tuple (``Item1``...``Item7``; C#'s ``Rest`` nesting is not modelled)."""


class TupleGen(CodeGen):
    """Generates tuple literals and deconstructions."""

    def e_tuple(self, e: n.TupleLiteral) -> Code:
        if len(e.items) > MAX_TUPLE:
            raise err(f"tuples of more than {MAX_TUPLE} elements are not supported", e)
        codes = [self.expr(item) for item in e.items]
        items = "(" + ", ".join(c.src for c in codes) + ")"
        return Code(f"_ct({self.k(resolve_required('ValueTuple', e))}, {items})")

    def deconstruct(self, e: n.Deconstruct) -> None:
        """A deconstruction as a statement: the value, then each target in order."""
        value = e.value.inner if isinstance(e.value, n.Paren) else e.value
        if isinstance(value, n.TupleLiteral) and len(value.items) == len(e.target.items):
            # ``(a, b) = (b, a)``: every item evaluated before anything is assigned
            temps = []
            for item in value.items:
                temp = self.fresh("t")
                self.func.emit(f"{temp} = {self.expr(item).src}")
                temps.append(temp)
            self.assign_targets(e.target, temps)
            return
        self.deconstruct_into(e.target, self.expr(e.value).src)

    def deconstruct_into(self, target: n.TupleTarget, value: str) -> None:
        """Assign the items of the Python value ``value`` to ``target``'s variables."""
        temps = [self.fresh("t") for _ in target.items]
        self.func.emit(f"{', '.join(temps)} = _dec({value}, {self.k(len(temps))})")
        self.assign_targets(target, temps)

    def assign_targets(self, target: n.TupleTarget, temps: list[str]) -> None:
        for item, temp in zip(target.items, temps, strict=True):
            match item:
                case n.TupleTarget():
                    self.deconstruct_into(item, temp)
                case n.VarTarget():
                    if item.name == "_":
                        continue
                    convert = None
                    if item.type is not None:
                        self.check_type(item.type)
                        convert = self.conversion(item.type)
                    local = self.declare(item.name, item, convert, item.type)
                    local.element_names = None if item.type is None else item.type.element_names
                    self.func.emit(f"{local.py} = {self.converted(Code(temp), convert)}")
                case _:
                    self.store_into(item, temp)

    def store_into(self, target: n.Expr, temp: str) -> None:
        """``target = temp`` for an existing variable, property or indexer (``_`` discards)."""
        target = target.inner if isinstance(target, n.Paren) else target
        if isinstance(target, n.Name):
            local = self.scope.lookup(target.name)
            if local is None:
                if target.name == "_":
                    return
                raise err(f"unknown name '{target.name}'", target)
            self.func.emit(f"{self.local_ref(local)} = {self.converted(Code(temp), local.convert)}")
        elif isinstance(target, n.Member):
            obj = self.member_target(target)
            self.func.emit(f"_sm({obj.src}, {self.k(target.name)}, {temp})")
        elif isinstance(target, n.Index):
            obj = self.expr(target.target)
            args = self.argument_tuple(target.args, target)
            self.func.emit(f"_si({obj.src}, {args}, {temp})")
        else:  # pragma: no cover - the parser accepts nothing else as a target
            raise err("a deconstruction can only assign variables, properties and indexers", target)

    def element_names_of(self, e: n.Expr) -> tuple[str | None, ...] | None:
        """The element names an initializer gives a ``var`` local, if it gives any."""
        inner = e.inner if isinstance(e, n.Paren) else e
        if isinstance(inner, n.TupleLiteral):
            return inferred_names(inner)
        if isinstance(inner, n.Call) and isinstance(inner.target, n.Name):
            local = self.scope.lookup(inner.target.name)
            if local is not None and local.function:
                return local.element_names
        return None

    def tuple_member(self, local: Local, link: n.Member) -> n.Member:
        """``t.name`` of a local whose elements are named: ``t.ItemN``."""
        names = local.element_names
        if names is None or link.type_args or link.name not in names:
            return link
        item = f"Item{names.index(link.name) + 1}"
        return n.Member(link.line, link.column, link.target, item, (), link.conditional)


def inferred_names(e: n.TupleLiteral) -> tuple[str | None, ...] | None:
    """A literal's element names: as written, or (C# 7.1) the name a projection ends with
    (``(x.Name, y)``: ``Name``, ``y``) where it is unique and not an ``ItemN``."""
    candidates: list[str | None] = []
    for name, item in zip(e.names, e.items, strict=True):
        inner = item.inner if isinstance(item, n.Paren) else item
        if name is None and isinstance(inner, n.Name | n.Member):
            candidates.append(inner.name)
        else:
            candidates.append(name)
    written = {name for name in e.names if name is not None}
    result = tuple(
        name
        if name is not None
        and (name in written or (candidates.count(name) == 1 and not _is_item_name(name)))
        else None
        for name in candidates
    )
    return None if all(name is None for name in result) else result


def _is_item_name(name: str) -> bool:
    return (name.startswith("Item") and name[4:].isdigit()) or name == "Rest"
