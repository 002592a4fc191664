"""Turning attribute values and element text into model values.

A value arrives as lxml gives it: literal text with the scanner's placeholders where policy
expressions were. This module substitutes named values (``{{name}}``), decides whether
the value is one whole expression or a literal, compiles expressions, converts literals to their
declared type, and reports every problem at its position in the original file.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Mapping
from typing import Any

from aiohttp_apim import expressions
from aiohttp_apim.errors import PolicyError, Problem, ProblemKind
from aiohttp_apim.policy import rawxml
from aiohttp_apim.policy.model import Expr, Literal, Location
from aiohttp_apim.policy.schema import AttrType

__all__ = ["NAMED_VALUE", "Source", "convert_literal"]

NAMED_VALUE = re.compile(r"\{\{([A-Za-z0-9._-]+)\}\}")
"""A named-value reference; APIM names use letters, digits, '.', '-' and '_' only (so Liquid's
``{{ body.x }}`` with spaces is never taken for one)."""

_INT = re.compile(r"[+-]?[0-9]+")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def convert_literal(raw: str, type_: AttrType, unit: str | None = None) -> tuple[Any, str | None]:
    """``(value, None)`` or ``(None, message)``: literal text converted to the declared type.

    Integers are decimal Int32 and booleans true/false in any case, as .NET parses them (both
    tolerate surrounding whitespace); enumerations compare case-insensitively."""
    text = raw.strip()
    if type_ is bool:
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true", None
        return None, f"expected true or false, got {raw!r}"
    if type_ is int:
        what = f"an integer number of {unit}" if unit else "an integer"
        if not _INT.fullmatch(text):
            return None, f"expected {what}, got {raw!r}"
        # Long digit strings are out of range anyway (and int() refuses thousands of digits).
        number = int(text) if len(text.lstrip("+-0")) <= 10 else _INT32_MAX + 1
        if not _INT32_MIN <= number <= _INT32_MAX:
            return None, f"expected {what} between {_INT32_MIN} and {_INT32_MAX}, got {raw!r}"
        return number, None
    if isinstance(type_, type) and issubclass(type_, enum.Enum):
        for member in type_:
            if member.value.lower() == text.lower():
                return member, None
        allowed = ", ".join(str(member.value) for member in type_)
        return None, f"expected one of {allowed}, got {raw!r}"
    return raw, None


class Source:
    """One policy file being loaded: its text, the scanner's view of it, the named values, and
    the problems found so far (every part of the loader appends here; nothing stops early)."""

    def __init__(
        self,
        text: str,
        *,
        file: str,
        scanned: rawxml.ScannedDocument,
        named_values: Mapping[str, str],
        allow_missing_named_values: bool = False,
    ) -> None:
        self.text = rawxml.normalize(text)  # positions count lines as rawxml does
        self.file = file
        self.scanned = scanned
        self.named_values = named_values
        self._named_folded = {name.lower(): value for name, value in named_values.items()}
        self.allow_missing_named_values = allow_missing_named_values
        """Checking without the named values (``check --allow-missing-named-values``): a value
        that names an undefined one is no problem, and is read as unknown (:meth:`read`)."""
        self.unresolved = 0
        """How many undefined named values were allowed so far."""
        self.problems: list[Problem] = []
        self._lines = self.text.split("\n")
        self._line_starts = [0]
        for line in self._lines[:-1]:
            self._line_starts.append(self._line_starts[-1] + len(line) + 1)

    # --- positions and problems -------------------------------------------------------------

    def location(self, line: int, column: int) -> Location:
        return Location(self.file, line, column)

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self._lines):
            return self._lines[line - 1].strip()
        return ""

    def problem(self, kind: ProblemKind, line: int, column: int, message: str, text: str) -> None:
        self.problems.append(Problem(kind, self.file, line, column, message, text))

    def offset(self, line: int, column: int) -> int:
        line = min(max(line, 1), len(self._line_starts))
        return self._line_starts[line - 1] + max(column, 1) - 1

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def find(self, needle: str, line: int, column: int) -> tuple[int, int] | None:
        """Where ``needle`` first occurs in the file at or after (line, column)."""
        found = self.text.find(needle, self.offset(line, column)) if needle else -1
        return None if found < 0 else self.position(found)

    # --- named values -----------------------------------------------------------------------

    def substitute(self, text: str, line: int, column: int, *, lenient: bool = False) -> str:
        """Replace every ``{{name}}`` by its named value, once (named values don't nest).

        An undefined name is a problem at its occurrence, searched for in the file from
        (line, column); with ``lenient`` it is left as written (Liquid templates use the same
        braces for their own variables)."""
        if "{{" not in text:
            return text
        cursor = self.offset(line, column)

        def replace(match: re.Match[str]) -> str:
            nonlocal cursor
            name = match.group(1)
            needle = match.group(0)
            found = self.text.find(needle, cursor)
            if found >= 0:
                cursor = found + len(needle)
            value = self.named_values.get(name)
            if value is None:
                value = self._named_folded.get(name.lower())
            if value is not None:
                return value
            if self.allow_missing_named_values and not lenient:
                self.unresolved += 1
                return needle
            if not lenient:
                where = self.position(found) if found >= 0 else (line, column)
                self.problem(
                    "validation",
                    *where,
                    f"named value {name!r} is not defined",
                    self.line_text(where[0]),
                )
            return needle

        return NAMED_VALUE.sub(replace, text)

    # --- values -----------------------------------------------------------------------------

    def read(
        self,
        value: str,
        *,
        type_: AttrType,
        unit: str | None,
        expressions: bool,
        what: str,
        line: int,
        column: int,
        text: str,
        search: tuple[int, int],
        content: bool = False,
        lenient_names: bool = False,
    ) -> Literal[Any] | Expr | None:
        """The model value of one attribute value or element content, or None after reporting
        a problem. ``what`` names it in messages ("attribute 'key' of <cache-store-value>");
        (line, column) anchor problems and literals; ``search`` is where in the file the value's
        text starts (for named-value positions); ``content`` marks element text, where an
        expression may be surrounded by whitespace."""
        scanned = self.scanned
        whole = scanned.expression_in(value)
        if whole is not None and not content and scanned.restore(value) != whole.source:
            whole = None  # an attribute is an expression only without anything around it
        unresolved = self.unresolved
        if whole is not None:
            if not expressions:
                self._no_expressions(what, line, column, text)
                return None
            before = len(self.problems)
            source = self.substitute(whole.source, whole.line, whole.column)
            if len(self.problems) != before:
                return None  # compiling with an unresolved {{name}} would only add noise
            if self.unresolved != unresolved:
                return self._unknown(whole.source, line, column)
            return self.compile(
                source, whole.line, whole.column, raw=whole if source == whole.source else None
            )

        raw = scanned.restore(value)
        if "{{" in raw:
            before = len(self.problems)
            raw = self.substitute(raw, *search, lenient=lenient_names)
            if len(self.problems) != before:
                return None
            if self.unresolved != unresolved:
                return self._unknown(raw, line, column)
            named_source = self._single_expression(raw if not content else raw.strip())
            if named_source is not None:
                if not expressions:
                    self._no_expressions(what, line, column, text)
                    return None
                where = self.find("{{", *search) or (line, column)
                return self.compile(named_source, *where)

        converted, error = convert_literal(raw, type_, unit)
        if error is not None:
            self.problem("validation", line, column, f"invalid {what}: {error}", text)
            return None
        return Literal(converted, raw, self.location(line, column))

    def _unknown(self, raw: str, line: int, column: int) -> Literal[Any]:
        """A value that names an allowed undefined named value: its ``raw`` text as written,
        its value None. Such a model is for checking only (it cannot run)."""
        return Literal(None, raw, self.location(line, column))

    def compile(
        self, source: str, line: int, column: int, *, raw: rawxml.RawExpression | None = None
    ) -> Expr | None:
        """Compile one expression whose ``@`` is at (line, column). With ``raw`` the source is
        the file's own expression there, so the compiler's relative position maps into the file
        (through the scanner, which knows where XML entities were decoded); otherwise (named
        values were substituted) problems are reported at (line, column)."""
        try:
            compiled = expressions.compile_expression(source)
        except expressions.ExpressionSyntaxError as first:
            for error in (first, *first.others):
                message = getattr(error, "message", None) or str(error)
                at_line, at_column = line, column
                if raw is not None:
                    at_line, at_column = raw.position_of(max(error.line, 1), max(error.column, 1))
                    text = self.line_text(at_line)
                else:
                    lines = source.split("\n")
                    text = lines[min(max(error.line, 1), len(lines)) - 1].strip()
                self.problem("expression", at_line, at_column, message, text)
            return None
        except RecursionError:
            self.problem(
                "expression", line, column, "expression is nested too deeply", self.line_text(line)
            )
            return None
        return Expr(compiled, self.location(line, column))

    def _single_expression(self, text: str) -> str | None:
        """The expression source when ``text`` (after named-value substitution) is exactly one
        expression, else None."""
        if not text.startswith(("@(", "@{")):
            return None
        try:
            scanned = rawxml.scan(text, file=self.file)
        except PolicyError:
            return None
        whole = scanned.expression_in(scanned.xml)
        if whole is None or scanned.xml.strip() != scanned.xml:
            return None
        return whole.source

    def _no_expressions(self, what: str, line: int, column: int, text: str) -> None:
        self.problem(
            "validation", line, column, f"policy expressions aren't allowed in {what}", text
        )
