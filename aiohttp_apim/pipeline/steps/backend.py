"""forward-request: the backend is the route's aiohttp handler (the app is its own backend).

``timeout`` (or ``timeout-ms``) bounds the handler; ``fail-on-error-status-code`` turns a 4xx/5xx
answer into an error for on-error. ``follow-redirects``, ``buffer-request-body``,
``buffer-response``, ``http-version`` and ``continue-timeout`` describe an HTTP connection to a
remote backend; a handler called in process has none, so they change nothing here.
"""

from __future__ import annotations

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.steps.base import Step, StepMeta
from aiohttp_apim.pipeline.values import Val

__all__ = ["ForwardRequestStep"]


class ForwardRequestStep(Step):
    __slots__ = (
        "_never_fails",
        "_seconds",
        "constant_timeout",
        "fail_on_error_status_code",
        "timeout",
        "timeout_ms",
    )

    def __init__(
        self,
        meta: StepMeta,
        *,
        timeout: Val[int] | None,
        timeout_ms: Val[int] | None,
        fail_on_error_status_code: Val[bool],
    ) -> None:
        super().__init__(meta, is_async=True)
        self.timeout = timeout
        self.timeout_ms = timeout_ms
        self.fail_on_error_status_code = fail_on_error_status_code
        self.constant_timeout = (timeout is None or timeout.is_constant) and (
            timeout_ms is None or timeout_ms.is_constant
        )
        """Whether :meth:`seconds` is the same for every request (the usual literal)."""
        self._seconds = self.constant_seconds() if self.constant_timeout else None
        self._never_fails = (
            fail_on_error_status_code.is_constant and not fail_on_error_status_code.get_constant()
        )
        """Whether no answer of the backend is an error (``fail-on-error-status-code`` false)."""

    def seconds(self, x: Exchange) -> float | None:
        """The handler's time limit; None (no limit) for zero or less."""
        if self.timeout_ms is not None:
            limit = self.timeout_ms.get(x) / 1000
        elif self.timeout is not None:
            limit = float(self.timeout.get(x))
        else:
            return None
        return limit if limit > 0 else None

    def constant_seconds(self) -> float | None:
        """:meth:`seconds` of a :attr:`constant_timeout` step, without a request."""
        assert self.constant_timeout
        if self.timeout_ms is not None:
            limit = self.timeout_ms.get_constant() / 1000
        elif self.timeout is not None:
            limit = float(self.timeout.get_constant())
        else:
            return None
        return limit if limit > 0 else None

    async def run_async(self, x: Exchange) -> Signal | None:
        await x.runtime.adapter.forward(
            x, self._seconds if self.constant_timeout else self.seconds(x)
        )
        if self._never_fails:
            return None
        response = x.response
        if (
            response is not None
            and x.passthrough is None
            and response.status >= 400
            and self.fail_on_error_status_code.get(x)
        ):
            raise PolicyRuntimeError(
                f"The backend responded with status code {response.status}",
                reason="BackendResponseStatusCode",
            )
        return None
