"""Compile a policy-expression syntax tree to one Python function, once.

The tree is translated to Python source and compiled with ``compile()``: one Python frame per
evaluation instead of one closure call per node, which is what keeps a cache-key expression within
a small factor of hand-written Python. The sandbox stays airtight because the generated source is
built only from this module's own templates:

* every C# identifier, member name, string or number goes into a constants table and appears in
  the source only as ``k<n>``; C# locals become ``v<n>``, temporaries ``t<n>``, lambdas ``f<n>``;
* the function runs in a namespace whose ``__builtins__`` is empty and which holds nothing but
  the runtime.py functions and the few helpers below -- every value is touched through runtime.py.
  The only things generated code does to a value itself are identity tests (``x is None``,
  ``type(x) is str``: the fast paths of ``?.``, ``??``, ``(string)x`` and ToString, which
  runtime.py defines as the identity on strings) and ``+`` on values already known to be str;
* loops count down a per-evaluation budget (``MAX_ITERATIONS``) that ``catch`` cannot swallow, and
  string concatenation built here is length-checked like runtime.binary's;
* when runtime.py offers ``member_impl``/``indexer_impl``/``method_impl`` (an extension proposed
  to its owner), member reads, indexers and instance calls get per-site inline caches that call
  the runtime's implementation for the receiver's type directly (see ``_fill_member``).

Names are resolved at compile time: locals (block scoped) and lambda parameters, ``context``,
then .NET types through ``runtime.resolve_type`` (longest dotted prefix, so
``System.Text.RegularExpressions.Regex.Match`` and ``Regex.Match`` both work). Anything else is an
``ExpressionSyntaxError`` at the name. Trivial constant expressions are folded (``@(1800)`` exposes
``CompiledExpression.constant``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import FunctionType
from typing import TYPE_CHECKING, Final, NoReturn

from aiohttp_apim.errors import ApimRuntimeError, ExpressionError
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError, HoleTokens, Token, tokenize
from aiohttp_apim.expressions.parser import parse_tokens

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["MAX_ITERATIONS", "CompiledExpression", "compile_program", "names_in"]

log = logging.getLogger(__name__)

MAX_ITERATIONS: Final = 100_000
"""Loop iterations (all loops together) one evaluation may run before it fails."""

_FILENAME: Final = "<apim-expression>"
_NOTHING: Final = object()  # "no constant value"
_SCALARS: Final = (type(None), bool, int, float, Decimal, str)

_MAX_STRING_LENGTH: Final[int] = getattr(runtime, "MAX_STRING_LENGTH", 1 << 20)

# Exception families, so ``catch (ArgumentException)`` also catches ArgumentNullException.
_EXCEPTION_BASES: Final = {
    "ArgumentNullException": "ArgumentException",
    "ArgumentOutOfRangeException": "ArgumentException",
    "DivideByZeroException": "ArithmeticException",
    "OverflowException": "ArithmeticException",
    "UriFormatException": "FormatException",
    "KeyNotFoundException": "SystemException",
    "JsonReaderException": "JsonException",
    "JsonSerializationException": "JsonException",
}

_PY_ERRORS: Final[tuple[tuple[type[BaseException], str], ...]] = (
    (RecursionError, "InsufficientExecutionStackException"),
    (MemoryError, "OutOfMemoryException"),
    (ZeroDivisionError, "DivideByZeroException"),
    (OverflowError, "OverflowException"),
    (IndexError, "IndexOutOfRangeException"),
    (KeyError, "KeyNotFoundException"),
    (TypeError, "InvalidCastException"),
    (AttributeError, "InvalidCastException"),
    (ValueError, "FormatException"),
)

_DELEGATE_TYPES: Final = frozenset(["Func", "Action", "Predicate", "Comparison", "Converter"])
_NUMERIC_TYPES: Final = frozenset(
    [
        "sbyte", "byte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double",
        "decimal", "char",
    ]
)


class _BudgetExceeded(Exception):
    """Raised by a loop that ran out of iterations; deliberately not an ExpressionError, so that
    a ``catch`` in the expression cannot swallow it."""


# ------------------------------------------------------------------------------ run-time helpers
# Called by generated code; they only check shapes and delegate values to runtime.py.


def _over_budget() -> NoReturn:
    raise _BudgetExceeded


def _too_long() -> NoReturn:
    raise ExpressionError(
        "OutOfMemoryException",
        f"the string built by the expression is longer than {_MAX_STRING_LENGTH} characters",
    )


def _invoke(target: object, args: tuple[object, ...]) -> object:
    """``f(x)`` where ``f`` is a local: only lambdas compiled by this module can be invoked."""
    if target is None:
        raise ExpressionError("NullReferenceException",
                              "Object reference not set to an instance of an object.")
    if type(target) is FunctionType and target.__code__.co_filename == _FILENAME:
        return target(*args)
    raise ExpressionError("InvalidCastException", "the value is not a delegate")


def _new_sized(element: TypeRef | None, size: object) -> object:
    if type(size) is not int and not (isinstance(size, int) and not isinstance(size, bool)):
        raise ExpressionError("InvalidCastException", "array size must be an integer")
    if size < 0:
        raise ExpressionError("OverflowException", "Arithmetic operation resulted in an overflow.")
    if size > _MAX_STRING_LENGTH:
        raise ExpressionError("OutOfMemoryException", "array too large")
    fill = None if element is None else runtime.default_of(element)
    return runtime.new_array(element, [fill] * int(size))


def _throw(value: object, type_name: str) -> NoReturn:
    """``throw value``: the .NET type comes from the ``new X(...)`` syntax when there is one."""
    if value is None:
        raise ExpressionError("NullReferenceException",
                              "Object reference not set to an instance of an object.")
    if isinstance(value, _CaughtException | ExpressionError):
        raise ExpressionError(value.exception_type, value.message)
    try:
        message = runtime.to_string(runtime.get_member(value, "Message"))
    except ExpressionError:
        message = runtime.to_string(value)
    raise ExpressionError(type_name, message)


def _catches(error: ExpressionError, names: tuple[str, ...]) -> bool:
    kind = error.exception_type
    while True:
        if kind in names:
            return True
        base = _EXCEPTION_BASES.get(kind)
        if base is None:
            return "SystemException" in names and kind != "Exception"
        kind = base


class _CaughtException:
    """What ``catch (Exception e)`` binds ``e`` to when the runtime has no exception objects:
    only rethrowing it (``throw e;``) is supported; members go through the runtime object."""

    __slots__ = ("exception_type", "message")

    def __init__(self, exception_type: str, message: str) -> None:
        self.exception_type = exception_type
        self.message = message


def _exception_object(error: ExpressionError, t: TypeRef | None) -> object:
    if t is not None:
        try:
            return runtime.construct(t, (error.message,))
        except ExpressionError:
            pass
    return _CaughtException(error.exception_type, error.message)


# ---- per-call-site inline caches
# When runtime.py offers the implementation lookups below (proposed to the dotnet helper; see
# ``_inline_caching``), each instance member read, indexer read and instance method call in the
# generated code remembers ``(type, implementation)`` of the last receiver and calls the
# implementation directly while the receiver's type stays the same: one identity test instead of
# the dispatcher's call and two dict lookups. A site is a one-item list holding one tuple, read
# once per use, so concurrent fills can never pair one type with another type's implementation.
# Receivers without a cacheable implementation (null, a missing member) take the runtime's
# ordinary path every time, with its exact semantics and errors.

_Site = list[tuple[object, object]]
_EMPTY_SITE: Final = (None, None)


def _fill_member(site: _Site, obj: object, name: str) -> object:
    impl = runtime.member_impl(obj, name)  # type: ignore[attr-defined]
    if impl is None:
        return runtime.get_member(obj, name)
    site[0] = (type(obj), impl)
    return impl(obj)


def _fill_index(site: _Site, obj: object, args: tuple[object, ...]) -> object:
    impl = runtime.indexer_impl(obj)  # type: ignore[attr-defined]
    if impl is None:
        return runtime.index(obj, args)
    site[0] = (type(obj), impl)
    return impl(obj, args)


def _fill_method(site: _Site, obj: object, name: str, args: tuple[object, ...],
                 type_args: tuple[TypeRef, ...]) -> object:
    impl = runtime.method_impl(obj, name)  # type: ignore[attr-defined]
    if impl is None:
        return runtime.call_method(obj, name, args, type_args)
    site[0] = (type(obj), impl)
    return impl(obj, args, type_args)


def _inline_caching() -> bool:
    return all(hasattr(runtime, f) for f in ("member_impl", "indexer_impl", "method_impl"))


def _to_expression_error(exc: BaseException) -> BaseException:
    """A Python exception raised by a runtime implementation, as the .NET exception it means
    (budget, recursion and memory exhaustion stay what they are: a catch must not stop them)."""
    if isinstance(exc, ExpressionError | _BudgetExceeded | RecursionError | MemoryError):
        return exc
    converter = getattr(runtime, "convert_exception", None)
    if converter is not None:
        try:
            converted = converter(exc)
        except Exception:
            converted = None
        if isinstance(converted, ExpressionError):
            return converted
    return _convert(exc)


def _top_level_error(exc: Exception) -> ExpressionError:
    """What a stray exception leaving an expression becomes (never anything but ExpressionError)."""
    if isinstance(exc, _BudgetExceeded):
        return ExpressionError(
            "TimeoutException",
            f"the expression ran more than {MAX_ITERATIONS} loop iterations",
        )
    if isinstance(exc, ApimRuntimeError) and not isinstance(exc, ExpressionError):
        return ExpressionError("Exception", exc.message)
    converted = _to_expression_error(exc)
    return converted if isinstance(converted, ExpressionError) else _convert(exc)


_HELPERS: Final[dict[str, object]] = {
    "_gm": runtime.get_member,
    "_sm": runtime.set_member,
    "_cm": runtime.call_method,
    "_gs": runtime.get_static,
    "_cs": runtime.call_static,
    "_ct": runtime.construct,
    "_na": runtime.new_array,
    "_ix": runtime.index,
    "_si": runtime.set_index,
    "_cast": runtime.cast,
    "_isi": runtime.is_instance,
    "_ts": runtime.to_string,
    "_bin": runtime.binary,
    "_un": runtime.unary,
    "_tb": runtime.to_bool,
    "_it": runtime.iterate,
    "_Out": runtime.OutRef,
    "_len": len,
    "_type": type,
    "_str": str,
    "_fm": _fill_member,
    "_fi": _fill_index,
    "_fc": _fill_method,
    "_conv": _to_expression_error,
    "_top": _top_level_error,
    "_Err": ExpressionError,
    "_Budget": _BudgetExceeded,
    "isinstance": isinstance,
    "_Exc": Exception,
    "_over": _over_budget,
    "_toolong": _too_long,
    "_invoke": _invoke,
    "_newsized": _new_sized,
    "_throw": _throw,
    "_catches": _catches,
    "_excobj": _exception_object,
}


# ---------------------------------------------------------------------------- compiled result


class CompiledExpression:
    """A policy expression compiled once; call it with an ``ExpressionContext``.

    ``names`` holds every identifier and member name the source mentions (the pipeline uses it,
    e.g., to know whether the request body is read). ``is_constant``/``constant`` tell whether the
    whole expression folded to a value at compile time (``@(1800)``, ``@("a" + "b")``)."""

    __slots__ = ("_fn", "constant", "is_block", "is_constant", "names", "python_source",
                 "source")

    def __init__(
        self,
        source: str,
        *,
        is_block: bool,
        names: frozenset[str],
        fn: Callable[[object], object],
        python_source: str,
        constant: object = None,
        is_constant: bool = False,
    ) -> None:
        self.source = source
        self.is_block = is_block
        self.names = names
        self._fn = fn
        self.python_source = python_source
        self.constant = constant
        self.is_constant = is_constant

    def __call__(self, context: object) -> object:
        """Evaluate; raises ``errors.ExpressionError`` and nothing else.

        (Instances made by the compiler replace this with the generated function itself, which
        does the same conversion, to save a Python frame per evaluation.)"""
        try:
            return self._fn(context)
        except ExpressionError:
            raise
        except Exception as exc:
            raise _top_level_error(exc) from None

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


def _convert(exc: BaseException) -> ExpressionError:
    net_type = next((net for py, net in _PY_ERRORS if isinstance(exc, py)), "Exception")
    if not isinstance(exc, RecursionError | MemoryError):
        log.debug("unexpected %s in a policy expression", type(exc).__name__, exc_info=exc)
    if isinstance(exc, RecursionError):
        message = "the expression recursed too deeply"
    elif isinstance(exc, MemoryError):
        message = "Insufficient memory to continue the execution of the program."
    else:
        message = f"the expression failed ({type(exc).__name__})"
    return ExpressionError(net_type, message)


# ----------------------------------------------------------------------------- code generation


@dataclass(slots=True)
class _Code:
    """A generated Python expression. ``kind`` is what it is statically known to produce:
    ``"str"`` (a str), ``"str?"`` (str or None), ``"bool"``, ``"null"`` or ``"any"``.
    ``pieces`` is set for string concatenations so that ``a + b + c`` flattens into one."""

    src: str
    kind: str = "any"
    const: object = _NOTHING
    pieces: tuple[tuple[str, object], ...] | None = None  # (src, const-or-_NOTHING)

    @property
    def is_const(self) -> bool:
        return self.const is not _NOTHING


@dataclass(slots=True)
class _Local:
    py: str
    func: _Func
    convert: str | None  # constant holding a numeric TypeRef applied on assignment
    function: bool = False  # a local function (called directly)


class _Func:
    """One generated Python function: the expression itself or a C# lambda."""

    def __init__(self, parent: _Func | None) -> None:
        self.parent = parent
        self.lines: list[tuple[int, str]] = []
        self.indent = 1
        self.nonlocals: set[str] = set()
        self.loops = 0  # enclosing loops (for break/continue)
        self.in_finally = False
        self.in_catch = 0
        self.is_lambda = parent is not None

    def emit(self, text: str) -> None:
        self.lines.append((self.indent, text))


class _Scope:
    def __init__(self, parent: _Scope | None, func: _Func) -> None:
        self.parent = parent
        self.func = func
        self.names: dict[str, _Local] = {}
        self.hoist_at = 0

    def lookup(self, name: str) -> _Local | None:
        scope: _Scope | None = self
        while scope is not None:
            local = scope.names.get(name)
            if local is not None:
                return local
            scope = scope.parent
        return None


def _err(message: str, node: n.Node) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, node.line, node.column)


class _Compiler:
    def __init__(self) -> None:
        self.consts: list[object] = []
        self._const_ids: dict[tuple[type, object], str] = {}
        self.counter = 0
        self.func = _Func(None)
        self.scope = _Scope(None, self.func)
        self.uses_budget = False
        self.has_loops = False
        self.sites: list[_Site] = []
        self.inline = _inline_caching()

    # ------------------------------------------------------------------------------ utilities

    def k(self, value: object) -> str:
        """The generated name of a constant (deduplicated when hashable)."""
        # Only str/int/bool/None are shared: 0.0 == -0.0 and Decimal("1.0") == Decimal("1")
        # compare equal but must stay distinct constants.
        key = (type(value), value) if type(value) in (str, int, bool, type(None)) else None
        if key is not None:
            found = self._const_ids.get(key)
            if found is not None:
                return found
        name = f"k{len(self.consts)}"
        self.consts.append(value)
        if key is not None:
            self._const_ids[key] = name
        return name

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const_code(self, value: object) -> _Code:
        if value is None:
            return _Code("None", "null", None)
        if value is True or value is False:
            return _Code("True" if value else "False", "bool", value)
        kind = "str" if type(value) is str else "any"
        return _Code(self.k(value), kind, value)

    def type_ref(self, t: n.TypeSyntax) -> TypeRef:
        """Resolve a type at compile time; unknown types are compile errors."""
        name = str(n.TypeSyntax(t.line, t.column, t.name, (), False, t.ranks, t.keyword))
        ref = _resolve(name)
        if ref is None and t.ranks == 0 and t.args:
            ref = _resolve(f"{t.name}`{len(t.args)}")
        if ref is None:
            raise _err(f"unknown type '{t}'", t)
        return ref

    def type_args(self, args: tuple[n.TypeSyntax, ...]) -> str | None:
        if not args:
            return None
        return self.k(tuple(self.type_ref(a) for a in args))

    def declare(self, name: str, node: n.Node, convert: str | None = None) -> _Local:
        if name == "_":
            raise _err("'_' cannot be used as a variable name here", node)
        if name == "context" or self.scope.lookup(name) is not None:
            raise _err(f"a local named '{name}' is already defined in this or an enclosing "
                       "scope", node)
        local = _Local(self.fresh("v"), self.func, convert)
        self.scope.names[name] = local
        return local

    def conversion(self, t: n.TypeSyntax | None) -> str | None:
        """Typed numeric locals convert on assignment (``double d = 1`` holds 1.0, as in C#)."""
        if t is None or not t.keyword or t.nullable or t.ranks or t.name not in _NUMERIC_TYPES:
            return None
        return self.k(self.type_ref(t))

    def check_type(self, t: n.TypeSyntax) -> None:
        """Types of declarations must exist, except delegate types (lambdas are plain callables)."""
        base = t.name.rsplit(".", 1)[-1]
        if base in _DELEGATE_TYPES:
            return
        for arg in t.args:
            self.check_type(arg)
        self.type_ref(t)

    def local_ref(self, local: _Local) -> str:
        if local.func is not self.func:
            # assigned from a lambda: Python needs ``nonlocal`` in every function in between
            func: _Func | None = self.func
            while func is not None and func is not local.func:
                func.nonlocals.add(local.py)
                func = func.parent
        return local.py

    def push_scope(self) -> None:
        self.scope = _Scope(self.scope, self.func)

    def pop_scope(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    # ----------------------------------------------------------------------------- program

    def program(self, program: n.Program) -> tuple[str, _Code | None]:
        body = program.body
        self.has_loops = _contains_loop(program)
        result: _Code | None = None
        if isinstance(body, n.Block):
            self.block(body)
            if _completes(body):
                raise ExpressionSyntaxError("not all code paths return a value", body.end_line,
                                            body.end_column)
        else:
            result = self.expr(body)
            self.func.emit(f"return {result.src}")
        # The conversion of stray exceptions lives in the generated function itself, so that a
        # compiled expression is called with a single Python frame (see _compiled()).
        lines = ["def e(c):", "    try:"]
        if self.uses_budget:
            lines.append(f"        b = {self.k(MAX_ITERATIONS)}")
        lines.extend("    " * (indent + 1) + text for indent, text in self.func.lines)
        lines += ["    except _Err:", "        raise",
                  "    except _Exc as x0:", "        raise _top(x0) from None"]
        return "\n".join(lines) + "\n", result

    # ------------------------------------------------------------------------------ statements

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
            self.scope.hoist_at = len(self.func.lines)
            for stmt in block.body:
                self.stmt(stmt)
        finally:
            self.pop_scope()

    def s_function(self, s: n.LocalFunction) -> None:
        local = self.scope.names[s.name]
        lines = self.function_def(local.py, s.params, s.body, returns_value=False)
        at = self.scope.hoist_at
        self.func.lines[at:at] = lines
        self.scope.hoist_at = at + len(lines)

    def stmt(self, s: n.Stmt) -> None:
        handler = _STMT_HANDLERS.get(type(s))
        if handler is None:  # pragma: no cover - every statement node has a handler
            raise _err(f"unsupported statement {type(s).__name__}", s)
        handler(self, s)

    def s_block(self, s: n.Block) -> None:
        self.block(s)

    def s_empty(self, s: n.Empty) -> None:
        pass

    def s_local(self, s: n.LocalDecl) -> None:
        convert = None
        if s.type is not None:
            self.check_type(s.type)
            convert = self.conversion(s.type)
        for d in s.declarators:
            value = "None"
            if d.init is not None:
                code = self.expr(d.init)
                value = self.converted(code, convert)
            elif convert is not None:
                value = "None"
            local = self.declare(d.name, d, convert)
            self.func.emit(f"{local.py} = {value}")

    def converted(self, code: _Code, convert: str | None) -> str:
        if convert is None:
            return code.src
        if code.is_const and isinstance(code.const, _SCALARS):
            ref = self.consts[int(convert[1:])]
            folded = _fold(lambda: runtime.cast(ref, code.const))  # type: ignore[arg-type]
            if folded is not _NOTHING:
                return self.const_code(folded).src
        return f"_cast({convert}, {code.src})"

    def s_expr(self, s: n.ExprStmt) -> None:
        e = s.expr
        if isinstance(e, n.Assign):
            self.assign(e, statement=True)
        elif isinstance(e, n.IncDec):
            self.incdec(e, statement=True)
        else:
            self.func.emit(self.expr(e).src)

    def condition(self, e: n.Expr) -> _Code:
        code = self.expr(e)
        if code.kind == "bool":
            return code
        if code.is_const:
            raise _err("cannot implicitly convert this constant to bool", e)
        return _Code(f"_tb({code.src})", "bool")

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
            func.nonlocals.add("b")
            # every function between this lambda and the expression needs it too
            parent = func.parent
            while parent is not None and parent.is_lambda:
                parent.nonlocals.add("b")
                parent = parent.parent
        func.emit("b -= 1")
        func.emit("if b < 0: _over()")

    def loop_body(self, body: n.Stmt, prefix: Callable[[], None] | None = None) -> None:
        func = self.func
        func.loops += 1
        func.indent += 1
        self.tick()
        if prefix is not None:
            prefix()
        func.indent -= 1
        try:
            self.body(body)
        finally:
            func.loops -= 1

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
            if updates and _has_jump(s.body, n.Continue):
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
                _DELEGATE_TYPES
            ):
                convert = self.k(self.type_ref(s.type))
        self.push_scope()
        try:
            local = self.declare(s.name, s)
            func.emit(f"for {local.py} in _it({iterable.src}):")

            def prefix() -> None:
                if convert is not None:
                    func.emit(f"{local.py} = _cast({convert}, {local.py})")

            self.loop_body(s.body, prefix)
        finally:
            self.pop_scope()

    def s_break(self, s: n.Break) -> None:
        self.jump(s, "break")

    def s_continue(self, s: n.Continue) -> None:
        self.jump(s, "continue")

    def jump(self, s: n.Stmt, word: str) -> None:
        if self.func.in_finally:
            raise _err("control cannot leave the body of a finally clause", s)
        if not self.func.loops:
            raise _err(f"no enclosing loop out of which to {word}", s)
        self.func.emit(word)

    def s_return(self, s: n.Return) -> None:
        func = self.func
        if func.in_finally:
            raise _err("control cannot leave the body of a finally clause", s)
        if s.value is None:
            if not func.is_lambda:
                raise _err("a return value is required ('return <expression>;')", s)
            func.emit("return None")
            return
        func.emit(f"return {self.expr(s.value).src}")

    def s_throw(self, s: n.Throw) -> None:
        if s.value is None:
            if not self.func.in_catch:
                raise _err("a throw statement with no argument is only allowed in a catch "
                           "clause", s)
            self.func.emit("raise")
            return
        self.func.emit(self.throw_code(s.value))

    def throw_code(self, value: n.Expr) -> str:
        type_name = "Exception"
        inner = value.inner if isinstance(value, n.Paren) else value
        if isinstance(inner, n.New):
            type_name = inner.type.name.rsplit(".", 1)[-1]
            if type_name.endswith("Exception") and _resolve(inner.type.name) is None:
                # exception types the runtime doesn't model can still be thrown and caught
                if len(inner.args) > 1 or inner.initializer is not None:
                    raise _err(f"unknown type '{inner.type}'", inner.type)
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
            err = self.fresh("x")
            func.emit("except _Budget:")
            func.emit("    raise")
            func.emit(f"except _Exc as {err}:")
            func.indent += 1
            func.emit(f"{err} = _conv({err})")
            func.emit(f"if not isinstance({err}, _Err): raise {err}")
            first = True
            catch_all = False
            for c in s.catches:
                names = self.catch_names(c)
                if names is None:
                    func.emit("if True:" if first else "else:")
                    catch_all = True
                else:
                    keyword = "if" if first else "elif"
                    func.emit(f"{keyword} _catches({err}, {self.k(names)}):")
                first = False
                func.indent += 1
                self.push_scope()
                func.in_catch += 1
                try:
                    if c.name is not None:
                        assert c.type is not None
                        local = self.declare(c.name, c)
                        t = _resolve(c.type.name) or _resolve("Exception")
                        func.emit(f"{local.py} = _excobj({err}, {self.k(t)})")
                    mark = len(func.lines)
                    self.block(c.body)
                    if len(func.lines) == mark:
                        func.emit("pass")
                finally:
                    func.in_catch -= 1
                    self.pop_scope()
                func.indent -= 1
                if catch_all:
                    break
            if not catch_all:
                func.emit("else:")
                func.emit(f"    raise {err}")
            func.indent -= 1
        if s.final is not None:
            func.emit("finally:")
            was = func.in_finally
            func.in_finally = True
            try:
                self.body(s.final)
            finally:
                func.in_finally = was

    def catch_names(self, c: n.Catch) -> tuple[str, ...] | None:
        """The exception names a catch clause matches, or None for "everything"."""
        if c.type is None:
            return None
        short = c.type.name.rsplit(".", 1)[-1]
        if not short.endswith("Exception") or c.type.args or c.type.ranks:
            raise _err(f"'{c.type}' is not an exception type", c.type)
        if short == "Exception":
            return None
        return (short,)

    # ----------------------------------------------------------------------------- expressions

    def expr(self, e: n.Expr) -> _Code:
        handler = _EXPR_HANDLERS.get(type(e))
        if handler is None:  # pragma: no cover - every expression node has a handler
            raise _err(f"unsupported expression {type(e).__name__}", e)
        return handler(self, e)

    def e_literal(self, e: n.Literal) -> _Code:
        if e.kind == "int":
            assert isinstance(e.value, int)
            return self.const_code(_integer(e.value, e.suffix, e))
        if e.kind == "real":
            if e.suffix == "f":
                return self.const_code(_runtime_cast("float", e.value, e))
            if e.suffix == "m":
                return self.const_code(e.value)
            return self.const_code(float(e.value))  # type: ignore[arg-type]
        if e.kind == "char":
            assert isinstance(e.value, str)
            return self.const_code(_runtime_cast("char", ord(e.value), e))
        return self.const_code(e.value)

    def e_interpolated(self, e: n.Interpolated) -> _Code:
        pieces: list[_Code] = []
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
                align = self.expr(part.alignment)
                if not (isinstance(align.const, int) and not isinstance(align.const, bool)):
                    raise _err("the alignment of an interpolation hole must be a constant "
                               "integer", part.alignment)
                fmt += f",{align.const}"
            if part.format is not None:
                fmt += f":{part.format}"
            fmt += "}"
            string_type = self.k(_resolve_required("string", part))
            pieces.append(_Code(
                f"_cs({string_type}, {self.k('Format')}, ({self.k(fmt)}, {value.src}))", "str?"))
        if not pieces:
            return self.const_code("")
        return self.concat(pieces)

    def concat(self, operands: list[_Code]) -> _Code:
        """C# string concatenation: each operand's ToString (null -> ""), constants folded,
        nested concatenations flattened into one Python ``+`` chain."""
        flat: list[tuple[str, object]] = []  # (source, constant text or _NOTHING)

        def add_text(text: str) -> None:
            if not text:
                return
            if flat and flat[-1][1] is not _NOTHING:
                flat[-1] = ("", str(flat[-1][1]) + text)
            else:
                flat.append(("", text))

        for code in operands:
            if code.pieces is not None:
                for src, const in code.pieces:
                    if const is _NOTHING:
                        flat.append((src, _NOTHING))
                    else:
                        add_text(str(const))
            elif code.is_const:
                text = code.const if type(code.const) is str else _fold_to_string(code.const)
                if isinstance(text, str):
                    add_text(text)
                else:
                    flat.append((f"_ts({code.src})", _NOTHING))
            elif code.kind == "str":
                flat.append((code.src, _NOTHING))
            elif code.kind == "str?":
                flat.append((f"({code.src} or '')", _NOTHING))
            else:
                flat.append((self.to_string(code.src), _NOTHING))
        if not flat:
            return self.const_code("")
        if len(flat) == 1 and flat[0][1] is not _NOTHING:
            return self.const_code(flat[0][1])
        final = tuple((src if const is _NOTHING else self.k(const), const) for src, const in flat)
        dynamic = sum(1 for _, const in final if const is _NOTHING)
        joined = " + ".join(src for src, _ in final)
        if len(final) == 1:
            src = joined
        elif dynamic >= 2 or self.has_loops or self.func.is_lambda:
            # a concatenation of two unknown strings (or any inside a loop) can grow without
            # bound: check the length like runtime.binary does
            t = self.fresh("t")
            src = f"({t} if _len({t} := {joined}) <= {self.k(_MAX_STRING_LENGTH)} else _toolong())"
        else:
            src = f"({joined})"
        return _Code(src, "str", _NOTHING, final)

    def to_string(self, src: str) -> str:
        """``runtime.to_string`` with the identity on strings inlined (the common case)."""
        t = self.fresh("t")
        return f"({t} if _type({t} := {src}) is _str else _ts({t}))"

    def e_name(self, e: n.Name) -> _Code:
        local = self.scope.lookup(e.name)
        if local is not None:
            return _Code(local.py)
        if e.name == "context":
            return _Code("c")
        if _resolve(e.name) is not None:
            raise _err(f"'{e.name}' is a type, which is not valid in this context", e)
        raise _err(f"unknown name '{e.name}'", e)

    def e_type(self, e: n.TypeExpr) -> _Code:
        raise _err(f"'{e.type}' is a type, which is not valid in this context", e)

    def e_paren(self, e: n.Paren) -> _Code:
        code = self.expr(e.inner)
        return _Code(code.src, code.kind, code.const, code.pieces)

    # --- member chains: a.b, a?.b, a.M<T>(x), a[i], Type.Static, f(x)

    def e_chain(self, e: n.Expr) -> _Code:
        links: list[n.Expr] = []
        node = e
        while isinstance(node, n.Member | n.Index | n.Call):
            links.append(node)
            node = node.target
        links.reverse()
        root = node
        start = 0
        base: _Code | None = None
        static: TypeRef | None = None
        if isinstance(root, n.TypeExpr):
            static = self.type_ref(root.type)
        elif isinstance(root, n.Name) and self.scope.lookup(root.name) is None \
                and root.name != "context":
            static, start = self.static_prefix(root, links)
        if static is None:
            base = self.expr(root)
            if isinstance(root, n.Name) and links and isinstance(links[0], n.Call):
                local = self.scope.lookup(root.name)
                if local is not None and local.function:
                    call = links[0]
                    assert isinstance(call, n.Call)
                    args = self.argument_tuple(call.args, call)
                    base = _Code(f"{base.src}(*{args})")
                    start = 1
        return self.links(base, static, links, start, e)

    def static_prefix(self, root: n.Name, links: list[n.Expr]) -> tuple[TypeRef, int]:
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
            ref = _resolve(".".join(names[:count]))
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
        raise _err(f"unknown name '{'.'.join(shown)}'", root)

    def links(self, base: _Code | None, static: TypeRef | None, links: list[n.Expr],
              start: int, whole: n.Expr) -> _Code:
        code = base
        i = start
        while i < len(links):
            link = links[i]
            nxt = links[i + 1] if i + 1 < len(links) else None
            is_method = isinstance(link, n.Member) and isinstance(nxt, n.Call) \
                and nxt.target is link
            conditional = isinstance(link, n.Member | n.Index) and link.conditional
            if conditional and code is not None:
                # ``a?.rest``: null for the whole rest of the chain when ``a`` is null
                t = self.fresh("t")
                held = _Code(t)
                rest_links = [*links[:i], _unconditional(link), *links[i + 1 :]]
                if is_method:
                    assert isinstance(nxt, n.Call)
                    rest_links[i + 1] = n.Call(nxt.line, nxt.column, rest_links[i], nxt.args)
                rest = self.links(held, None, rest_links, i, whole)
                kind = "str?" if rest.kind in ("str", "str?") else "any"
                return _Code(f"(None if ({t} := {code.src}) is None else {rest.src})", kind)
            if isinstance(link, n.Member):
                if is_method:
                    assert isinstance(nxt, n.Call)
                    code = self.method_call(code, static, link, nxt)
                    i += 2
                else:
                    if link.type_args:
                        raise _err(f"'{link.name}' with type arguments must be called", link)
                    name = self.k(link.name)
                    if code is None:
                        assert static is not None
                        code = _Code(f"_gs({self.k(static)}, {name})")
                    else:
                        code = self.read_member(code, name)
                    i += 1
            elif isinstance(link, n.Index):
                if code is None:
                    raise _err("a type cannot be indexed", link)
                args = self.argument_tuple(link.args, link)
                code = self.read_index(code, args)
                i += 1
            else:
                assert isinstance(link, n.Call)
                if code is None:
                    raise _err("a type cannot be invoked", link)
                args = self.argument_tuple(link.args, link)
                code = _Code(f"_invoke({code.src}, {args})")
                i += 1
            static = None
        assert code is not None
        return code

    def site(self) -> str:
        name = f"s{len(self.sites)}"
        self.sites.append([_EMPTY_SITE])
        return name

    def read_member(self, target: _Code, name: str) -> _Code:
        if not self.inline:
            return _Code(f"_gm({target.src}, {name})")
        site, o, p = self.site(), self.fresh("t"), self.fresh("t")
        return _Code(f"({p}[1]({o}) if _type({o} := {target.src}) is ({p} := {site}[0])[0] "
                     f"else _fm({site}, {o}, {name}))")

    def read_index(self, target: _Code, args: str) -> _Code:
        if not self.inline:
            return _Code(f"_ix({target.src}, {args})")
        site, o, p = self.site(), self.fresh("t"), self.fresh("t")
        return _Code(f"({p}[1]({o}, {args}) if _type({o} := {target.src}) is "
                     f"({p} := {site}[0])[0] else _fi({site}, {o}, {args}))")

    def cached_call(self, target: _Code, name: str, args: str, type_args: str | None) -> str:
        site, o, p = self.site(), self.fresh("t"), self.fresh("t")
        targs = type_args or "()"
        return (f"({p}[1]({o}, {args}, {targs}) if _type({o} := {target.src}) is "
                f"({p} := {site}[0])[0] else _fc({site}, {o}, {name}, {args}, {targs}))")

    def method_call(self, target: _Code | None, static: TypeRef | None, member: n.Member,
                    call: n.Call) -> _Code:
        name = self.k(member.name)
        type_args = self.type_args(member.type_args)
        outs = [a for a in call.args if a.modifier in ("out", "ref")]
        if not outs:
            args = self.argument_tuple(call.args, call)
            tail = f", {type_args}" if type_args else ""
            if target is None:
                assert static is not None
                src = f"_cs({self.k(static)}, {name}, {args}{tail})"
            elif self.inline:
                src = self.cached_call(target, name, args, type_args)
            else:
                src = f"_cm({target.src}, {name}, {args}{tail})"
            kind = "str?" if member.name == "ToString" and not call.args else "any"
            return _Code(src, kind)
        # out/ref arguments: pass OutRefs, then copy their values into the locals
        before: list[str] = []
        after: list[str] = []
        items: list[str] = []
        for arg in call.args:
            if arg.modifier not in ("out", "ref"):
                items.append(self.expr(arg.value).src)
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
                raise _err(f"'{arg.modifier}' arguments must be local variables", value)
            existing = self.scope.lookup(value.name)
            if existing is None:
                raise _err(f"unknown name '{value.name}'", value)
            py = self.local_ref(existing)
            initial = py if arg.modifier == "ref" else "None"
            before.append(f"({ref} := _Out({initial}))")
            stored = f"{ref}.value" if existing.convert is None else \
                f"_cast({existing.convert}, {ref}.value)"
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
        return _Code("(" + ", ".join(seq) + ")[-1]")

    def argument_tuple(self, args: tuple[n.Argument, ...], where: n.Node) -> str:
        """The Python source of an argument tuple; a constant when every argument is one."""
        codes: list[_Code] = []
        for arg in args:
            if arg.modifier in ("out", "ref"):
                raise _err(f"'{arg.modifier}' arguments are only allowed in method calls", arg)
            codes.append(self.expr(arg.value))
        if all(c.is_const for c in codes):
            return self.k(tuple(c.const for c in codes))
        return "(" + ", ".join(c.src for c in codes) + ("," if len(codes) == 1 else "") + ")"

    # --- operators

    def e_unary(self, e: n.Unary) -> _Code:
        operand = e.operand
        if e.op == "-" and isinstance(operand, n.Literal) and operand.kind == "int":
            # -2147483648 and -9223372036854775808 are int/long literals in C#
            assert isinstance(operand.value, int)
            return self.const_code(_integer(-operand.value, operand.suffix, e, negated=True))
        code = self.expr(operand)
        if code.is_const:
            folded = _fold(lambda: runtime.unary(e.op, code.const))
            if folded is not _NOTHING:
                return self.const_code(folded)
        if e.op == "!":
            if code.kind == "bool":
                return _Code(f"(not {code.src})", "bool")
            return _Code(f"_un('!', {code.src})", "bool")
        return _Code(f"_un({e.op!r}, {code.src})")

    def e_binary(self, e: n.Binary) -> _Code:
        left = self.expr(e.left)
        right = self.expr(e.right)
        op = e.op
        stringy = ("str", "str?")
        if op == "+" and (left.kind in stringy or right.kind in stringy):
            return self.concat([left, right])
        if left.is_const and right.is_const:
            folded = _fold(lambda: runtime.binary(op, left.const, right.const))
            if folded is not _NOTHING:
                return self.const_code(folded)
        if op in ("==", "!="):
            if left.kind in stringy and right.kind in stringy:
                return _Code(f"({left.src} {op} {right.src})", "bool")
            if {left.kind, right.kind} in ({"null", "str"}, {"null", "str?"}):
                other = right if left.kind == "null" else left
                word = "is" if op == "==" else "is not"
                return _Code(f"({other.src} {word} None)", "bool")
        kind = "bool" if op in ("==", "!=", "<", ">", "<=", ">=") else "any"
        return _Code(f"_bin({op!r}, {left.src}, {right.src})", kind)

    def e_logical(self, e: n.Logical) -> _Code:
        left = self.condition(e.left)
        if left.is_const:
            if (e.op == "&&") != bool(left.const):
                return left  # false && x, true || x
            return self.condition(e.right)
        right = self.condition(e.right)
        word = "and" if e.op == "&&" else "or"
        return _Code(f"({left.src} {word} {right.src})", "bool")

    def e_coalesce(self, e: n.Coalesce) -> _Code:
        left = self.expr(e.left)
        if left.is_const:
            return left if left.const is not None else self.expr(e.right)
        right = self.expr(e.right)
        t = self.fresh("t")
        kind = "str" if left.kind in ("str", "str?") and right.kind == "str" else "any"
        if left.kind == right.kind and kind == "any":
            kind = left.kind
        return _Code(f"({t} if ({t} := {left.src}) is not None else {right.src})", kind)

    def e_conditional(self, e: n.Conditional) -> _Code:
        cond = self.condition(e.cond)
        if cond.is_const:
            return self.expr(e.then if cond.const else e.otherwise)
        then = self.expr(e.then)
        other = self.expr(e.otherwise)
        if then.kind == other.kind:
            kind = then.kind
        elif {then.kind, other.kind} <= {"str", "str?", "null"}:
            kind = "str?"
        else:
            kind = "any"
        return _Code(f"({then.src} if {cond.src} else {other.src})", kind)

    def e_cast(self, e: n.Cast) -> _Code:
        t = e.type
        if t.nullable and t.ranks == 0:
            base = n.TypeSyntax(t.line, t.column, t.name, t.args, False, 0, t.keyword)
            ref = self.k(self.type_ref(base))
            code = self.expr(e.operand)
            tmp = self.fresh("t")
            return _Code(f"(None if ({tmp} := {code.src}) is None else _cast({ref}, {tmp}))")
        type_ref = self.type_ref(t)
        code = self.expr(e.operand)
        if code.is_const and isinstance(code.const, _SCALARS):
            folded = _fold(lambda: runtime.cast(type_ref, code.const))
            if folded is not _NOTHING and isinstance(folded, _SCALARS):
                return self.const_code(folded)
        kind = "any"
        if t.keyword and not t.ranks:
            if t.name == "string":
                kind = "str?"
            elif t.name == "bool":
                kind = "bool"
        if kind == "str?" and code.kind in ("str", "str?"):
            return _Code(code.src, code.kind, code.const, code.pieces)
        if kind == "str?":
            # (string)x is the identity on strings and null (runtime.cast): inline that case
            tmp = self.fresh("t")
            return _Code(f"({tmp} if _type({tmp} := {code.src}) is _str or {tmp} is None "
                         f"else _cast({self.k(type_ref)}, {tmp}))", kind)
        return _Code(f"_cast({self.k(type_ref)}, {code.src})", kind)

    def e_is(self, e: n.Is) -> _Code:
        code = self.expr(e.operand)
        ref = self.k(self.type_ref(_non_nullable(e.type)))
        if e.name is None:
            return _Code(f"_isi({ref}, {code.src})", "bool")
        local = self.declare(e.name, e)
        return _Code(f"_isi({ref}, ({local.py} := {code.src}))", "bool")

    def e_isnull(self, e: n.IsNull) -> _Code:
        code = self.expr(e.operand)
        return _Code(f"({code.src} is {'not ' if e.negated else ''}None)", "bool")

    def e_as(self, e: n.As) -> _Code:
        code = self.expr(e.operand)
        ref = self.k(self.type_ref(_non_nullable(e.type)))
        t = self.fresh("t")
        kind = "str?" if e.type.keyword and e.type.name == "string" and not e.type.ranks else "any"
        return _Code(f"({t} if _isi({ref}, ({t} := {code.src})) else None)", kind)

    def e_default(self, e: n.Default) -> _Code:
        if e.type is None or e.type.nullable:
            return self.const_code(None)
        ref = self.type_ref(e.type)
        folded = _fold(lambda: runtime.default_of(ref))
        if folded is not _NOTHING and isinstance(folded, _SCALARS):
            return self.const_code(folded)
        return _Code(f"_dflt({self.k(ref)})")

    def e_new(self, e: n.New) -> _Code:
        t = e.type
        if t.name.rsplit(".", 1)[-1] in _DELEGATE_TYPES:
            raise _err(f"'new {t}' is not supported: write the lambda directly", e)
        base = n.TypeSyntax(t.line, t.column, t.name, t.args, False, 0, t.keyword)
        ref = self.k(self.type_ref(base))
        type_args = self.type_args(t.args)
        args = self.argument_tuple(e.args, e)
        tail = f", {type_args}" if type_args else ""
        src = f"_ct({ref}, {args}{tail})"
        if e.initializer is None or not e.initializer.entries:
            return _Code(src)
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
                    tuple(n.Argument(v.line, v.column, v) for v in entry.values), entry)
                seq.append(f"_cm({obj}, {self.k('Add')}, {items})")
        seq.append(obj)
        return _Code("(" + ", ".join(seq) + ")[-1]")

    def e_new_array(self, e: n.NewArray) -> _Code:
        element = "None" if e.element is None else self.k(self.type_ref(e.element))
        if e.items is None:
            assert e.size is not None
            size = self.expr(e.size)
            return _Code(f"_newsized({element}, {size.src})")
        codes = [self.expr(item) for item in e.items]
        items = "(" + ", ".join(c.src for c in codes) + ("," if len(codes) == 1 else "") + ")"
        return _Code(f"_na({element}, {items})")

    def e_lambda(self, e: n.Lambda) -> _Code:
        name = self.fresh("f")
        self.func.lines.extend(self.function_def(name, e.params, e.body, returns_value=True))
        return _Code(name)

    def function_def(self, name: str, params: tuple[n.Param, ...], body: n.Expr | n.Block,
                     *, returns_value: bool) -> list[tuple[int, str]]:
        """The lines of a nested ``def`` for a lambda or local function, at the current indent."""
        del returns_value  # delegates' return types are unknown: a missing return gives null
        outer_func, outer_scope = self.func, self.scope
        func = _Func(outer_func)
        self.func = func
        self.scope = _Scope(outer_scope, func)
        try:
            py_params = []
            for p in params:
                if p.type is not None:
                    self.check_type(p.type)
                local = self.declare(p.name, p, self.conversion(p.type))
                py_params.append(local.py)
                if local.convert is not None:
                    func.emit(f"{local.py} = _cast({local.convert}, {local.py})")
            if isinstance(body, n.Block):
                self.block(body)
                func.emit("return None")
            else:
                func.emit(f"return {self.expr(body).src}")
        finally:
            self.func, self.scope = outer_func, outer_scope
        base = outer_func.indent
        lines = [(base, f"def {name}({', '.join(py_params)}):")]
        if func.nonlocals:
            lines.append((base + 1, f"nonlocal {', '.join(sorted(func.nonlocals))}"))
        lines.extend((base + indent, text) for indent, text in func.lines)
        return lines

    def e_anonymous(self, e: n.Anonymous) -> _Code:
        jobject = self.k(_resolve_required("JObject", e))
        jproperty = self.k(_resolve_required("JProperty", e))
        props = [f"_ct({jproperty}, ({self.k(name)}, {self.expr(value).src}))"
                 for name, value in e.members]
        items = "(" + ", ".join(props) + ("," if len(props) == 1 else "") + ")"
        return _Code(f"_ct({jobject}, {items})")

    def e_throw(self, e: n.ThrowExpr) -> _Code:
        return _Code(self.throw_code(e.value))

    def e_outvar(self, e: n.OutVar) -> _Code:  # pragma: no cover - the parser prevents it
        raise _err("'out var' is only allowed as a method argument", e)

    # --- assignment

    def e_assign(self, e: n.Assign) -> _Code:
        return self.assign(e, statement=False)

    def e_incdec(self, e: n.IncDec) -> _Code:
        return self.incdec(e, statement=False)

    def assign(self, e: n.Assign, *, statement: bool) -> _Code:
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
                return _Code("None")
            return self.expr(n.Coalesce(e.line, e.column, target, plain))
        value_node = e.value
        if e.op != "=":
            value_node = n.Binary(e.line, e.column, e.op[:-1], target, e.value)
        if isinstance(target, n.Name):
            local = self.scope.lookup(target.name)
            if local is None:
                if target.name == "context":
                    raise _err("'context' is read-only", target)
                raise _err(f"unknown name '{target.name}'", target)
            value = self.converted(self.expr(value_node), local.convert)
            py = self.local_ref(local)
            if statement:
                self.func.emit(f"{py} = {value}")
                return _Code("None")
            return _Code(f"({py} := {value})")
        if isinstance(target, n.Member):
            obj = self.member_target(target)
            t = self.fresh("t")
            name = self.k(target.name)
            if e.op == "=":
                stored = self.expr(e.value)
            else:
                stored = self.compound_value(e.op, _Code(f"_gm({t}, {name})"), e.value)
            src = f"_sm(({t} := {obj.src}), {name}, {{}})"
            return self.store(src, stored, statement)
        assert isinstance(target, n.Index)
        obj = self.expr(target.target)
        args = self.argument_tuple(target.args, target)
        t, a = self.fresh("t"), self.fresh("t")
        if e.op == "=":
            stored = self.expr(e.value)
        else:
            stored = self.compound_value(e.op, _Code(f"_ix({t}, {a})"), e.value)
        src = f"_si(({t} := {obj.src}), ({a} := {args}), {{}})"
        return self.store(src, stored, statement)

    def member_target(self, target: n.Member) -> _Code:
        root = target.target
        if isinstance(root, n.TypeExpr) or (
            isinstance(root, n.Name) and self.scope.lookup(root.name) is None
            and root.name != "context" and _resolve(root.name) is not None
        ):
            raise _err("static members cannot be assigned", target)
        return self.expr(target.target)

    def compound_value(self, op: str, current: _Code, value: n.Expr) -> _Code:
        right = self.expr(value)
        bop = op[:-1]
        if bop == "+" and right.kind in ("str", "str?"):
            return self.concat([current, right])
        return _Code(f"_bin({bop!r}, {current.src}, {right.src})")

    def store(self, template: str, value: _Code, statement: bool) -> _Code:
        if statement:
            self.func.emit(template.format(value.src))
            return _Code("None")
        v = self.fresh("t")
        return _Code(f"({template.format(f'({v} := {value.src})')}, {v})[-1]")

    def incdec(self, e: n.IncDec, *, statement: bool) -> _Code:
        op = "+" if e.op == "++" else "-"
        one = self.k(1)
        target = e.target.inner if isinstance(e.target, n.Paren) else e.target
        if isinstance(target, n.Name):
            local = self.scope.lookup(target.name)
            if local is None:
                raise _err(f"unknown name '{target.name}'", target)
            py = self.local_ref(local)
            new = self.converted(_Code(f"_bin({op!r}, {py}, {one})"), local.convert)
            if statement:
                self.func.emit(f"{py} = {new}")
                return _Code("None")
            if e.prefix:
                return _Code(f"({py} := {new})")
            old = self.fresh("t")
            new = self.converted(_Code(f"_bin({op!r}, {old}, {one})"), local.convert)
            return _Code(f"(({old} := {py}), ({py} := {new}))[0]")
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
        value = f"({new} := _bin({op!r}, ({old} := {current}), {one}))"
        if statement:
            self.func.emit(template.format(value))
            return _Code("None")
        result = new if e.prefix else old
        return _Code(f"({template.format(value)}, {result})[-1]")


def _unconditional(link: n.Expr) -> n.Expr:
    if isinstance(link, n.Member):
        return n.Member(link.line, link.column, link.target, link.name, link.type_args, False)
    assert isinstance(link, n.Index)
    return n.Index(link.line, link.column, link.target, link.args, False)


def _non_nullable(t: n.TypeSyntax) -> n.TypeSyntax:
    return n.TypeSyntax(t.line, t.column, t.name, t.args, False, t.ranks, t.keyword)


def _resolve(name: str) -> TypeRef | None:
    try:
        return runtime.resolve_type(name)
    except Exception:  # a runtime bug must not make the name "known"
        return None


def _resolve_required(name: str, where: n.Node) -> TypeRef:
    ref = _resolve(name)
    if ref is None:
        raise _err(f"unknown type '{name}'", where)
    return ref


def _runtime_cast(type_name: str, value: object, where: n.Node) -> object:
    ref = _resolve_required(type_name, where)
    try:
        return runtime.cast(ref, value)
    except ExpressionError as exc:
        raise _err(f"invalid {type_name} constant: {exc.message}", where) from None


def _integer(value: int, suffix: str, where: n.Node, *, negated: bool = False) -> object:
    """The .NET type of an integer literal: int, uint, long, ulong (C# spec §6.4.5.3)."""
    candidates = {
        "": ("int", "uint", "long", "ulong"),
        "u": ("uint", "ulong"),
        "l": ("long", "ulong"),
        "ul": ("ulong",),
    }[suffix]
    if negated:
        # -(literal) with the literal typed first, except the two minimum values
        if value == -(2**31) and suffix == "":
            return value
        if value == -(2**63) and suffix in ("", "l"):
            return _runtime_cast("long", value, where)
        positive = _integer(-value, suffix, where)
        if suffix in ("u", "ul") or (suffix == "" and -value > 2**63 - 1):
            raise _err("operator '-' cannot be applied to an unsigned constant of this size",
                       where)
        return runtime.unary("-", positive)
    ranges = {"int": (-(2**31), 2**31 - 1), "uint": (0, 2**32 - 1),
              "long": (-(2**63), 2**63 - 1), "ulong": (0, 2**64 - 1)}
    for name in candidates:
        low, high = ranges[name]
        if low <= value <= high:
            return value if name == "int" else _runtime_cast(name, value, where)
    raise _err("integral constant is too large", where)


def _fold(thunk: Callable[[], object]) -> object:
    try:
        value = thunk()
    except Exception:
        return _NOTHING
    return value if isinstance(value, _SCALARS) else _NOTHING


def _fold_to_string(value: object) -> str | None:
    try:
        return runtime.to_string(value)
    except Exception:
        return None


def _completes(s: n.Stmt) -> bool:
    """Can the end of ``s`` be reached (C#'s reachability rules, with constant conditions)?"""
    if isinstance(s, n.Return | n.Throw | n.Break | n.Continue):
        return False
    if isinstance(s, n.Block):
        return all(_completes(x) for x in s.body)
    if isinstance(s, n.If):
        if _is_true(s.cond):
            return _completes(s.then)
        if s.otherwise is None:
            return True
        if _is_false(s.cond):
            return _completes(s.otherwise)
        return _completes(s.then) or _completes(s.otherwise)
    if isinstance(s, n.While | n.DoWhile):
        return not _is_true(s.cond) or _has_jump(s.body, n.Break)
    if isinstance(s, n.For):
        return (s.cond is not None and not _is_true(s.cond)) or _has_jump(s.body, n.Break)
    if isinstance(s, n.Try):
        if s.final is not None and not _completes(s.final):
            return False
        return _completes(s.body) or any(_completes(c.body) for c in s.catches)
    return True


def _contains_loop(program: n.Program) -> bool:
    stack: list[object] = [program]
    while stack:
        node = stack.pop()
        if isinstance(node, n.While | n.DoWhile | n.For | n.Foreach):
            return True
        if isinstance(node, n.Node):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
        elif isinstance(node, tuple):
            stack.extend(node)
    return False


def _is_true(e: n.Expr) -> bool:
    while isinstance(e, n.Paren):
        e = e.inner
    return isinstance(e, n.Literal) and e.value is True


def _is_false(e: n.Expr) -> bool:
    while isinstance(e, n.Paren):
        e = e.inner
    return isinstance(e, n.Literal) and e.value is False


def _has_jump(s: n.Stmt, kind: type[n.Stmt]) -> bool:
    """Does ``s`` contain a break/continue that targets the loop around it?"""
    if isinstance(s, kind):
        return True
    if isinstance(s, n.Block):
        return any(_has_jump(x, kind) for x in s.body)
    if isinstance(s, n.If):
        return _has_jump(s.then, kind) or (s.otherwise is not None
                                           and _has_jump(s.otherwise, kind))
    if isinstance(s, n.Try):
        return (_has_jump(s.body, kind) or any(_has_jump(c.body, kind) for c in s.catches)
                or (s.final is not None and _has_jump(s.final, kind)))
    return False  # nested loops own their jumps


_STMT_HANDLERS: Final[dict[type, Callable[[_Compiler, n.Stmt], None]]] = {
    n.Block: _Compiler.s_block,  # type: ignore[dict-item]
    n.Empty: _Compiler.s_empty,  # type: ignore[dict-item]
    n.LocalDecl: _Compiler.s_local,  # type: ignore[dict-item]
    n.ExprStmt: _Compiler.s_expr,  # type: ignore[dict-item]
    n.If: _Compiler.s_if,  # type: ignore[dict-item]
    n.While: _Compiler.s_while,  # type: ignore[dict-item]
    n.DoWhile: _Compiler.s_do,  # type: ignore[dict-item]
    n.For: _Compiler.s_for,  # type: ignore[dict-item]
    n.Foreach: _Compiler.s_foreach,  # type: ignore[dict-item]
    n.Break: _Compiler.s_break,  # type: ignore[dict-item]
    n.Continue: _Compiler.s_continue,  # type: ignore[dict-item]
    n.Return: _Compiler.s_return,  # type: ignore[dict-item]
    n.Throw: _Compiler.s_throw,  # type: ignore[dict-item]
    n.Try: _Compiler.s_try,  # type: ignore[dict-item]
    n.LocalFunction: _Compiler.s_function,  # type: ignore[dict-item]
}

_EXPR_HANDLERS: Final[dict[type, Callable[[_Compiler, n.Expr], _Code]]] = {
    n.Literal: _Compiler.e_literal,  # type: ignore[dict-item]
    n.Interpolated: _Compiler.e_interpolated,  # type: ignore[dict-item]
    n.Name: _Compiler.e_name,  # type: ignore[dict-item]
    n.TypeExpr: _Compiler.e_type,  # type: ignore[dict-item]
    n.Paren: _Compiler.e_paren,  # type: ignore[dict-item]
    n.Member: _Compiler.e_chain,
    n.Index: _Compiler.e_chain,
    n.Call: _Compiler.e_chain,
    n.Unary: _Compiler.e_unary,  # type: ignore[dict-item]
    n.Binary: _Compiler.e_binary,  # type: ignore[dict-item]
    n.Logical: _Compiler.e_logical,  # type: ignore[dict-item]
    n.Coalesce: _Compiler.e_coalesce,  # type: ignore[dict-item]
    n.Conditional: _Compiler.e_conditional,  # type: ignore[dict-item]
    n.Cast: _Compiler.e_cast,  # type: ignore[dict-item]
    n.Is: _Compiler.e_is,  # type: ignore[dict-item]
    n.IsNull: _Compiler.e_isnull,  # type: ignore[dict-item]
    n.As: _Compiler.e_as,  # type: ignore[dict-item]
    n.Default: _Compiler.e_default,  # type: ignore[dict-item]
    n.New: _Compiler.e_new,  # type: ignore[dict-item]
    n.Anonymous: _Compiler.e_anonymous,  # type: ignore[dict-item]
    n.NewArray: _Compiler.e_new_array,  # type: ignore[dict-item]
    n.Lambda: _Compiler.e_lambda,  # type: ignore[dict-item]
    n.ThrowExpr: _Compiler.e_throw,  # type: ignore[dict-item]
    n.OutVar: _Compiler.e_outvar,  # type: ignore[dict-item]
    n.Assign: _Compiler.e_assign,  # type: ignore[dict-item]
    n.IncDec: _Compiler.e_incdec,  # type: ignore[dict-item]
}


def names_in(tokens: tuple[Token, ...]) -> Iterator[str]:
    """Every identifier in ``tokens``, interpolation holes included."""
    for tok in tokens:
        if tok.kind == "name":
            yield str(tok.value)
        elif tok.kind == "interp":
            assert isinstance(tok.value, tuple)
            for part in tok.value:
                if isinstance(part, HoleTokens):
                    yield from names_in(part.tokens)
                    if part.alignment is not None:
                        yield from names_in(part.alignment)


def compile_program(source: str) -> CompiledExpression:
    """Lex, parse and compile ``source`` (``@(...)`` or ``@{...}``)."""
    tokens = tokenize(source)
    program = parse_tokens(tokens)
    compiler = _Compiler()
    try:
        python_source, result = compiler.program(program)
    except RecursionError:
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    namespace: dict[str, object] = {"__builtins__": {}}
    namespace.update(_HELPERS)
    namespace["_dflt"] = runtime.default_of
    for i, site in enumerate(compiler.sites):
        namespace[f"s{i}"] = site
    for i, value in enumerate(compiler.consts):
        namespace[f"k{i}"] = value
    try:
        code = compile(python_source, _FILENAME, "exec")
        exec(code, namespace)
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        # Python's own limits (nesting of parentheses/indentation) on pathological input
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    fn = namespace["e"]
    assert isinstance(fn, FunctionType)
    constant = result.const if result is not None else _NOTHING
    # A subclass per expression whose __call__ is the generated function: calling the compiled
    # expression costs one Python frame instead of two.
    cls: type[CompiledExpression] = type(
        "CompiledExpression", (CompiledExpression,),
        {"__slots__": (), "__call__": staticmethod(fn), "__module__": __name__},
    )
    return cls(
        source,
        is_block=isinstance(program.body, n.Block),
        names=frozenset(names_in(tokens)),
        fn=fn,
        python_source=python_source,
        constant=None if constant is _NOTHING else constant,
        is_constant=constant is not _NOTHING,
    )
