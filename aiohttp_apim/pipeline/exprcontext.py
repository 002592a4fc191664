"""The expression ``context`` of one request, made the first time an expression runs, and each of
its members the first time an expression reads it.

Most requests never evaluate an expression (a cache hit with literal attributes), so nothing
here runs for them; one that reads a request header by a constant name
(``GetValueOrDefault("X-Tenant", "none")``) builds the context alone and reads the header store
(``request_headers``); one that reads more of the request builds the request's view and nothing
else (not the URL text, not a request id, not the timestamp). What is built shares its live parts
with the exchange: ``Headers`` reads the header store's own multidict (copied only if a policy
changes a header), ``Body`` is the exchange's message body, ``Variables`` the exchange's
variables, and ``Response`` / ``LastError`` are read from the exchange on every access, so steps
and expressions never disagree.

The gateway hands a :class:`ContextBuilder` to the pipeline through
:class:`~aiohttp_apim.pipeline.exchange.Runtime` (``contexts``): the exchange never imports
this module.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import TYPE_CHECKING

from aiohttp_apim.dotnet.core import CLOCK
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.identity import Caller

if TYPE_CHECKING:
    from aiohttp_apim.pipeline.exchange import Exchange
    from aiohttp_apim.pipeline.headers import HeaderStore

__all__ = ["ContextBuilder", "IdentityViews"]


class ContextBuilder:
    """Makes the lazy ``context`` of an exchange (the gateway's
    :class:`~aiohttp_apim.pipeline.exchange.ContextFactory`), and its members when they are
    first read (the :class:`~aiohttp_apim.expressions.context.ContextParts` of every context it
    makes, the exchange being the context's owner: nothing is allocated per request but the
    context itself and what expressions read); keeps the views of callers."""

    __slots__ = ("identities",)

    def __init__(self) -> None:
        self.identities = IdentityViews()

    def __call__(self, x: Exchange) -> ctx.ExpressionContext:
        runtime = x.runtime
        clock = runtime.clock
        # DateTime.Now/UtcNow in expressions read CLOCK; each aiohttp request runs in a task of
        # its own, so setting it here scopes the gateway's clock to this request. (Set only when
        # it differs: setting a context variable costs more than reading it.)
        if CLOCK.get() is not clock:
            CLOCK.set(clock)
        return ctx.ExpressionContext.lazy(self, x, x.plan.api_view, runtime.deployment, clock)

    # --- the members, for the exchange ``x`` --------------------------------------------------

    def request(self, x: Exchange) -> ctx.Request:
        http = x.http
        return ctx.Request.of(
            x.method,
            ctx.Url(http),  # its text is made only if an expression reads it
            x.request_headers.dictionary(),
            x.request_body,
            http,  # its address is read only if an expression reads it
            x.match_info,
        )

    def request_headers(self, x: Exchange) -> HeaderStore:
        # the store the request's ``Headers`` view is made of (and works through once made):
        # a header an earlier step set or removed reads the same either way
        return x.request_headers

    def response(self, x: Exchange) -> ctx.Response | None:
        response = x.response
        return None if response is None else response.view()

    def last_error(self, x: Exchange) -> ctx.LastError | None:
        return x.last_error

    def variables(self, x: Exchange) -> ctx.Variables:
        return x.variables

    def operation(self, x: Exchange) -> ctx.Operation | None:
        operation = x.plan.operation_view
        if operation is not None and not operation.method:  # a route for every method
            operation = _with_method(operation, x.method)
        return operation

    def product(self, x: Exchange) -> ctx.Product | None:
        return self.identities.product(x.caller)

    def subscription(self, x: Exchange) -> ctx.Subscription | None:
        return self.identities.of(x.caller)[0]

    def user(self, x: Exchange) -> ctx.User | None:
        return self.identities.of(x.caller)[1]

    def timestamp(self, x: Exchange) -> float:
        return x.started

    def request_id(self, x: Exchange) -> uuid.UUID:
        return x.request_id


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
