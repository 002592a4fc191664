"""The expression ``context`` of one request, built the first time an expression runs.

Most requests never evaluate an expression (a cache hit with literal attributes), so nothing
here runs for them. What it builds shares its live parts with the exchange: ``Headers`` is the
header store's own dictionary, ``Body`` the exchange's message body, ``Variables`` the
exchange's variables and ``Response`` the current response's view, so steps and expressions
never disagree.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

from aiohttp_apim.dotnet.core import CLOCK
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.identity import Caller

if TYPE_CHECKING:  # exchange.py imports this module when an expression first runs
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = ["IdentityViews", "build_context"]


def build_context(x: Exchange) -> ctx.ExpressionContext:
    runtime = x.runtime
    http = x.http
    # DateTime.Now/UtcNow in expressions read CLOCK; each aiohttp request runs in a task of its
    # own, so setting it here scopes the gateway's clock to this request.
    CLOCK.set(runtime.clock)
    url = ctx.Url(str(http.url))
    request = ctx.Request(
        method=x.method,
        url=url,
        original_url=url,
        headers=x.request_headers.dictionary(),
        body=x.request_body,
        ip_address=http.remote or "",
        matched_parameters=x.match_info,
    )
    subscription, user = runtime.identities.of(x.caller)
    plan = x.plan
    operation = plan.operation_view
    if operation is not None and not operation.method:  # a route for every method
        operation = _with_method(operation, x.method)
    response = x.response
    return ctx.ExpressionContext(
        request=request,
        response=None if response is None else response.view(),
        variables=x.variables,
        api=plan.api_view,
        operation=operation,
        product=runtime.identities.product(x.caller),
        subscription=subscription,
        user=user,
        deployment=runtime.deployment,
        last_error=x.last_error,
        timestamp=x.started,
        request_id=x.request_id,
        clock=runtime.clock,
    )


@functools.lru_cache(maxsize=1024)
def _with_method(operation: ctx.Operation, method: str) -> ctx.Operation:
    """``operation`` as a request with ``method`` sees it (immutable, so made once, kept)."""
    return dataclasses.replace(operation, method=method)


class IdentityViews:
    """The expression engine's view of callers, made once per subscription and kept."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, tuple[ctx.Subscription, ctx.User | None]] = {}
        self._products: dict[str, ctx.Product] = {}

    def of(self, caller: Caller) -> tuple[ctx.Subscription | None, ctx.User | None]:
        sub = caller.subscription
        if sub is None:
            return None, None
        view = self._subscriptions.get(sub.key)
        if view is None:
            user = sub.user
            view = (
                ctx.Subscription(
                    id=sub.id,
                    key=sub.key,
                    name=sub.name,
                    primary_key=sub.primary_key,
                    secondary_key=sub.secondary_key,
                    created_date=sub.created_date,
                    start_date=sub.start_date,
                    end_date=sub.end_date,
                ),
                None
                if user is None
                else ctx.User(
                    id=user.id,
                    email=user.email,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    groups=tuple(ctx.Group(g.id, g.name) for g in user.groups),
                    identities=(ctx.UserIdentity(user.email or user.id),),
                    note=user.note,
                    registration_date=user.registration_date,
                ),
            )
            self._subscriptions[sub.key] = view
        return view

    def product(self, caller: Caller) -> ctx.Product | None:
        product = caller.product
        if product is None:
            return None
        view = self._products.get(product.id)
        if view is None:
            view = ctx.Product(
                id=product.id,
                name=product.name,
                apis=tuple(ctx.Api(id=a, name=a) for a in product.apis),
                groups=tuple(ctx.Group(g.id, g.name) for g in product.groups),
                approval_required=product.approval_required,
                state=ctx.ProductState.Published
                if product.state.lower() == "published"
                else ctx.ProductState.NotPublished,
                subscription_limit=product.subscriptions_limit,
                subscription_required=product.subscription_required,
            )
            self._products[product.id] = view
        return view
