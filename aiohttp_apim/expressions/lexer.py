"""Lexer for the C# subset of APIM policy expressions.

``tokenize(source)`` turns the whole expression text (``@(...)`` or ``@{...}``) into a tuple of
``Token``\\ s ending with an ``eof`` token. Positions are 1-based and relative to the start of the
source, so the leading ``@`` is line 1, column 1.

Two C#-specific choices, both the ones Roslyn makes:

* ``>`` is always its own token (``>=`` is still one token). The parser glues two adjacent ``>``
  into a shift operator, which is what lets ``List<List<string>>`` close two type-argument lists.
* Interpolated strings are lexed in one go, holes included: each hole's expression is lexed
  recursively (its tokens keep their real positions), so ``$"{d["k"]}"`` and ``$"{f(x: 1)}"`` work.
  A hole's expression ends at a ``,`` (alignment), ``:`` (format) or ``}`` that is not nested in
  brackets -- as in C#, a ternary inside a hole needs parentheses.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = [
    "KEYWORDS",
    "ExpressionSyntaxError",
    "HoleTokens",
    "Token",
    "tokenize",
]


class ExpressionSyntaxError(Exception):
    """A policy expression that cannot be compiled; ``line``/``column`` are 1-based, relative to
    the expression source (line 1, column 1 is the leading ``@``)."""

    def __init__(
        self,
        message: str,
        line: int,
        column: int,
        others: tuple[ExpressionSyntaxError, ...] = (),
    ) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column
        self.others = others
        """Further problems of the same expression (the type checker reports every one)."""

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


# Reserved C# keywords. Contextual keywords (var, nameof, when, ...) are ordinary identifiers.
KEYWORDS: Final = frozenset(
    [
        "abstract",
        "as",
        "base",
        "bool",
        "break",
        "byte",
        "case",
        "catch",
        "char",
        "checked",
        "class",
        "const",
        "continue",
        "decimal",
        "default",
        "delegate",
        "do",
        "double",
        "else",
        "enum",
        "event",
        "explicit",
        "extern",
        "false",
        "finally",
        "fixed",
        "float",
        "for",
        "foreach",
        "goto",
        "if",
        "implicit",
        "in",
        "int",
        "interface",
        "internal",
        "is",
        "lock",
        "long",
        "namespace",
        "new",
        "null",
        "object",
        "operator",
        "out",
        "override",
        "params",
        "private",
        "protected",
        "public",
        "readonly",
        "ref",
        "return",
        "sbyte",
        "sealed",
        "short",
        "sizeof",
        "stackalloc",
        "static",
        "string",
        "struct",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "uint",
        "ulong",
        "unchecked",
        "unsafe",
        "ushort",
        "using",
        "virtual",
        "void",
        "volatile",
        "while",
    ]
)

# Longest first, so that the scanner can take the first match. ``>>`` and ``>>=`` are absent on
# purpose (see the module docstring); ``?.`` is special-cased (not before a digit).
_OPERATORS: Final = (
    "??=", "<<=",
    "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
    "^=", "<<", "=>", "??", "?[", "::", "->",
    "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "=", "<", ">", "?", ":", ";", ",", ".",
    "(", ")", "[", "]", "{", "}", "@",
)  # fmt: skip

_SIMPLE_ESCAPES: Final = {
    "'": "'", '"': '"', "\\": "\\", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_INT_SUFFIXES: Final = ("ul", "lu", "u", "l")
_MAX_ULONG: Final = 2**64 - 1
_ULONG_DIGITS: Final = len(str(_MAX_ULONG))
_MAX_HOLE_DEPTH: Final = 32  # interpolated strings nested in holes (the lexer recurses on them)


@dataclass(frozen=True, slots=True)
class HoleTokens:
    """The lexed pieces of one interpolation hole ``{expr,alignment:format}``."""

    tokens: tuple[Token, ...]  # the expression, ending with an ``eof`` token at the hole's end
    alignment: tuple[Token, ...] | None  # likewise, when there is a ``,alignment``
    format: str | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Token:
    """``kind`` is one of: ``name`` (identifier; ``value`` is the name without a verbatim ``@``),
    ``keyword``, ``op``, ``int``, ``real``, ``char``, ``string``, ``interp``, ``eof``.

    ``text`` is the raw source text; ``value`` the decoded value: the name/operator, an ``int``,
    a ``float`` or ``Decimal``, the decoded string, or for ``interp`` a tuple of ``str`` and
    ``HoleTokens`` parts. ``suffix`` is a numeric literal's lower-cased suffix."""

    kind: str
    text: str
    value: object
    line: int
    column: int
    offset: int
    end: int
    suffix: str = ""

    def describe(self) -> str:
        """How error messages name this token: ``';'``, ``identifier 'foo'``, ``end of input``."""
        if self.kind == "eof":
            return "end of input"
        text = self.text if len(self.text) <= 30 else self.text[:27] + "..."
        if self.kind == "name":
            return f"identifier '{text}'"
        if self.kind in ("op", "keyword"):
            return f"'{text}'"
        return f"literal {text}"


def _is_ident_start(ch: str) -> bool:
    if not ch:
        return False
    return ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nl"


def _is_ident_part(ch: str) -> bool:
    if not ch:
        return False
    return (
        ch == "_"
        or ch.isalnum()
        or unicodedata.category(ch) in ("Nl", "Mn", "Mc", "Pc", "Cf", "Nd")
    )


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.hole_depth = 0
        self._line_starts = [0]
        for i, ch in enumerate(source):
            if ch == "\n":
                self._line_starts.append(i + 1)

    # ------------------------------------------------------------------------------ helpers

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, message: str, offset: int) -> ExpressionSyntaxError:
        line, column = self.where(offset)
        return ExpressionSyntaxError(message, line, column)

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.src[i] if i < len(self.src) else ""

    def make(self, kind: str, start: int, value: object, suffix: str = "") -> Token:
        line, column = self.where(start)
        return Token(kind, self.src[start : self.pos], value, line, column, start, self.pos, suffix)

    def skip_trivia(self) -> None:
        src = self.src
        n = len(src)
        while self.pos < n:
            ch = src[self.pos]
            if ch in " \t\r\n\f\v\ufeff" or (ch > "\x7f" and unicodedata.category(ch) == "Zs"):
                self.pos += 1
            elif src.startswith("//", self.pos):
                end = src.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif src.startswith("/*", self.pos):
                end = src.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated comment", self.pos)
                self.pos = end + 2
            else:
                return

    # ------------------------------------------------------------------------------ tokens

    def tokens_until(self, stops: str, opener: int) -> list[Token]:
        """Lex tokens up to (not including) a character of ``stops`` at bracket depth 0.

        With ``stops == ""`` lex to the end of the source. ``opener`` is where an error about a
        missing stop points (the hole's ``{``)."""
        out: list[Token] = []
        depth: list[str] = []
        closers = {"(": ")", "[": "]", "{": "}", "?[": "]"}
        while True:
            self.skip_trivia()
            if self.pos >= len(self.src):
                if stops:
                    raise self.error("unterminated interpolation hole: expected '}'", opener)
                out.append(self.make("eof", self.pos, None))
                return out
            ch = self.src[self.pos]
            if stops and not depth and ch in stops:
                if ch == ":" and self.peek(1) == ":":
                    pass  # "::" is not a format separator (and not supported anyway)
                else:
                    out.append(self.make("eof", self.pos, None))
                    return out
            tok = self.next_token()
            out.append(tok)
            if tok.kind == "op":
                if tok.value in closers:
                    depth.append(closers[str(tok.value)])
                elif tok.value in (")", "]", "}"):
                    if depth and depth[-1] == tok.value:
                        depth.pop()
                    elif stops:
                        # An unbalanced closer inside a hole: let the parser report it.
                        depth.clear()

    def next_token(self) -> Token:
        src = self.src
        start = self.pos
        ch = src[start]
        nxt = self.peek(1)
        if _is_ident_start(ch):
            return self.identifier(start, verbatim=False)
        if ch.isdigit() and ch.isascii():
            return self.number(start)
        if ch == "." and nxt.isdigit() and nxt.isascii():
            return self.number(start)
        if ch == '"':
            return self.regular_string(start)
        if ch == "'":
            return self.char_literal(start)
        if ch == "@":
            if nxt == '"':
                return self.verbatim_string(start)
            if nxt == "$" and self.peek(2) == '"':
                self.pos += 2
                return self.interpolated(start, verbatim=True)
            if nxt and _is_ident_start(nxt):
                self.pos += 1
                return self.identifier(start, verbatim=True)
        if ch == "$":
            if nxt == '"':
                self.pos += 1
                return self.interpolated(start, verbatim=False)
            if nxt == "@" and self.peek(2) == '"':
                self.pos += 2
                return self.interpolated(start, verbatim=True)
            raise self.error("unexpected character '$'", start)
        if ch == "?" and nxt == "." and not self.peek(2).isdigit():
            self.pos += 2
            return self.make("op", start, "?.")
        for op in _OPERATORS:
            if src.startswith(op, start):
                self.pos += len(op)
                return self.make("op", start, op)
        if ch == "#":
            raise self.error("preprocessor directives are not supported", start)
        raise self.error(f"unexpected character {ch!r}", start)

    def identifier(self, start: int, *, verbatim: bool) -> Token:
        src = self.src
        name_start = self.pos
        self.pos += 1
        while self.pos < len(src) and _is_ident_part(src[self.pos]):
            self.pos += 1
        name = src[name_start : self.pos]
        if not verbatim and name in KEYWORDS:
            return self.make("keyword", start, name)
        return self.make("name", start, name)

    def _digits(self, allowed: frozenset[str] | str) -> str:
        """Digits with ``_`` separators (not leading, not trailing)."""
        src = self.src
        begin = self.pos
        while self.pos < len(src) and (src[self.pos] in allowed or src[self.pos] == "_"):
            self.pos += 1
        text = src[begin : self.pos]
        if text.endswith("_"):
            raise self.error("digit separator '_' cannot end a number", self.pos - 1)
        return text.replace("_", "")

    def number(self, start: int) -> Token:
        src = self.src
        low = src[start : start + 2].lower()
        if low in ("0x", "0b"):
            self.pos += 2
            if self.peek() == "_":  # 0x_1F is legal C#
                pass
            digits = self._digits(_HEX if low == "0x" else "01")
            if not digits:
                raise self.error("invalid numeric literal", start)
            if len(digits.lstrip("0")) > (16 if low == "0x" else 64):  # beyond ulong
                raise self.error("integral constant is too large", start)
            value = int(digits, 16 if low == "0x" else 2)
            return self.int_suffix(start, value)
        decimal_digits = "0123456789"
        int_part = self._digits(decimal_digits) if self.peek() != "." else ""
        is_real = False
        frac = ""
        exp = ""
        if self.peek() == "." and self.peek(1).isdigit() and self.peek(1).isascii():
            self.pos += 1
            frac = self._digits(decimal_digits)
            is_real = True
        if self.peek() in ("e", "E"):
            save = self.pos
            self.pos += 1
            sign = ""
            if self.peek() in ("+", "-"):
                sign = self.peek()
                self.pos += 1
            digits = self._digits(decimal_digits)
            if not digits:
                self.pos = save
                raise self.error("exponent expected in numeric literal", save)
            exp = "e" + sign + digits
            is_real = True
        suffix_char = self.peek().lower()
        if suffix_char in ("f", "d", "m"):
            self.pos += 1
            is_real = True
        else:
            suffix_char = ""
        if is_real:
            text = (int_part or "0") + ("." + frac if frac else "") + exp
            if _is_ident_part(self.peek()):
                raise self.error("invalid numeric literal", start)
            real: float | Decimal
            if suffix_char == "m":
                try:
                    real = Decimal(text)
                except InvalidOperation:  # pragma: no cover - the text is well-formed
                    raise self.error("invalid decimal literal", start) from None
            else:
                real = float(text)
                if real == float("inf"):
                    raise self.error(
                        "floating-point constant is outside the range of its type", start
                    )
            return self.make("real", start, real, suffix_char)
        if len(int_part.lstrip("0")) > _ULONG_DIGITS:
            # beyond ulong: say so before int() would (Python refuses 4301+ digits itself)
            raise self.error("integral constant is too large", start)
        return self.int_suffix(start, int(int_part))

    def int_suffix(self, start: int, value: int) -> Token:
        suffix = ""
        rest = self.src[self.pos : self.pos + 2].lower()
        for candidate in _INT_SUFFIXES:
            if rest.startswith(candidate):
                suffix = candidate
                self.pos += len(candidate)
                break
        if self.pos < len(self.src) and _is_ident_part(self.src[self.pos]):
            raise self.error("invalid numeric literal", start)
        if value > _MAX_ULONG:
            raise self.error("integral constant is too large", start)
        return self.make("int", start, value, "ul" if suffix == "lu" else suffix)

    def escape(self) -> str:
        """Decode the escape sequence at ``self.pos`` (which is on the backslash)."""
        src = self.src
        begin = self.pos
        kind = self.peek(1)
        if kind in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[kind]
        if kind in ("u", "U", "x"):
            self.pos += 2
            width = {"u": 4, "U": 8, "x": 4}[kind]
            digits = ""
            while len(digits) < width and self.peek() in _HEX and self.peek():
                digits += src[self.pos]
                self.pos += 1
            if not digits or (kind != "x" and len(digits) != width):
                raise self.error("unrecognized escape sequence", begin)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise self.error("unrecognized escape sequence", begin)
            return chr(code)
        raise self.error("unrecognized escape sequence", begin)

    def regular_string(self, start: int) -> Token:
        src = self.src
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(src) or src[self.pos] in "\r\n":
                raise self.error("newline in constant: unterminated string literal", start)
            ch = src[self.pos]
            if ch == '"':
                self.pos += 1
                return self.make("string", start, "".join(out))
            if ch == "\\":
                out.append(self.escape())
            else:
                out.append(ch)
                self.pos += 1

    def verbatim_string(self, start: int) -> Token:
        src = self.src
        self.pos += 2
        out: list[str] = []
        while True:
            end = src.find('"', self.pos)
            if end < 0:
                raise self.error("unterminated verbatim string literal", start)
            out.append(src[self.pos : end])
            if src.startswith('""', end):
                out.append('"')
                self.pos = end + 2
            else:
                self.pos = end + 1
                return self.make("string", start, "".join(out))

    def char_literal(self, start: int) -> Token:
        src = self.src
        self.pos += 1
        if self.pos >= len(src) or src[self.pos] in "\r\n":
            raise self.error("newline in constant: unterminated character literal", start)
        ch = src[self.pos]
        if ch == "'":
            raise self.error("empty character literal", start)
        if ch == "\\":
            value = self.escape()
        else:
            value = ch
            self.pos += 1
        if self.peek() != "'":
            raise self.error("too many characters in character literal", start)
        self.pos += 1
        if len(value) != 1 or ord(value) > 0xFFFF:
            raise self.error("too many characters in character literal", start)
        return self.make("char", start, value)

    def interpolated(self, start: int, *, verbatim: bool) -> Token:
        """``self.pos`` is on the opening quote."""
        src = self.src
        self.pos += 1
        parts: list[str | HoleTokens] = []
        text: list[str] = []
        while True:
            if self.pos >= len(src) or (not verbatim and src[self.pos] in "\r\n"):
                raise self.error("unterminated interpolated string literal", start)
            ch = src[self.pos]
            if ch == '"':
                if verbatim and self.peek(1) == '"':
                    text.append('"')
                    self.pos += 2
                    continue
                self.pos += 1
                break
            if ch == "{":
                if self.peek(1) == "{":
                    text.append("{")
                    self.pos += 2
                    continue
                if text:
                    parts.append("".join(text))
                    text = []
                parts.append(self.hole())
                continue
            if ch == "}":
                if self.peek(1) == "}":
                    text.append("}")
                    self.pos += 2
                    continue
                raise self.error("'}' in an interpolated string must be written '}}'", self.pos)
            if ch == "\\" and not verbatim:
                text.append(self.escape())
                continue
            text.append(ch)
            self.pos += 1
        if text:
            parts.append("".join(text))
        return self.make("interp", start, tuple(parts))

    def hole(self) -> HoleTokens:
        """``self.pos`` is on the hole's ``{``."""
        opener = self.pos
        line, column = self.where(opener)
        self.pos += 1
        self.hole_depth += 1
        if self.hole_depth > _MAX_HOLE_DEPTH:
            raise self.error("interpolated strings are nested too deeply", opener)
        tokens = self.tokens_until(",:}", opener)
        alignment: list[Token] | None = None
        fmt: str | None = None
        if self.src[self.pos] == ",":
            self.pos += 1
            alignment = self.tokens_until(":}", opener)
        if self.src[self.pos] == ":":
            self.pos += 1
            end = self.src.find("}", self.pos)
            if end < 0:
                raise self.error("unterminated interpolation hole: expected '}'", opener)
            fmt = self.src[self.pos : end]
            if '"' in fmt or "\n" in fmt:
                raise self.error("unterminated interpolation hole: expected '}'", opener)
            self.pos = end
        # self.pos is on the closing brace
        self.pos += 1
        self.hole_depth -= 1
        return HoleTokens(
            tuple(tokens), None if alignment is None else tuple(alignment), fmt, line, column
        )


def tokenize(source: str) -> tuple[Token, ...]:
    """Lex ``source`` completely; raise ``ExpressionSyntaxError`` at the first bad character."""
    return tuple(_Lexer(source).tokens_until("", 0))
