"""Scope merging, fragments and folder loading, through load_policies() as a user calls it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from aiohttp_apim.cli import main as cli_main
from aiohttp_apim.errors import PolicyError
from aiohttp_apim.policy.model import SetVariable
from aiohttp_apim.policy.scopes import EffectiveItem, Scope
from aiohttp_apim.policy.sources import load_policies


def doc(inbound: str | None = None, outbound: str | None = None, backend: str | None = None) -> str:
    parts = ["<policies>"]
    for name, body in (("inbound", inbound), ("backend", backend), ("outbound", outbound)):
        if body is not None:
            parts.append(f"<{name}>{body}</{name}>")
    parts.append("</policies>")
    return "\n".join(parts)


def var(name: str) -> str:
    return f'<set-variable name="{name}" value="1" />'


def include_only(fragment_id: str) -> str:
    return f'<fragment>\n  <include-fragment fragment-id="{fragment_id}" />\n</fragment>'


def names(items: tuple[EffectiveItem, ...]) -> list[tuple[str, Scope]]:
    out = []
    for item in items:
        assert isinstance(item.statement, SetVariable)
        out.append((item.statement.name, item.scope))
    return out


def test_base_is_replaced_in_place_by_the_broader_scope() -> None:
    policies = load_policies(
        {
            "policy.xml": doc(inbound=var("g") + "<base/>"),
            "apis/shop/policy.xml": doc(inbound=var("a1") + "<base/>" + var("a2")),
            "apis/shop/operations/list/policy.xml": doc(inbound="<base/>" + var("o")),
        }
    )
    effective = policies.effective(api="shop", operation="list")
    assert names(effective.inbound) == [
        ("a1", Scope.API),
        ("g", Scope.GLOBAL),
        ("a2", Scope.API),
        ("o", Scope.OPERATION),
    ]


def test_missing_section_inherits_and_empty_section_does_not() -> None:
    policies = load_policies(
        {
            "policy.xml": doc(inbound=var("g"), outbound=var("g-out")),
            # no <inbound>: behaves as <base/>; an empty <outbound/> inherits nothing
            "apis/shop/policy.xml": doc(outbound=""),
        }
    )
    effective = policies.effective(api="shop")
    assert names(effective.inbound) == [("g", Scope.GLOBAL)]
    assert effective.outbound == ()


def test_section_without_base_drops_everything_broader() -> None:
    policies = load_policies(
        {
            "policy.xml": doc(inbound=var("g")),
            "apis/shop/policy.xml": doc(inbound=var("a") + "<base/>"),
            "apis/shop/operations/list/policy.xml": doc(inbound=var("o")),
        }
    )
    assert names(policies.effective(api="shop", operation="list").inbound) == [
        ("o", Scope.OPERATION)
    ]


def test_scope_without_document_is_skipped_and_product_applies_only_when_given() -> None:
    policies = load_policies(
        {
            "policy.xml": doc(inbound=var("g")),
            "products/gold/policy.xml": doc(inbound="<base/>" + var("p")),
            "apis/shop/operations/list/policy.xml": doc(inbound="<base/>" + var("o")),
        }
    )
    assert names(policies.effective(api="shop", operation="list").inbound) == [
        ("g", Scope.GLOBAL),
        ("o", Scope.OPERATION),
    ]
    assert names(policies.effective("gold", "shop", "list").inbound) == [
        ("g", Scope.GLOBAL),
        ("p", Scope.PRODUCT),
        ("o", Scope.OPERATION),
    ]
    # Global <base/> has no effect.
    assert names(policies.effective().inbound) == [("g", Scope.GLOBAL)]


def test_effective_sections_are_computed_once() -> None:
    policies = load_policies({"policy.xml": doc(inbound=var("g"))})
    assert policies.effective(api="x") is policies.effective(api="x")


def test_fragments_are_inlined_including_inside_choose() -> None:
    policies = load_policies(
        {
            "fragments/common.xml": f"<fragment>{var('f1')}{var('f2')}</fragment>",
            "policy.xml": doc(
                inbound=var("a")
                + '<include-fragment fragment-id="common" />'
                + '<choose><when condition="@(true)">'
                + '<include-fragment fragment-id="common" /></when></choose>'
            ),
        }
    )
    inbound = policies.effective().inbound
    assert [type(i.statement).__name__ for i in inbound] == [
        "SetVariable",
        "SetVariable",
        "SetVariable",
        "Choose",
    ]
    first = inbound[1].statement
    assert isinstance(first, SetVariable)
    assert first.location.file == "fragments/common.xml"


def test_fragment_problems_are_reported_at_their_place() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policies(
            {
                "fragments/a.xml": include_only("b"),
                "fragments/b.xml": include_only("a"),
                "fragments/c.xml": (
                    '<fragment>\n  <cache-lookup vary-by-developer="false" '
                    'vary-by-developer-groups="false" />\n</fragment>'
                ),
                "policy.xml": doc(inbound='\n<include-fragment fragment-id="nope" />'),
            }
        )
    messages = [(p.file, p.line, p.message) for p in caught.value.problems]
    assert any(
        f == "policy.xml" and line == 3 and "unknown fragment id 'nope'" in m
        for f, line, m in messages
    )
    assert any("include each other" in m for _, _, m in messages)
    assert any(
        f == "fragments/c.xml" and line == 2 and "cache-lookup" in m for f, line, m in messages
    )


def test_two_cache_lookups_in_one_effective_inbound_are_rejected() -> None:
    lookup = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
    store = '<cache-store duration="10" />'
    with pytest.raises(PolicyError) as caught:
        load_policies(
            {
                "policy.xml": doc(inbound=lookup, outbound=store),
                "apis/shop/policy.xml": doc(inbound="<base/>\n" + lookup, outbound="<base/>"),
            }
        )
    [problem] = caught.value.problems
    assert problem.file == "apis/shop/policy.xml"
    assert problem.line == 3
    assert "more than one cache-lookup" in problem.message


def test_misplaced_files_and_problems_of_every_file_are_reported_together() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policies(
            {
                "apis/shop/operation/list/policy.xml": doc(inbound=var("x")),  # typo: operation
                "policy.xml": "<policies><inbound><nonsense-policy /></inbound></policies>",
                "apis/shop/policy.xml": doc(outbound='<cache-store duration="seconds" />'),
            }
        )
    kinds = sorted((p.file, p.kind) for p in caught.value.problems)
    assert kinds == [
        ("apis/shop/operation/list/policy.xml", "validation"),
        ("apis/shop/policy.xml", "validation"),
        ("policy.xml", "unsupported-policy"),
    ]
    text = str(caught.value)
    assert "apis/shop/policy.xml:" in text
    assert "seconds" in text


def test_folder_loading_names_files_by_path(tmp_path: Path) -> None:
    op = tmp_path / "apis" / "shop" / "operations" / "list"
    op.mkdir(parents=True)
    (tmp_path / "policy.xml").write_text(doc(inbound=var("g")), encoding="utf-8")
    (op / "policy.xml").write_text(doc(inbound="<base/>\n" + var("o")), encoding="utf-8")
    policies = load_policies(tmp_path)
    inbound = policies.effective(api="shop", operation="list").inbound
    assert names(inbound) == [("g", Scope.GLOBAL), ("o", Scope.OPERATION)]
    assert inbound[1].statement.location.file == str(op / "policy.xml")
    assert inbound[1].statement.location.line == 3


def test_missing_folder_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        load_policies(tmp_path / "nope")


def test_cli_check_prints_every_problem_and_fails(tmp_path: Path) -> None:
    (tmp_path / "policy.xml").write_text(
        '<policies>\n<outbound>\n  <cache-store duration="soon" />\n</outbound>\n</policies>',
        encoding="utf-8",
    )
    out = io.StringIO()
    assert cli_main(["check", str(tmp_path)], out=out) == 1
    first = out.getvalue().splitlines()[0]
    assert first.startswith(f"{tmp_path / 'policy.xml'}:3:")
    assert ": validation: " in first


def test_cli_check_accepts_a_clean_folder_with_named_values(tmp_path: Path) -> None:
    (tmp_path / "policy.xml").write_text(
        doc(inbound='<set-variable name="u" value="{{upstream}}" />'), encoding="utf-8"
    )
    values = tmp_path / "values.json"
    values.write_text('{"upstream": "https://example.test"}', encoding="utf-8")
    out = io.StringIO()
    assert cli_main(["check", str(tmp_path), "--named-values", str(values)], out=out) == 0
    assert out.getvalue().splitlines()[-1].startswith("ok: 1 policy documents")
    assert cli_main(["check", str(tmp_path)], out=io.StringIO()) == 1  # undefined named value
