"""Validation: every rule of the schema table, with exact positions, all problems collected."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.policy.loader import load_document, load_fragment
from aiohttp_apim.policy.model import (
    Base,
    CacheLookup,
    Choose,
    ForwardRequest,
    Literal,
    Location,
    SectionName,
    SetVariable,
    When,
)
from aiohttp_apim.policy.schema import STATEMENTS, SUPPORTED_POLICIES
from aiohttp_apim.policy.validate import placement_problems

FIXTURES = Path(__file__).parent / "fixtures"


def load(text: str, **named: str) -> list[Problem]:
    document, problems = load_document(text, file="policy.xml", named_values=named)
    assert (document is None) == bool(problems)
    return problems


def in_section(section: str, body: str) -> str:
    """A document whose ``body`` starts on line 3, column 1."""
    return f"<policies>\n<{section}>\n{body}\n</{section}>\n</policies>\n"


def brief(problems: list[Problem]) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.kind) for p in problems]


# --- the deliberately broken file -------------------------------------------------------------

BROKEN_EXPECTED = [
    (4, 9, "validation", "a section may contain only one <base/> (the first is at line 3)"),
    (
        5,
        23,
        "validation",
        "attribute 'vary-by-developer' of <cache-lookup>: expected true or false, got 'maybe'",
    ),
    (
        5,
        49,
        "validation",
        "attribute 'caching-type' of <cache-lookup>: expected one of internal, "
        "external, prefer-external, got 'fast'",
    ),
    (7, 13, "validation", "unexpected element <vary-by-cookie> in <cache-lookup>"),
    (
        9,
        9,
        "validation",
        "<cache-lookup> may appear only once in a policy section (the first is at line 5)",
    ),
    (
        10,
        23,
        "validation",
        "policy expressions aren't allowed in attribute 'name' of <set-variable>",
    ),
    (10, 54, "validation", "unknown attribute 'colour' on <set-variable>"),
    (11, 9, "validation", "<set-variable> is missing the required attribute 'name'"),
    (12, 9, "unsupported-policy", "policy <rate-limit> is not supported"),
    (14, 58, "expression", ""),
    (
        15,
        17,
        "validation",
        "<base/> is only allowed at the top level of a section, not inside <choose>",
    ),
    (
        16,
        63,
        "validation",
        "policy expressions aren't allowed in attribute 'caching-type' of <cache-lookup-value>",
    ),
    (19, 40, "validation", "named value 'missing-fragment-name' is not defined"),
    (20, 9, "validation", "unexpected text 'stray words' in <inbound>"),
    (23, 26, "validation", "expected an integer number of seconds, got 'soon'"),
    (
        24,
        9,
        "validation",
        "the backend section may contain only one policy; <set-variable> "
        "follows <forward-request> (line 23)",
    ),
    (27, 22, "validation", "expected an integer number of seconds, got 'seconds'"),
    (28, 9, "validation", "<cache-store> may appear only once in a policy section"),
    (28, 36, "validation", "expected true or false, got 'yes'"),
    (
        29,
        9,
        "validation",
        "<cache-lookup> is not allowed in the outbound section (allowed in: inbound)",
    ),
    (32, 22, "expression", ""),
    (36, 9, "validation", "<set-body> is not allowed in the on-error section"),
    (37, 9, "validation", '<send-request mode="new"> needs a <set-url>'),
    (
        38,
        13,
        "unsupported-policy",
        "<authentication-certificate> in <send-request> is not supported",
    ),
    (41, 5, "validation", "duplicate section <outbound> (the first is at line 26)"),
    (42, 5, "validation", "unknown section <diagnostics>"),
]


def test_broken_file_reports_every_problem_at_its_position() -> None:
    text = (FIXTURES / "broken.xml").read_text()
    problems = load(text)
    assert brief(problems) == [(line, column, kind) for line, column, kind, _ in BROKEN_EXPECTED]
    for problem, (_, _, _, message) in zip(problems, BROKEN_EXPECTED, strict=True):
        assert message in problem.message
        assert problem.file == "policy.xml"
        assert problem.text, problem


def test_broken_file_problem_texts_show_the_offending_source() -> None:
    problems = load((FIXTURES / "broken.xml").read_text())
    texts = {(p.line, p.column): p.text for p in problems}
    assert texts[(5, 49)] == 'caching-type="fast"'
    assert texts[(27, 22)] == 'duration="seconds"'
    assert texts[(11, 9)] == '<set-variable value="no name" />'
    assert texts[(14, 58)] == '<when condition="@(context.Request.Method == $$ "GET")">'
    assert texts[(32, 22)] == "return x $$ 2;"
    assert texts[(20, 9)] == "stray words"


def test_broken_file_problems_make_a_policy_error_naming_file_line_and_column() -> None:
    error = PolicyError(load((FIXTURES / "broken.xml").read_text()))
    assert len(error.problems) == len(BROKEN_EXPECTED)
    assert "policy.xml:27:22: validation: invalid attribute 'duration'" in str(error)


# --- attributes ---------------------------------------------------------------------------------

# A minimal valid statement of every supported policy, and a section where it may stand.
MINIMAL = {
    "base": ("inbound", "<base />"),
    "forward-request": ("backend", "<forward-request />"),
    "set-variable": ("inbound", '<set-variable name="a" value="b" />'),
    "choose": ("inbound", '<choose><when condition="true" /></choose>'),
    "return-response": ("inbound", "<return-response />"),
    "set-header": ("inbound", '<set-header name="X-A" />'),
    "set-status": ("outbound", '<set-status code="200" reason="OK" />'),
    "set-body": ("outbound", "<set-body>text</set-body>"),
    "include-fragment": ("inbound", '<include-fragment fragment-id="f" />'),
    "cache-lookup": ("inbound", "<cache-lookup />"),
    "cache-store": ("outbound", '<cache-store duration="10" />'),
    "cache-lookup-value": ("inbound", '<cache-lookup-value key="k" variable-name="v" />'),
    "cache-store-value": ("inbound", '<cache-store-value key="k" value="v" duration="1" />'),
    "cache-remove-value": ("inbound", '<cache-remove-value key="k" />'),
    "rate-limit-by-key": (
        "inbound",
        '<rate-limit-by-key calls="1" renewal-period="1" counter-key="k" />',
    ),
    "send-request": (
        "inbound",
        '<send-request response-variable-name="r">'
        "<set-url>https://example.com/</set-url></send-request>",
    ),
    "trace": ("outbound", '<trace source="s"><message>m</message></trace>'),
}


def test_minimal_table_covers_every_supported_policy() -> None:
    assert set(MINIMAL) == set(SUPPORTED_POLICIES)


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_minimal_statement_loads(name: str) -> None:
    section, body = MINIMAL[name]
    assert load(in_section(section, body)) == []


def _with_attribute(name: str, attribute: str, value: str) -> str:
    section, body = MINIMAL[name]
    head = f"<{name}"
    assert body.startswith(head)
    return in_section(section, f'{head} {attribute}="{value}"{body[len(head) :]}')


NO_EXPRESSIONS = [
    ("cache-lookup", "caching-type"),
    ("cache-lookup-value", "caching-type"),
    ("cache-store-value", "caching-type"),
    ("cache-remove-value", "caching-type"),
    ("cache-lookup-value", "variable-name"),
    ("set-variable", "name"),
    ("return-response", "response-variable-name"),
    ("send-request", "response-variable-name"),
    ("send-request", "ignore-error"),
    ("include-fragment", "fragment-id"),
    ("rate-limit-by-key", "retry-after-header-name"),
    ("rate-limit-by-key", "retry-after-variable-name"),
    ("rate-limit-by-key", "remaining-calls-header-name"),
    ("rate-limit-by-key", "remaining-calls-variable-name"),
    ("rate-limit-by-key", "total-calls-header-name"),
    ("set-body", "xsi-nil"),
    ("set-body", "template"),
    ("set-body", "parse-date"),
    ("forward-request", "buffer-response"),
    ("forward-request", "http-version"),
    ("base", "id"),
]


@pytest.mark.parametrize(("name", "attribute"), NO_EXPRESSIONS)
def test_expression_where_apim_forbids_one(name: str, attribute: str) -> None:
    text = _with_attribute(name, attribute, '@("x")')
    if f' {attribute}="' in MINIMAL[name][1]:  # replace, not duplicate, the minimal value
        text = text.replace(f'{attribute}="@("x")"', "", 1).replace(
            f'{attribute}="{_value_of(MINIMAL[name][1], attribute)}"', f'{attribute}="@("x")"'
        )
    problems = load(text)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.line, problem.kind) == (3, "validation")
    assert problem.column == text.split("\n")[2].index(f'{attribute}="') + 1
    assert problem.message == (
        f"policy expressions aren't allowed in attribute {attribute!r} of <{name}>"
    )
    assert problem.text == f'{attribute}="@("x")"'


def _value_of(body: str, attribute: str) -> str:
    start = body.index(f' {attribute}="') + len(attribute) + 3
    return body[start : body.index('"', start)]


EXPRESSIONS_ALLOWED = [
    ("cache-lookup", "vary-by-developer"),
    ("cache-lookup", "downstream-caching-type"),
    ("cache-lookup", "must-revalidate"),
    ("cache-lookup", "allow-private-response-caching"),
    ("cache-store", "cache-response"),
    ("cache-lookup-value", "default-value"),
    ("cache-remove-value", "fail-on-cache-removal-error"),
    ("forward-request", "timeout"),
    ("forward-request", "follow-redirects"),
    ("forward-request", "fail-on-error-status-code"),
    ("rate-limit-by-key", "increment-condition"),
    ("rate-limit-by-key", "increment-count"),
    ("send-request", "mode"),
    ("send-request", "timeout"),
    ("set-header", "exists-action"),
]


@pytest.mark.parametrize(("name", "attribute"), EXPRESSIONS_ALLOWED)
def test_expression_where_apim_allows_one(name: str, attribute: str) -> None:
    assert load(_with_attribute(name, attribute, "@(context.Variables.Count)")) == []


REQUIRED = [
    ("set-variable", "name"),
    ("set-variable", "value"),
    ("when", "condition"),
    ("set-header", "name"),
    ("set-status", "code"),
    ("include-fragment", "fragment-id"),
    ("cache-store", "duration"),
    ("cache-lookup-value", "key"),
    ("cache-lookup-value", "variable-name"),
    ("cache-store-value", "key"),
    ("cache-store-value", "value"),
    ("cache-store-value", "duration"),
    ("cache-remove-value", "key"),
    ("rate-limit-by-key", "calls"),
    ("rate-limit-by-key", "renewal-period"),
    ("rate-limit-by-key", "counter-key"),
    ("send-request", "response-variable-name"),
]


@pytest.mark.parametrize(("name", "attribute"), REQUIRED)
def test_missing_required_attribute(name: str, attribute: str) -> None:
    section, body = MINIMAL["choose" if name == "when" else name]
    value = _value_of(body, attribute)
    text = in_section(section, body.replace(f' {attribute}="{value}"', "", 1))
    problems = load(text)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.kind == "validation"
    assert problem.line == 3
    assert problem.column == text.split("\n")[2].index(f"<{name}") + 1
    assert problem.message == f"<{name}> is missing the required attribute {attribute!r}"


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_unknown_attribute(name: str) -> None:
    text = _with_attribute(name, "colour", "blue")
    problems = load(text)
    assert brief(problems) == [(3, len(name) + 3, "validation")]
    assert problems[0].message.startswith(f"unknown attribute 'colour' on <{name}> (allowed: ")
    assert problems[0].text == 'colour="blue"'


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_every_statement_takes_a_literal_id(name: str) -> None:
    assert load(_with_attribute(name, "id", "policy-1")) == []


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("duration", "seconds", "expected an integer number of seconds, got 'seconds'"),
        ("duration", "1.5", "expected an integer number of seconds, got '1.5'"),
        (
            "duration",
            "2147483648",
            "expected an integer number of seconds between -2147483648 "
            "and 2147483647, got '2147483648'",
        ),
        (
            "duration",
            "9" * 5000,
            "expected an integer number of seconds between -2147483648 "
            f"and 2147483647, got '{'9' * 5000}'",
        ),
        ("caching-type", "fast", "expected one of internal, external, prefer-external, got 'fast'"),
    ],
)
def test_literal_conversion_problems(attribute: str, value: str, message: str) -> None:
    text = in_section(
        "inbound",
        f'<cache-store-value key="k" value="v" duration="1" {attribute}="{value}" />'
        if attribute != "duration"
        else f'<cache-store-value key="k" value="v" {attribute}="{value}" />',
    )
    problems = load(text)
    assert len(problems) == 1
    assert (
        problems[0].message == f"invalid attribute {attribute!r} of <cache-store-value>: " + message
    )


def test_timeout_and_timeout_ms_together() -> None:
    problems = load(in_section("backend", '<forward-request timeout="5" timeout-ms="5000" />'))
    assert brief(problems) == [(3, 1, "validation")]
    assert "either 'timeout' or 'timeout-ms'" in problems[0].message


# --- placement -----------------------------------------------------------------------------------

PLACEMENT = {name: sorted(str(s) for s in spec.sections) for name, spec in STATEMENTS.items()}


@pytest.mark.parametrize("section", [str(s) for s in SectionName])
@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_section_placement(name: str, section: str) -> None:
    body = MINIMAL[name][1]
    problems = load(in_section(section, body))
    if section in PLACEMENT[name]:
        assert problems == []
    else:
        assert brief(problems) == [(3, 1, "validation")]
        assert problems[0].message.startswith(
            f"<{name}> is not allowed in the {section} section (allowed in: "
        )


def test_documented_placements() -> None:
    assert PLACEMENT["cache-lookup"] == ["inbound"]
    assert PLACEMENT["cache-store"] == ["outbound"]
    assert PLACEMENT["forward-request"] == ["backend"]
    assert PLACEMENT["rate-limit-by-key"] == ["inbound"]
    assert PLACEMENT["set-body"] == ["backend", "inbound", "outbound"]
    every = sorted(str(s) for s in SectionName)
    for name in (
        "cache-lookup-value",
        "cache-store-value",
        "cache-remove-value",
        "set-status",
        "return-response",
        "send-request",
        "choose",
        "set-variable",
        "set-header",
        "include-fragment",
        "base",
    ):
        assert PLACEMENT[name] == every, name


def test_placement_applies_inside_choose() -> None:
    text = in_section(
        "outbound", '<choose>\n<when condition="true">\n<cache-lookup />\n</when>\n</choose>'
    )
    problems = load(text)
    assert brief(problems) == [(5, 1, "validation")]


def test_parts_of_return_response_are_not_placed_in_the_section() -> None:
    text = in_section(
        "on-error",
        '<return-response>\n<set-status code="500" reason="x" />\n'
        "<set-body>oops</set-body>\n</return-response>",
    )
    assert load(text) == []


@pytest.mark.parametrize("name", ["cache-lookup", "cache-store"])
def test_once_per_section_counts_nested_statements(name: str) -> None:
    section, body = MINIMAL[name]
    text = in_section(
        section, f'{body}\n<choose>\n<when condition="true">\n{body}\n</when>\n</choose>'
    )
    problems = load(text)
    assert brief(problems) == [(6, 1, "validation")]
    assert problems[0].message == (
        f"<{name}> may appear only once in a policy section (the first is at line 3)"
    )


def test_value_lookups_and_removals_may_repeat() -> None:
    body = '<cache-lookup-value key="k" variable-name="v" />\n<cache-remove-value key="k" />\n'
    assert load(in_section("inbound", body * 2)) == []


def test_cache_store_value_once_among_a_sections_direct_statements() -> None:
    # cache-store-value: once per section. Microsoft's own samples (oauth-proxy) store several values
    # inside one <when>, which APIM accepts: only the section's direct statements count.
    store = '<cache-store-value key="k" value="v" duration="1" />'
    nested = f'<choose>\n<when condition="true">\n{store}\n{store}\n</when>\n</choose>'
    assert load(in_section("inbound", f"{store}\n{nested}")) == []
    problems = load(in_section("inbound", f"{store}\n{store}"))
    assert brief(problems) == [(4, 1, "validation")]
    assert "only once" in problems[0].message


def test_set_status_reason_is_optional() -> None:
    # Documented as required, omitted by Microsoft's own samples and accepted by the gateway.
    assert load(in_section("outbound", '<set-status code="302" />')) == []


def test_two_bases_in_one_section() -> None:
    problems = load(
        in_section("outbound", '<base />\n<set-status code="200" reason="OK" />\n  <base/>')
    )
    assert brief(problems) == [(5, 3, "validation")]


def test_base_once_in_each_section_is_fine() -> None:
    text = (
        "<policies><inbound><base /></inbound><backend><base /></backend>"
        "<outbound><base /></outbound><on-error><base /></on-error></policies>"
    )
    assert load(text) == []


def test_backend_holds_a_single_policy() -> None:
    text = in_section("backend", "<base />\n<forward-request />")
    problems = load(text)
    assert brief(problems) == [(4, 1, "validation")]
    assert problems[0].message == (
        "the backend section may contain only one policy; <forward-request> follows <base> (line 3)"
    )


def test_backend_single_policy_may_branch() -> None:
    text = in_section(
        "backend",
        '<choose>\n<when condition="@(true)"><forward-request '
        'timeout="5" /></when>\n<otherwise><forward-request />'
        "</otherwise>\n</choose>",
    )
    assert load(text) == []


def test_forward_request_outside_backend() -> None:
    problems = load(in_section("inbound", "<forward-request />"))
    assert [p.message for p in problems] == [
        "<forward-request> is not allowed in the inbound section (allowed in: backend)"
    ]


# --- fragments -----------------------------------------------------------------------------------


def load_frag(text: str, **named: str) -> list[Problem]:
    fragment, problems = load_fragment(text, file="fragments/f.xml", named_values=named)
    assert (fragment is None) == bool(problems)
    return problems


def test_cache_lookup_is_not_allowed_in_a_fragment() -> None:
    problems = load_frag("<fragment>\n  <cache-lookup />\n</fragment>")
    assert brief(problems) == [(2, 3, "validation")]
    assert problems[0].message == "<cache-lookup> is not allowed in a policy fragment"
    assert problems[0].file == "fragments/f.xml"


def test_base_is_not_allowed_in_a_fragment() -> None:
    problems = load_frag(
        '<fragment>\n<base />\n<choose><when condition="true"><base /></when></choose>\n</fragment>'
    )
    assert brief(problems) == [(2, 1, "validation"), (3, 32, "validation")]
    assert {p.message for p in problems} == {"<base/> is not allowed in a policy fragment"}


def test_fragment_statements_are_not_placed_in_a_section_yet() -> None:
    text = (
        '<fragment><forward-request /><cache-store duration="1" />'
        '<rate-limit-by-key calls="1" renewal-period="1" counter-key="k" /></fragment>'
    )
    assert load_frag(text) == []


def test_fragment_root_must_be_fragment() -> None:
    problems = load_frag("<policies />")
    assert brief(problems) == [(1, 1, "validation")]
    assert problems[0].message == (
        "the root element of a policy fragment must be <fragment>, not <policies>"
    )


def test_document_root_must_be_policies() -> None:
    problems = load("<fragment />")
    assert problems[0].message == "the root element must be <policies>, not <fragment>"


def test_sections_and_root_take_no_attributes() -> None:
    problems = load('<policies scope="api">\n<inbound mode="x" />\n</policies>')
    assert brief(problems) == [(1, 11, "validation"), (2, 10, "validation")]
    assert problems[0].message == "unknown attribute 'scope' on <policies> (it takes no attributes)"


def test_placement_problems_for_inlined_statements() -> None:
    here = Location("fragments/f.xml", 2, 3)
    lookup = CacheLookup(
        location=here,
        vary_by_developer=Literal(False, "false", here),
        vary_by_developer_groups=Literal(False, "false", here),
        downstream_caching_type=Literal(None, "none", here),  # type: ignore[arg-type]
        must_revalidate=Literal(True, "true", here),
        allow_private_response_caching=Literal(False, "false", here),
    )
    forward = ForwardRequest(
        location=Location("fragments/f.xml", 3, 3),
        timeout=Literal(300, "300", here),
        follow_redirects=Literal(False, "false", here),
        buffer_request_body=Literal(False, "false", here),
        fail_on_error_status_code=Literal(False, "false", here),
    )
    nested_base = Base(location=Location("fragments/f.xml", 4, 3))
    choose = Choose(
        location=here,
        whens=(
            When(condition=Literal(True, "true", here), items=(nested_base, lookup), location=here),
        ),
    )
    problems = placement_problems((lookup, forward, choose), SectionName.OUTBOUND)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (2, 3, "<cache-lookup> is not allowed in the outbound section (allowed in: inbound)"),
        (3, 3, "<forward-request> is not allowed in the outbound section (allowed in: backend)"),
        (4, 3, "<base/> is only allowed at the top level of a section, not inside <choose>"),
        (2, 3, "<cache-lookup> is not allowed in the outbound section (allowed in: inbound)"),
        (2, 3, "<cache-lookup> may appear only once in a policy section (the first is at line 2)"),
    ]
    fine = SetVariable(location=here, name="a", value=Literal("b", "b", here))
    assert placement_problems((fine, Base(location=here)), SectionName.INBOUND) == []


# --- structure ----------------------------------------------------------------------------------


def test_unsupported_policies_anywhere_and_not_descended_into() -> None:
    text = in_section(
        "inbound",
        '<validate-jwt header-name="@(nonsense $$ )">\n'
        '  <required-claims><claim name="@( $$ )" /></required-claims>\n'
        "</validate-jwt>\n"
        '<choose><when condition="true"><rewrite-uri template="/x" /></when>'
        "<otherwise><x-custom /></otherwise></choose>",
    )
    problems = load(text)
    assert brief(problems) == [
        (3, 1, "unsupported-policy"),
        (6, 32, "unsupported-policy"),
        (6, 79, "unsupported-policy"),
    ]
    assert problems[0].message == (
        "policy <validate-jwt> is not supported; to run the rest of the policy without it, skip "
        "it with ignore_policies={'validate-jwt'} (check --ignore-policy validate-jwt) "
        "(supported policies: " + ", ".join(SUPPORTED_POLICIES) + ")"
    )
    # <x-custom> is no APIM policy, and close to none: no suggestion, no skip hint.
    assert problems[2].message.startswith("policy <x-custom> is not supported (supported")


def test_unsupported_file_fixture_has_only_unsupported_policy_problems() -> None:
    problems = load((FIXTURES / "unsupported.xml").read_text())
    assert {p.kind for p in problems} == {"unsupported-policy"}
    assert [p.line for p in problems] == [4, 10, 11, 16, 19, 20, 23, 29]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<choose />", [(3, 1, "<choose> needs at least one <when>")]),
        (
            '<choose><otherwise /><when condition="true" /></choose>',
            [(3, 22, "<when> must come before <otherwise> in <choose>")],
        ),
        (
            '<choose><when condition="true" /><otherwise /><otherwise /></choose>',
            [(3, 47, "<otherwise> may appear only once in <choose>")],
        ),
        (
            '<choose><when condition="true" /><set-variable name="a" value="b" /></choose>',
            [
                (
                    3,
                    34,
                    "unexpected element <set-variable> in <choose> (expected <when>, <otherwise>)",
                )
            ],
        ),
        (
            '<choose><when condition="maybe" /></choose>',
            [
                (
                    3,
                    15,
                    "invalid attribute 'condition' of <when>: expected true or false, got 'maybe'",
                )
            ],
        ),
        (
            '<set-header name="a"><value>1</value><item>2</item></set-header>',
            [(3, 38, "unexpected element <item> in <set-header> (expected <value>)")],
        ),
        (
            '<set-header name="a"><value>1<b>x</b></value></set-header>',
            [(3, 30, "unexpected element <b> in <value>")],
        ),
        (
            '<set-variable name="a" value="b"><note /></set-variable>',
            [(3, 34, "unexpected element <note> in <set-variable>")],
        ),
        (
            '<set-variable name="a" value="b">text</set-variable>',
            [(3, 34, "unexpected text 'text' in <set-variable>")],
        ),
        (
            '<return-response><set-status code="1" reason="a" /><set-status code="2" '
            'reason="b" /></return-response>',
            [(3, 52, "<set-status> may appear only once in <return-response>")],
        ),
        (
            '<send-request response-variable-name="r" mode="copy"><proxy url="http://p" />'
            "</send-request>",
            [
                (
                    3,
                    54,
                    "<proxy> in <send-request> is not supported; to run the rest of the policy "
                    "without it, skip it with ignore_policies={'proxy'} (check --ignore-policy "
                    "proxy)",
                )
            ],
        ),
        (
            '<send-request response-variable-name="r" mode="copy"><set-method>@("GET")'
            "</set-method></send-request>",
            [(3, 54, "policy expressions aren't allowed in the content of <set-method>")],
        ),
        (
            "<cache-lookup><vary-by-header>  </vary-by-header></cache-lookup>",
            [(3, 15, "<vary-by-header> needs a header name")],
        ),
        (
            "<cache-lookup><vary-by-query-parameter>;;</vary-by-query-parameter></cache-lookup>",
            [(3, 15, "<vary-by-query-parameter> needs at least one parameter name")],
        ),
        (
            '<cache-lookup><vary-by-header>@("Accept")</vary-by-header></cache-lookup>',
            [(3, 15, "policy expressions aren't allowed in the content of <vary-by-header>")],
        ),
        (
            '<cache-lookup><vary-by-header a="b">Accept</vary-by-header></cache-lookup>',
            [(3, 31, "unknown attribute 'a' on <vary-by-header> (it takes no attributes)")],
        ),
    ],
)
def test_structure_problems(body: str, expected: list[tuple[int, int, str]]) -> None:
    problems = load(in_section("inbound", body))
    assert [(p.line, p.column, p.message) for p in problems] == expected


def test_stray_text_between_statements_is_located() -> None:
    text = in_section("inbound", "<base />\n    stray\n<!-- a comment -->  more  \n")
    problems = load(text)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (4, 5, "unexpected text 'stray' in <inbound>"),
        (5, 21, "unexpected text 'more' in <inbound>"),
    ]


def test_stray_text_in_the_root() -> None:
    problems = load("<policies>\n  hello\n  <inbound />\n</policies>")
    assert [(p.line, p.column, p.message) for p in problems] == [
        (2, 3, "unexpected text 'hello' in <policies>")
    ]


def test_all_problems_are_collected_across_sections() -> None:
    text = (
        '<policies>\n<inbound><cache-store duration="x" /></inbound>\n'
        '<backend><cache-lookup caching-type="fast" /></backend>\n'
        "<outbound><unknown-thing /></outbound>\n"
        "<on-error><set-variable /></on-error>\n</policies>"
    )
    problems = load(text)
    assert brief(problems) == [
        (2, 10, "validation"),
        (2, 23, "validation"),
        (3, 10, "validation"),
        (3, 24, "validation"),
        (4, 11, "unsupported-policy"),
        (5, 11, "validation"),
        (5, 11, "validation"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<rate-limit-by-key calls="5" renewal-period="301" counter-key="k" />',
            "invalid attribute 'renewal-period' of <rate-limit-by-key>: expected between 1 and 300 "
            "seconds, got '301'",
        ),
        (
            '<rate-limit-by-key calls="5" renewal-period="0" counter-key="k" />',
            "invalid attribute 'renewal-period' of <rate-limit-by-key>: expected between 1 and 300 "
            "seconds, got '0'",
        ),
        (
            '<send-request response-variable-name="r" mode="copy" timeout="-1" />',
            "invalid attribute 'timeout' of <send-request>: expected at least 0 seconds, got '-1'",
        ),
    ],
)
def test_documented_integer_bounds(body: str, message: str) -> None:
    problems = load(in_section("inbound", body))
    assert [p.message for p in problems] == [message]


def test_integer_bounds_are_inclusive_and_skip_expressions() -> None:
    body = (
        '<rate-limit-by-key calls="5" renewal-period="300" counter-key="k" />\n'
        '<rate-limit-by-key calls="5" renewal-period="@(301)" counter-key="k" />'
    )
    assert load(in_section("inbound", body)) == []
