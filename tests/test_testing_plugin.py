"""The pytest plugin users test their policies with (``aiohttp_apim.testing``), run as a user
runs it: a test file in a fresh pytest session (``pytester``), with the plugin found through
its entry point -- the README's example, a failing assertion's message, and the fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"

CONFIG = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def readme_example() -> str:
    """The README's example test with the plugin ("Testing your policies")."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Testing your policies") :]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    (example,) = [block for block in blocks if "apim_serve" in block]
    return str(example)


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makeini(CONFIG)
    pytester.makepyfile(test_example=readme_example())
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_a_wrong_expectation_fails_with_what_the_cache_did(pytester: pytest.Pytester) -> None:
    pytester.makeini(CONFIG)
    pytester.makepyfile(
        test_wrong=readme_example().replace(
            'assert_hit(await served.get("/items"))', 'assert_miss(await served.get("/items"))'
        )
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected a cache miss, the cache said 'hit'*"])


def test_stale_purge_and_an_app_that_set_itself_up(pytester: pytest.Pytester) -> None:
    pytester.makeini(CONFIG)
    pytester.makepyfile(
        test_more='''
import aiohttp_apim
from aiohttp import web
from aiohttp_apim.testing import assert_hit, assert_miss, assert_stored

POLICY = """<policies>
  <inbound><cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
    caching-type="external" /></inbound>
  <backend><forward-request /></backend>
  <outbound><cache-store duration="10" /></outbound>
  <on-error />
</policies>"""

async def handler(request):
    return web.Response(text="x")

async def test_own_setup(apim_serve, apim_clock, apim_cache):
    app = web.Application()
    app.router.add_get("/x", handler, name="api:x")
    aiohttp_apim.setup(app, {"policy.xml": POLICY}, external_cache=apim_cache,
                       clock=apim_clock, stale_while_revalidate=30)
    served = await apim_serve(app)
    assert_stored(await served.get("/x"))
    served.advance(15)
    stale = await served.get("/x")
    assert_hit(stale)
    assert stale.headers["Cache-Control"] == "no-cache"
    assert_stored(stale)  # the background refresh stored a fresh entry (drained)
    await served.gateway.purge()
    assert_miss(await served.get("/x"))
'''
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
