"""Per-call-site inline caches for member reads, indexers and instance calls.

Each instance member read, indexer read and instance method call in the generated code is a
*site* with two globals of its own in the expression's namespace: ``T<i>``, the exact type of the
receiver the site is specialised for, and ``K<i>``, runtime.py's implementation for that type.
The generated test is ``K<i>(o) if type(o) is T<i> else <fill>``: one identity test instead of
the dispatcher's call and its two dict lookups. Sites are monomorphic and written once: the
first receiver with a cacheable implementation fills the site (``K`` before ``T``, under a lock,
only while ``T`` is still empty), so a reader that sees ``T<i>`` is type(o) always finds that
type's implementation in ``K<i>`` -- also with threads. Receivers of any other type (or null, or
without the member) take runtime.py's ordinary dispatch every time, with its exact semantics
and errors.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

from aiohttp_apim.expressions import runtime

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["Sites"]

FILL_LOCK: Final = threading.Lock()


class Sites:
    """The fill functions of one compiled expression, bound to its namespace."""

    __slots__ = ("keys", "ns")

    def __init__(self, ns: dict[str, object], count: int) -> None:
        self.ns = ns
        self.keys = [(f"T{i}", f"K{i}") for i in range(count)]
        for t_key, k_key in self.keys:
            ns[t_key] = None  # ``type(x) is None`` is never true
            ns[k_key] = None

    def _fill(self, i: int, cls: type, impl: object) -> None:
        t_key, k_key = self.keys[i]
        ns = self.ns
        if ns[t_key] is None:
            with FILL_LOCK:
                if ns[t_key] is None:
                    ns[k_key] = impl
                    ns[t_key] = cls

    def member(self, i: int, obj: object, name: str) -> object:
        if self.ns[self.keys[i][0]] is None:
            impl = runtime.member_impl(obj, name)
            if impl is not None:
                self._fill(i, type(obj), impl)
                return impl(obj)
        return runtime.get_member(obj, name)

    def member_or_group(self, i: int, obj: object, name: str) -> object:
        """A member read that may be a method group (see ``runtime.member_or_group``)."""
        if self.ns[self.keys[i][0]] is None:
            impl = runtime.member_impl(obj, name)
            if impl is not None:
                self._fill(i, type(obj), impl)
                return impl(obj)
        return runtime.member_or_group(obj, name)

    def index(self, i: int, obj: object, args: tuple[object, ...]) -> object:
        if self.ns[self.keys[i][0]] is None:
            impl = runtime.indexer_impl(obj)
            if impl is not None:
                self._fill(i, type(obj), impl)
                return impl(obj, args)
        return runtime.index(obj, args)

    def method(
        self,
        i: int,
        obj: object,
        name: str,
        args: tuple[object, ...],
        type_args: tuple[TypeRef, ...],
    ) -> object:
        if self.ns[self.keys[i][0]] is None:
            impl = runtime.method_impl(obj, name)
            if impl is not None:
                self._fill(i, type(obj), impl)
                return impl(obj, args, type_args)
        return runtime.call_method(obj, name, args, type_args)
