"""The pure response-cache rules: downstream Cache-Control, what an entry keeps,
durations, and which responses and requests the cache must leave alone (safety beyond APIM)."""

from __future__ import annotations

import pytest

from aiohttp_apim.pipeline.cacherules import (
    CACHE_REQUEST_HEADERS,
    MAX_DURATION,
    downstream_cache_control,
    remaining_seconds,
    request_is_private,
    storable_headers,
    store_duration,
    unstorable_reason,
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


def test_headers_named_by_connection_are_not_stored() -> None:
    lines = [("Connection", "X-Hop, close"), ("X-Hop", "1"), ("X-Kept", "2")]
    assert storable_headers(lines) == [("X-Kept", "2")]


# --- which responses may be stored (safety beyond APIM) ---------------------------------------

KEYED = frozenset({"accept", "host"})


def reason(status: int = 200, *lines: tuple[str, str], honor: bool = True) -> str | None:
    return unstorable_reason(status, list(lines), varied=KEYED, honor_backend=honor)


@pytest.mark.parametrize(
    "value",
    [
        "private",
        "PRIVATE",
        "no-store",
        "no-cache",
        "public, max-age=60, private",
        'private="Set-Cookie"',
        'no-cache="X-Secret"',
        " no-store , max-age=5",
    ],
)
def test_a_response_the_backend_keeps_private_is_not_stored(value: str) -> None:
    assert reason(200, ("Cache-Control", value)) is not None
    assert reason(200, ("Cache-Control", "max-age=5"), ("cache-control", value)) is not None
    assert reason(200, ("Cache-Control", value), honor=False) is None


@pytest.mark.parametrize(
    "value", ["public", "max-age=60", "public, max-age=0, must-revalidate", ""]
)
def test_other_cache_control_directives_do_not_keep_a_response_out(value: str) -> None:
    assert reason(200, ("Cache-Control", value)) is None


@pytest.mark.parametrize("value", ["*", "Accept, *", "Cookie", "accept, Cookie", "Authorization"])
def test_a_response_varying_on_what_the_key_does_not_hold_is_not_stored(value: str) -> None:
    assert reason(200, ("Vary", value)) is not None
    assert reason(200, ("Vary", "Accept"), ("Vary", value)) is not None
    assert reason(200, ("Vary", value), honor=False) is None


@pytest.mark.parametrize("value", ["Accept", "accept, HOST", "Host", ""])
def test_a_response_varying_only_on_what_the_key_holds_is_stored(value: str) -> None:
    assert reason(200, ("Vary", value)) is None


def test_a_response_setting_a_cookie_is_not_stored() -> None:
    assert reason(200, ("set-cookie", "session=1")) is not None
    assert reason(200, ("Set-Cookie", "session=1"), honor=False) is None


@pytest.mark.parametrize("status", [206, 304])
def test_206_and_304_are_never_stored(status: int) -> None:
    assert reason(status) is not None
    assert reason(status, honor=False) is not None


@pytest.mark.parametrize("status", [200, 203, 404, 500])
def test_other_statuses_are_for_cache_store_to_decide(status: int) -> None:
    assert reason(status, ("Content-Type", "text/plain")) is None


class Headers:
    def __init__(self, *names: str) -> None:
        self.names = {name.lower() for name in names}

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.names


@pytest.mark.parametrize(
    ("names", "honor", "private"),
    [
        ((), True, False),
        (("Accept",), True, False),
        (("Authorization",), True, True),
        (("authorization",), False, True),
        (("Proxy-Authorization",), True, True),
        (("Proxy-Authorization",), False, False),
    ],
)
def test_requests_with_credentials_are_private(
    names: tuple[str, ...], honor: bool, private: bool
) -> None:
    assert request_is_private(Headers(*names), honor_backend=honor) is private


def test_range_requests_are_made_whole_on_a_miss() -> None:
    assert {"Range", "If-Range"} <= set(CACHE_REQUEST_HEADERS)
