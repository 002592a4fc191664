"""Steps that change the request or the response: set-header, set-status, set-body.

Which message a step changes is fixed at compile time by its section: inbound and backend
change the request, outbound and on-error the response (and return-response's children the
response it builds).
"""

from __future__ import annotations

import enum
from http import HTTPStatus

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.expressions.runtime import to_string
from aiohttp_apim.pipeline.exchange import Exchange, ResponseState, Signal
from aiohttp_apim.pipeline.headers import HeaderStore, set_header
from aiohttp_apim.pipeline.steps.base import Step, StepMeta
from aiohttp_apim.pipeline.values import Val
from aiohttp_apim.policy.model import ExistsAction

__all__ = ["SetBodyStep", "SetHeaderStep", "SetStatusStep", "Target", "current_response"]


class Target(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


def current_response(x: Exchange) -> ResponseState:
    """The response a step changes; before the backend has answered that is a new empty 200
    (which the backend's response then replaces, as APIM's does)."""
    response = x.response
    if response is None:
        response = x.runtime.adapter.new_response(200, "OK", (), b"")
        x.set_response(response)
    return response


class SetHeaderStep(Step):
    __slots__ = ("action", "constant_values", "name", "target", "values")

    def __init__(
        self,
        meta: StepMeta,
        target: Target,
        name: Val[str],
        action: Val[ExistsAction],
        values: tuple[Val[str], ...],
    ) -> None:
        super().__init__(meta)
        self.target = target
        self.name = name
        self.action = action
        self.values = values
        # Literal values (the common case) are a tuple made once, not a list per request.
        self.constant_values: tuple[str, ...] | None = (
            tuple(v.get_constant() for v in values) if all(v.is_constant for v in values) else None
        )

    def run(self, x: Exchange) -> Signal | None:
        store: HeaderStore = (
            x.request_headers if self.target is Target.REQUEST else current_response(x).headers
        )
        self.apply(x, store)
        return None

    def apply(self, x: Exchange, store: HeaderStore) -> None:
        """Apply this set-header to ``store`` (send-request's headers use it too)."""
        values = self.constant_values
        if values is None:
            values = tuple(value.get(x) for value in self.values)
        set_header(store, self.name.get(x), self.action.get(x), values)


def status_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


class SetStatusStep(Step):
    __slots__ = ("code", "reason")

    def __init__(self, meta: StepMeta, code: Val[int], reason: Val[str] | None) -> None:
        super().__init__(meta)
        self.code = code
        self.reason = reason

    def run(self, x: Exchange) -> Signal | None:
        code = self.code.get(x)
        if not 100 <= code <= 599:
            raise PolicyRuntimeError(
                f"{code} is not an HTTP status code (100-599)", reason="InvalidStatusCode"
            )
        reason = status_phrase(code) if self.reason is None else self.reason.get(x)
        if "\r" in reason or "\n" in reason:
            raise PolicyRuntimeError(
                "the reason phrase contains a line break", reason="InvalidStatusCode"
            )
        current_response(x).set_status(code, reason)
        return None


def body_bytes(value: object) -> bytes:
    """A set-body result as bytes: text as UTF-8, byte[] as it is, null as empty, anything else
    (a JToken, a number) as its .NET ``ToString()``."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if value is None:
        return b""
    return to_string(value).encode("utf-8", "surrogatepass")


class SetBodyStep(Step):
    __slots__ = ("constant_body", "target", "value")

    def __init__(self, meta: StepMeta, target: Target, value: Val[object]) -> None:
        super().__init__(meta)
        self.target = target
        self.value = value
        self.constant_body = body_bytes(value.get_constant()) if value.is_constant else None

    def body(self, x: Exchange) -> bytes:
        """The body this set-body makes for ``x`` (send-request's body uses it too)."""
        body = self.constant_body
        if body is None:
            body = body_bytes(self.value.get(x))
        return body

    def run(self, x: Exchange) -> Signal | None:
        body = self.body(x)
        if self.target is Target.REQUEST:
            x.set_request_body(body)
        else:
            current_response(x).set_body(body)
        return None
