"""Syntactic analyses of statements: reachability (C#'s "not all code paths return a value"),
loops, jumps and closures."""

from __future__ import annotations

from typing import assert_never

from aiohttp_apim.expressions import nodes as n

__all__ = ["completes", "contains_loop", "has_closure", "has_jump", "is_false", "is_true"]


def completes(s: n.Stmt) -> bool:
    """Can the end of ``s`` be reached (C#'s reachability rules, with constant conditions)?"""
    match s:
        case n.Return() | n.Throw() | n.Break() | n.Continue():
            return False
        case n.Block():
            return all(completes(x) for x in s.body)
        case n.CheckedBlock():
            return completes(s.body)
        case n.Switch():
            # each section's end is unreachable (the compiler checks it): the end of the switch
            # is reached by a break, or when no section is taken
            catch_all = any(
                label.pattern is None
                or (
                    isinstance(label.pattern, n.DeclarationPattern)
                    and label.pattern.type is None
                    and label.guard is None
                )
                for section in s.sections
                for label in section.labels
            )
            return not catch_all or any(
                has_jump(stmt, n.Break) for section in s.sections for stmt in section.body
            )
        case n.If():
            if is_true(s.cond):
                return completes(s.then)
            if s.otherwise is None:
                return True
            if is_false(s.cond):
                return completes(s.otherwise)
            return completes(s.then) or completes(s.otherwise)
        case n.While() | n.DoWhile():
            return not is_true(s.cond) or has_jump(s.body, n.Break)
        case n.For():
            return (s.cond is not None and not is_true(s.cond)) or has_jump(s.body, n.Break)
        case n.Try():
            if s.final is not None and not completes(s.final):
                return False
            return completes(s.body) or any(completes(c.body) for c in s.catches)
        case n.Foreach() | n.LocalDecl() | n.ExprStmt() | n.Empty() | n.LocalFunction():
            return True
        case _:
            assert_never(s)


def has_closure(body: n.Stmt) -> bool:
    """Does a loop body create lambdas, local functions or queries (whose clauses are
    lambdas), that may capture its locals?"""
    stack: list[object] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Lambda | n.LocalFunction | n.Query):
            return True
        if isinstance(node, n.Node):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
        elif isinstance(node, tuple):
            stack.extend(node)
    return False


def contains_loop(program: n.Program) -> bool:
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


def is_true(e: n.Expr) -> bool:
    while isinstance(e, n.Paren):
        e = e.inner
    return isinstance(e, n.Literal) and e.value is True


def is_false(e: n.Expr) -> bool:
    while isinstance(e, n.Paren):
        e = e.inner
    return isinstance(e, n.Literal) and e.value is False


def has_jump(s: n.Stmt, kind: type[n.Break] | type[n.Continue]) -> bool:
    """Does ``s`` contain a break/continue that targets the loop around it?"""
    match s:
        case n.Break() | n.Continue():
            return isinstance(s, kind)
        case n.Block():
            return any(has_jump(x, kind) for x in s.body)
        case n.CheckedBlock():
            return has_jump(s.body, kind)
        case n.Switch():  # a switch owns its breaks; a continue is the loop's
            return kind is n.Continue and any(
                has_jump(stmt, kind) for section in s.sections for stmt in section.body
            )
        case n.If():
            return has_jump(s.then, kind) or (
                s.otherwise is not None and has_jump(s.otherwise, kind)
            )
        case n.Try():
            return (
                has_jump(s.body, kind)
                or any(has_jump(c.body, kind) for c in s.catches)
                or (s.final is not None and has_jump(s.final, kind))
            )
        case n.While() | n.DoWhile() | n.For() | n.Foreach():
            return False  # nested loops own their jumps
        case n.Return() | n.Throw() | n.LocalDecl() | n.ExprStmt() | n.Empty() | n.LocalFunction():
            return False
        case _:
            assert_never(s)
