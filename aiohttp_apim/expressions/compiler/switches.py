"""The ``switch`` statement (C# 7): constant and declaration patterns, ``when`` guards,
``default``, and C#'s rule that no section falls through to the next.

A switch becomes an ``if``/``elif`` chain over its subject, evaluated once; the default section
is the final ``else``, wherever it is written (C# tries it last). A ``break`` that ends a section
ends its branch. Only a switch with a ``break`` elsewhere in a section (``if (x) break;``) is
wrapped in a ``while True:`` that runs once, so that the ``break`` leaves it; a ``continue``
inside such a switch, meant for the loop around it, sets a flag, leaves the switch, and the
loop's ``continue`` runs after it.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.codegen import CodeGen
from aiohttp_apim.expressions.compiler.flow import completes, has_jump
from aiohttp_apim.expressions.compiler.folding import fold_to_string
from aiohttp_apim.expressions.compiler.scopes import JumpTarget, err, resolve

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["SwitchGen"]


class SwitchGen(CodeGen):
    """Generates ``switch`` statements."""

    def s_switch(self, s: n.Switch) -> None:
        func = self.func
        self.check_sections(s)
        subject = self.expr(s.subject)
        value = self.fresh("t")
        func.emit(f"{value} = {subject.src}")
        default = next(
            (sec for sec in s.sections if any(label.pattern is None for label in sec.labels)),
            None,
        )
        wrapped = any(_breaks_early(sec) for sec in s.sections)
        target = JumpTarget("switch", wrapped)
        start = len(func.lines)
        if wrapped:
            func.emit("while True:")
            func.indent += 1
        func.jumps.append(target)
        try:
            depth = 0  # ``else: if`` nesting (guards that need statements before their test)
            first = True
            seen: list[object] = []  # the constants of unguarded labels, for duplicates
            for position, section in enumerate(s.sections):
                labels = [label for label in section.labels if label.pattern is not None]
                if section is default and (not labels or position == len(s.sections) - 1):
                    continue  # only the final ``else`` (its other labels change nothing)
                depth += self.section_test(section, labels, value, seen, first=first)
                first = False
                self.section_body(section)
            if default is not None:
                if first:
                    func.emit("if True:")
                else:
                    func.emit("else:")
                self.section_body(default, default_only=True)
            func.indent -= depth
            if wrapped:
                func.emit("break")
        finally:
            func.jumps.pop()
        if wrapped:
            func.indent -= 1
            if target.flag is not None:  # a ``continue`` left the switch for the loop around it
                func.lines.insert(start, (func.indent, f"{target.flag} = False"))
                func.emit(f"if {target.flag}:")
                func.indent += 1
                self.emit_continue(s)
                func.indent -= 1

    def check_sections(self, s: n.Switch) -> None:
        """C#'s compile-time rules: no section's end is reachable, one ``default`` at most."""
        defaults = 0
        for position, section in enumerate(s.sections):
            defaults += sum(1 for label in section.labels if label.pattern is None)
            if defaults > 1:
                raise err(
                    "the switch statement contains multiple cases with the label value 'default'",
                    section,
                )
            body = n.Block(section.line, section.column, section.body, section.line, section.column)
            if completes(body):
                label = _label_text(section.labels[-1])
                if position == len(s.sections) - 1:
                    message = f"control cannot fall out of switch from final case label ('{label}')"
                else:
                    message = (
                        f"control cannot fall through from one case label ('{label}') to another"
                    )
                raise err(message, section.labels[-1])

    def section_test(
        self,
        section: n.SwitchSection,
        labels: list[n.CaseLabel],
        value: str,
        seen: list[object],
        *,
        first: bool,
    ) -> int:
        """Emit the ``if``/``elif`` of a section; returns 1 when it had to open an ``else:``
        (a guard hoisted a lambda's ``def`` before its test), else 0."""
        func = self.func
        mark = len(func.lines)
        self.push_scope()  # pattern variables: the section's (popped by section_body)
        tests = [self.label_test(label, value, seen) for label in labels]
        test = tests[0] if len(tests) == 1 else " or ".join(f"({t})" for t in tests)
        if first:
            func.emit(f"if {test}:")
            return 0
        if len(func.lines) == mark:
            func.emit(f"elif {test}:")
            return 0
        hoisted = func.lines[mark:]
        del func.lines[mark:]
        func.emit("else:")
        func.indent += 1
        func.lines.extend((indent + 1, text) for indent, text in hoisted)
        func.emit(f"if {test}:")
        return 1

    def section_body(self, section: n.SwitchSection, *, default_only: bool = False) -> None:
        """The statements of a section, indented under its test (a final ``break``, which only
        ends the section, is left out unless the switch is wrapped)."""
        func = self.func
        if default_only:
            self.push_scope()
        try:
            body = list(section.body)
            target = func.jumps[-1]
            if not target.wrapped:
                while body and isinstance(body[-1], n.Break):
                    body.pop()
            func.indent += 1
            mark = len(func.lines)
            if body:
                self.block(n.Block(section.line, section.column, tuple(body), 0, 0))
            if len(func.lines) == mark:
                func.emit("pass")
            func.indent -= 1
        finally:
            self.pop_scope()

    def label_test(self, label: n.CaseLabel, value: str, seen: list[object]) -> str:
        """The Python test of one ``case`` label against the subject's value."""
        pattern = label.pattern
        assert pattern is not None
        if isinstance(pattern, n.ConstantPattern):
            test = self.constant_test(pattern, value, seen if label.guard is None else None)
        elif pattern.type is None:  # ``var x``: matches anything, null too
            if pattern.name == "_":
                test = "True"
            else:
                local = self.declare(pattern.name, pattern)
                test = f"(({local.py} := {value}) is {local.py})"
        else:
            ref = self.k(self.pattern_type(pattern.type))
            if pattern.name == "_":
                test = f"_isi({ref}, {value})"
            else:
                local = self.declare(pattern.name, pattern, None, pattern.type)
                test = f"_isi({ref}, ({local.py} := {value}))"
        if label.guard is not None:
            test = f"{test} and {self.condition(label.guard).src}"
        return test

    def pattern_type(self, t: n.TypeSyntax) -> TypeRef:
        if t.nullable:  # ``case int? x`` is refused by the parser; ``Nullable<int>`` here
            raise err(f"it is not legal to use nullable type '{t}' in a pattern", t)
        return self.type_ref(t)

    def constant_test(
        self, pattern: n.ConstantPattern, value: str, seen: list[object] | None
    ) -> str:
        """``case c:`` tests ``value == c`` (as C# does for the switch's type: ordinal strings,
        numbers by value; a string never equals a non-string). ``seen``: the constants of the
        earlier unguarded labels (a repeated one is an error), None for a guarded label."""
        code = self.expr(pattern.value)
        constant: object
        if code.const is not None:
            constant = code.const.value
            test = f"{value} is None" if constant is None else f"_swm({value}, {code.src})"
        else:
            member = _enum_member(pattern.value)
            if member is None:
                raise err("a constant value is expected", pattern.value)
            constant = member
            test = f"_swm({value}, {self.k(member)})"
        if seen is not None:
            if any(_same_label(constant, other) for other in seen):
                raise err(
                    "the switch statement contains multiple cases with the label value "
                    f"'{fold_to_string(constant) if constant is not None else 'null'}'",
                    pattern,
                )
            seen.append(constant)
        return test


def _same_label(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return runtime.switch_matches(a, b)
    except ExpressionError:
        return False


def _breaks_early(section: n.SwitchSection) -> bool:
    """Does a ``break`` leave the switch from anywhere but the end of the section?"""
    body = list(section.body)
    while body and isinstance(body[-1], n.Break):
        body.pop()
    return any(has_jump(stmt, n.Break) for stmt in body)


def _enum_member(e: n.Expr) -> enum.Enum | None:
    """The value of ``Type.Member`` when it names a member of an enum type (a constant)."""
    names: list[str] = []
    node = e
    while isinstance(node, n.Member) and not node.conditional:
        names.append(node.name)
        node = node.target
    if not isinstance(node, n.Name) or not names:
        return None
    names.append(node.name)
    names.reverse()
    t = resolve(".".join(names[:-1]))
    if t is None or names[-1] not in t.statics:
        return None
    try:
        value = runtime.get_static(t, names[-1])
    except ExpressionError:
        return None
    return value if isinstance(value, enum.Enum) else None


def _label_text(label: n.CaseLabel) -> str:
    """The label as C# messages quote it (``case 1:``, ``case string s:``, ``default:``)."""
    pattern = label.pattern
    if pattern is None:
        return "default:"
    if isinstance(pattern, n.DeclarationPattern):
        return f"case {pattern.type or 'var'} {pattern.name}:"
    value = pattern.value
    if isinstance(value, n.Literal):
        if value.kind == "string":
            return f'case "{value.value}":'
        if value.kind == "char":
            return f"case '{value.value}':"
        if value.kind in ("null", "bool"):
            return f"case {str(value.value).lower() if value.value is not None else 'null'}:"
        return f"case {value.value}{value.suffix}:"
    names: list[str] = []
    node: n.Expr = value
    while isinstance(node, n.Member):
        names.append(node.name)
        node = node.target
    if isinstance(node, n.Name):
        return f"case {'.'.join([node.name, *reversed(names)])}:"
    return "case ...:"
