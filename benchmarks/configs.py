"""What the benchmark runs: each configuration is one server (a kind of ``servers.KINDS`` with a
body size) and the requests wrk sends it, with the configurations its ratios are taken against.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KIB", "MIB", "Config", "all_configs", "size_label"]

KIB = 1024
MIB = 1024 * 1024
SIZES = (KIB, 64 * KIB, MIB)


def size_label(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size // KIB} KiB"


@dataclass(frozen=True)
class Config:
    """One configuration of the table."""

    kind: str
    """The server (``benchmarks.servers.KINDS``)."""
    size: int
    """The response body in bytes."""
    label: str
    """What the table calls it."""
    baseline: str | None
    """The configuration its req/s ratio is taken against (None: it is a baseline)."""
    peer: str | None = None
    """The aiohttp-cache configuration doing the same, for the ratio to the peer."""
    unique: bool = False
    """Every request asks for a new id: each one a miss (and a store)."""
    headers: tuple[tuple[str, str], ...] = ()
    hit: bool = False
    """Every request after the first should be a hit (ours report how many were)."""

    @property
    def name(self) -> str:
        return f"{self.kind}@{size_label(self.size).replace(' ', '')}"

    @property
    def redis(self) -> bool:
        return "redis" in self.kind

    @property
    def peer_process(self) -> bool:
        """Whether it runs under the peer's virtualenv."""
        return self.kind.startswith("peer-")

    @property
    def ours(self) -> bool:
        return self.kind.startswith("apim-")


def _name(kind: str, size: int) -> str:
    return Config(kind, size, "", None).name


def all_configs(sizes: tuple[int, ...] = SIZES) -> list[Config]:
    """Every configuration of the full run, at the given body sizes (1 KiB always included
    for the configurations measured at one size only)."""
    small = KIB
    configs: list[Config] = []
    for size in sizes:
        bare = _name("bare", size)
        peer_hit = _name("peer-hit", size)
        configs += [
            Config("bare", size, "bare aiohttp handler", None),
            Config("dict-hit", size, "hand-written dict cache, hit", bare, hit=True),
            Config("peer-hit", size, "aiohttp-cache 4.0.1 memory hit", bare, hit=True),
            Config("apim-hit", size, "ours: memory hit", bare, peer=peer_hit, hit=True),
        ]
    bare = _name("bare", small)
    configs += [
        Config("noop", small, "one no-op middleware", bare),
        Config("apim-forward", small, "ours: global forward-only policy", bare),
        Config(
            "apim-hit-expr",
            small,
            "ours: memory hit with typical expressions",
            bare,
            headers=(("X-Tenant", "acme"),),
            hit=True,
        ),
        Config("dict-miss", small, "hand-written dict cache, miss + store", bare, unique=True),
        Config("peer-miss", small, "aiohttp-cache memory, miss + store", bare, unique=True),
        Config(
            "apim-miss",
            small,
            "ours: miss + store, handler without delay",
            bare,
            peer=_name("peer-miss", small),
            unique=True,
        ),
        Config("bare-slow", small, "bare handler with a 20 ms delay", None),
        Config(
            "apim-miss-slow",
            small,
            "ours: miss + store, 20 ms handler",
            _name("bare-slow", small),
            unique=True,
        ),
    ]
    for size in sorted({small, MIB} & set(sizes)) or [small]:
        bare = _name("bare", size)
        configs += [
            Config("redis-hand-hit", size, "hand-written Redis cache, hit", bare, hit=True),
            Config("peer-redis-hit", size, "aiohttp-cache 4.0.1 Redis hit", bare, hit=True),
            Config(
                "apim-redis-hit",
                size,
                "ours: Redis hit",
                bare,
                peer=_name("peer-redis-hit", size),
                hit=True,
            ),
            Config("apim-redis-near-hit", size, "ours: Redis hit with near cache", bare, hit=True),
        ]
    return configs
