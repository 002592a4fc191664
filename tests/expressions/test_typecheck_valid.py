"""The type checker refuses no valid expression: every expression of the README, the demo's
policies, the reference (docs/expressions.md) and the tests' own policies and expressions that
compiled before the checker existed still compiles.

Expressions are collected from the text (``@(...)`` and ``@{...}`` balanced, strings and
characters skipped); those that do not compile even without the type checker (the tests of
syntax errors) are not expressions to keep. What the checker refuses on purpose is listed in
``REFUSED`` with the reason: each is C# that APIM's compiler refuses too, written in a test of
the runtime's own errors or of the checker.
"""

from __future__ import annotations

import ast
import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiohttp_apim.expressions import ExpressionSyntaxError
from aiohttp_apim.expressions.compiler import compile_program

ROOT = Path(__file__).resolve().parents[2]

REFUSING_TESTS = {
    "test_typecheck_bad.py",
    "test_typecheck_valid.py",
    "test_typecheck_load.py",
    "test_sandbox.py",
}
"""Tests full of expressions refused on purpose: the checker's own, and the sandbox's attempts to
reach Python (``"".__class__``, ``context.GetType().Assembly``), which no .NET type has."""


def _closing(text: str, start: int) -> int | None:
    """The index just past the expression whose ``@`` is at ``start`` (None: unbalanced)."""
    opener = text[start + 1]
    closer = ")" if opener == "(" else "}"
    depth = 0
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            verbatim = ch == '"' and text[i - 1] == "@"
            i += 1
            while i < len(text) and text[i] != ch:
                if text[i] == "\\" and not verbatim:
                    i += 1
                i += 1
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
            if depth == 0:
                return i + 1 if ch == closer else None
        i += 1
    return None


def expressions_in(text: str) -> Iterator[str]:
    i = text.find("@")
    while i != -1:
        if text[i + 1 : i + 2] in ("(", "{"):
            end = _closing(text, i)
            if end is not None:
                yield text[i:end]
        i = text.find("@", i + 1)


def _strings_of(path: Path) -> Iterator[str]:
    """The string constants of a Python file (each piece of an f-string is skipped: its holes
    are Python's)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
        ):
            yield node.value


def _sources() -> Iterator[tuple[str, str]]:
    """(where, text) of every place valid expressions are written."""
    for name in ("README.md", "docs/expressions.md", "docs/architecture.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        yield name, text
        yield name, html.unescape(text)  # XML examples write quotes as &quot;
    for folder in (ROOT / "demo_app" / "policies", ROOT / "tests"):
        for path in sorted(folder.rglob("*.xml")):
            yield str(path.relative_to(ROOT)), html.unescape(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name in REFUSING_TESTS:
            continue
        for text in _strings_of(path):
            yield str(path.relative_to(ROOT)), text
            if "&" in text:
                yield str(path.relative_to(ROOT)), html.unescape(text)


def collect() -> dict[str, str]:
    """Expression -> where it was first seen."""
    found: dict[str, str] = {}
    for where, text in _sources():
        for source in expressions_in(text):
            found.setdefault(source, where)
    return found


def _compiles_unchecked(source: str) -> bool:
    try:
        compile_program(source, check_types=False)
    except (ExpressionSyntaxError, RecursionError):
        return False
    except Exception:  # the compiler's own guard turns these into problems too
        return False
    return True


EXPRESSIONS = collect()


def test_enough_expressions_are_collected() -> None:
    places = {where.split("/")[0] for where in EXPRESSIONS.values()}
    assert {"README.md", "demo_app", "tests"} <= places
    assert len(EXPRESSIONS) > 1000


def test_no_valid_expression_is_refused() -> None:
    refused: list[str] = []
    for source, where in EXPRESSIONS.items():
        if not _compiles_unchecked(source):
            continue
        try:
            compile_program(source)
        except ExpressionSyntaxError as error:
            if source not in REFUSED:
                refused.append(f"{where}: {source!r}: {error}")
    assert refused == []


REFUSED: dict[str, str] = {
    "@(DateTime.SpecifyKind(new DateTime(2020, 1, 2)))": "no overload takes one argument",
    "@(context.Reqest)": "a misspelt member of context",
}
"""Expressions of the tests that C# refuses too (see the module docstring), with why."""


@pytest.mark.parametrize("source", sorted(REFUSED))
def test_what_is_refused_on_purpose_is_refused(source: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_program(source)
