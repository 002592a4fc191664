"""The pipeline's error records: ``LastError`` (what ``context.LastError`` shows and ``on-error``
sees) and the records of the failures the gateway itself raises before or around the policies.

The web layer names these (a caller refused for its subscription key) through this module, never
through the expression engine's object model.
"""

from __future__ import annotations

from aiohttp_apim.expressions.context import LastError

__all__ = [
    "RATE_LIMIT_EXCEEDED",
    "SUBSCRIPTION_KEY_INVALID",
    "SUBSCRIPTION_KEY_NOT_FOUND",
    "LastError",
]

SUBSCRIPTION_KEY_NOT_FOUND = LastError(
    source="authorization",
    reason="SubscriptionKeyNotFound",
    message="Access denied due to missing subscription key. Make sure to include subscription "
    "key when making requests to an API.",
    section="inbound",
)
SUBSCRIPTION_KEY_INVALID = LastError(
    source="authorization",
    reason="SubscriptionKeyInvalid",
    message="Access denied due to invalid subscription key. Make sure to provide a valid key "
    "for an active subscription.",
    section="inbound",
)
RATE_LIMIT_EXCEEDED = "RateLimitExceeded"
"""``LastError.Reason`` of a call refused by rate-limit-by-key (APIM's 429)."""
