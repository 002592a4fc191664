"""Expression code generation: literals, names, string concatenation, operators, casts and type
tests, object and array creation, lambdas and local functions, assignments."""

from __future__ import annotations

from decimal import Decimal

from aiohttp_apim.dotnet.budget import FREE_CHARS
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.codegen import Code, CodeGen, Piece
from aiohttp_apim.expressions.compiler.folding import (
    Constant,
    Scalar,
    constant,
    fold,
    fold_to_string,
    integer,
    runtime_cast,
)
from aiohttp_apim.expressions.compiler.scopes import (
    DELEGATE_TYPES,
    Func,
    Scope,
    err,
    is_delegate,
    non_nullable,
    resolve,
    resolve_required,
)
from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["ExpressionGen", "is_default_literal"]


def is_default_literal(e: n.Expr) -> bool:
    """``default`` without a type (in parentheses or not)."""
    while isinstance(e, n.Paren):
        e = e.inner
    return isinstance(e, n.Default) and e.type is None


class ExpressionGen(CodeGen):
    """Generates Python expressions for C# expressions (member chains: see members.py)."""

    def e_literal(self, e: n.Literal) -> Code:
        value = e.value
        match e.kind:
            case "int":
                assert isinstance(value, int)
                return self.const_code(integer(value, e.suffix, e))
            case "real":
                assert isinstance(value, float | Decimal)
                if e.suffix == "f":
                    return self.const_code(runtime_cast("float", value, e))
                return self.const_code(value if e.suffix == "m" else float(value))
            case "char":
                assert isinstance(value, str)
                return self.const_code(runtime_cast("char", ord(value), e))
            case "null" | "bool" | "string":
                return self.const_code(value)

    def e_interpolated(self, e: n.Interpolated) -> Code:
        pieces: list[Code] = []
        for part in e.parts:
            if isinstance(part, str):
                pieces.append(self.const_code(part))
                continue
            value = self.expr(part.expr)
            if part.alignment is None and part.format is None:
                pieces.append(value)
                continue
            fmt = "{0"
            if part.alignment is not None:
                align = self.expr(part.alignment).const
                if align is None or type(align.value) is not int:
                    raise err(
                        "the alignment of an interpolation hole must be a constant integer",
                        part.alignment,
                    )
                fmt += f",{align.value}"
            if part.format is not None:
                fmt += f":{part.format}"
            fmt += "}"
            string_type = self.k(resolve_required("string", part))
            pieces.append(
                Code(
                    f"_cs({string_type}, {self.k('Format')}, ({self.k(fmt)}, {value.src}))", "str?"
                )
            )
        if not pieces:
            return self.const_code("")
        return self.concat(pieces)

    def concat(self, operands: list[Code], *, operator: bool = False) -> Code:
        """C# string concatenation: each operand's ToString (null -> ""), constants folded,
        nested concatenations flattened into one Python ``+`` chain. ``operator``: the operands
        of a ``+`` (whose left one may be an XNamespace: see ``runtime.concat_head``)."""
        flat: list[Piece] = []

        def add_text(text: str) -> None:
            if not text:
                return
            last = flat[-1][1] if flat else None
            if last is not None:
                flat[-1] = ("", last + text)
            else:
                flat.append(("", text))

        for position, code in enumerate(operands):
            if code.pieces is not None:
                for src, text in code.pieces:
                    if text is None:
                        flat.append((src, None))
                    else:
                        add_text(text)
            elif code.const is not None:
                value = code.const.value
                text = value if type(value) is str else fold_to_string(value)
                if text is not None:
                    add_text(text)
                else:
                    flat.append((f"_ts({code.src})", None))
            elif code.kind == "str":
                flat.append((code.src, None))
            elif code.kind == "str?":
                flat.append((f"({code.src} or '')", None))
            else:
                head = operator and position == 0
                flat.append((self.to_string(code.src, head=head), None))
        if not flat:
            return self.const_code("")
        only = flat[0][1]
        if len(flat) == 1 and only is not None:
            return self.const_code(only)
        final = tuple((src if text is None else self.k(text), text) for src, text in flat)
        dynamic = sum(1 for _, text in final if text is None)
        joined = " + ".join(src for src, _ in final)
        if len(final) == 1:
            src = joined
        elif dynamic >= 2 or self.has_loops or self.func.is_lambda:
            # a concatenation of two unknown strings (or any inside a loop) can grow without
            # bound: a long result is checked against the limit and charged to the budget, like
            # runtime.binary's
            t = self.fresh("t")
            src = f"({t} if _len({t} := {joined}) < {self.k(FREE_CHARS)} else _long({t}))"
        else:
            src = f"({joined})"
        return Code(src, "str", None, final)

    def to_string(self, src: str, *, head: bool = False) -> str:
        """``runtime.to_string`` with the identity on strings inlined (the common case)."""
        t = self.fresh("t")
        return f"({t} if _type({t} := {src}) is _str else {'_tsh' if head else '_ts'}({t}))"

    def e_name(self, e: n.Name) -> Code:
        local = self.scope.lookup(e.name)
        if local is not None:
            return Code(local.py)
        if e.name == "context":
            return Code("c")
        if resolve(e.name) is not None:
            raise err(f"'{e.name}' is a type, which is not valid in this context", e)
        raise err(f"unknown name '{e.name}'", e)

    def e_type(self, e: n.TypeExpr) -> Code:
        raise err(f"'{e.type}' is a type, which is not valid in this context", e)

    def e_checked(self, e: n.Checked) -> Code:
        outer = self.overflow
        self.overflow = "checked" if e.checked else "unchecked"
        try:
            code = self.expr(e.inner)
        finally:
            self.overflow = outer
        return Code(code.src, code.kind, code.const, code.pieces)

    def e_paren(self, e: n.Paren) -> Code:
        code = self.expr(e.inner)
        return Code(code.src, code.kind, code.const, code.pieces)

    def e_unary(self, e: n.Unary) -> Code:
        operand = e.operand
        if e.op == "-" and isinstance(operand, n.Literal) and operand.kind == "int":
            # -2147483648 and -9223372036854775808 are int/long literals in C#
            assert isinstance(operand.value, int)
            return self.const_code(integer(-operand.value, operand.suffix, e, negated=True))
        code = self.expr(operand)
        const = code.const
        if const is not None:
            unary = runtime.unary if self.overflow == "unchecked" else runtime.checked_unary
            folded = self.fold_operation(lambda: unary(e.op, const.value), e)
            if folded is not None:
                return self.const_code(folded.value)
        if e.op == "!":
            if code.kind == "bool":
                return Code(f"(not {code.src})", "bool")
            return Code(f"_un('!', {code.src})", "bool")
        helper = "_unc" if self.overflow == "checked" and e.op == "-" else "_un"
        return Code(f"{helper}({e.op!r}, {code.src})")

    def e_binary(self, e: n.Binary) -> Code:
        left = self.expr(e.left)
        right = self.expr(e.right)
        op = e.op
        stringy = ("str", "str?")
        if op == "+" and (left.kind in stringy or right.kind in stringy):
            return self.concat([left, right], operator=True)
        lc, rc = left.const, right.const
        if lc is not None and rc is not None:
            binary = runtime.binary if self.overflow == "unchecked" else runtime.checked_binary
            folded = self.fold_operation(lambda: binary(op, lc.value, rc.value), e)
            if folded is not None:
                return self.const_code(folded.value)
        if op in ("==", "!="):
            if left.kind in stringy and right.kind in stringy:
                return Code(f"({left.src} {op} {right.src})", "bool")
            if {left.kind, right.kind} in ({"null", "str"}, {"null", "str?"}):
                other = right if left.kind == "null" else left
                word = "is" if op == "==" else "is not"
                return Code(f"({other.src} {word} None)", "bool")
        kind = "bool" if op in ("==", "!=", "<", ">", "<=", ">=") else "any"
        return Code(f"{self.operator(op)}({op!r}, {left.src}, {right.src})", kind)

    def e_logical(self, e: n.Logical) -> Code:
        left = self.condition(e.left)
        if left.const is not None:
            if (e.op == "&&") != bool(left.const.value):
                return left  # false && x, true || x
            return self.condition(e.right)
        right = self.condition(e.right)
        word = "and" if e.op == "&&" else "or"
        return Code(f"({left.src} {word} {right.src})", "bool")

    def e_coalesce(self, e: n.Coalesce) -> Code:
        left = self.expr(e.left)
        if left.const is not None:
            return left if left.const.value is not None else self.expr(e.right)
        right = self.expr(e.right)
        t = self.fresh("t")
        kind = "str" if left.kind in ("str", "str?") and right.kind == "str" else "any"
        if left.kind == right.kind and kind == "any":
            kind = left.kind
        return Code(f"({t} if ({t} := {left.src}) is not None else {right.src})", kind)

    def e_conditional(self, e: n.Conditional) -> Code:
        cond = self.condition(e.cond)
        if cond.const is not None:
            return self.expr(e.then if cond.const.value else e.otherwise)
        then = self.expr(e.then)
        other = self.expr(e.otherwise)
        # ``c ? 1 : default``: the literal has the other branch's type, when that one is known
        if is_default_literal(e.then):
            then = self.default_like(other) or then
        elif is_default_literal(e.otherwise):
            other = self.default_like(then) or other
        if then.kind == other.kind:
            kind = then.kind
        elif {then.kind, other.kind} <= {"str", "str?", "null"}:
            kind = "str?"
        else:
            kind = "any"
        return Code(f"({then.src} if {cond.src} else {other.src})", kind)

    def default_like(self, code: Code) -> Code | None:
        """``default`` of the type of a constant of a value type (None for anything else)."""
        if code.const is None:
            return None
        t = runtime.type_of(code.const.value)
        if t is None or not t.value_type:
            return None
        return self.const_code(runtime.default_of(t))

    def target_typed(self, e: n.Expr, t: n.TypeSyntax | None) -> n.Expr:
        """``e`` converted to the declared type ``t``, as far as syntax decides it: the ``default``
        literal becomes ``default(T)`` (``int x = default;`` is 0)."""
        if t is not None and is_default_literal(e):
            return n.Default(e.line, e.column, t)
        return e

    def e_cast(self, e: n.Cast) -> Code:
        t = e.type
        if t.nullable and t.ranks == 0:
            base = n.TypeSyntax(t.line, t.column, t.name, t.args, False, 0, t.keyword)
            # Nullable<T> itself: a user conversion (JToken's) maps a JSON null to null
            ref = self.k(runtime.resolve_type(f"{self.type_ref(base).full_name}?"))
            code = self.expr(e.operand)
            tmp = self.fresh("t")
            helper = "_castc" if self.overflow == "checked" else "_cast"
            return Code(f"(None if ({tmp} := {code.src}) is None else {helper}({ref}, {tmp}))")
        type_ref = self.type_ref(t)
        code = self.expr(e.operand)
        const = code.const
        if const is not None:
            folded = self.fold_cast(type_ref, const.value, e)
            if folded is not None:
                return self.const_code(folded.value)
        kind = "any"
        if t.keyword and not t.ranks:
            if t.name == "string":
                kind = "str?"
            elif t.name == "bool":
                kind = "bool"
        if kind == "str?" and code.kind in ("str", "str?"):
            return Code(code.src, code.kind, code.const, code.pieces)
        if kind == "str?":
            # (string)x is the identity on strings and null (runtime.cast): inline that case
            tmp = self.fresh("t")
            return Code(
                f"({tmp} if _type({tmp} := {code.src}) is _str or {tmp} is None "
                f"else _cast({self.k(type_ref)}, {tmp}))",
                kind,
            )
        helper = "_castc" if self.overflow == "checked" and kind == "any" else "_cast"
        return Code(f"{helper}({self.k(type_ref)}, {code.src})", kind)

    def fold_cast(self, t: TypeRef, value: Scalar, where: n.Cast) -> Constant | None:
        """A cast of a constant. A number converted to an integral or char type is a numeric
        conversion (the constant's type is known), checked unless in an ``unchecked`` context:
        ``(byte)300`` is a compile-time error, ``unchecked((byte)300)`` is 44."""
        checked = self.overflow != "unchecked"
        try:
            converted = runtime.numeric_conversion(t, value, checked=checked)
        except ExpressionError:
            raise err(
                f"constant value '{fold_to_string(value)}' cannot be converted to a "
                f"'{where.type}' (use 'unchecked' to allow it)",
                where,
            ) from None
        if converted is not NotImplemented:
            return constant(converted)
        return fold(lambda: runtime.cast(t, value))

    def e_is(self, e: n.Is) -> Code:
        code = self.expr(e.operand)
        ref = self.k(self.type_ref(non_nullable(e.type)))
        if e.name is None:
            return Code(f"_isi({ref}, {code.src})", "bool")
        local = self.declare(e.name, e)
        return Code(f"_isi({ref}, ({local.py} := {code.src}))", "bool")

    def e_isnull(self, e: n.IsNull) -> Code:
        code = self.expr(e.operand)
        return Code(f"({code.src} is {'not ' if e.negated else ''}None)", "bool")

    def e_as(self, e: n.As) -> Code:
        code = self.expr(e.operand)
        ref = self.k(self.type_ref(non_nullable(e.type)))
        t = self.fresh("t")
        kind = "str?" if e.type.keyword and e.type.name == "string" and not e.type.ranks else "any"
        return Code(f"({t} if _isi({ref}, ({t} := {code.src})) else None)", kind)

    def e_default(self, e: n.Default) -> Code:
        """``default(T)``: 0, false, '\\0', DateTime.MinValue, Guid.Empty... for a value type,
        null otherwise; the ``default`` literal where no target type gives it one: null."""
        if e.type is None or e.type.nullable:
            return self.const_code(None)
        ref = self.type_ref(e.type)
        folded = fold(lambda: runtime.default_of(ref))
        if folded is not None:
            return self.const_code(folded.value)
        return Code(f"_dflt({self.k(ref)})")

    def e_new(self, e: n.New) -> Code:
        t = e.type
        if t.name.rsplit(".", 1)[-1] in DELEGATE_TYPES:
            raise err(f"'new {t}' is not supported: write the lambda directly", e)
        base = n.TypeSyntax(t.line, t.column, t.name, t.args, False, 0, t.keyword)
        ref = self.k(self.type_ref(base))
        type_args = self.type_args(t.args)
        args = self.argument_tuple(e.args, e)
        tail = f", {type_args}" if type_args else ""
        src = f"_ct({ref}, {args}{tail})"
        if e.initializer is None or not e.initializer.entries:
            return Code(src)
        obj = self.fresh("t")
        seq = [f"({obj} := {src})"]
        for entry in e.initializer.entries:
            if entry.kind == "member":
                assert entry.name is not None
                value = self.expr(entry.values[0])
                seq.append(f"_sm({obj}, {self.k(entry.name)}, {value.src})")
            elif entry.kind == "index":
                index_args = self.argument_tuple(entry.args, entry)
                value = self.expr(entry.values[0])
                seq.append(f"_si({obj}, {index_args}, {value.src})")
            else:
                items = self.argument_tuple(
                    tuple(n.Argument(v.line, v.column, v) for v in entry.values), entry
                )
                seq.append(f"_cm({obj}, {self.k('Add')}, {items})")
        seq.append(obj)
        return Code("(" + ", ".join(seq) + ")[-1]")

    def e_new_array(self, e: n.NewArray) -> Code:
        element = "None" if e.element is None else self.k(self.type_ref(e.element))
        if e.items is None:
            assert e.size is not None
            size = self.expr(e.size)
            return Code(f"_newsized({element}, {size.src})")
        codes = [self.expr(item) for item in e.items]
        items = "(" + ", ".join(c.src for c in codes) + ("," if len(codes) == 1 else "") + ")"
        return Code(f"_na({element}, {items})")

    def e_lambda(self, e: n.Lambda) -> Code:
        name = self.fresh("f")
        self.func.lines.extend(self.function_def(name, e.params, e.body, returns=None))
        return Code(name)

    def function_def(
        self,
        name: str,
        params: tuple[n.Param, ...],
        body: n.Expr | n.Block,
        *,
        returns: n.TypeSyntax | None,
    ) -> list[tuple[int, str]]:
        """The lines of a nested ``def`` for a lambda or local function, at the current indent.
        ``returns``: the declared return type (a lambda's is unknown: None, as for ``void``)."""
        outer_func, outer_scope = self.func, self.scope
        func = Func(outer_func)
        func.returns = returns
        self.func = func
        self.scope = Scope(outer_scope, func)
        try:
            py_params = []
            for p in params:
                if p.type is not None:
                    self.check_type(p.type)
                local = self.declare(p.name, p, self.conversion(p.type), p.type)
                py_params.append(local.py)
                if local.convert is not None:
                    func.emit(f"{local.py} = _cast({local.convert}, {local.py})")
            if isinstance(body, n.Block):
                self.block(body)
                func.emit("return None")
            else:
                func.emit(f"return {self.expr(self.target_typed(body, returns)).src}")
        finally:
            self.func, self.scope = outer_func, outer_scope
        return func.definition(name, py_params)

    def e_anonymous(self, e: n.Anonymous) -> Code:
        """``new { a = 1, b }``: an instance of the anonymous type of that shape."""
        names = [name for name, _ in e.members]
        for position, (name, value) in enumerate(e.members):
            if name in names[:position]:
                raise err(
                    "an anonymous type cannot have multiple properties with the same name", value
                )
        values = [self.expr(value).src for _, value in e.members]
        items = "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"
        return Code(f"_ct({self.k(runtime.anonymous_type(names))}, {items})")

    # --- assignment

    def assign(self, e: n.Assign, *, statement: bool) -> Code:
        target = e.target.inner if isinstance(e.target, n.Paren) else e.target
        if e.op == "??=":
            # a ??= b  ==  a ?? (a = b)
            plain = n.Assign(e.line, e.column, "=", target, e.value)
            if statement:
                current = self.expr(target)
                self.func.emit(f"if {current.src} is None:")
                self.func.indent += 1
                self.assign(plain, statement=True)
                self.func.indent -= 1
                return Code("None")
            return self.expr(n.Coalesce(e.line, e.column, target, plain))
        value_node = e.value
        if e.op != "=":
            value_node = n.Binary(e.line, e.column, e.op[:-1], target, e.value)
        if isinstance(target, n.Name):
            local = self.scope.lookup(target.name)
            if local is None:
                if target.name == "context":
                    raise err("'context' is read-only", target)
                raise err(f"unknown name '{target.name}'", target)
            value_node = self.target_typed(value_node, local.type)
            code = self.delegate(value_node) if is_delegate(local.type) else self.expr(value_node)
            value = self.converted(code, local.convert)
            py = self.local_ref(local)
            if statement:
                self.func.emit(f"{py} = {value}")
                return Code("None")
            return Code(f"({py} := {value})")
        if isinstance(target, n.Member):
            obj = self.member_target(target)
            t = self.fresh("t")
            name = self.k(target.name)
            if e.op == "=":
                stored = self.expr(e.value)
            else:
                stored = self.compound_value(e.op, Code(f"_gm({t}, {name})"), e.value)
            src = f"_sm(({t} := {obj.src}), {name}, {{}})"
            return self.store(src, stored, statement)
        assert isinstance(target, n.Index)
        obj = self.expr(target.target)
        args = self.argument_tuple(target.args, target)
        t, a = self.fresh("t"), self.fresh("t")
        if e.op == "=":
            stored = self.expr(e.value)
        else:
            stored = self.compound_value(e.op, Code(f"_ix({t}, {a})"), e.value)
        src = f"_si(({t} := {obj.src}), ({a} := {args}), {{}})"
        return self.store(src, stored, statement)

    def member_target(self, target: n.Member) -> Code:
        root = target.target
        if isinstance(root, n.TypeExpr) or (
            isinstance(root, n.Name)
            and self.scope.lookup(root.name) is None
            and root.name != "context"
            and resolve(root.name) is not None
        ):
            raise err("static members cannot be assigned", target)
        return self.expr(target.target)

    def compound_value(self, op: str, current: Code, value: n.Expr) -> Code:
        right = self.expr(value)
        bop = op[:-1]
        if bop == "+" and right.kind in ("str", "str?"):
            return self.concat([current, right])
        return Code(f"{self.operator(bop)}({bop!r}, {current.src}, {right.src})")

    def store(self, template: str, value: Code, statement: bool) -> Code:
        if statement:
            self.func.emit(template.format(value.src))
            return Code("None")
        v = self.fresh("t")
        return Code(f"({template.format(f'({v} := {value.src})')}, {v})[-1]")

    def incdec(self, e: n.IncDec, *, statement: bool) -> Code:
        op = "+" if e.op == "++" else "-"
        helper = self.operator(op)
        one = self.k(1)
        target = e.target.inner if isinstance(e.target, n.Paren) else e.target
        if isinstance(target, n.Name):
            local = self.scope.lookup(target.name)
            if local is None:
                raise err(f"unknown name '{target.name}'", target)
            py = self.local_ref(local)
            new = self.converted(Code(f"{helper}({op!r}, {py}, {one})"), local.convert)
            if statement:
                self.func.emit(f"{py} = {new}")
                return Code("None")
            if e.prefix:
                return Code(f"({py} := {new})")
            old = self.fresh("t")
            new = self.converted(Code(f"{helper}({op!r}, {old}, {one})"), local.convert)
            return Code(f"(({old} := {py}), ({py} := {new}))[0]")
        # members and indexers: evaluate the target once
        if isinstance(target, n.Member):
            obj = self.member_target(target)
            t = self.fresh("t")
            name = self.k(target.name)
            current = f"_gm({t}, {name})"
            template = f"_sm(({t} := {obj.src}), {name}, {{}})"
        else:
            assert isinstance(target, n.Index)
            obj = self.expr(target.target)
            args = self.argument_tuple(target.args, target)
            t, a = self.fresh("t"), self.fresh("t")
            current = f"_ix({t}, {a})"
            template = f"_si(({t} := {obj.src}), ({a} := {args}), {{}})"
        old = self.fresh("t")
        new = self.fresh("t")
        # the target object is bound by the template before ``current`` is evaluated: build the
        # value inside the template's argument list
        value = f"({new} := {helper}({op!r}, ({old} := {current}), {one}))"
        if statement:
            self.func.emit(template.format(value))
            return Code("None")
        result = new if e.prefix else old
        return Code(f"({template.format(value)}, {result})[-1]")
