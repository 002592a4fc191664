"""Statement code generation: blocks, locals, ``if``, loops (with the iteration budget and fresh
per-iteration variables for closures), ``break``/``continue``/``return``, ``throw`` and
``try``/``catch``/``finally``."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.compiler.codegen import CodeGen
from aiohttp_apim.expressions.compiler.expressions import is_default_literal
from aiohttp_apim.expressions.compiler.flow import has_closure, has_jump
from aiohttp_apim.expressions.compiler.scopes import (
    DELEGATE_TYPES,
    Func,
    JumpTarget,
    err,
    is_delegate,
    resolve,
)

__all__ = ["StatementGen"]


class StatementGen(CodeGen):
    """Generates Python statements for C# statements."""

    def body(self, stmt: n.Stmt) -> None:
        """An indented statement body (``pass`` when it generates nothing)."""
        func = self.func
        func.indent += 1
        mark = len(func.lines)
        self.push_scope()
        try:
            self.stmt(stmt)
        finally:
            self.pop_scope()
        if len(func.lines) == mark:
            func.emit("pass")
        func.indent -= 1

    def block(self, block: n.Block) -> None:
        self.push_scope()
        try:
            # Local functions are visible in the whole block (callable before their text and
            # recursively): declare them first, and put their ``def``s at the block's start.
            for stmt in block.body:
                if isinstance(stmt, n.LocalFunction):
                    local = self.declare(stmt.name, stmt)
                    local.py = self.fresh("f")
                    local.function = True
                    if stmt.returns is not None:
                        local.element_names = stmt.returns.element_names
            self.scope.hoist_at = len(self.func.lines)
            for stmt in block.body:
                self.stmt(stmt)
        finally:
            self.pop_scope()

    def s_function(self, s: n.LocalFunction) -> None:
        local = self.scope.names[s.name]
        lines = self.function_def(local.py, s.params, s.body, returns=s.returns)
        at = self.scope.hoist_at
        self.func.lines[at:at] = lines
        self.scope.hoist_at = at + len(lines)

    def s_checked(self, s: n.CheckedBlock) -> None:
        outer = self.overflow
        self.overflow = "checked" if s.checked else "unchecked"
        try:
            self.block(s.body)
        finally:
            self.overflow = outer

    def s_local(self, s: n.LocalDecl) -> None:
        convert = None
        if s.type is not None:
            self.check_type(s.type)
            convert = self.conversion(s.type)
        for d in s.declarators:
            value = "None"
            if d.init is not None:
                if s.type is None and is_default_literal(d.init):
                    raise err(
                        "cannot infer the type of an implicitly typed variable from 'default'",
                        d.init,
                    )
                init = self.target_typed(d.init, s.type)
                code = self.delegate(init) if is_delegate(s.type) else self.expr(init)
                value = self.converted(code, convert)
            local = self.declare(d.name, d, convert, s.type)
            if s.type is None and d.init is not None:
                local.element_names = self.element_names_of(d.init)
            self.func.emit(f"{local.py} = {value}")

    def s_expr(self, s: n.ExprStmt) -> None:
        e = s.expr
        if isinstance(e, n.Assign):
            self.assign(e, statement=True)
        elif isinstance(e, n.Deconstruct):
            self.deconstruct(e)
        elif isinstance(e, n.IncDec):
            self.incdec(e, statement=True)
        else:
            self.func.emit(self.expr(e).src)

    def s_if(self, s: n.If) -> None:
        func = self.func
        cond = self.condition(s.cond)
        func.emit(f"if {cond.src}:")
        self.body(s.then)
        other = s.otherwise
        depth = 0
        while isinstance(other, n.If):
            # ``else if`` chains become ``elif`` (Python caps indentation at 100 levels) unless the
            # condition needs statements before it (a hoisted lambda).
            mark = len(func.lines)
            cond = self.condition(other.cond)
            if len(func.lines) != mark:
                hoisted = func.lines[mark:]
                del func.lines[mark:]
                func.emit("else:")
                func.indent += 1
                depth += 1
                func.lines.extend((indent + 1, text) for indent, text in hoisted)
                func.emit(f"if {cond.src}:")
            else:
                func.emit(f"elif {cond.src}:")
            self.body(other.then)
            other = other.otherwise
        if other is not None:
            func.emit("else:")
            self.body(other)
        func.indent -= depth

    def tick(self) -> None:
        self.uses_budget = True
        func = self.func
        if func.is_lambda:
            func.nonlocals.update(("b", "t0"))
            # every function between this lambda and the expression needs it too
            parent = func.parent
            while parent is not None and parent.is_lambda:
                parent.nonlocals.update(("b", "t0"))
                parent = parent.parent
        func.emit("b -= 1")
        func.emit("if b < 0: b, t0 = _take(t0)")

    def loop_body(
        self,
        body: n.Stmt,
        prefix: Callable[[], None] | None = None,
        variable: Callable[[str], None] | None = None,
        item: str = "",
    ) -> None:
        """The body of a loop whose header the caller emitted. ``variable(item)``, if given,
        declares the foreach variable from the Python name ``item`` in the body's scope."""
        func = self.func
        func.jumps.append(JumpTarget("loop"))
        func.indent += 1
        self.tick()
        if prefix is not None:
            prefix()
        func.indent -= 1
        try:
            if has_closure(body):
                self.loop_function(body, variable, item)
            else:
                if variable is not None:
                    func.indent += 1
                    variable(item)
                    func.indent -= 1
                self.body(body)
        finally:
            func.jumps.pop()

    def loop_function(
        self, body: n.Stmt, variable: Callable[[str], None] | None, item: str
    ) -> None:
        """A loop body that creates closures, as a nested function called once per iteration.

        In C# each iteration has its own instance of the foreach variable and of every local
        declared in the body (C# 5+): a lambda created in one iteration keeps seeing that
        iteration's variables. A Python function call gives exactly that -- every call has fresh
        locals and closures capture the call's cells -- while outer locals stay shared
        (``nonlocal``). ``break``/``continue``/``return`` become returns the loop interprets."""
        outer = self.func
        outer.indent += 1
        name, result = self.fresh("f"), self.fresh("t")
        inner = Func(outer)
        inner.loop_body = True
        inner.real = outer.real
        inner.in_catch = outer.in_catch
        inner.in_finally = outer.in_finally
        self.func = inner
        self.push_scope()
        try:
            if variable is not None:
                variable(item)
            self.stmt(body)
            if not inner.lines:
                inner.emit("pass")
        finally:
            self.pop_scope()
            self.func = outer
        outer.lines.extend(inner.definition(name, [item] if item else []))
        outer.emit(f"if ({result} := {name}({item})) is not None:")
        outer.emit(f"    if {result} is _brk: break")
        outer.emit(f"    return {result}" if outer.loop_body else f"    return {result}[0]")
        outer.indent -= 1

    def s_while(self, s: n.While) -> None:
        cond = self.condition(s.cond)
        self.func.emit(f"while {cond.src}:")
        self.loop_body(s.body)

    def s_do(self, s: n.DoWhile) -> None:
        func = self.func
        flag = self.fresh("t")
        func.emit(f"{flag} = False")
        func.emit("while True:")
        func.indent += 1
        func.emit(f"if {flag}:")
        func.indent += 1
        cond = self.condition(s.cond)
        func.emit(f"if not {cond.src}: break")
        func.indent -= 1
        func.emit(f"{flag} = True")
        func.indent -= 1
        self.loop_body(s.body)

    def s_for(self, s: n.For) -> None:
        func = self.func
        self.push_scope()
        try:
            for init in s.init:
                self.stmt(init)
            updates = s.update
            if updates and has_jump(s.body, n.Continue):
                # ``continue`` must still run the update: run it at the top of each later round
                flag = self.fresh("t")
                func.emit(f"{flag} = False")
                func.emit("while True:")

                def prefix() -> None:
                    func.emit(f"if {flag}:")
                    func.indent += 1
                    for u in updates:
                        self.s_expr(n.ExprStmt(u.line, u.column, u))
                    func.indent -= 1
                    func.emit(f"{flag} = True")
                    if s.cond is not None:
                        cond = self.condition(s.cond)
                        func.emit(f"if not {cond.src}: break")

                self.loop_body(s.body, prefix)
            else:
                cond_src = "True" if s.cond is None else self.condition(s.cond).src
                func.emit(f"while {cond_src}:")
                self.loop_body(s.body)
                if updates:
                    func.indent += 1
                    for u in updates:
                        self.s_expr(n.ExprStmt(u.line, u.column, u))
                    func.indent -= 1
        finally:
            self.pop_scope()

    def s_foreach(self, s: n.Foreach) -> None:
        func = self.func
        iterable = self.expr(s.iterable)
        convert: str | None = None
        if s.type is not None:
            self.check_type(s.type)
            if s.type.name not in ("object",) and s.type.name.rsplit(".", 1)[-1] not in (
                DELEGATE_TYPES
            ):
                convert = self.k(self.type_ref(s.type))
        self.push_scope()
        try:
            item = self.fresh("t")
            func.emit(f"for {item} in _it({iterable.src}):")

            def variable(item: str) -> None:
                if s.target is not None:
                    self.deconstruct_into(s.target, item)
                    return
                local = self.declare(s.name, s, None, s.type)
                value = item if convert is None else f"_cast({convert}, {item})"
                self.func.emit(f"{local.py} = {value}")

            self.loop_body(s.body, variable=variable, item=item)
        finally:
            self.pop_scope()

    def s_jump(self, s: n.Break | n.Continue) -> None:
        func = self.func
        if func.in_finally:
            raise err("control cannot leave the body of a finally clause", s)
        if isinstance(s, n.Continue):
            self.emit_continue(s)
            return
        if func.jumps:
            # a loop's, or a wrapped switch's (an unwrapped switch's final breaks are left out)
            assert func.jumps[-1].kind == "loop" or func.jumps[-1].wrapped
            func.emit("break")
        elif func.loop_body:  # the loop is around the function: tell it what to do
            func.emit("return _brk")
        else:
            raise err("no enclosing loop out of which to break", s)

    def emit_continue(self, where: n.Node) -> None:
        """``continue``: the innermost loop's, passing through the switches around it (a wrapped
        one is left with its flag set: see switches.py)."""
        func = self.func
        for target in reversed(func.jumps):
            if target.kind == "loop":
                func.emit("continue")
                return
            if target.wrapped:
                if target.flag is None:
                    target.flag = self.fresh("t")
                func.emit(f"{target.flag} = True")
                func.emit("break")
                return
        if func.loop_body:
            func.emit("return None")
            return
        raise err("no enclosing loop out of which to continue", where)

    def s_return(self, s: n.Return) -> None:
        func = self.func
        if func.in_finally:
            raise err("control cannot leave the body of a finally clause", s)
        if s.value is None:
            if not func.real.is_lambda:
                raise err("a return value is required ('return <expression>;')", s)
            func.emit("return (None,)" if func.loop_body else "return None")
            return
        value = self.expr(self.target_typed(s.value, func.real.returns)).src
        func.emit(f"return ({value},)" if func.loop_body else f"return {value}")

    def s_throw(self, s: n.Throw) -> None:
        if s.value is None:
            if not self.func.in_catch:
                raise err("a throw statement with no argument is only allowed in a catch clause", s)
            self.func.emit("raise")
            return
        self.func.emit(self.throw_code(s.value))

    def throw_code(self, value: n.Expr) -> str:
        type_name = "Exception"
        inner = value.inner if isinstance(value, n.Paren) else value
        if isinstance(inner, n.New):
            type_name = inner.type.name.rsplit(".", 1)[-1]
            if type_name.endswith("Exception") and resolve(inner.type.name) is None:
                # exception types the runtime doesn't model can still be thrown and caught
                if len(inner.args) > 1 or inner.initializer is not None:
                    raise err(f"unknown type '{inner.type}'", inner.type)
                message = self.k(f"Exception of type 'System.{type_name}' was thrown.")
                if inner.args:
                    message = f"_ts({self.expr(inner.args[0].value).src})"
                return f"_throw(_Err({self.k(type_name)}, {message}), {self.k(type_name)})"
        return f"_throw({self.expr(value).src}, {self.k(type_name)})"

    def s_try(self, s: n.Try) -> None:
        func = self.func
        func.emit("try:")
        self.body(s.body)
        if s.catches:
            caught = self.fresh("x")
            func.emit(f"except _Exc as {caught}:")  # not _Budget: a BaseException
            func.indent += 1
            func.emit(f"{caught} = _conv({caught})")
            func.emit(f"if not isinstance({caught}, _Err): raise {caught}")
            if any(c.filter is not None for c in s.catches):
                self.filtered_catches(s.catches, caught)
            else:
                self.catches(s.catches, caught)
            func.indent -= 1
        if s.final is not None:
            func.emit("finally:")
            was = func.in_finally
            func.in_finally = True
            try:
                self.body(s.final)
            finally:
                func.in_finally = was

    def catches(self, catches: tuple[n.Catch, ...], caught: str) -> None:
        """Catch clauses without filters: one ``if``/``elif`` chain on the exception's type."""
        func = self.func
        for position, c in enumerate(catches):
            names = self.catch_names(c)
            if names is None:
                func.emit("if True:" if position == 0 else "else:")
            else:
                func.emit(f"{'elif' if position else 'if'} _catches({caught}, {self.k(names)}):")
            self.catch_clause(c, caught, None)
            if names is None:
                return  # a catch-all ends the chain
        func.emit("else:")
        func.emit(f"    raise {caught}")

    def filtered_catches(self, catches: tuple[n.Catch, ...], caught: str) -> None:
        """Catch clauses, some with ``when (filter)``: the first clause whose type matches and
        whose filter is true handles the exception (its variable is set before the filter
        runs); a flag tells the later clauses, and the rethrow, that one did."""
        func = self.func
        handled = self.fresh("t")
        func.emit(f"{handled} = False")
        for position, c in enumerate(catches):
            names = self.catch_names(c)
            test = "True" if names is None else f"_catches({caught}, {self.k(names)})"
            func.emit(f"if {test}:" if position == 0 else f"if not {handled} and {test}:")
            self.catch_clause(c, caught, handled)
            if names is None and c.filter is None:
                return  # a catch-all: nothing after it runs
        func.emit(f"if not {handled}: raise {caught}")

    def catch_clause(self, c: n.Catch, caught: str, handled: str | None) -> None:
        """The indented body of one catch clause (its filter first, when ``handled`` names the
        flag of `filtered_catches`)."""
        func = self.func
        func.indent += 1
        self.push_scope()
        func.in_catch += 1
        try:
            if c.name is not None:
                assert c.type is not None
                local = self.declare(c.name, c)
                func.emit(f"{local.py} = _excobj({caught})")
            if handled is not None:
                if c.filter is not None:
                    # as in .NET, a filter that throws counts as false
                    func.emit("try:")
                    func.indent += 1
                    func.emit(f"{handled} = {self.condition(c.filter).src}")
                    func.indent -= 1
                    func.emit("except _Exc:")
                    func.emit(f"    {handled} = False")
                    func.emit(f"if {handled}:")
                    func.indent += 1
                else:
                    func.emit(f"{handled} = True")
            mark = len(func.lines)
            self.block(c.body)
            if len(func.lines) == mark:
                func.emit("pass")
            if handled is not None and c.filter is not None:
                func.indent -= 1
        finally:
            func.in_catch -= 1
            self.pop_scope()
        func.indent -= 1

    def catch_names(self, c: n.Catch) -> tuple[str, ...] | None:
        """The exception names a catch clause matches, or None for "everything"."""
        if c.type is None:
            return None
        short = c.type.name.rsplit(".", 1)[-1]
        if not short.endswith("Exception") or c.type.args or c.type.ranks:
            raise err(f"'{c.type}' is not an exception type", c.type)
        if short == "Exception":
            return None
        return (short,)
