"""Who is calling: the subscription key of a request, as APIM reads it
(https://learn.microsoft.com/azure/api-management/api-management-subscriptions).

The key comes from the ``Ocp-Apim-Subscription-Key`` header or else the ``subscription-key``
query parameter (APIM's defaults). A known key that grants the API called makes the caller;
otherwise the caller is anonymous -- or, when keys are required, APIM's 401 error.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_apim.identity import ANONYMOUS, Caller, Subscriptions
from aiohttp_apim.pipeline.failures import (
    SUBSCRIPTION_KEY_INVALID,
    SUBSCRIPTION_KEY_NOT_FOUND,
    LastError,
)

__all__ = ["ADMITTED", "Callers"]

ADMITTED: tuple[Caller, LastError | None] = (ANONYMOUS, None)
"""An anonymous caller, admitted."""


class Callers:
    """Resolves callers for one gateway; a :class:`Caller` is made once per subscription."""

    __slots__ = ("_callers", "_subscriptions")

    def __init__(self, subscriptions: Subscriptions | None) -> None:
        self._subscriptions = subscriptions
        self._callers: dict[str, Caller] = {}

    @property
    def anyone(self) -> bool:
        """Whether every caller is anonymous and admitted (no subscriptions): then
        :meth:`identify` always answers :data:`ADMITTED`, and need not be asked."""
        return self._subscriptions is None

    def identify(self, request: web.Request, api: str | None) -> tuple[Caller, LastError | None]:
        """The caller of ``request`` to ``api``, or the error that refuses it."""
        subscriptions = self._subscriptions
        if subscriptions is None:
            return ADMITTED
        key = request.headers.get(subscriptions.header_name) or request.query.get(
            subscriptions.query_name
        )
        subscription = subscriptions.lookup(key) if key else None
        if subscription is not None and subscription.grants(api):
            caller = self._callers.get(subscription.key)
            if caller is None:
                caller = self._callers[subscription.key] = Caller(subscription)
            return caller, None
        if not subscriptions.required:
            return ANONYMOUS, None
        return ANONYMOUS, SUBSCRIPTION_KEY_INVALID if key else SUBSCRIPTION_KEY_NOT_FOUND
