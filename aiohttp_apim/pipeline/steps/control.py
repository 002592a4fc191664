"""Steps that steer the pipeline: set-variable, choose, return-response."""

from __future__ import annotations

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.steps.base import Abort, Step, StepMeta, run_steps, run_steps_sync
from aiohttp_apim.pipeline.values import Val

__all__ = ["Branch", "ChooseStep", "ReturnResponseStep", "SetVariableStep"]


class SetVariableStep(Step):
    """``context.Variables[name] = value``: a literal as a string, an expression's result with
    its own type."""

    before_lookup = True  # (it writes a variable and nothing else)

    __slots__ = ("name", "value")

    def __init__(self, meta: StepMeta, name: str, value: Val[object]) -> None:
        super().__init__(meta)
        self.name = name
        self.value = value

    def cannot_fail(self) -> bool:
        return self.value.cannot_fail()

    def run(self, x: Exchange) -> Signal | None:
        x.variables.set(self.name, self.value.get(x))
        return None


class Branch:
    """One ``when`` of a choose: its condition, its steps, and where it is (for errors in the
    condition, reported as the choose's)."""

    __slots__ = ("condition", "meta", "steps")

    def __init__(self, condition: Val[bool], steps: tuple[Step, ...], meta: StepMeta) -> None:
        self.condition = condition
        self.steps = steps
        self.meta = meta


class ChooseStep(Step):
    """The first ``when`` whose condition holds runs, else ``otherwise``."""

    __slots__ = ("otherwise", "whens")

    def __init__(
        self, meta: StepMeta, whens: tuple[Branch, ...], otherwise: tuple[Step, ...]
    ) -> None:
        is_async = any(s.is_async for branch in whens for s in branch.steps) or any(
            s.is_async for s in otherwise
        )
        super().__init__(meta, is_async=is_async)
        self.whens = whens
        self.otherwise = otherwise

    def branches(self) -> list[tuple[Step, ...]]:
        return [branch.steps for branch in self.whens] + [self.otherwise]

    def _chosen(self, x: Exchange) -> tuple[Step, ...]:
        for branch in self.whens:
            try:
                holds = branch.condition.get(x)
            except Exception as error:
                raise Abort(branch.meta.failure(error, x)) from error
            if holds:
                return branch.steps
        return self.otherwise

    def run(self, x: Exchange) -> Signal | None:
        return run_steps_sync(self._chosen(x), x)

    async def run_async(self, x: Exchange) -> Signal | None:
        return await run_steps(self._chosen(x), x)


class ReturnResponseStep(Step):
    """Answer now with a new response (or one held in a variable), customised by the children;
    nothing after it runs, neither backend nor outbound."""

    __slots__ = ("children", "variable")

    def __init__(self, meta: StepMeta, variable: str | None, children: tuple[Step, ...]) -> None:
        super().__init__(meta)
        self.variable = variable
        self.children = children

    def run(self, x: Exchange) -> Signal | None:
        adapter = x.runtime.adapter
        if self.variable is None:
            response = adapter.new_response(200, "OK", (), b"")
        else:
            held = x.variables.get(self.variable)
            if not isinstance(held, ctx.Response):
                raise PolicyRuntimeError(
                    f"variable '{self.variable}' does not hold a response",
                    reason="ResponseVariableNotFound",
                )
            body = b"" if held.body is None else held.body.content
            response = adapter.new_response(
                held.status_code,
                held.status_reason,
                [(name, v) for name, values in held.headers.items() for v in values],
                body,
            )
        x.set_response(response)
        run_steps_sync(self.children, x)
        return Signal.RETURN
