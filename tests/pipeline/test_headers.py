"""Header stores (copy on write, hand-over to expressions) and the set-header rules."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.pipeline.headers import HeaderStore, set_header
from aiohttp_apim.policy.model import ExistsAction as A


def store(*lines: tuple[str, str], owned: bool = True) -> HeaderStore:
    md = CIMultiDict(lines)
    return HeaderStore(md if owned else CIMultiDictProxy(md), owned=owned)


def test_reads_are_case_insensitive_and_keep_every_value() -> None:
    s = store(("X-A", "1"), ("x-a", "2"))
    assert s.get("x-A") == ["1", "2"]
    assert s.joined("X-A") == "1,2"
    assert s.get("missing") is None
    assert "x-a" in s
    assert not s.changed


def test_a_read_only_source_is_copied_on_the_first_write_only() -> None:
    source = CIMultiDictProxy(CIMultiDict([("X-A", "1")]))
    s = HeaderStore(source, owned=False)
    assert s.multidict is source
    s.set("X-B", ["2"])
    assert s.changed
    assert s.multidict is not source
    assert "X-B" not in source
    assert s.items() == [("X-A", "1"), ("X-B", "2")]


def test_an_owned_source_changes_in_place() -> None:
    md: CIMultiDict[str] = CIMultiDict([("X-A", "1")])
    s = HeaderStore(md, owned=True)
    s.add("X-A", ["2"])
    assert s.multidict is md
    assert md.getall("X-A") == ["1", "2"]


def test_after_hand_over_store_and_expressions_see_the_same_headers() -> None:
    s = store(("X-A", "1"))
    dictionary = s.dictionary()
    s.set("X-B", ["2"])
    s.remove("X-A")
    assert dictionary.get("X-B") == ["2"]
    assert "X-A" not in dictionary
    assert s.multidict is None
    assert s.items() == [("X-B", "2")]
    assert s.changed


def test_remove_reports_whether_something_was_there() -> None:
    s = store(("X-A", "1"), owned=False)
    assert not s.remove("X-B")
    assert not s.changed
    assert s.remove("x-a")
    assert s.changed


# --- set-header -----------------------------------------------------------------------------


def test_override_replaces_every_line_with_one_comma_joined_line() -> None:
    s = store(("X-H", "a"), ("X-H", "b"))
    set_header(s, "X-H", A.OVERRIDE, ["1", "2"])
    assert s.get("X-H") == ["1,2"]


def test_skip_keeps_an_existing_header_and_sets_an_absent_one() -> None:
    s = store(("X-H", "a"))
    set_header(s, "x-h", A.SKIP, ["new"])
    set_header(s, "X-New", A.SKIP, ["new"])
    assert s.get("X-H") == ["a"]
    assert s.get("X-New") == ["new"]


def test_append_joins_to_the_existing_line() -> None:
    s = store(("X-H", "a"), ("X-H", "b"))
    set_header(s, "X-H", A.APPEND, ["c"])
    assert s.get("X-H") == ["a,b,c"]


def test_append_to_an_absent_header_sets_it() -> None:
    s = store()
    set_header(s, "X-H", A.APPEND, ["c", "d"])
    assert s.get("X-H") == ["c,d"]


@pytest.mark.parametrize("name", ["Set-Cookie", "www-authenticate", "Retry-After", "Date"])
def test_listed_headers_get_a_line_per_value(name: str) -> None:
    s = store((name, "a"))
    set_header(s, name, A.APPEND, ["b", "c"])
    assert s.get(name) == ["a", "b", "c"]
    set_header(s, name, A.OVERRIDE, ["x", "y"])
    assert s.get(name) == ["x", "y"]


def test_delete_removes_every_line() -> None:
    s = store(("X-H", "a"), ("X-H", "b"))
    set_header(s, "X-H", A.DELETE, [])
    assert s.get("X-H") is None


def test_server_cannot_be_removed() -> None:
    s = store(("Server", "backend"))
    set_header(s, "Server", A.DELETE, [])
    assert s.get("Server") == ["backend"]
    set_header(s, "Server", A.OVERRIDE, ["gateway"])
    assert s.get("Server") == ["gateway"]


@pytest.mark.parametrize(
    "name", ["Connection", "Content-Length", "Keep-Alive", "transfer-encoding"]
)
@pytest.mark.parametrize("action", list(A))
def test_connection_headers_cannot_be_modified(name: str, action: A) -> None:
    s = store((name, "original"))
    set_header(s, name, action, ["policy"])
    assert s.get(name) == ["original"]
    assert not s.changed


def test_no_value_sets_an_empty_header() -> None:
    s = store()
    set_header(s, "X-Empty", A.OVERRIDE, [])
    assert s.get("X-Empty") == [""]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-H", "a\r\nInjected: yes"),
        ("X-H", "a\nb"),
        ("X-H", "nul\0"),
        ("Bad Name", "v"),
        ("", "v"),
    ],
)
def test_header_injection_is_a_policy_error(name: str, value: str) -> None:
    s = store()
    with pytest.raises(PolicyRuntimeError):
        set_header(s, name, A.OVERRIDE, [value])
    assert not s.changed
