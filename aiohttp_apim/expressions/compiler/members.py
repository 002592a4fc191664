"""Member chains: ``a.b``, ``a?.b``, ``a.M<T>(x)``, ``a[i]``, ``Type.Static``, ``f(x)``, with
inline-cache sites for instance members, indexers and calls, and ``out``/``ref`` arguments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, TypeAlias

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.codegen import Code, CodeGen
from aiohttp_apim.expressions.compiler.folding import fold
from aiohttp_apim.expressions.compiler.scopes import (
    Local,
    err,
    resolve,
    type_hint,
    unconditional,
)

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["MemberGen"]

Link: TypeAlias = n.Member | n.Index | n.Call
"""One link of a member chain."""

CONSTANT_FIELDS: Final = frozenset(
    [
        *(
            f"System.{name}"
            for name in (
                "Byte", "SByte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
                "Single", "Double", "Decimal", "Char", "Math",
            )
        )
    ]
)  # fmt: skip
"""Types whose static fields are all C# ``const``s (MaxValue, MinValue, Epsilon, NaN, PI, E...):
their values are compile-time constants. (``string.Empty``, ``DateTime.MinValue`` and the like
are ``static readonly``, read when the expression runs.)"""

_NAME = re.compile(r"[a-z]\w*\Z")  # c, v<n>, t<n>, k<n>: generated names


class MemberGen(CodeGen):
    """Generates member reads, indexers and calls."""

    def e_chain(self, e: n.Member | n.Index | n.Call) -> Code:
        fast = self.header_read(e)
        if fast is not None:
            return fast
        return self.chain(e)

    def header_read(self, e: n.Member | n.Index | n.Call) -> Code | None:
        """``context.Request.Headers.GetValueOrDefault("name"[, "default" or null])`` and
        ``context.Request.Headers.ContainsKey("name")`` (cache keys and variables read headers
        so): a call of one helper that reads the header where the ``Headers`` view reads it,
        without making the request's view or dispatching three members; the general form
        runs when the helper cannot serve the read (a context or request of another kind, a
        null request), so results and errors are the general form's."""
        if not isinstance(e, n.Call) or not isinstance(method := e.target, n.Member):
            return None
        node: n.Expr = method
        for name in ("", "Headers", "Request"):
            if not isinstance(node, n.Member) or node.type_args or node.conditional:
                return None
            if name and node.name != name:
                return None
            node = node.target
        if (
            not isinstance(node, n.Name)
            or node.name != "context"
            or self.scope.lookup("context") is not None
        ):
            return None
        args = e.args
        if any(a.name is not None or a.modifier is not None for a in args):
            return None
        values = [a.value for a in args]
        if not values or not all(isinstance(v, n.Literal) for v in values):
            return None
        literals = [v for v in values if isinstance(v, n.Literal)]
        if literals[0].kind != "string":
            return None
        key = self.k(literals[0].value)
        if method.name == "GetValueOrDefault" and len(literals) <= 2:
            default = literals[1] if len(literals) == 2 else None
            if default is not None and default.kind not in ("string", "null"):
                return None
            fast = f"_rhd(c, {key}, {self.k(None if default is None else default.value)})"
        elif method.name == "ContainsKey" and len(literals) == 1:
            fast = f"_rhas(c, {key})"
        else:
            return None
        general = self.chain(e)
        t = self.fresh("t")
        self.fast_header_read = e
        return Code(f"({t} if ({t} := {fast}) is not _unserved else {general.src})", general.kind)

    def chain(self, e: n.Member | n.Index | n.Call) -> Code:
        links: list[Link] = []
        node: n.Expr = e
        while isinstance(node, n.Member | n.Index | n.Call):
            links.append(node)
            node = node.target
        links.reverse()
        root = node
        start = 0
        base: Code | None = None
        static: TypeRef | None = None
        if isinstance(root, n.TypeExpr):
            static = self.type_ref(root.type)
        elif (
            isinstance(root, n.Name)
            and self.scope.lookup(root.name) is None
            and root.name != "context"
        ):
            static, start = self.static_prefix(root, links)
        if (
            static is None
            and len(links) > 4
            and isinstance(root, n.Name)
            and isinstance(read := links[3], n.Call)
            and (fast := self.header_read(read)) is not None
        ):
            # a chain that goes on from a fast header read (``...GetValueOrDefault("X-Tenant",
            # "").ToLower()``): the rest works on the fast read's value
            return self.links(fast, None, links, 4, e)
        if static is None:
            base = self.expr(root)
            local = self.scope.lookup(root.name) if isinstance(root, n.Name) else None
            first = links[0]
            if local is not None and isinstance(first, n.Member):
                links[0] = self.tuple_member(local, first)  # ``t.name`` of a tuple: ``t.ItemN``
            if local is not None and local.function and isinstance(first, n.Call):
                args = self.argument_tuple(first.args, first)
                base = Code(f"{base.src}(*{args})")
                start = 1
        return self.links(base, static, links, start, e)

    def e_nameof(self, e: n.NameOf) -> Code:
        """``nameof(...)``: its last name, once the name is known to exist: a local,
        ``context``, a type, or a member of a type (members of values are the type checker's)."""
        path: list[str] = []
        node = e.target
        while isinstance(node, n.Member):
            path.append(node.name)
            node = node.target
        path.reverse()
        if isinstance(node, n.TypeExpr):  # ``nameof(string.Length)``
            self.check_member_names(self.type_ref(node.type), path, e.target)
            return self.const_code(path[-1])
        if not isinstance(node, n.Name):  # pragma: no cover - the parser allows nothing else
            raise err("this expression does not have a name", e.target)
        path.insert(0, node.name)
        if self.scope.lookup(node.name) is None and node.name != "context":
            for count in range(len(path), 0, -1):
                t = resolve(".".join(path[:count]))
                if t is not None:
                    self.check_member_names(t, path[count:], e.target)
                    break
            else:
                raise err(f"unknown name '{node.name}'", node)
        return self.const_code(path[-1])

    def check_member_names(self, t: TypeRef, names: list[str], where: n.Node) -> None:
        """The first of ``names`` is a member of ``t`` (the rest are members of its value)."""
        if names and names[0] not in t.member_names(static=True) | t.member_names(static=False):
            raise err(f"'{t.name}' does not contain a definition for '{names[0]}'", where)

    def static_prefix(self, root: n.Name, links: list[Link]) -> tuple[TypeRef, int]:
        """Longest dotted prefix ``A.B.C`` of the chain that names a .NET type."""
        names = [root.name]
        for link in links:
            if not isinstance(link, n.Member):
                break
            names.append(link.name)
            if link.conditional or link.type_args:
                break  # can only be the static member itself, not part of a type name
        # the member right after the type is the static member: a type alone is not a value
        for count in range(len(names) - 1, 0, -1):
            ref = resolve(".".join(names[:count]))
            if ref is not None:
                return ref, count - 1
        # name the unknown thing as written, without the member used on it
        # (``System.IO.File.ReadAllText(...)`` -> 'System.IO.File', ``foo.Length`` -> 'foo')
        shown = names if len(names) == 1 else names[:-1]
        for m, link in enumerate(links[: len(names) - 1]):
            nxt = links[m + 1] if m + 1 < len(links) else None
            if isinstance(nxt, n.Call) and nxt.target is link:
                shown = names[: m + 1]
                break
        hint = type_hint(shown[0]) if len(shown) == 1 else ""
        raise err(f"unknown name '{'.'.join(shown)}'{hint}", root)

    def links(
        self,
        base: Code | None,
        static: TypeRef | None,
        links: list[Link],
        start: int,
        whole: n.Expr,
    ) -> Code:
        code = base
        i = start
        while i < len(links):
            link = links[i]
            nxt = links[i + 1] if i + 1 < len(links) else None
            is_method = (
                isinstance(link, n.Member) and isinstance(nxt, n.Call) and nxt.target is link
            )
            if not isinstance(link, n.Call) and link.conditional and code is not None:
                # ``a?.rest``: null for the whole rest of the chain when ``a`` is null
                t = self.fresh("t")
                held = Code(t)
                rest_links = [*links[:i], unconditional(link), *links[i + 1 :]]
                if is_method:
                    assert isinstance(nxt, n.Call)
                    rest_links[i + 1] = n.Call(nxt.line, nxt.column, rest_links[i], nxt.args)
                rest = self.links(held, None, rest_links, i, whole)
                kind = "str?" if rest.kind in ("str", "str?") else "any"
                return Code(f"(None if ({t} := {code.src}) is None else {rest.src})", kind)
            if isinstance(link, n.Member):
                if is_method:
                    assert isinstance(nxt, n.Call)
                    code = self.method_call(code, static, link, nxt)
                    i += 2
                else:
                    if link.type_args:
                        raise err(f"'{link.name}' with type arguments must be called", link)
                    name = self.k(link.name)
                    if link is self.method_group and not link.conditional:
                        code = self.group_or_member(code, static, link)
                    elif code is None:
                        assert static is not None
                        code = self.static_member(static, link.name)
                    else:
                        code = self.read_member(code, name)
                    i += 1
            elif isinstance(link, n.Index):
                if code is None:
                    raise err("a type cannot be indexed", link)
                args = self.argument_tuple(link.args, link)
                code = self.read_index(code, args)
                i += 1
            else:
                assert isinstance(link, n.Call)
                if code is None:
                    raise err("a type cannot be invoked", link)
                args = self.argument_tuple(link.args, link)
                code = Code(f"_invoke({code.src}, {args})")
                i += 1
            static = None
        assert code is not None
        return code

    def static_member(self, t: TypeRef, name: str) -> Code:
        """``Type.Name``: the value itself when it is a C# constant (``int.MaxValue``,
        ``Math.PI``: folded as constants are, and checked like them), else a read at run time."""
        if t.full_name in CONSTANT_FIELDS and name in t.statics:
            folded = fold(lambda: runtime.get_static(t, name))
            if folded is not None:
                return self.const_code(folded.value)
        return Code(f"_gs({self.k(t)}, {self.k(name)})")

    def tuple_member(self, local: Local, link: n.Member) -> n.Member:
        raise NotImplementedError

    def inferred_type_args(self, t: TypeRef, name: str, call: n.Call) -> tuple[n.TypeSyntax, ...]:
        """The type arguments of a generic static method, inferred as C# does where syntax alone
        decides: from the declared types of its ``out`` arguments, each in the position of a
        parameter typed by a type parameter (``Enum.TryParse(s, out DayOfWeek day)``)."""
        count = len(call.args)
        for sig in t.signatures_of(name, static=True):
            if not sig.generic or not sig.accepts(count):
                continue
            found: dict[str, n.TypeSyntax] = {}
            for param, arg in zip(sig.params, call.args, strict=False):
                declared = self.out_type(arg) if param.modifier == "out" else None
                if param.type in sig.generic and declared is not None:
                    found[param.type] = declared
            if len(found) == len(sig.generic):
                return tuple(found[g] for g in sig.generic)
        return ()

    def out_type(self, arg: n.Argument) -> n.TypeSyntax | None:
        """The declared type of an ``out`` argument (``out T x``, or a local declared ``T x``),
        unless it is ``object``, which no type parameter of the library infers from."""
        if arg.modifier != "out":
            return None
        value = arg.value.inner if isinstance(arg.value, n.Paren) else arg.value
        declared: n.TypeSyntax | None = None
        if isinstance(value, n.OutVar):
            declared = value.type
        elif isinstance(value, n.Name):
            local = self.scope.lookup(value.name)
            declared = None if local is None else local.type
        if declared is None or (declared.keyword and declared.name == "object"):
            return None
        return declared

    def receiver(self, target: Code) -> tuple[str, str]:
        """How a site names its receiver: (the expression to test, the name to reuse). A plain
        name needs no temporary (nothing runs between the type test and the call)."""
        if _NAME.match(target.src):
            return f"({target.src})", target.src
        o = self.fresh("t")
        return f"({o} := {target.src})", o

    def read_member(self, target: Code, name: str, *, fill: str = "_fm") -> Code:
        (i, t, impl), (test, o) = self.site(), self.receiver(target)
        return Code(f"({impl}({o}) if _type{test} is {t} else {fill}({self.k(i)}, {o}, {name}))")

    def group_or_member(self, target: Code | None, static: TypeRef | None, link: n.Member) -> Code:
        """``Type.Method`` or ``value.Method`` where a delegate may be wanted (an argument, a
        delegate-typed variable): the method group as a delegate, as C# converts it. A static
        one is known when compiling (a constant); whether ``value.Name`` is a property or a
        method is known when it runs (the inline cache serves properties as usual)."""
        if target is None:
            assert static is not None
            if link.name in static.static_methods and link.name not in static.statics:
                return Code(self.k(runtime.StaticMethodGroup(static, link.name)))
            return self.static_member(static, link.name)
        return self.read_member(target, self.k(link.name), fill="_fmg")

    def read_index(self, target: Code, args: str) -> Code:
        (i, t, impl), (test, o) = self.site(), self.receiver(target)
        return Code(
            f"({impl}({o}, {args}) if _type{test} is {t} else _fi({self.k(i)}, {o}, {args}))"
        )

    def cached_call(self, target: Code, name: str, args: str, type_args: str | None) -> str:
        (i, t, impl), (test, o) = self.site(), self.receiver(target)
        targs = type_args or "()"
        return (
            f"({impl}({o}, {args}, {targs}) if _type{test} is {t} "
            f"else _fc({self.k(i)}, {o}, {name}, {args}, {targs}))"
        )

    def method_call(
        self, target: Code | None, static: TypeRef | None, member: n.Member, call: n.Call
    ) -> Code:
        name = self.k(member.name)
        type_args = self.type_args(member.type_args)
        if type_args is None and static is not None:
            type_args = self.type_args(self.inferred_type_args(static, member.name, call))
        outs = [a for a in call.args if a.modifier in ("out", "ref")]
        if not outs:
            args = self.argument_tuple(call.args, call)
            tail = f", {type_args}" if type_args else ""
            if target is None:
                assert static is not None
                src = f"_cs({self.k(static)}, {name}, {args}{tail})"
            else:
                src = self.cached_call(target, name, args, type_args)
            kind = "str?" if member.name == "ToString" and not call.args else "any"
            return Code(src, kind)
        # out/ref arguments: pass OutRefs, then copy their values into the locals
        before: list[str] = []
        after: list[str] = []
        items: list[str] = []
        for arg in call.args:
            if arg.modifier not in ("out", "ref"):
                items.append(self.delegate(arg.value).src)
                continue
            ref = self.fresh("t")
            value = arg.value
            if isinstance(value, n.Paren):
                value = value.inner
            if isinstance(value, n.OutVar):
                if value.type is not None:
                    self.check_type(value.type)
                if value.name == "_":
                    before.append(f"({ref} := _Out(None))")
                else:
                    local = self.declare(value.name, value, self.conversion(value.type))
                    before.append(f"({ref} := _Out(None))")
                    after.append(f"({self.local_ref(local)} := {ref}.value)")
                items.append(ref)
                continue
            if isinstance(value, n.Name) and value.name == "_" and self.scope.lookup("_") is None:
                before.append(f"({ref} := _Out(None))")
                items.append(ref)
                continue
            if not isinstance(value, n.Name):
                raise err(f"'{arg.modifier}' arguments must be local variables", value)
            existing = self.scope.lookup(value.name)
            if existing is None:
                raise err(f"unknown name '{value.name}'", value)
            py = self.local_ref(existing)
            initial = py if arg.modifier == "ref" else "None"
            before.append(f"({ref} := _Out({initial}))")
            stored = (
                f"{ref}.value"
                if existing.convert is None
                else f"_cast({existing.convert}, {ref}.value)"
            )
            after.append(f"({py} := {stored})")
            items.append(ref)
        tail = f", {type_args}" if type_args else ""
        args_src = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        result = self.fresh("t")
        if target is None:
            assert static is not None
            call_src = f"_cs({self.k(static)}, {name}, {args_src}{tail})"
        else:
            call_src = f"_cm({target.src}, {name}, {args_src}{tail})"
        seq = [*before, f"({result} := {call_src})", *after, result]
        return Code("(" + ", ".join(seq) + ")[-1]")
