"""The raw-XML scanner: expressions lifted out of non-well-formed policy text, positions kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.policy.rawxml import (
    MAX_DOCUMENT_BYTES,
    AttrPosition,
    RawExpression,
    ScannedDocument,
    TagPosition,
    normalize,
    parse,
    scan,
)

FILE = "apis/shop/policy.xml"


def position(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``, in characters."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def problem_of(text: str) -> Problem:
    with pytest.raises(PolicyError) as info:
        parse(text, file=FILE)
    (problem,) = info.value.problems
    assert problem.kind == "xml"
    assert problem.file == FILE
    return problem


def outcome(text: str) -> tuple[etree._Element, ScannedDocument] | PolicyError:
    try:
        return parse(text, file=FILE)
    except PolicyError as error:
        return error


def element(root: etree._Element, tag: str) -> etree._Element:
    found = root.find(f".//{tag}") if root.tag != tag else root
    assert found is not None
    return found


# --- the traps, each embedded every way a policy can hold it -----------------------------------

TRAPS = [
    # raw quotes, <, > and && in an attribute (APIM accepts them unescaped)
    '@("user-" + context.Variables["id"] + (a < b && c > d))',
    # a "@(" inside a C# string is text, not a nested expression
    '@(Regex.Match(h, "@(max-age=(?<maxAge>\\\\d+))").Groups["maxAge"]?.Value)',
    # a regular string holding every closer and a backslash-escaped quote
    '@("a)b}c]d\\"e@{f" + "\\\\")',
    # verbatim strings: "" escapes, backslashes that escape nothing, "@(" and closers inside
    '@(@"C:\\dir\\" + @"say ""hi"" ) }" + @"@(" + x)',
    # a verbatim string across lines
    '@(@"first )\nsecond "" }\nthird")',
    # interpolation: {{ }} escapes, holes with strings holding braces, format and alignment
    '@($"{a} {{not a hole}} {b + "}"} {c:N2} {d,-5:D3} {(e ? "x" : "y")}")',
    # verbatim interpolation both ways round, "" escapes and a format with ':' in it
    '@($@"dir\\{x}\\""q"" {{ {y:HH:mm}" + @$"{z}""")',
    # interpolation nested in a hole, holding a string that holds ")"
    '@($"outer {$"inner {v + ")"}"} done")',
    # char literals: plain, escaped quote, unicode escape, a double quote, closers
    "@(c == 'x' || c == '\\'' || c == '\\u0041' || c == '\"' || c == ')' || c == '}')",
    # comments holding closers and quotes
    '@(a /* ) " } */ + b // ) " }\n)',
    # a statement block holding markup in a string, across lines
    '@{\n    var s = "<x/>";\n    return s;\n}',
    # braces of the block's own statements and of an array initialiser
    '@{ if (x) { return "}"; } return new[] { 1, 2 }[0].ToString(); }',
    # indexers with brackets inside strings, and '::' (not a format specifier) in a hole
    '@(x["a]"] + y[(1)] + $"{global::System.String.Empty}")',
    # generics and lambdas
    "@(list.Where(i => i.Length > 2).Select<string, int>(i => { return i.Length; }).Sum())",
]

EMBEDDINGS: dict[str, Callable[[str], str]] = {
    "raw attribute": lambda source: f'<e v="{source}" after="1"/>',
    "raw single-quoted attribute": lambda source: f"<e v='{source}' after='1'/>",
    "raw text": lambda source: f"<e>{source}</e>",
    "escaped attribute": lambda source: '<e v="{}" after="1"/>'.format(
        source.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    ),
    "escaped single-quoted attribute": lambda source: "<e v='{}' after='1'/>".format(
        source.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
    ),
    "escaped text": lambda source: "<e>{}</e>".format(
        source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    ),
    "cdata": lambda source: f"<e><![CDATA[{source}]]></e>",
}


@pytest.mark.parametrize("embedding", list(EMBEDDINGS))
@pytest.mark.parametrize("source", TRAPS)
def test_trap_round_trips(source: str, embedding: str) -> None:
    text = f'<policies>\n  {EMBEDDINGS[embedding](source)}\n  <next n="@(1)"/>\n</policies>\n'
    root, doc = parse(text, file=FILE)

    first, second = doc.expressions
    assert first.source == source
    assert (first.line, first.column) == position(text, "@")
    assert second.source == "@(1)"
    assert (second.line, second.column) == position(text, '@(1)"/>')

    e = element(root, "e")
    value = e.get("v") if "attribute" in embedding else e.text
    assert value is not None
    assert doc.restore(value) == source
    assert doc.expression_in(value) == first
    if "attribute" in embedding:
        assert e.get("after") == "1"  # the attribute value ended where it should
    # lines after a multi-line expression are still the file's lines
    assert element(root, "next").sourceline == position(text, "<next")[0]
    assert [tag.name for tag in doc.tags] == ["policies", "e", "next"]


def test_the_spec_example_keeps_only_one_expression() -> None:
    text = (
        '<set-variable name="maxAge" value="@{\n'
        '    var h = context.Response.Headers.GetValueOrDefault("Cache-Control", "");\n'
        '    var m = Regex.Match(h, "@(max-age=(?<maxAge>\\\\d+))");\n'
        '    return m.Success ? int.Parse(m.Groups["maxAge"].Value) : 300;\n'
        '}" />'
    )
    root, doc = parse(text, file=FILE)
    (expression,) = doc.expressions
    assert expression.source.startswith("@{")
    assert expression.source.endswith("300;\n}")
    assert '"@(max-age=(?<maxAge>\\\\d+))"' in expression.source
    assert doc.restore(root.get("value", "")) == expression.source
    assert root.get("name") == "maxAge"


def test_verbatim_string_at_sign_is_not_an_expression_start() -> None:
    _, doc = parse('<a v="@(@"(" + @"{")"/>', file=FILE)
    assert [e.source for e in doc.expressions] == ['@(@"(" + @"{")']


# --- entities -------------------------------------------------------------------------------


def test_entities_are_decoded_and_seen_decoded_by_the_csharp_scanner() -> None:
    text = (
        '<a k="@(&quot;a-&quot; + x + &quot;)&quot;)" '
        "q='@(&apos;)&apos; + &#34;}&#x22;)' >@(a &lt; b &amp;&amp; c &gt; d)</a>"
    )
    root, doc = parse(text, file=FILE)
    assert [e.source for e in doc.expressions] == [
        '@("a-" + x + ")")',
        "@(')' + \"}\")",
        "@(a < b && c > d)",
    ]
    assert doc.restore(root.get("k", "")) == '@("a-" + x + ")")'
    assert doc.restore(root.text or "") == "@(a < b && c > d)"


def test_an_encoded_at_sign_still_starts_an_expression() -> None:
    # APIM decides on the decoded value, so "&#64;(" is an expression as "@(" is
    root, doc = parse('<a v="&#64;(1 + 1)">&#x40;&#x7B; return 2; }</a>', file=FILE)
    assert [e.source for e in doc.expressions] == ["@(1 + 1)", "@{ return 2; }"]
    assert doc.expression_in(root.get("v", "")) == doc.expressions[0]


def test_unknown_entities_in_an_expression_are_left_as_written() -> None:
    # only XML's five and character references are entities; C# code keeps "&x;" as is
    _, doc = parse('<a v="@(a &b; c &nbsp; d)"/>', file=FILE)
    assert doc.expressions[0].source == "@(a &b; c &nbsp; d)"


def test_cdata_content_is_not_decoded() -> None:
    root, doc = parse('<a><![CDATA[@("&amp;" + "</a>" + "<![CDATA[")]]></a>', file=FILE)
    (expression,) = doc.expressions
    assert expression.source == '@("&amp;" + "</a>" + "<![CDATA[")'
    assert doc.expression_in(root.text or "") == expression


def test_position_of_maps_expression_positions_through_entities() -> None:
    text = '<a>\n  <b v="@(&quot;x&quot; +\n  y &amp;&amp; z)"/>\n</a>'
    _, doc = parse(text, file=FILE)
    (expression,) = doc.expressions
    assert expression.source == '@("x" +\n  y && z)'
    assert expression.position_of(1, 1) == position(text, "@")
    assert expression.position_of(1, 3) == position(text, "&quot;x")
    assert expression.position_of(1, 4) == position(text, "x&quot;")
    assert expression.position_of(1, 6) == position(text, " +")
    assert expression.position_of(2, 3) == position(text, "y &amp;")
    assert expression.position_of(2, 6) == position(text, "&amp;", 1)
    assert expression.position_of(2, 7) == position(text, " z)")
    assert expression.position_of(2, 9) == position(text, ')"')


# --- literal values and mixed values ------------------------------------------------------------


def test_at_signs_that_start_no_expression_are_literal_text() -> None:
    text = '<a v="me@example.com @ @x @@" w="@">user@(host</a>'
    with pytest.raises(PolicyError):  # "@(" in text does start an expression...
        parse(text, file=FILE)
    root, doc = parse('<a v="me@example.com @ @x @@" w="@">user @ host</a>', file=FILE)
    assert doc.expressions == ()
    assert root.get("v") == "me@example.com @ @x @@"
    assert doc.restore(root.get("v", "")) == "me@example.com @ @x @@"
    assert doc.expression_in(root.get("v", "")) is None


def test_several_expressions_in_one_value_restore_in_place() -> None:
    text = '<a v="id-@(x)-@{ return &quot;y&quot;; }-end">pre @("t") post</a>'
    root, doc = parse(text, file=FILE)
    assert [e.source for e in doc.expressions] == ["@(x)", '@{ return "y"; }', '@("t")']
    assert doc.restore(root.get("v", "")) == 'id-@(x)-@{ return "y"; }-end'
    assert doc.expression_in(root.get("v", "")) is None
    assert doc.restore(root.text or "") == 'pre @("t") post'
    assert doc.expression_in(root.text or "") is None


def test_whitespace_around_a_text_expression_is_kept_and_ignored_by_expression_in() -> None:
    text = "<set-body>\n    @{\n        return 1;\n    }\n  </set-body>"
    root, doc = parse(text, file=FILE)
    assert doc.restore(root.text or "") == "\n    @{\n        return 1;\n    }\n  "
    found = doc.expression_in(root.text or "")
    assert found is not None
    assert found.source == "@{\n        return 1;\n    }"
    assert (found.line, found.column) == (2, 5)


def test_multi_line_attribute_expression_after_normalisation() -> None:
    # lxml turns the placeholder's newlines into spaces; the user's own spaces stay
    text = '<a v="@(a +\n\n  b)  tail\tend" w="@(c\n)"/>'
    root, doc = parse(text, file=FILE)
    assert "\n" not in root.get("v", "\n")
    assert doc.restore(root.get("v", "")) == "@(a +\n\n  b)  tail end"  # \t normalised by XML
    assert doc.restore(root.get("w", "")) == "@(c\n)"
    assert doc.expression_in(root.get("w", "")) == doc.expressions[1]


def test_element_lines_after_multi_line_expressions() -> None:
    text = (
        "<policies>\n"
        '  <a v="@(x +\n     y)" />\n'
        "  <b>@{\n     return 1;\n  }</b><c/>\n"
        "  <d/>\n"
        "</policies>\n"
    )
    root, doc = parse(text, file=FILE)
    lines = {el.tag: el.sourceline for el in root.iter(etree.Element)}
    # libxml2 gives the line where a start tag ends ("a" spans lines 2-3): the lines lxml gives
    # for the same document written well-formed, which is what placeholders must preserve
    escaped = text.replace('"@(x +\n     y)"', '"@(x +&#10;\n     y)"')
    assert lines == {el.tag: el.sourceline for el in etree.fromstring(escaped).iter()}
    assert lines == {"policies": 1, "a": 3, "b": 4, "c": 6, "d": 7}
    assert [(t.name, t.line, t.column) for t in doc.tags] == [
        ("policies", 1, 1),
        ("a", 2, 3),
        ("b", 4, 3),
        ("c", 6, 8),
        ("d", 7, 3),
    ]


def test_comments_and_processing_instructions_are_left_alone() -> None:
    text = '<?xml version="1.0"?>\n<!-- @( not an expression -->\n<a><?pi @( ?><!--@{--></a>'
    _, doc = parse(text, file=FILE)
    assert doc.expressions == ()
    assert [t.name for t in doc.tags] == ["a"]


def test_restore_leaves_values_without_placeholders_alone() -> None:
    doc = scan('<a v="@(1)"/>', file=FILE)
    assert doc.restore("plain \n text") == "plain \n text"
    assert doc.restore("\ue000" + "7" + "\ue001 x") == "\ue000" + "7" + "\ue001 x"  # not ours
    assert doc.expression_in("\ue000" + "7" + "\ue001") is None
    assert doc.expression_in("") is None


# --- private-use characters already in the file ------------------------------------------------


def test_files_holding_the_default_sentinels_still_round_trip() -> None:
    text = '<a v="\ue000 0\ue001 @(1)" w="\ue0000\ue001">\ue001@("\ue000")\ue000</a>'
    root, doc = parse(text, file=FILE)
    assert [e.source for e in doc.expressions] == ["@(1)", '@("\ue000")']
    assert doc.restore(root.get("v", "")) == "\ue000 0\ue001 @(1)"
    assert doc.restore(root.get("w", "")) == "\ue0000\ue001"
    assert doc.expression_in(root.get("w", "")) is None
    assert doc.restore(root.text or "") == '\ue001@("\ue000")\ue000'
    assert "\ue002" in doc.xml  # other private-use characters were chosen


# --- positions --------------------------------------------------------------------------------


def test_tag_and_attribute_positions_are_exact() -> None:
    text = (
        "<policies>\n"
        "\t<inbound>\n"
        "\t\t<set-header name = \"héllo\"\texists-action='override'>\n"
        "\t\t\t<value>é</value>\n"
        "\t\t</set-header>\n"
        '\t\t<cache-lookup vary-by-developer="false"\n'
        '\t\t    vary-by-developer-groups="@(&quot;x&quot;)" caching-type="internal"/>\n'
        "\t</inbound>\n"
        "</policies>"
    )
    root, doc = parse(text, file=FILE)
    assert doc.tags == (
        TagPosition("policies", 1, 1, ()),
        TagPosition("inbound", 2, 2, ()),
        TagPosition(
            "set-header",
            3,
            3,
            (
                AttrPosition("name", 3, 15, 3, 23),
                AttrPosition("exists-action", 3, 30, 3, 45),
            ),
        ),
        TagPosition("value", 4, 4, ()),
        TagPosition(
            "cache-lookup",
            6,
            3,
            (
                AttrPosition("vary-by-developer", 6, 17, 6, 36),
                AttrPosition("vary-by-developer-groups", 7, 7, 7, 33),
                AttrPosition("caching-type", 7, 51, 7, 65),
            ),
        ),
    )
    assert [el.tag for el in root.iter(etree.Element)] == [t.name for t in doc.tags]
    (expression,) = doc.expressions
    assert (expression.line, expression.column) == (7, 33)


def test_columns_count_characters_not_bytes() -> None:
    text = '<a>\n€€€<b v="😀😀" w="@(1)"/></a>'
    _, doc = parse(text, file=FILE)
    b = doc.tags[1]
    assert (b.line, b.column) == (2, 4)
    assert b.attributes[0] == AttrPosition("v", 2, 7, 2, 10)
    assert b.attributes[1] == AttrPosition("w", 2, 14, 2, 17)
    assert (doc.expressions[0].line, doc.expressions[0].column) == (2, 17)


def test_byte_order_mark_and_line_ends_are_normalised() -> None:
    text = '\ufeff<a>\r\n  <b v="@(x\r\n)"/>\r  <c/>\n</a>'
    assert normalize(text) == '<a>\n  <b v="@(x\n)"/>\n  <c/>\n</a>'
    root, doc = parse(text, file=FILE)
    assert [(t.name, t.line, t.column) for t in doc.tags] == [("a", 1, 1), ("b", 2, 3), ("c", 4, 3)]
    assert doc.expressions[0] == RawExpression("@(x\n)", 2, 9)
    assert element(root, "c").sourceline == 4


@pytest.mark.parametrize("encoding", ["utf-16", "ISO-8859-1", "utf-8", None])
def test_declared_encoding_is_ignored_because_the_text_is_already_decoded(
    encoding: str | None,
) -> None:
    declaration = f' encoding="{encoding}"' if encoding else ""
    text = f'<?xml version="1.0"{declaration}?>\n<a v="é€">@("€")</a>'
    root, doc = parse(text, file=FILE)
    assert root.get("v") == "é€"
    assert doc.restore(root.text or "") == '@("€")'
    assert doc.xml.startswith("<?xml")  # scan() itself leaves the declaration as written


def test_line_text_and_original_position() -> None:
    text = '<a>\n  <b v="@(&quot;a long expression&quot;)" w=1/>\n</a>'
    problem = problem_of(text)
    # lxml complained in the placeholder text; the column is the file's
    assert (problem.line, problem.column) == position(text, "1/>")
    assert problem.text == '<b v="@(&quot;a long expression&quot;)" w=1/>'
    doc = scan(text.replace("w=1", "w='1'"), file=FILE)
    assert doc.line_text(2) == problem.text.replace("w=1", "w='1'")
    assert doc.line_text(99) == ""
    assert doc.original_position(2, 9) == position(text, "@")  # inside the placeholder


# --- problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        ('<a>\n  <b v="@(foo(bar" />\n</a>', "@", "string literal opened at 2:18"),
        ("<a>@(x + (y)</a>", "@", "'(' opened at 1:4"),
        ('<a>@{ return "x; }</a>', "@", "string literal opened at 1:14"),
        ('<a>@("line\nbreak")</a>', "@", "string literal opened at 1:6"),
        ('<a>@(@"never ends)</a>', "@", "verbatim string literal opened at 1:6"),
        ("<a>@(c == 'x)</a>", "@", "character literal opened at 1:11"),
        ("<a>@(a /* ) </a>", "@", "comment opened at 1:8"),
        ('<a>@($"{a} )</a>', "@", "an interpolated string opened at 1:6"),
        ('<a>@($"{a )</a>', "@", "')' at 1:11 where '}' was expected"),
        ('<a>@($"{a:N2 )</a>', "@", "an interpolation opened at 1:8"),
        ("<a>@(x]</a>", "@", "']' at 1:7 where ')' was expected"),
        ("<a>@{ return 1; )</a>", "@", "')' at 1:17 where '}' was expected"),
        ("<a><![CDATA[@(x ]]>)</a>", "@", "still open at the end of this CDATA section"),
        ('<a v="@(&#0;)"/>', "&#0;", "&#0; is not a legal XML character reference"),
        ('<a v="@(&#x110000;)"/>', "&#x", "not a legal XML character reference"),
    ],
)
def test_unterminated_expressions_point_at_their_start(text: str, at: str, message: str) -> None:
    problem = problem_of(text)
    assert (problem.line, problem.column) == position(text, at)
    assert message in problem.message
    assert problem.text == text.split("\n")[problem.line - 1].strip()
    with pytest.raises(PolicyError):
        scan(text, file=FILE)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ('<set-status code="@(context.Response.StatusCode" />', "')'"),
        ("<set-status code='@(M(x, y)' />", "')'"),
        ('<a v="@{ return M(x, $&quot;{y}&quot;; "/>', "')}'"),  # &quot; ends no attribute
    ],
)
def test_a_missing_bracket_in_an_attribute_is_named(text: str, missing: str) -> None:
    problem = problem_of(text)
    assert (problem.line, problem.column) == position(text, "@")
    quote = text[text.index("=") + 1]
    line, column = position(text, quote, 1)  # the quote that was meant to end the value
    assert problem.message.endswith(
        f"if the attribute value was meant to end at {line}:{column}, "
        f"the expression is missing {missing}"
    )


def test_doctype_is_rejected() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!-- a comment -->\n<!DOCTYPE lolz [\n'
        '  <!ENTITY lol "lol">\n  <!ENTITY lol2 "&lol;&lol;&lol;&lol;">\n]>\n'
        "<lolz>&lol2;</lolz>"
    )
    problem = problem_of(laughs)
    assert (problem.line, problem.column) == (3, 1)
    assert "DOCTYPE" in problem.message
    assert problem.text == "<!DOCTYPE lolz ["
    doc = scan(laughs, file=FILE)
    assert doc.doctype == (3, 1)
    assert [t.name for t in doc.tags] == ["lolz"]
    assert problem_of('<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>').column == 1


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        ("<a>\n  <b></a>", "</a>", "Opening and ending tag mismatch: b line 2 and a"),
        ('<a v="@(1)" w=x/>', "x/>", "AttValue"),
        ("<a>&nbsp;</a>", "&nbsp;", "Entity 'nbsp' not defined"),
        ("<a/><b/>", "<b/>", "Extra content at the end of the document"),
        ("<a>x < y</a>", "< y", ""),
        ("<a>\n<!-- never ends\n</a>", "<!--", "comment is not terminated"),
        ("", "", "Document is empty"),
        ("<a><![CDATA[x</a>", "<![CDATA[", ""),
        ('<a v="unterminated></a>', '"unterminated', ""),
    ],
)
def test_xml_syntax_errors_are_located_in_the_file(text: str, at: str, message: str) -> None:
    problem = problem_of(text)
    line, column = position(text, at) if at else (1, 1)
    assert problem.line == line
    assert column <= problem.column <= column + len(at)  # lxml points at or just after it
    assert message in problem.message
    assert problem.text == (text.split("\n")[line - 1].strip() if text else "")


def test_scanner_own_markup_problems() -> None:
    with pytest.raises(PolicyError) as info:
        scan("<a>\n  <b v=unquoted/></a>", file=FILE)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (2, 8)
    assert "must be quoted" in problem.message


def test_documents_over_256_kib_are_refused() -> None:
    filler = "x" * (MAX_DOCUMENT_BYTES - len("<a></a>"))
    parse(f"<a>{filler}</a>", file=FILE)  # exactly at the limit: fine
    problem = problem_of(f"<a>{filler}é</a>")
    assert (problem.line, problem.column) == (1, 1)
    assert "256 KiB" in problem.message


def test_large_document_with_many_expressions_scans() -> None:
    item = '<set-variable name="v{0}" value="@((string)context.Variables[&quot;{0}&quot;])" />\n'
    body = "".join(item.format(i) for i in range(2500))
    text = f"<policies><inbound>\n{body}</inbound></policies>"
    assert len(text.encode()) < MAX_DOCUMENT_BYTES
    _, doc = parse(text, file=FILE)
    assert len(doc.expressions) == 2500
    assert doc.expressions[-1].source == '@((string)context.Variables["2499"])'
    assert doc.expressions[-1].line == 2501


@pytest.mark.parametrize(
    "text",
    [
        "<a>@(" + "(" * 100_000 + "</a>",
        "<a>@(" + '$"{' * 50_000 + "</a>",
        "<a>" + "&" * 200_000 + "</a>",
        "<a>" + "@" * 200_000 + "</a>",
        "<a>" + "<b>" * 80_000,
        '<a v="' + "@(x)" * 60_000 + '"/>',
    ],
    ids=[
        "deep-parens",
        "deep-interpolation",
        "ampersands",
        "at-signs",
        "deep-elements",
        "many-expressions",
    ],
)
def test_pathological_inputs_fail_cleanly(text: str) -> None:
    result = outcome(text)
    if isinstance(result, PolicyError):
        assert all(problem.kind == "xml" for problem in result.problems)


# --- property tests -------------------------------------------------------------------------

MARKUP_PIECES = [
    "<a>",
    "</a>",
    "<a/>",
    '<b v="',
    '"',
    "'",
    "/>",
    ">",
    "<",
    "@(",
    "@{",
    ")",
    "}",
    "(",
    "{",
    "[",
    "]",
    '$"',
    '@"',
    '$@"',
    "\\",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "&quot;",
    "&amp;",
    "&#64;",
    "&#0;",
    "&",
    ";",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "?>",
    "<!DOCTYPE a>",
    "x",
    "é",
    "\ue000",
    "\ue001",
    "0",
    ":",
    "\r",
    "\ufeff",
    '<?xml version="1.0" encoding="latin1"?>',
]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(MARKUP_PIECES), max_size=60).map("".join),
        st.builds(
            lambda parts: "<a>" + "".join(parts) + "</a>",
            st.lists(st.sampled_from(MARKUP_PIECES), max_size=40),
        ),
    )
)
def test_any_text_parses_or_raises_policy_error(text: str) -> None:
    result = outcome(text)  # anything but PolicyError propagates and fails the test
    if isinstance(result, PolicyError):
        assert result.problems
        assert all(p.kind == "xml" and p.line >= 1 and p.column >= 1 for p in result.problems)
        return
    root, doc = result
    assert len(list(root.iter(etree.Element))) == len(doc.tags)
    for expression in doc.expressions:
        assert expression.source.startswith(("@(", "@{"))


# A small C# grammar whose strings hold everything that could end an expression early.

TRICKY = [
    ")",
    "(",
    "}",
    "{",
    "]",
    "[",
    '"@(',
    "@(",
    "@{",
    "<",
    ">",
    "&",
    "&&",
    "'",
    "\\",
    "/*",
    "*/",
    "//",
    "$",
    "x",
    " ",
    "é",
    ":",
    ";",
    "]]",
    ",",
    '"',
    "@",
]


def regular_string(pieces: list[str]) -> str:
    return '"' + "".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in pieces) + '"'


def verbatim_string(pieces: list[str]) -> str:
    return '@"' + "".join(p.replace('"', '""') for p in pieces) + '"'


def block_comment(pieces: list[str]) -> str:
    return "/*" + "".join(pieces).replace("*/", "*_/") + "*/"


pieces = st.lists(st.sampled_from(TRICKY), max_size=6)
verbatim_pieces = st.lists(st.sampled_from([*TRICKY, "\n"]), max_size=6)
CHARS = [
    "'x'",
    "'\\''",
    "'\\u0041'",
    "'\"'",
    "')'",
    "'}'",
    "'{'",
    "'\\\\'",
    "'@'",
    "'<'",
    "'&'",
    "'('",
]
FORMATS = ["", ":N2", ":D3", ":HH:mm", ",-5", ",3:0.00", ":#,##0"]

atoms = st.one_of(
    st.sampled_from(["x", "context.Variables", "@class", "Ω", "1", "2.5m", "null", "true"]),
    pieces.map(regular_string),
    verbatim_pieces.map(verbatim_string),
    st.sampled_from(CHARS),
)


def interpolated(holes: st.SearchStrategy[str], verbatim: bool) -> st.SearchStrategy[str]:
    literal = (verbatim_pieces if verbatim else pieces).map(
        lambda ps: "".join(
            p.replace("{", "{{")
            .replace("}", "}}")
            .replace('"', '""' if verbatim else '\\"')
            .replace("\\", "\\" if verbatim else "\\\\")
            .replace('\\\\"', '\\"')
            for p in ps
        )
    )
    hole = st.builds(lambda e, f: "{" + e + f + "}", holes, st.sampled_from(FORMATS))
    parts = st.lists(st.one_of(literal, hole), max_size=4).map("".join)
    prefix = st.sampled_from(['$@"', '@$"']) if verbatim else st.just('$"')
    return st.builds(lambda p, body: p + body + '"', prefix, parts)


def compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = st.sampled_from(["+", "<", ">", "&&", "||", "==", "<=", ">>", "??", "/"])
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", children, operators, children),
        children.map(lambda e: f"({e})"),
        st.builds(
            lambda f, args: f"{f}({', '.join(args)})",
            st.sampled_from(["M", "x.Get<string>", "Regex.Match"]),
            st.lists(children, max_size=3),
        ),
        st.builds(lambda a, b: f"{a}[{b}]", children, children),
        st.lists(children, min_size=1, max_size=3).map(lambda es: f"new[] {{ {', '.join(es)} }}"),
        st.builds(lambda c, a, b: f"({c} ? {a} : {b})", children, children, children),
        st.builds(lambda e, c: f"{e} {block_comment(c)}", children, pieces),
        st.builds(lambda e: f"(x => {{ return {e}; }})", children),
        interpolated(children, verbatim=False),
        interpolated(children, verbatim=True),
    )


csharp = st.recursive(atoms, compound, max_leaves=12)
line_comment = st.lists(st.sampled_from([p for p in TRICKY if p != "\n"]), max_size=5).map("".join)
expressions = st.one_of(
    csharp.map(lambda e: f"@({e})"),
    csharp.map(lambda e: f"@{{ return {e}; }}"),
    st.builds(
        lambda e, c: f"@{{\n    // {c}\n    var v = {e};\n    return v;\n}}", csharp, line_comment
    ),
    st.builds(lambda e: f"@(\n  {e}\n)", csharp),
)


def escape(source: str, quote: str) -> str:
    escaped = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;") if quote == '"' else escaped.replace("'", "&apos;")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            expressions,
            st.sampled_from(
                ["dq", "sq", "text", "dq-escaped", "sq-escaped", "text-escaped", "cdata"]
            ),
            st.sampled_from(["", " ", "id-", "\n  "]),
            st.sampled_from(["", " ", "-x", "\n"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_generated_expressions_round_trip(
    items: list[tuple[str, str, str, str]],
) -> None:
    text = "<policies>\n"
    expected: list[tuple[str, int, str, str]] = []  # (source, offset of "@", tag, restored value)
    ends: list[int] = []  # line where each start tag ends
    for index, (source, mode, before, after) in enumerate(items):
        tag = f"e{index}"
        if mode == "cdata":
            assume("]]>" not in source)
            head, written, tail = f"  <{tag}><![CDATA[{before}", source, f"{after}]]></{tag}>\n"
        elif mode.startswith("text"):
            written = escape(source, '"') if mode.endswith("escaped") else source
            head, tail = f"  <{tag}>{before}", f"{after}</{tag}>\n"
        else:
            quote = '"' if mode.startswith("dq") else "'"
            written = escape(source, quote) if mode.endswith("escaped") else source
            # a literal newline in an attribute value is a space to XML: keep to spaces
            before, after = before.strip("\n"), after.replace("\n", " ")
            head, tail = f"  <{tag} v={quote}{before}", f"{after}{quote} />\n"
        expected.append((source, len(text) + len(head), tag, before + source + after))
        # libxml2 gives an element the line where its start tag ends
        in_tag = head + written + tail if "q" in mode else head[: head.index(">") + 1]
        ends.append(text.count("\n") + in_tag.rstrip("\n").count("\n") + 1)
        text += head + written + tail
    text += "</policies>\n"

    root, doc = parse(text, file=FILE)
    assert [e.source for e in doc.expressions] == [source for source, *_ in expected]
    for expression, (source, at, tag, restored) in zip(doc.expressions, expected, strict=True):
        assert (expression.line, expression.column) == (
            text.count("\n", 0, at) + 1,
            at - text.rfind("\n", 0, at),
        )
        el = element(root, tag)
        value = el.get("v") if el.get("v") is not None else el.text
        assert value is not None
        assert doc.restore(value) == restored
        if restored.strip() == source:
            assert doc.expression_in(value) == expression
        assert el.sourceline == ends.pop(0)
    assert [t.name for t in doc.tags] == ["policies", *(f"e{i}" for i in range(len(items)))]
    for tag_position, (_, _, tag, _) in zip(doc.tags[1:], expected, strict=True):
        assert (tag_position.line, tag_position.column) == position(text, f"<{tag}")


def test_scanned_document_defaults_keep_the_contract_constructor() -> None:
    doc = ScannedDocument("<a/>", (), ())
    assert doc.restore("x") == "x"
    assert doc.expression_in("x") is None
    assert RawExpression("@(1)", 3, 4).position_of(1, 3) == (3, 6)
