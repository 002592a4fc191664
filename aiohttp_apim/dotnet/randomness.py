"""System.Random: ``new Random()``, ``new Random(seed)``, ``Next()``, ``Next(max)``,
``Next(min, max)``, ``NextDouble()``.

A seeded Random reproduces .NET's sequence exactly: since .NET 6 ``new Random(seed)`` still uses
the legacy Knuth subtractive generator of .NET Framework (``Net5CompatSeedImpl``), so a policy
that derives a seed (``new Random(context.RequestId.GetHashCode())``) picks what the gateway
picks for the same seed. An unseeded Random draws its state from the OS (`secrets`); .NET's
unseeded algorithm (xoshiro) is unobservable by design.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.errors import ExpressionError

__all__ = ["NetRandom"]

_MBIG = 2**31 - 1  # Int32.MaxValue
_MSEED = 161803398


class NetRandom:
    """The subtractive generator of .NET's ``Random(int seed)`` (reference source, verbatim)."""

    __slots__ = ("_inext", "_inextp", "_seeds")

    def __init__(self, seed: int) -> None:
        seeds = [0] * 56
        subtraction = _MBIG if seed == -(2**31) else abs(seed)
        mj = _MSEED - subtraction
        seeds[55] = mj
        mk = 1
        for i in range(1, 55):
            ii = (21 * i) % 55
            seeds[ii] = mk
            mk = mj - mk
            if mk < 0:
                mk += _MBIG
            mj = seeds[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                seeds[i] -= seeds[1 + (i + 30) % 55]
                if seeds[i] < 0:
                    seeds[i] += _MBIG
        self._seeds = seeds
        self._inext = 0
        self._inextp = 21

    def internal_sample(self) -> int:
        """An int in [0, Int32.MaxValue)."""
        inext = self._inext + 1
        if inext >= 56:
            inext = 1
        inextp = self._inextp + 1
        if inextp >= 56:
            inextp = 1
        seeds = self._seeds
        value = seeds[inext] - seeds[inextp]
        if value == _MBIG:
            value -= 1
        if value < 0:
            value += _MBIG
        seeds[inext] = value
        self._inext = inext
        self._inextp = inextp
        return value

    def sample(self) -> float:
        """A double in [0, 1)."""
        return self.internal_sample() * (1.0 / _MBIG)

    def _large_range_sample(self) -> float:
        result = self.internal_sample()
        if self.internal_sample() % 2 == 0:
            result = -result
        return (result + (_MBIG - 1)) / (2 * _MBIG - 1)

    def next(self, low: int, high: int) -> int:
        """``Next(minValue, maxValue)``: an int in [low, high) (``low`` when they are equal)."""
        span = high - low
        if span <= _MBIG:
            return int(self.sample() * span) + low
        return int(self._large_range_sample() * span) + low


def _out_of_range(param: str, message: str) -> ExpressionError:
    return ExpressionError("ArgumentOutOfRangeException", f"{message} (Parameter '{param}')")


def _construct(a: Sequence[object], t: Sequence[TypeRef]) -> NetRandom:
    arity("Random", ".ctor", a, 0, 1)
    if a:
        return NetRandom(strings._int_arg(a[0], "Seed"))
    return NetRandom(secrets.randbits(31))


def _next(r: NetRandom, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("Random", "Next", a, 0, 1, 2)
    if not a:
        return r.internal_sample()
    if len(a) == 1:
        high = strings._int_arg(a[0], "maxValue")
        if high < 0:
            raise _out_of_range("maxValue", "'maxValue' must be greater than zero.")
        return int(r.sample() * high)
    low = strings._int_arg(a[0], "minValue")
    high = strings._int_arg(a[1], "maxValue")
    if low > high:
        raise _out_of_range("minValue", "'minValue' cannot be greater than maxValue.")
    return r.next(low, high)


def _next_double(r: NetRandom, a: Sequence[object], t: Sequence[TypeRef]) -> float:
    arity("Random", "NextDouble", a, 0)
    return r.sample()


RANDOM = declare("Random", "System.Random", (NetRandom,))
RANDOM.construct = _construct
RANDOM.methods.update({"Next": _next, "NextDouble": _next_double})


RANDOM.sign(
    "new()",
    "new(int Seed)",
    "int Next()",
    "int Next(int maxValue)",
    "int Next(int minValue, int maxValue)",
    "double NextDouble()",
)

TYPES: tuple[TypeRef, ...] = (RANDOM,)
