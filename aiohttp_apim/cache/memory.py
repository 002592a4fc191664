"""The internal cache: in process, bounded by bytes, least-recently-used eviction, per-entry TTL.

Layout: an ``OrderedDict`` from key to entry, in recency order (least recent first), and a heap of
``(expires_at, key)`` that finds expired entries without scanning. The heap is lazy: an
entry that is overwritten, deleted or evicted leaves its item behind, and a popped item counts
only if its key still holds an entry that has expired. The heap is rebuilt from the live entries
when stale items exceed half their number, so it stays O(entries) at O(1) amortised cost per write.

Expired entries leave on the read that finds them, and on writes: every write pops a bounded
batch of due heap items, and a write that needs room pops due items until it fits before it
evicts a live entry. So expired entries do not pile up, no write does O(n) work, and a live entry
is never evicted while an expired one still takes its place.

Nothing here awaits, so every operation is atomic among the tasks of an event loop. The cache is
not thread-safe: use it from one event loop's thread.

Memory. ``max_bytes`` bounds what the entries take, but a process keeps memory it freed unless
its allocator gives it back, and a cache frees a lot: a full cache of small entries that large
ones replace frees a whole bound's worth of small blocks. Three things kept the resident set
well above the bound (64 MiB of 1 KiB entries, then of 256 KiB ones: 1.35x the bound):

* the entry table: a dict never shrinks, so the ``OrderedDict`` sized for 45k small entries
  stayed that size for 255 large ones (about 0.09x). It is rebuilt when the entries fall to
  an eighth of what it was sized for;
* glibc's heap: values above 512 bytes come from ``malloc``; freed in the middle of the heap,
  their pages stay resident until ``malloc_trim`` returns them (about 0.08x). The cache calls it
  (where the C library has it) each time it has freed half its bound since the last call -- a
  fraction of a millisecond;
* pymalloc's arenas, where the keys, entry objects and heap items live: an arena is returned only
  when every object in it is gone, and the entries that survive are spread over many of them
  (about 0.2x). That is CPython's to keep; the cache keeps its objects per entry few.

With both fixes the growth stays near 1.18x (``python -m benchmarks.memory``).
"""

from __future__ import annotations

import ctypes
import heapq
import math
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp_apim.cache.base import Cache, CacheHit, Clock

__all__ = ["ENTRY_OVERHEAD", "MemoryCache", "MemoryCacheStats"]

ENTRY_OVERHEAD = 450
"""Bytes charged per entry on top of its UTF-8 key and its value: what CPython spends to keep one
entry besides the key's and the value's characters (the dict slot and the OrderedDict link, the
entry object, its float expiry, the heap item, the str and bytes object headers). Measured with
tracemalloc on CPython 3.11: about 300 bytes, up to about 420 with the stale heap items tolerated
before a rebuild; rounded up so that ``max_bytes`` bounds the memory the cache really holds
(``tests/cache/test_memory.py`` checks that it still does)."""

# How many due heap items a write pops when it does not need room: enough to drain a backlog of
# expired entries faster than writes add entries, small enough that no single write stalls.
_SWEEP_BATCH = 32
# The heap is rebuilt when it holds more than 1.5 items per live entry plus this slack: the
# ratio bounds the memory stale items take (ENTRY_OVERHEAD counts them), the slack keeps a tiny
# cache from rebuilding on nearly every write.
_HEAP_SLACK = 64
# The entry table is rebuilt (to free the slots of a dict that never shrinks) when it holds fewer
# than 1/_TABLE_SHRINK of the entries it was sized for, and was sized for at least _TABLE_MIN.
_TABLE_SHRINK = 8
_TABLE_MIN = 4096

# Redis keeps counters as signed 64-bit integers written in canonical decimal; so do we, so that
# a policy behaves the same whichever cache it runs on.
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_CANONICAL_INT = re.compile(rb"-?[1-9][0-9]{0,18}|0")


_Entry = tuple[bytes, float, int]
"""An entry: (value, expires at, size). A plain tuple, not an object: it is made on every store
(a class's ``__init__`` cost ~3k instructions more), and a tuple of a bytes, a float and an int
is untracked by the garbage collector, which then never walks a large cache's entries."""


@dataclass(frozen=True, slots=True)
class MemoryCacheStats:
    """A snapshot of a :class:`MemoryCache`'s counters (counts are since the cache was made).

    ``evictions`` counts live entries dropped to stay within ``max_bytes``; ``expired`` counts
    entries dropped because their TTL ran out (found on a read, a delete or by the sweep);
    ``oversize`` counts values not stored because the entry would exceed ``max_entry_bytes``.
    ``entries`` and ``current_bytes`` include expired entries the sweep has not reached yet.
    """

    hits: int
    misses: int
    stores: int
    evictions: int
    expired: int
    oversize: int
    entries: int
    current_bytes: int
    max_bytes: int


class MemoryCache(Cache):
    """The in-process cache (APIM's *internal* cache): bounded by bytes, LRU, per-entry TTL.

    ``max_bytes`` bounds the sum of the entries' sizes, where an entry's size is the UTF-8
    length of its key plus the length of its value plus :data:`ENTRY_OVERHEAD`. Storing beyond it
    drops expired entries first, then the least recently used ones (a read, an overwrite or an
    increment makes an entry the most recently used).

    An entry whose size would exceed ``max_entry_bytes`` (or ``max_bytes``, if smaller) is not
    stored, and any older entry under its key is removed: the caller replaced that value, so
    serving the old one would be serving what the caller meant to overwrite.

    Expiry follows ``clock`` (seconds; default :func:`time.monotonic`). A cache made without a
    clock follows the clock of the first gateway that binds one (:meth:`bind_clock`), so that
    ``setup(clock=...)`` steps expiry in tests. One cache may serve several gateways.
    """

    def __init__(
        self,
        max_bytes: int = 64 * 1024 * 1024,
        max_entry_bytes: int = 2 * 1024 * 1024,
        *,
        clock: Clock | None = None,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be > 0, got {max_bytes!r}")
        if max_entry_bytes <= 0:
            raise ValueError(f"max_entry_bytes must be > 0, got {max_entry_bytes!r}")
        self._max_bytes = max_bytes
        self._entry_limit = min(max_entry_bytes, max_bytes)
        self._explicit_clock = clock is not None
        self._clock: Clock = clock if clock is not None else time.monotonic
        self._bound_clock: Clock | None = None
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._heap: list[tuple[float, str]] = []
        self._bytes = 0
        self._table_size = 0
        """How many entries the table has held at most since it was (re)built."""
        self._freed = 0
        """Bytes of entries dropped since the allocator was last asked to give memory back."""
        self._hits = self._misses = self._stores = 0
        self._evictions = self._expired = self._oversize = 0

    @property
    def name(self) -> str:
        """``"memory"``."""
        return "memory"

    @property
    def in_process(self) -> bool:
        """True: nothing here awaits, so the pipeline neither times calls nor defers writes."""
        return True

    def __repr__(self) -> str:
        return f"<MemoryCache entries={len(self._entries)} bytes={self._bytes}/{self._max_bytes}>"

    # -- the Cache protocol -----------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass that changes get or set (a double that counts or fails them) keeps them
        # in the way: it declares no synchronous form of one it changed unless it gives its own
        # (HoldsInProcess), so that nobody calls around what it does.
        super().__init_subclass__(**kwargs)
        for method, now in (("get", "get_now"), ("set", "set_now")):
            if method in cls.__dict__ and now not in cls.__dict__:
                setattr(cls, now, None)

    async def get(self, key: str) -> CacheHit | None:
        """See :meth:`Cache.get`. The hit path copies nothing: the stored bytes are returned."""
        # (MemoryCache's own read, whatever a subclass makes of the capability)
        return MemoryCache.get_now(self, key)

    def get_now(self, key: str) -> CacheHit | None:
        """See :meth:`~aiohttp_apim.cache.base.HoldsInProcess.get_now`."""
        hit = MemoryCache.get_in_process(self, key)
        if hit is None:
            self._misses += 1
        return hit

    def get_in_process(self, key: str) -> CacheHit | None:
        """See :meth:`~aiohttp_apim.cache.base.ReadsInProcess.get_in_process`: every entry is
        in process, so None is a miss here (which :meth:`get` counts)."""
        entries = self._entries
        entry = entries.get(key)
        if entry is not None:
            remaining = entry[1] - self._clock()
            if remaining > 0:
                entries.move_to_end(key)
                self._hits += 1
                return CacheHit(entry[0], remaining)
            self._discard(key, entry)
            self._expired += 1
        return None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """See :meth:`Cache.set`; values larger than ``max_entry_bytes`` are not kept."""
        MemoryCache.set_now(self, key, value, ttl)

    def set_now(self, key: str, value: bytes, ttl: float) -> None:
        """See :meth:`~aiohttp_apim.cache.base.HoldsInProcess.set_now`."""
        _check_ttl(ttl)
        if type(value) is not bytes:
            # Hits hand out the stored object itself, so it must be immutable: copy a
            # bytearray or memoryview now rather than let the caller change it later.
            value = bytes(value)
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[2]
            self._freed += old[2]
        size = (len(key) if key.isascii() else _key_size(key)) + len(value) + ENTRY_OVERHEAD
        if size > self._entry_limit:
            self._oversize += 1
            return
        now = self._clock()
        heap = self._heap
        if self._bytes + size > self._max_bytes or (heap and heap[0][0] <= now):
            self._make_room(size, now)
        self._insert(key, value, now + ttl, size)
        self._stores += 1

    async def delete(self, key: str) -> bool:
        """See :meth:`Cache.delete`."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._bytes -= entry[2]
        self._freed += entry[2]
        if entry[1] <= self._clock():
            self._expired += 1
            return False
        return True

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        """See :meth:`Cache.increment`. Raises :class:`ValueError` also when the key alone is
        too large to keep a counter under (rather than count without keeping the count)."""
        _check_ttl(ttl)
        _check_int64(amount)
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= now:
            self._discard(key, entry)
            self._expired += 1
            entry = None
        if entry is None:
            value = b"%d" % amount
            size = _key_size(key) + len(value) + ENTRY_OVERHEAD
            if size > self._entry_limit:
                raise ValueError("key too large for this cache's max_entry_bytes")
            self._make_room(size, now)
            self._insert(key, value, now + ttl, size)
            return amount
        total = _parse_counter(entry[0]) + amount
        _check_int64(total)
        value = b"%d" % total
        # A counter grows by a few bytes at most, so the entry limit is not checked again; the
        # budget is, and the counter, now the most recently used entry, is evicted last.
        grown = len(value) - len(entry[0])
        self._entries[key] = (value, entry[1], entry[2] + grown)  # (in place: same position)
        self._bytes += grown
        self._entries.move_to_end(key)
        if self._bytes > self._max_bytes:
            self._make_room(0, now)
        return total

    async def close(self) -> None:
        """Drop every entry, freeing their memory at once. The cache stays usable (and empty)."""
        self._entries = OrderedDict()
        self._heap = []
        self._bytes = 0
        self._table_size = 0
        self._freed = 0
        if _TRIM is not None:
            _TRIM()

    # -- clock and observability ------------------------------------------------------------

    def bind_clock(self, clock: Clock) -> bool:
        """Follow ``clock`` for expiry, unless the cache was constructed with a clock.

        A gateway calls this with the clock given to ``setup(clock=...)``. Returns ``True`` when
        the cache follows ``clock`` (also when already bound to it), ``False`` when the cache keeps
        its explicit clock. Entries already stored keep the time they had left. Binding a
        different clock after one was bound raises :class:`ValueError`: two gateways sharing this
        cache with two clocks would each see the other's entries expire at the wrong time; give
        the cache its clock explicitly (``MemoryCache(clock=...)``) to share it that way.
        """
        if self._explicit_clock:
            return clock == self._clock
        if self._bound_clock is not None:
            # ==, not `is`: each access to a bound method (clock.now) makes a new object.
            if clock == self._bound_clock:
                return True
            raise ValueError("this MemoryCache already follows another gateway's clock")
        shift = clock() - self._clock()
        self._entries = OrderedDict(
            (key, (value, expires_at + shift, size))
            for key, (value, expires_at, size) in self._entries.items()
        )
        self._clock = self._bound_clock = clock
        self._rebuild_heap()
        return True

    def stats(self) -> MemoryCacheStats:
        """Return a snapshot of the counters and the current size."""
        return MemoryCacheStats(
            hits=self._hits,
            misses=self._misses,
            stores=self._stores,
            evictions=self._evictions,
            expired=self._expired,
            oversize=self._oversize,
            entries=len(self._entries),
            current_bytes=self._bytes,
            max_bytes=self._max_bytes,
        )

    # -- internals --------------------------------------------------------------------------

    def _insert(self, key: str, value: bytes, expires_at: float, size: int) -> None:
        entries = self._entries
        entries[key] = (value, expires_at, size)
        self._bytes += size
        if len(entries) > self._table_size:
            self._table_size = len(entries)
        heap = self._heap
        heapq.heappush(heap, (expires_at, key))
        if len(heap) > 3 * len(self._entries) // 2 + _HEAP_SLACK:
            self._rebuild_heap()

    def _discard(self, key: str, entry: _Entry) -> None:
        del self._entries[key]
        self._bytes -= entry[2]
        self._freed += entry[2]

    def _make_room(self, need: int, now: float) -> None:
        """Sweep a batch of expired entries, then free enough bytes for ``need`` more: expired
        entries first, then the least recently used. ``need`` never exceeds ``max_bytes``."""
        heap, entries, budget = self._heap, self._entries, self._max_bytes
        swept = 0
        while heap and heap[0][0] <= now and (swept < _SWEEP_BATCH or self._bytes + need > budget):
            swept += 1
            key = heapq.heappop(heap)[1]
            entry = entries.get(key)
            # The item may be stale (the key since rewritten with a later expiry, or gone).
            if entry is not None and entry[1] <= now:
                self._discard(key, entry)
                self._expired += 1
        while self._bytes + need > budget:
            entry = entries.popitem(last=False)[1]
            self._bytes -= entry[2]
            self._freed += entry[2]
            self._evictions += 1
        if self._freed > budget // 2:
            self._give_back()

    def _give_back(self) -> None:
        """Return what the dropped entries held (see the module docstring): shrink the table if
        it is mostly empty, and let the C allocator release its free pages."""
        self._freed = 0
        entries = self._entries
        if self._table_size >= _TABLE_MIN and len(entries) * _TABLE_SHRINK < self._table_size:
            self._entries = OrderedDict(entries)
            self._table_size = len(entries)
            self._rebuild_heap()
        if _TRIM is not None:
            _TRIM()

    def _rebuild_heap(self) -> None:
        self._heap = [(e[1], k) for k, e in self._entries.items()]
        heapq.heapify(self._heap)


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, which returns the free pages of the C heap to the system;
    None where there is no such function (another OS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


_TRIM = _malloc_trim()


def _check_ttl(ttl: float) -> None:
    # Written so that NaN fails too.
    if not 0.0 < ttl < math.inf:
        raise ValueError(f"ttl must be a finite number of seconds > 0, got {ttl!r}")


def _parse_counter(value: bytes) -> int:
    if _CANONICAL_INT.fullmatch(value):
        n = int(value)
        if _INT64_MIN <= n <= _INT64_MAX:
            return n
    raise ValueError("the value stored under this key is not a 64-bit decimal integer")


def _check_int64(n: int) -> None:
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise ValueError(f"counter value {n} is outside the signed 64-bit range")


def _key_size(key: str) -> int:
    if key.isascii():
        return len(key)
    # surrogatepass: a str may hold lone surrogates (from undecodable request bytes); they are
    # still valid keys here, as for every backend.
    return len(key.encode("utf-8", "surrogatepass"))
