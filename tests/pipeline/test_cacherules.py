"""The pure response-cache rules: downstream Cache-Control (spec 4.7), what an entry keeps,
durations."""

from __future__ import annotations

import pytest

from aiohttp_apim.pipeline.cacherules import (
    MAX_DURATION,
    downstream_cache_control,
    remaining_seconds,
    storable_headers,
    store_duration,
)
from aiohttp_apim.policy.model import DownstreamCachingType as D


@pytest.mark.parametrize(
    ("kind", "must_revalidate", "expected"),
    [
        (D.NONE, True, "no-cache"),
        (D.NONE, False, "no-cache"),
        (D.PRIVATE, True, "private, max-age=60, must-revalidate"),
        (D.PRIVATE, False, "private, max-age=60"),
        (D.PUBLIC, True, "public, max-age=60, must-revalidate"),
        (D.PUBLIC, False, "public, max-age=60"),
    ],
)
def test_downstream_cache_control_table(kind: D, must_revalidate: bool, expected: str) -> None:
    assert downstream_cache_control(kind, must_revalidate, 60) == expected


def test_entries_keep_neither_hop_by_hop_headers_nor_length_nor_cookies() -> None:
    lines = [
        ("Content-Type", "text/plain"),
        ("Connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "5"),
        ("Set-Cookie", "session=secret"),
        ("Upgrade", "h2c"),
        ("X-Multi", "a"),
        ("X-Multi", "b"),
        ("Cache-Control", "max-age=10"),
    ]
    assert storable_headers(lines) == [
        ("Content-Type", "text/plain"),
        ("X-Multi", "a"),
        ("X-Multi", "b"),
        ("Cache-Control", "max-age=10"),
    ]


@pytest.mark.parametrize(
    ("duration", "ttl"),
    [(0, None), (-5, None), (1, 1), (3600, 3600), (MAX_DURATION + 10, MAX_DURATION)],
)
def test_store_duration(duration: int, ttl: int | None) -> None:
    assert store_duration(duration) == ttl


@pytest.mark.parametrize(
    ("remaining", "max_age"), [(None, 0), (-1.0, 0), (0.4, 0), (59.99, 59), (60.0, 60)]
)
def test_max_age_on_a_hit_never_exceeds_the_remaining_lifetime(
    remaining: float | None, max_age: int
) -> None:
    assert remaining_seconds(remaining) == max_age
