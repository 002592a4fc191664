"""Lexer: every C# token form policy expressions use, with exact positions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiohttp_apim.expressions.lexer import ExpressionSyntaxError, HoleTokens, Token, tokenize


def kinds(source: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(source)[:-1]]


def one(source: str) -> Token:
    toks = tokenize(source)
    assert len(toks) == 2, toks
    return toks[0]


def error_at(source: str) -> tuple[str, int, int]:
    with pytest.raises(ExpressionSyntaxError) as info:
        tokenize(source)
    return info.value.message, info.value.line, info.value.column


# ------------------------------------------------------------------------------------ names


def test_identifiers_keywords_and_verbatim_identifiers() -> None:
    assert kinds("context var _x x1 \u00e9t\u00e9 if @if @class string") == [
        ("name", "context"),
        ("name", "var"),
        ("name", "_x"),
        ("name", "x1"),
        ("name", "\u00e9t\u00e9"),
        ("keyword", "if"),
        ("name", "if"),
        ("name", "class"),
        ("keyword", "string"),
    ]


def test_at_alone_is_an_operator() -> None:
    assert kinds("@( @{") == [("op", "@"), ("op", "("), ("op", "@"), ("op", "{")]


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("source", "value", "suffix"),
    [
        ("0", 0, ""),
        ("1800", 1800, ""),
        ("1_000_000", 1_000_000, ""),
        ("0x1F", 31, ""),
        ("0X1f", 31, ""),
        ("0xFF_FF", 65535, ""),
        ("0b1010", 10, ""),
        ("10L", 10, "l"),
        ("10l", 10, "l"),
        ("10u", 10, "u"),
        ("10UL", 10, "ul"),
        ("10Lu", 10, "ul"),
        ("0xFFFFFFFFFFFFFFFF", 2**64 - 1, ""),
    ],
)
def test_integer_literals(source: str, value: int, suffix: str) -> None:
    tok = one(source)
    assert (tok.kind, tok.value, tok.suffix) == ("int", value, suffix)


@pytest.mark.parametrize(
    ("source", "value", "suffix"),
    [
        ("1.5", 1.5, ""),
        (".5", 0.5, ""),
        ("1e3", 1000.0, ""),
        ("1.5E-3", 0.0015, ""),
        ("2f", 2.0, "f"),
        ("2.5F", 2.5, "f"),
        ("3d", 3.0, "d"),
        ("1_0.2_5", 10.25, ""),
    ],
)
def test_real_literals(source: str, value: float, suffix: str) -> None:
    tok = one(source)
    assert (tok.kind, tok.value, tok.suffix) == ("real", value, suffix)


def test_decimal_literal_keeps_its_digits() -> None:
    tok = one("4.50m")
    assert tok.kind == "real"
    assert tok.suffix == "m"
    assert tok.value == Decimal("4.50")
    assert str(tok.value) == "4.50"


def test_integer_followed_by_member_access_is_not_a_real() -> None:
    assert kinds("1.ToString()") == [
        ("int", 1),
        ("op", "."),
        ("name", "ToString"),
        ("op", "("),
        ("op", ")"),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("18446744073709551616", "integral constant is too large"),
        ("12abc", "invalid numeric literal"),
        ("1_", "digit separator '_' cannot end a number"),
        ("1e", "exponent expected in numeric literal"),
        ("0x", "invalid numeric literal"),
    ],
)
def test_bad_numbers(source: str, message: str) -> None:
    assert error_at(source)[0] == message


# ---------------------------------------------------------------------------- chars/strings


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("'a'", "a"),
        (r"'\n'", "\n"),
        (r"'\''", "'"),
        (r"'\\'", "\\"),
        (r"'\u0041'", "A"),
        (r"'\x41'", "A"),
        (r"'\0'", "\0"),
        ("'\"'", '"'),
    ],
)
def test_char_literals(source: str, value: str) -> None:
    tok = one(source)
    assert (tok.kind, tok.value) == ("char", value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("''", "empty character literal"),
        ("'ab'", "too many characters in character literal"),
        ("'a", "too many characters in character literal"),
    ],
)
def test_bad_chars(source: str, message: str) -> None:
    assert error_at(source) == (message, 1, 1)


def test_regular_string_escapes() -> None:
    tok = one(r'"a\"b\\c\n\t\r\0\a\b\f\v\'\u00e9\U0001F600\x41\x263A"')
    assert tok.value == "a\"b\\c\n\t\r\0\a\b\f\v'\u00e9\U0001f600A\u263a"
    assert tok.text.startswith('"a')


def test_hex_escape_takes_up_to_four_digits() -> None:
    assert one(r'"\x4142"').value == "\u4142"
    assert one(r'"\x4g"').value == "\x04g"


def test_bad_escape_points_at_the_backslash() -> None:
    assert error_at('@("ab\\qc")') == ("unrecognized escape sequence", 1, 6)
    assert error_at(r'"\u12"')[0] == "unrecognized escape sequence"


def test_unterminated_strings() -> None:
    assert error_at('@("abc')[1:] == (1, 3)
    assert error_at('@("ab\nc")')[0].startswith("newline in constant")
    assert error_at('@(@"abc')[0] == "unterminated verbatim string literal"


def test_verbatim_strings() -> None:
    tok = one('@"max-age=(?<maxAge>\\d+)"')
    assert tok.kind == "string"
    assert tok.value == "max-age=(?<maxAge>\\d+)"
    assert one('@"say ""hi""\nthere"').value == 'say "hi"\nthere'


def test_doc_bug_regex_is_just_a_string() -> None:
    # the "@(" inside the literal is not an expression
    tok = one(r'"@(max-age=(?<maxAge>\\d+))"')
    assert tok.value == r"@(max-age=(?<maxAge>\d+))"


# ------------------------------------------------------------------------------ interpolated


def hole(part: object) -> HoleTokens:
    assert isinstance(part, HoleTokens)
    return part


def test_interpolated_string_parts() -> None:
    tok = one('$"https://host/path?address={code}&key={key}"')
    assert tok.kind == "interp"
    assert isinstance(tok.value, tuple)
    text, code, mid, key = tok.value
    assert text == "https://host/path?address="
    assert mid == "&key="
    assert [(t.kind, t.value) for t in hole(code).tokens] == [("name", "code"), ("eof", None)]
    assert hole(key).tokens[0].value == "key"


def test_interpolation_escapes_alignment_and_format() -> None:
    tok = one('$"{{x}} {a,-5:F2} {b:yyyy-MM-dd} {c,3} \\n"')
    assert isinstance(tok.value, tuple)
    parts = tok.value
    assert parts[0] == "{x} "
    a = hole(parts[1])
    assert a.format == "F2"
    assert a.alignment is not None
    assert [t.value for t in a.alignment[:-1]] == ["-", 5]
    assert hole(parts[3]).format == "yyyy-MM-dd"
    assert hole(parts[3]).alignment is None
    assert hole(parts[5]).format is None
    assert parts[-1] == " \n"


def test_holes_lex_nested_strings_brackets_and_named_args() -> None:
    tok = one('$"{d["k"]}-{f(x: 1)}-{$"{inner}"}-{(a ? b : c)}"')
    assert isinstance(tok.value, tuple)
    first = hole(tok.value[0])
    assert [t.value for t in first.tokens[:-1]] == ["d", "[", "k", "]"]
    assert [t.value for t in hole(tok.value[2]).tokens[:-1]] == ["f", "(", "x", ":", 1, ")"]
    assert hole(tok.value[4]).tokens[0].kind == "interp"
    assert hole(tok.value[6]).format is None


def test_hole_tokens_keep_real_positions() -> None:
    toks = tokenize('@($@"a{x}b\n{ y }")')
    interp = toks[2]
    assert isinstance(interp.value, tuple)
    x = hole(interp.value[1])
    assert (x.line, x.column) == (1, 7)
    assert (x.tokens[0].line, x.tokens[0].column) == (1, 8)
    y = hole(interp.value[3])
    assert (y.tokens[0].line, y.tokens[0].column) == (2, 3)


def test_verbatim_interpolated_both_orders() -> None:
    for prefix in ("$@", "@$"):
        tok = one(prefix + '"a\\b ""q"" {x} {{}}"')
        assert isinstance(tok.value, tuple)
        assert tok.value[0] == 'a\\b "q" '
        assert tok.value[2] == " {}"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ('$"a } b"', "'}' in an interpolated string must be written '}}'", 5),
        ('$"a {x"', "unterminated interpolated string literal", 1),
        ('$"a {x', "unterminated interpolation hole: expected '}'", 5),
        ("$x", "unexpected character '$'", 1),
    ],
)
def test_bad_interpolations(source: str, message: str, column: int) -> None:
    got = error_at(source)
    assert got[0] == message or (source == '$"a {x"' and got[0].startswith("newline"))
    if source != '$"a {x"':
        assert got[2] == column


# ---------------------------------------------------------------------- operators/comments


def test_operators_longest_match() -> None:
    source = "a?.b ?[ ?? ??= => :: == != <= >= && || ++ -- += <<= << -> ~"
    values = [t.value for t in tokenize(source)[:-1]]
    assert values == [
        "a",
        "?.",
        "b",
        "?[",
        "??",
        "??=",
        "=>",
        "::",
        "==",
        "!=",
        "<=",
        ">=",
        "&&",
        "||",
        "++",
        "--",
        "+=",
        "<<=",
        "<<",
        "->",
        "~",
    ]


def test_greater_than_is_never_glued() -> None:
    toks = tokenize("a >> b >>= c")
    assert [t.value for t in toks[:-1]] == ["a", ">", ">", "b", ">", ">=", "c"]
    assert toks[2].offset == toks[1].end  # adjacency is what the parser checks


def test_question_dot_before_digit_is_a_conditional() -> None:
    assert [t.value for t in tokenize("a?.5:1")[:-1]] == ["a", "?", 0.5, ":", 1]


def test_comments_are_skipped() -> None:
    assert kinds("a // comment\n/* multi\nline */ b") == [("name", "a"), ("name", "b")]
    assert error_at("a /* never closed") == ("unterminated comment", 1, 3)


def test_positions_are_one_based_from_the_at_sign() -> None:
    toks = tokenize('@{\n  var x = "s";\n\treturn x;\n}')
    where = {(t.value, t.line, t.column) for t in toks}
    assert ("@", 1, 1) in where
    assert ("var", 2, 3) in where
    assert ("s", 2, 11) in where
    assert ("return", 3, 2) in where
    assert ("}", 4, 1) in where
    assert toks[-1].kind == "eof"


def test_unexpected_character() -> None:
    assert error_at("@(a # b)") == ("preprocessor directives are not supported", 1, 5)
    assert error_at("@(a \u00a7 b)") == ("unexpected character '\u00a7'", 1, 5)


def test_describe() -> None:
    toks = tokenize('foo ; "a long string literal that keeps going and going" 1')
    assert toks[0].describe() == "identifier 'foo'"
    assert toks[1].describe() == "';'"
    assert toks[2].describe().startswith('literal "a long')
    assert toks[2].describe().endswith("...")
    assert toks[-1].describe() == "end of input"
