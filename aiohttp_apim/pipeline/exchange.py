"""The state of one request going through the pipeline, and what the pipeline needs from outside.

:class:`Exchange` is made per request and is all the steps touch: the request as inbound has
changed it, the current response, the variables, the cache lookup's record and, built only when
an expression first runs, the expression ``context``. The pipeline does not import aiohttp.web:
the request is read through the :class:`HttpRequest` protocol (an ``aiohttp.web.Request`` is
one as it is, so nothing is wrapped per request) and responses are made and the backend called
through the :class:`Adapter` the web layer supplies.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from multidict import CIMultiDict, CIMultiDictProxy, MultiMapping
from yarl import URL

from aiohttp_apim.cache.base import Cache, CacheHit, Clock
from aiohttp_apim.dotnet.budget import CURRENT, DEFAULT_LIMITS, Budget, BudgetLimits
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.identity import Caller
from aiohttp_apim.pipeline.headers import HeaderStore
from aiohttp_apim.pipeline.stats import Counters
from aiohttp_apim.policy.model import DownstreamCachingType

if TYPE_CHECKING:
    from aiohttp_apim.expressions import CompiledExpression
    from aiohttp_apim.pipeline.cacheio import BackgroundWrites, FailureLog
    from aiohttp_apim.pipeline.plan import Plan
    from aiohttp_apim.pipeline.stampede import Lead

__all__ = [
    "Adapter",
    "ContextFactory",
    "Exchange",
    "Finisher",
    "HttpRequest",
    "LookupRecord",
    "Prefetched",
    "ResponseState",
    "Runtime",
    "Sender",
    "Signal",
]


class Signal(enum.Enum):
    """What a step tells the runner besides "carry on" (None)."""

    RETURN = "return"
    """return-response: the response is final; no backend, no outbound."""
    HIT = "hit"
    """cache-lookup hit: skip the rest of inbound and the backend, resume outbound after the
    cache-store that stored the entry."""


class HttpRequest(Protocol):
    """What the pipeline reads of the incoming request (``aiohttp.web.Request`` as it is)."""

    @property
    def method(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def url(self) -> URL: ...
    @property
    def rel_url(self) -> URL: ...
    @property
    def raw_path(self) -> str:
        """The request target as the client sent it (``rel_url`` is parsed from it)."""
        ...

    @property
    def headers(self) -> CIMultiDictProxy[str]: ...
    @property
    def query(self) -> MultiMapping[str]: ...
    @property
    def remote(self) -> str | None: ...
    @property
    def can_read_body(self) -> bool: ...
    def read(self) -> Awaitable[bytes]: ...


class Adapter(Protocol):
    """The web layer's side of the pipeline: making responses and calling the backend."""

    def new_response(
        self,
        status: int,
        reason: str | None,
        headers: Iterable[tuple[str, str]] | CIMultiDict[str],
        body: bytes,
    ) -> ResponseState:
        """A response the pipeline made (cache hit, return-response, error). A multidict of
        ``headers`` is copied, never kept."""
        ...

    def forward(self, x: Exchange, timeout: float | None) -> Awaitable[None]:
        """Call the route's handler with the request as inbound left it; set ``x.response``
        (or ``x.passthrough`` for a response the pipeline cannot buffer)."""
        ...


class Sender(Protocol):
    """The web layer's HTTP client, for send-request."""

    def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        timeout: float | None,
    ) -> Awaitable[ctx.Response]:
        """Send one request and read the whole answer (any status is an answer). Raises
        :class:`~aiohttp_apim.errors.PolicyRuntimeError`: Reason ``Timeout`` when ``timeout``
        seconds pass first, ``BackendConnectionFailure`` when no answer can be had."""
        ...


class ContextFactory(Protocol):
    """Makes the expression ``context`` of an exchange, the first time one of its expressions
    runs (:class:`~aiohttp_apim.pipeline.exprcontext.ContextBuilder`)."""

    def __call__(self, x: Exchange, /) -> ctx.ExpressionContext: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """Everything of a gateway that requests share (immutable once the gateway is built)."""

    adapter: Adapter
    clock: Clock
    background: BackgroundWrites
    failures: FailureLog
    cache_write_timeout: float
    deployment: ctx.Deployment
    contexts: ContextFactory
    """Makes an exchange's expression ``context`` (see :class:`ContextFactory`)."""
    counters: Counters = field(default_factory=Counters)
    sender: Sender | None = None
    """None: send-request fails (a pipeline run without a web layer)."""
    expression_budget: BudgetLimits = DEFAULT_LIMITS
    """How much work the expressions of one request may do together."""


Finisher = Callable[["Exchange"], Awaitable[None]]
"""Work a step leaves for when the response is final (after outbound or on-error): it must not
raise (the answer is decided) -- rate-limit-by-key's deferred increment."""


@dataclass(slots=True)
class LookupRecord:
    """What a cache-lookup that missed leaves for cache-store."""

    cache: Cache | None
    """None: the configured caching type has no cache here; cache-store does nothing."""
    key: str
    downstream: DownstreamCachingType
    must_revalidate: bool
    stored: bool = False
    varied: frozenset[str] = frozenset()
    """The request headers the key holds (lower-cased): what the response may Vary on."""
    lead: Lead | None = None
    """Set when this request fills the entry for others waiting on the same key."""
    extra_ttl: float = 0.0
    """Seconds the entry is kept past its duration (the scope's stale windows)."""
    deferred: bool = False
    """Left by a stale lookup whose expired entry does not answer: the miss (stampede
    protection, this record) is still to be made."""


class Prefetched:
    """What a lookup made before the exchange existed read that was no hit to serve at once
    (see ``CacheLookupStep.lookup_early``): the key and what the cache answered. The exchange
    carries it to the lookup step, which carries on from there instead of reading again."""

    __slots__ = ("hit", "joined", "key")

    def __init__(self, key: str, hit: CacheHit | None) -> None:
        self.key = key
        self.hit = hit
        self.joined: tuple[Lead | CacheHit | None] | None = None
        """What stampede protection already answered for this miss (the early miss lane
        joined before it handed the request to the pipeline), so the lookup does not join
        again; None: not joined yet."""


class ResponseState:
    """The current response: status, reason, headers, body, and the web layer's response object
    (``origin``) that carries them out -- the handler's own, so its cookies and compression
    settings survive, or one the adapter made."""

    __slots__ = ("_body", "_message", "_view", "headers", "origin", "reason", "status")

    def __init__(
        self, status: int, reason: str, headers: HeaderStore, body: bytes, origin: object
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._body = body
        self._message: ctx.MessageBody | None = None
        self._view: ctx.Response | None = None
        self.origin = origin

    @property
    def body(self) -> bytes:
        message = self._message
        return self._body if message is None else message.content

    @property
    def body_changed(self) -> bool:
        """Whether the body differs from the one the response was made with (set by a policy,
        or consumed by an expression reading it without ``preserveContent``)."""
        message = self._message
        return message is not None and message.content is not self._body

    def set_body(self, body: bytes) -> None:
        message = self._message
        if message is None:
            self._message = ctx.MessageBody(body, self.headers.joined("Content-Type"))
        else:
            message.set(body)

    def set_status(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        view = self._view
        if view is not None:
            view.status_code = status
            view.status_reason = reason

    def view(self) -> ctx.Response:
        """``context.Response``: the same status, headers and body, seen by expressions."""
        view = self._view
        if view is None:
            message = self._message
            if message is None:
                message = self._message = ctx.MessageBody(
                    self._body, self.headers.joined("Content-Type")
                )
            view = self._view = ctx.Response(
                status_code=self.status,
                status_reason=self.reason,
                headers=self.headers.dictionary(),
                body=message,
            )
        return view


class Exchange:
    """One request on its way through a plan."""

    revalidating = False
    """Whether this is a background refresh of a stale entry (:meth:`revalidation`): its
    cache-lookup goes to the handler instead of serving the stale entry again."""

    __slots__ = (
        "_budget",
        "_context",
        "_request_id",
        "_variables",
        "caller",
        "extra_headers",
        "finishers",
        "handler",
        "http",
        "last_error",
        "lookup",
        "match_info",
        "method",
        "passthrough",
        "plan",
        "prefetched",
        "prelude_error",
        "prelude_ran",
        "request_body",
        "request_body_changed",
        "request_headers",
        "response",
        "resume",
        "retry_after",
        "runtime",
        "started",
    )

    def __init__(
        self,
        runtime: Runtime,
        plan: Plan,
        http: HttpRequest,
        handler: object,
        caller: Caller,
        match_info: Mapping[str, str],
    ) -> None:
        self.runtime = runtime
        self.plan = plan
        self.http = http
        self.handler = handler
        """The web layer's next handler, for forward-request (opaque here)."""
        self.caller = caller
        self.match_info = match_info
        self.method = http.method
        self.request_headers = HeaderStore(http.headers, owned=False)
        self.request_body: ctx.MessageBody | None = None
        """The request body once read or set; None while it is still unread in the stream."""
        self.request_body_changed = False
        self.response: ResponseState | None = None
        self.passthrough: object = None
        """A response the handler streamed itself: sent as it is, no outbound, never cached."""
        self.lookup: LookupRecord | None = None
        self.prefetched: Prefetched | None = None
        """Set when the plan's first step, a cache-lookup, already read the cache."""
        self.prelude_ran = False
        """Whether the plan's early prelude (set-variable steps before an early cache-lookup) ran
        already: the runner then carries on after it."""
        self.prelude_error: ctx.LastError | None = None
        """How the prelude failed, if it did: the runner goes to on-error with it."""
        self.resume = 0
        """On a hit: which cache-store stored the entry (outbound resumes after it)."""
        self.last_error: ctx.LastError | None = None
        self.extra_headers: list[tuple[str, str]] | None = None
        """Headers every final response gets (rate-limit-by-key's remaining/total calls)."""
        self.retry_after: tuple[str, int] | None = None
        """(header name, seconds) for the 429 answer of rate-limit-by-key."""
        self.finishers: list[Finisher] | None = None
        """What runs once the response is final (see :data:`Finisher`)."""
        self.started = runtime.clock()
        self._variables: ctx.Variables | None = None
        self._context: ctx.ExpressionContext | None = None
        self._budget: Budget | None = None
        self._request_id: uuid.UUID | None = None

    def revalidation(self) -> Exchange:
        """A new run of this request's plan that refreshes its stale entry (its response goes
        nowhere; its cache-store writes the entry)."""
        return _Revalidation(
            self.runtime, self.plan, self.http, self.handler, self.caller, self.match_info
        )

    # --- lazily made parts ---------------------------------------------------------------------

    @property
    def variables(self) -> ctx.Variables:
        variables = self._variables
        if variables is None:
            variables = self._variables = ctx.Variables()
        return variables

    @property
    def request_id(self) -> uuid.UUID:
        request_id = self._request_id
        if request_id is None:
            request_id = self._request_id = uuid.uuid4()
        return request_id

    def evaluate(self, expression: CompiledExpression) -> object:
        """Run a policy expression against this request's ``context``, drawing on the request's
        expression budget (shared by all of its expressions)."""
        context = self._context
        if context is None:
            context = self._context = self.runtime.contexts(self)
        budget = self._budget
        if budget is None:  # (a new budget is nobody's current one yet)
            budget = self._budget = Budget(self.runtime.expression_budget)
            CURRENT.set(budget)
        elif CURRENT.get() is not budget:  # the request's budget is the one expressions draw on
            CURRENT.set(budget)
        try:
            return expression(context)
        finally:
            if budget.started is not None:  # only an evaluation that took steps started it
                budget.pause()

    def done(self) -> None:
        """The answer is decided and no expression of this request runs any more: let go of
        the expression ``context``. It refers to the exchange (its owner) as the exchange
        refers to it; without this the pair, and all either holds, would wait for the
        garbage collector instead of going when the request does. (A context something kept
        still works: it keeps its owner.)"""
        self._context = None

    def add_extra_header(self, name: str, value: str) -> None:
        headers = self.extra_headers
        if headers is None:
            headers = self.extra_headers = []
        headers.append((name, value))

    def add_finisher(self, finisher: Finisher) -> None:
        finishers = self.finishers
        if finishers is None:
            finishers = self.finishers = []
        finishers.append(finisher)

    # --- changes that expressions must see ------------------------------------------------------
    # (The context reads ``response`` and ``last_error`` from the exchange on every access.)

    def set_response(self, response: ResponseState | None) -> None:
        self.response = response
        self.passthrough = None

    def set_last_error(self, error: ctx.LastError) -> None:
        self.last_error = error

    def set_request_body(self, body: bytes) -> None:
        message = self.request_body
        if message is None:
            self.request_body = ctx.MessageBody(body, self.request_headers.joined("Content-Type"))
        else:
            message.set(body)
        self.request_body_changed = True
        # The view already built (if any) holds the MessageBody object itself; a first body
        # must be put there.
        self._share_request_body()

    async def read_request_body(self) -> None:
        """Read the request body so that expressions can see it (``context.Request.Body``)."""
        if self.request_body is None:
            http = self.http
            content = await http.read() if http.can_read_body else b""
            content_type = self.request_headers.joined("Content-Type")
            self.request_body = ctx.MessageBody(content, content_type)
            self._share_request_body()

    def _share_request_body(self) -> None:
        context = self._context
        if context is not None:
            view = context.built_request()
            if view is not None:
                view.body = self.request_body


class _Revalidation(Exchange):
    __slots__ = ()
    revalidating = True
