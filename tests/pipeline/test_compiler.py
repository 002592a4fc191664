"""Plan compilation: one step per element, LastError locations, constants, caches, and the
outbound a cache hit resumes with."""

from __future__ import annotations

from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.pipeline.steps.backend import ForwardRequestStep
from aiohttp_apim.pipeline.steps.base import Step
from aiohttp_apim.pipeline.steps.caching import CacheLookupStep, CacheStoreStep
from aiohttp_apim.pipeline.steps.control import ChooseStep, ReturnResponseStep
from aiohttp_apim.pipeline.steps.message import SetHeaderStep
from aiohttp_apim.pipeline.steps.ratelimit import RateLimitByKeyStep
from aiohttp_apim.pipeline.steps.sendrequest import SendRequestStep
from aiohttp_apim.pipeline.steps.unsupported import NotSupportedStep
from aiohttp_apim.pipeline.steps.valuecache import (
    CacheLookupValueStep,
    CacheRemoveValueStep,
    CacheStoreValueStep,
)
from tests.pipeline.fakes import Pipeline, doc


def header(name: str, value: str = "v") -> str:
    return f'<set-header name="{name}" exists-action="override"><value>{value}</value></set-header>'


def names(steps: tuple[Step, ...]) -> list[str]:
    out = []
    for step in steps:
        assert isinstance(step, SetHeaderStep | CacheStoreStep)
        out.append(step.meta.path if isinstance(step, CacheStoreStep) else step.name.get_constant())
    return out


STORE = '<cache-store duration="60" />'
LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'


# --- LastError locations ----------------------------------------------------------------------


def test_paths_count_same_named_siblings_inside_choose_branches() -> None:
    inbound = (
        '<set-variable name="a" value="1" />'
        + header("H1")
        + '<set-variable id="second" name="b" value="2" />'
        + '<choose id="pick">'
        + '<when condition="@(true)">'
        + header("W1")
        + header("W2")
        + "</when>"
        + '<when condition="@(false)"><choose><when condition="@(true)">'
        + header("Deep")
        + "</when></choose></when>"
        + "<otherwise>"
        + header("O")
        + "</otherwise>"
        + "</choose>"
    )
    plan = Pipeline({"policy.xml": doc(inbound=inbound)}).plan()
    first, h1, second, choose = plan.inbound
    assert [s.meta.path for s in plan.inbound] == [
        "set-variable[1]",
        "set-header[1]",
        "set-variable[2]",
        "choose[1]",
    ]
    assert second.meta.policy_id == "second"
    assert (first.meta.section, first.meta.scope, first.meta.source) == (
        "inbound",
        "global",
        "set-variable",
    )
    assert isinstance(choose, ChooseStep)
    assert [b.meta.path for b in choose.whens] == ["choose[1]\\when[1]", "choose[1]\\when[2]"]
    assert choose.whens[0].meta.source == "choose"
    assert choose.whens[0].meta.policy_id == "pick"
    assert [s.meta.path for s in choose.whens[0].steps] == [
        "choose[1]\\when[1]\\set-header[1]",
        "choose[1]\\when[1]\\set-header[2]",
    ]
    inner = choose.whens[1].steps[0]
    assert isinstance(inner, ChooseStep)
    assert inner.whens[0].steps[0].meta.path == (
        "choose[1]\\when[2]\\choose[1]\\when[1]\\set-header[1]"
    )
    assert choose.otherwise[0].meta.path == "choose[1]\\otherwise[1]\\set-header[1]"
    assert h1.meta.source == "set-header"


def test_scope_and_section_follow_the_document_each_statement_came_from() -> None:
    policies = {
        "policy.xml": doc(outbound=header("G")),
        "apis/shop/operations/list/policy.xml": doc(
            backend="<base />", outbound=header("O") + "<base />"
        ),
    }
    plan = Pipeline(policies).plan()
    assert [(s.meta.scope, s.meta.section, s.meta.path) for s in plan.outbound] == [
        ("operation", "outbound", "set-header[1]"),
        ("global", "outbound", "set-header[2]"),
    ]


def test_return_response_children_are_located_inside_it() -> None:
    inbound = (
        '<return-response id="rr"><set-status code="418" reason="teapot" />'
        + header("A")
        + header("B")
        + "<set-body>x</set-body></return-response>"
    )
    [step] = Pipeline({"policy.xml": doc(inbound=inbound)}).plan().inbound
    assert isinstance(step, ReturnResponseStep)
    assert [c.meta.path for c in step.children] == [
        "return-response[1]\\set-status[1]",
        "return-response[1]\\set-header[1]",
        "return-response[1]\\set-header[2]",
        "return-response[1]\\set-body[1]",
    ]


# --- constants, caches, defaults --------------------------------------------------------------


def test_literal_header_values_are_one_constant_tuple() -> None:
    outbound = (
        header("Lit", "a") + '<set-header name="Expr" exists-action="override">'
        "<value>@(context.Request.Method)</value></set-header>"
    )
    literal, expression = Pipeline({"policy.xml": doc(outbound=outbound)}).plan().outbound
    assert isinstance(literal, SetHeaderStep)
    assert isinstance(expression, SetHeaderStep)
    assert literal.constant_values == ("a",)
    assert expression.constant_values is None


class OtherCache(MemoryCache):
    """A cache that does not declare itself in process (its methods might wait)."""

    @property
    def in_process(self) -> bool:
        return False


def test_caching_type_resolves_to_the_cache_object() -> None:
    def lookup(caching_type: str) -> str:
        return (
            f'<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" '
            f'caching-type="{caching_type}" />'
        )

    external = OtherCache()
    for ext, expected in (
        (None, {"internal": "i", "external": None, "prefer-external": "i"}),
        (external, {"internal": "i", "external": "e", "prefer-external": "e"}),
    ):
        for caching_type, which in expected.items():
            pipeline = Pipeline(
                {"policy.xml": doc(inbound=lookup(caching_type))}, external_cache=ext
            )
            [step] = pipeline.plan().inbound
            assert isinstance(step, CacheLookupStep)
            assert step.cache is {"i": pipeline.cache, "e": external, None: None}[which]
            # The in-process cache is read without a timer; any other cache with one.
            assert step.timeout == (0.25 if which == "e" else None)


def test_key_shape_is_fixed_per_product_api_and_operation() -> None:
    pipeline = Pipeline({"policy.xml": doc(inbound=LOOKUP)})
    prefixes = set()
    for key in [
        (None, "shop", "list"),
        ("gold", "shop", "list"),
        (None, "shop", "get"),
        (None, None, None),
    ]:
        [step] = pipeline.plan(key).inbound
        assert isinstance(step, CacheLookupStep)
        prefixes.add(step.shape.prefix)
        assert pipeline.policies.generation in step.shape.prefix
    assert len(prefixes) == 4


def test_value_rate_limit_and_send_request_policies_compile_to_their_steps() -> None:
    inbound = (
        '<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" />'
        '<cache-lookup-value key="k" variable-name="v" />'
        '<cache-store-value key="k" value="v" duration="5" />'
        '<cache-remove-value key="k" />'
        '<send-request response-variable-name="r"><set-url>http://h/</set-url>'
        '<set-body template="liquid">x</set-body></send-request>'
    )
    steps = Pipeline({"policy.xml": doc(inbound=inbound)}).plan().inbound
    assert [type(s) for s in steps] == [
        RateLimitByKeyStep,
        CacheLookupValueStep,
        CacheStoreValueStep,
        CacheRemoveValueStep,
        SendRequestStep,
    ]
    send = steps[-1]
    assert isinstance(send, SendRequestStep)
    # A Liquid template still fails when it runs (PolicyNotSupported), at its own path.
    assert isinstance(send.body, NotSupportedStep)
    assert send.body.meta.path == "send-request[1]\\set-body[1]"


def test_value_caching_types_resolve_to_their_caches() -> None:
    external = MemoryCache()
    with_external = Pipeline(
        {
            "policy.xml": doc(
                inbound=(
                    '<cache-lookup-value key="k" variable-name="a" caching-type="internal" />'
                    '<cache-lookup-value key="k" variable-name="b" caching-type="external" />'
                    '<cache-lookup-value key="k" variable-name="c" />'
                    '<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" />'
                )
            )
        },
        external_cache=external,
    )
    a, b, c, limit = with_external.plan().inbound
    assert isinstance(a, CacheLookupValueStep)
    assert a.cache is with_external.cache
    assert isinstance(b, CacheLookupValueStep)
    assert b.cache is external
    assert isinstance(c, CacheLookupValueStep)
    assert c.cache is external
    assert isinstance(limit, RateLimitByKeyStep)
    assert limit.cache is external
    without = Pipeline(
        {
            "policy.xml": doc(
                inbound=(
                    '<cache-lookup-value key="k" variable-name="b" caching-type="external" />'
                    '<cache-lookup-value key="k" variable-name="c" />'
                    '<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" />'
                )
            )
        }
    )
    b, c, limit = without.plan().inbound
    assert isinstance(b, CacheLookupValueStep)
    assert b.cache is None
    assert isinstance(c, CacheLookupValueStep)
    assert c.cache is without.cache
    assert isinstance(limit, RateLimitByKeyStep)
    assert limit.cache is without.cache


def test_rate_limit_defers_counting_when_condition_or_count_is_an_expression() -> None:
    def step(attributes: str) -> RateLimitByKeyStep:
        inbound = f'<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" {attributes}/>'
        [limit] = Pipeline({"policy.xml": doc(inbound=inbound)}).plan().inbound
        assert isinstance(limit, RateLimitByKeyStep)
        return limit

    assert not step("").deferred
    assert not step('increment-condition="false" increment-count="3" ').deferred
    assert not step('increment-condition="@(true)" ').deferred  # a constant expression
    assert step('increment-condition="@(context.Response.StatusCode == 200)" ').deferred
    assert step('increment-count="@(context.Response.StatusCode)" ').deferred


def test_backend_defaults_to_forward_request_and_an_empty_global_backend_calls_nothing() -> None:
    assert isinstance(
        Pipeline({"policy.xml": "<policies><inbound /></policies>"}).plan().backend[0],
        ForwardRequestStep,
    )
    assert isinstance(Pipeline({}).plan().backend[0], ForwardRequestStep)
    assert Pipeline({"policy.xml": doc(backend="")}).plan().backend == ()


def test_plan_knows_whether_an_expression_reads_the_request_body() -> None:
    reads = '<set-variable name="b" value="@(context.Request.Body.As&lt;string&gt;())" />'
    assert Pipeline({"policy.xml": doc(inbound=reads)}).plan().reads_request_body
    assert not Pipeline({"policy.xml": doc(inbound=header("A"))}).plan().reads_request_body


# --- where a hit resumes ------------------------------------------------------------------------


def test_without_cache_store_a_hit_runs_the_whole_outbound() -> None:
    plan = Pipeline({"policy.xml": doc(outbound=header("A") + header("B"))}).plan()
    assert plan.resume_after == ()
    assert plan.outbound_after_hit(0) == plan.outbound


def test_hit_resumes_after_the_store_at_top_level() -> None:
    plan = Pipeline({"policy.xml": doc(outbound=header("A") + STORE + header("B"))}).plan()
    assert names(plan.outbound_after_hit(0)) == ["B"]


def test_hit_resumes_inside_the_branch_then_after_each_enclosing_choose() -> None:
    outbound = (
        header("Before")
        + '<choose><when condition="@(true)">'
        + header("Inner-before")
        + '<choose><when condition="@(true)">'
        + STORE
        + header("Deep-after")
        + "</when></choose>"
        + header("Inner-after")
        + "</when><otherwise>"
        + header("Other")
        + "</otherwise></choose>"
        + header("Outer-after")
    )
    plan = Pipeline({"policy.xml": doc(outbound=outbound)}).plan()
    assert names(plan.outbound_after_hit(0)) == ["Deep-after", "Inner-after", "Outer-after"]


def test_each_store_has_its_own_resume_point() -> None:
    # Once per section is per document: two scopes may each bring a cache-store.
    policies = {
        "policy.xml": doc(
            outbound=header("G-before") + '<cache-store duration="5" />' + header("G-after")
        ),
        "apis/shop/operations/list/policy.xml": doc(
            backend="<base />",
            outbound=header("Op-before") + STORE + header("Op-after") + "<base />",
        ),
    }
    plan = Pipeline(policies).plan()
    first, second = (s for s in plan.outbound if isinstance(s, CacheStoreStep))
    assert (first.marker, second.marker) == (0, 1)
    assert names(plan.outbound_after_hit(0)) == [
        "Op-after",
        "G-before",
        "cache-store[2]",
        "G-after",
    ]
    assert names(plan.outbound_after_hit(1)) == ["G-after"]
    assert plan.outbound_after_hit(7) == plan.outbound


def test_hit_resumes_across_scopes_in_the_effective_outbound() -> None:
    policies = {
        "policy.xml": doc(outbound=header("Global")),
        "apis/shop/operations/list/policy.xml": doc(
            backend="<base />", outbound=header("Op") + STORE + "<base />" + header("Op-end")
        ),
    }
    plan = Pipeline(policies).plan()
    assert names(plan.outbound_after_hit(0)) == ["Global", "Op-end"]
