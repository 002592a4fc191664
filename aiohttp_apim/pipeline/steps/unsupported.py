"""Parts of supported policies that load but do not run (a ``set-body`` Liquid template): such
a step fails when it runs, with Reason ``PolicyNotSupported`` -- through on-error, never
silently."""

from __future__ import annotations

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.steps.base import Step, StepMeta

__all__ = ["NotSupportedStep"]


class NotSupportedStep(Step):
    __slots__ = ("what",)

    def __init__(self, meta: StepMeta, what: str | None = None) -> None:
        super().__init__(meta)
        self.what = what or f"<{meta.source}>"

    def run(self, x: Exchange) -> Signal | None:
        raise PolicyRuntimeError(
            f"{self.what} is not supported by this version of aiohttp_apim yet",
            reason="PolicyNotSupported",
        )
