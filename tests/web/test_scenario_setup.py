"""Setting up: eager validation with located problems, binding of
operation policies to routes, policy folders, load_policies, named values, policy_middleware and
gateway.drain()."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.web.conftest import (
    CACHED,
    LOOKUP,
    STORE,
    FakeClock,
    Serve,
    add_routes,
    policies_xml,
    set_header,
)

OPERATION = "apis/shop/operations/list/policy.xml"

# Line 3, column 9 is the "<" of the misspelt element.
MISSPELT = (
    "<policies>\n"
    "    <inbound>\n"
    '        <cache-lookupp vary-by-developer="false" vary-by-developer-groups="false" />\n'
    "    </inbound>\n"
    "</policies>\n"
)


def setup_on_new_app(policies: dict[str, str]) -> None:
    app = web.Application()
    add_routes(app)
    aiohttp_apim.setup(app, policies=policies)


# --- eager validation -----------------------------------------------------------------------


def test_setup_raises_policy_error_naming_file_line_and_column() -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app({OPERATION: MISSPELT})
    assert f"{OPERATION}:3:9" in str(caught.value)
    assert "cache-lookupp" in str(caught.value)
    [problem] = caught.value.problems
    assert (problem.kind, problem.file, problem.line, problem.column) == (
        "unsupported-policy",
        OPERATION,
        3,
        9,
    )
    assert problem.message


def test_unsupported_policy_error_lists_the_supported_policies() -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app({OPERATION: MISSPELT})
    for supported in ("cache-lookup", "cache-store", "set-header", "choose"):
        assert supported in str(caught.value)


def test_every_problem_of_every_file_is_reported_together() -> None:
    policies = {
        OPERATION: MISSPELT,
        "policy.xml": policies_xml(inbound='<set-variable name="a" value="@(1 +)" />'),
        "apis/shop/policy.xml": "<policies><inbound><base/></policies>",
    }
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app(policies)
    assert {p.file for p in caught.value.problems} == set(policies)
    assert {"unsupported-policy", "expression", "xml"} <= {p.kind for p in caught.value.problems}
    for name in policies:
        assert f"{name}:" in str(caught.value)


def test_expression_syntax_error_is_located_in_its_file() -> None:
    # Column 61 is the "*" the parser stumbles on.
    policies = {
        "policy.xml": (
            "<policies>\n"
            "  <inbound>\n"
            '    <set-variable name="a" value="@(context.Variables["a"] +* 2)" />\n'
            "  </inbound>\n"
            "</policies>\n"
        )
    }
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app(policies)
    [problem] = caught.value.problems
    assert (problem.kind, problem.file, problem.line, problem.column) == (
        "expression",
        "policy.xml",
        3,
        61,
    )
    assert "policy.xml:3:61" in str(caught.value)


def test_cache_lookup_in_outbound_is_a_validation_error() -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app({"policy.xml": policies_xml(outbound=LOOKUP)})
    assert [p.kind for p in caught.value.problems] == ["validation"]


def test_cache_lookup_inside_a_fragment_is_rejected() -> None:
    policies = {
        "fragments/lookup.xml": f"<fragment>{LOOKUP}</fragment>",
        "policy.xml": policies_xml(
            inbound='<include-fragment fragment-id="lookup" />', outbound=STORE
        ),
    }
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        setup_on_new_app(policies)
    assert "fragments/lookup.xml" in str(caught.value)


# --- binding operation policies to routes ---------------------------------------------------


async def test_operation_policy_naming_no_route_is_a_binding_error(clock: FakeClock) -> None:
    typo = "apis/shop/operations/lsit/policy.xml"
    policies = {
        typo: policies_xml(
            inbound="<base />" + LOOKUP, backend="<base />", outbound="<base />" + STORE
        )
    }
    servers: list[TestServer] = []

    async def set_up_and_start() -> None:
        app = web.Application()
        add_routes(app)
        aiohttp_apim.setup(app, policies=policies, clock=clock)
        servers.append(TestServer(app))
        await servers[0].start_server()

    try:
        # Either setup() or the app's startup may find it; the app must never serve.
        with pytest.raises(aiohttp_apim.PolicyError) as caught:
            await set_up_and_start()
    finally:
        for server in servers:
            await server.close()
    assert [p.kind for p in caught.value.problems] == ["binding"]
    assert caught.value.problems[0].file == typo
    assert "lsit" in str(caught.value)


# --- where policies come from ---------------------------------------------------------------


def write_policies(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


async def test_policies_from_a_folder_on_disk(serve: Serve, tmp_path: Path) -> None:
    folder = write_policies(
        tmp_path / "policies",
        {
            "policy.xml": policies_xml(inbound=LOOKUP, outbound=STORE),
            OPERATION: policies_xml(
                inbound="<base />",
                backend="<base />",
                outbound="<base />" + set_header("X-Operation", "list"),
            ),
            "fragments/unused.xml": "<fragment>" + set_header("X-Unused", "1") + "</fragment>",
        },
    )
    app = await serve(folder)
    first = await app.get()
    second = await app.get()
    assert first.headers["X-Operation"] == "list"
    assert second.body == b"shop:list #1"
    assert app.calls() == 1


def test_problem_in_a_folder_names_the_files_path(tmp_path: Path) -> None:
    folder = write_policies(tmp_path / "policies", {OPERATION: MISSPELT})
    app = web.Application()
    add_routes(app)
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.setup(app, policies=folder)
    [problem] = caught.value.problems
    assert problem.file.replace("\\", "/").endswith(OPERATION)
    assert (problem.line, problem.column) == (3, 9)
    assert f"{problem.file}:3:9" in str(caught.value)


def test_load_policies_works_without_an_app() -> None:
    assert aiohttp_apim.load_policies(CACHED) is not None
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.load_policies({OPERATION: MISSPELT})
    assert [p.kind for p in caught.value.problems] == ["unsupported-policy"]


def test_load_policies_takes_named_values() -> None:
    policies = {"policy.xml": policies_xml(outbound=set_header("X-Greeting", "{{greeting}}"))}
    assert aiohttp_apim.load_policies(policies, named_values={"greeting": "hello"}) is not None
    with pytest.raises(aiohttp_apim.PolicyError):
        aiohttp_apim.load_policies(policies)


async def test_named_values_reach_literals_and_expressions(serve: Serve) -> None:
    outbound = set_header("X-Literal", "{{greeting}} world") + set_header(
        "X-Expression", '@("{{greeting}}".ToUpper())'
    )
    app = await serve(
        {"policy.xml": policies_xml(outbound=outbound)}, named_values={"greeting": "hello"}
    )
    answer = await app.get()
    assert answer.headers["X-Literal"] == "hello world"
    assert answer.headers["X-Expression"] == "HELLO"


# --- policy_middleware and drain ------------------------------------------------------------


async def test_policy_middleware_in_application_middlewares(
    aiohttp_client: AiohttpClient,
) -> None:
    policies = {
        "policy.xml": policies_xml(outbound=set_header("X-Via", "middleware")),
        "apis/shop/operations/get/policy.xml": policies_xml(
            inbound="<return-response><set-body>from policy</set-body></return-response>",
            backend="<base />",
            outbound="<base />",
        ),
    }
    app = web.Application(middlewares=[aiohttp_apim.policy_middleware(policies)])
    backends = add_routes(app)
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as response:
        assert response.headers["X-Via"] == "middleware"
        assert await response.read() == b"shop:list #1"
    async with client.get("/shop/items/1") as response:
        assert await response.read() == b"from policy"
    assert backends["shop:get"].calls == 0


async def test_drain_returns_when_nothing_is_pending(serve: Serve) -> None:
    app = await serve(CACHED)
    await app.gateway.drain()
    await app.get()
    await app.gateway.drain()
    await app.gateway.drain()
    assert (await app.get()).body == b"shop:list #1"
