"""System.Uri (RFC 3986), Uri escaping and WebUtility."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, new, out, raises, static

BASE = "http://a/b/c/d;p?q"

# RFC 3986 section 5.4 (normal and abnormal examples); .NET writes an empty path as "/"
RFC_EXAMPLES = [
    ("g", "http://a/b/c/g"),
    ("./g", "http://a/b/c/g"),
    ("g/", "http://a/b/c/g/"),
    ("/g", "http://a/g"),
    ("//g", "http://g/"),
    ("?y", "http://a/b/c/d;p?y"),
    ("g?y", "http://a/b/c/g?y"),
    ("#s", "http://a/b/c/d;p?q#s"),
    ("g#s", "http://a/b/c/g#s"),
    ("g?y#s", "http://a/b/c/g?y#s"),
    (";x", "http://a/b/c/;x"),
    ("g;x", "http://a/b/c/g;x"),
    ("g;x?y#s", "http://a/b/c/g;x?y#s"),
    ("", "http://a/b/c/d;p?q"),
    (".", "http://a/b/c/"),
    ("./", "http://a/b/c/"),
    ("..", "http://a/b/"),
    ("../", "http://a/b/"),
    ("../g", "http://a/b/g"),
    ("../..", "http://a/"),
    ("../../", "http://a/"),
    ("../../g", "http://a/g"),
    ("../../../g", "http://a/g"),
    ("../../../../g", "http://a/g"),
    ("/./g", "http://a/g"),
    ("/../g", "http://a/g"),
    ("g.", "http://a/b/c/g."),
    (".g", "http://a/b/c/.g"),
    ("g..", "http://a/b/c/g.."),
    ("..g", "http://a/b/c/..g"),
    ("./../g", "http://a/b/g"),
    ("./g/.", "http://a/b/c/g/"),
    ("g/./h", "http://a/b/c/g/h"),
    ("g/../h", "http://a/b/c/h"),
    ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
    ("g;x=1/../y", "http://a/b/c/y"),
    ("g?y/./x", "http://a/b/c/g?y/./x"),
    ("g?y/../x", "http://a/b/c/g?y/../x"),
    ("g#s/./x", "http://a/b/c/g#s/./x"),
    ("g#s/../x", "http://a/b/c/g#s/../x"),
    ("http://other/x/../y", "http://other/y"),
]


@pytest.mark.parametrize(("relative", "expected"), RFC_EXAMPLES)
def test_rfc3986_resolution(relative: str, expected: str) -> None:
    assert get(new("Uri", new("Uri", BASE), relative), "AbsoluteUri") == expected


def test_caching_example_resolution() -> None:
    u = new("Uri", new("Uri", "https://backend.example.com/api/v1/"), "items?id=5")
    assert get(u, "AbsoluteUri") == "https://backend.example.com/api/v1/items?id=5"


def test_members() -> None:
    u = new("Uri", "HTTPS://Example.COM:443/a%20b/c?x=1&y=%41#frag")
    assert get(u, "Scheme") == "https"
    assert get(u, "Host") == "example.com"
    assert get(u, "Port") == 443
    assert get(u, "AbsolutePath") == "/a%20b/c"
    assert get(u, "Query") == "?x=1&y=%41"
    assert get(u, "Fragment") == "#frag"
    assert get(u, "PathAndQuery") == "/a%20b/c?x=1&y=%41"
    assert get(u, "AbsoluteUri") == "https://example.com/a%20b/c?x=1&y=%41#frag"
    assert rt.to_string(u) == "https://example.com/a b/c?x=1&y=A#frag"
    assert list(get(u, "Segments")) == ["/", "a%20b/", "c"]  # type: ignore[call-overload]
    assert get(new("Uri", "http://h:8080"), "AbsoluteUri") == "http://h:8080/"
    assert get(new("Uri", "http://h:8080"), "Port") == 8080
    assert get(new("Uri", "http://h/a b"), "AbsoluteUri") == "http://h/a%20b"
    assert get(new("Uri", "http://h/é"), "AbsoluteUri") == "http://h/%C3%A9"
    assert get(new("Uri", "http://h/x\\y"), "AbsolutePath") == "/x/y"
    assert get(new("Uri", "http://h/"), "IsAbsoluteUri") is True


def test_errors_and_relative_uris() -> None:
    raises("UriFormatException", lambda: new("Uri", "not a uri"))
    raises("UriFormatException", lambda: new("Uri", "/relative"))
    raises("UriFormatException", lambda: new("Uri", ""))
    raises("UriFormatException", lambda: new("Uri", "http://h:99999/"))
    raises("ArgumentNullException", lambda: new("Uri", None))
    rel = new("Uri", "a/b", rt.get_static(T("UriKind"), "Relative"))
    assert get(rel, "IsAbsoluteUri") is False
    assert rt.to_string(rel) == "a/b"
    raises("InvalidOperationException", lambda: get(rel, "Host"))
    ref = out()
    assert static("Uri", "TryCreate", "nope", rt.get_static(T("UriKind"), "Absolute"), ref) is False
    assert ref.value is None


@given(st.text(max_size=40), st.text(max_size=40))
def test_uri_never_raises_a_python_error(base: str, relative: str) -> None:
    with contextlib.suppress(ExpressionError):
        new("Uri", base)
    with contextlib.suppress(ExpressionError):
        get(new("Uri", new("Uri", "http://h/" + base), relative), "AbsoluteUri")
    with contextlib.suppress(ExpressionError):
        rt.to_string(new("Uri", "http://x/" + relative))


def test_escape_data_string() -> None:
    assert static("Uri", "EscapeDataString", "a b/c?d=é~") == "a%20b%2Fc%3Fd%3D%C3%A9~"
    assert static("Uri", "UnescapeDataString", "a%20b%2Fc%zz") == "a b/c%zz"
    raises("ArgumentNullException", lambda: static("Uri", "EscapeDataString", None))


@given(st.text(max_size=50))
def test_escape_round_trip(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert static("Uri", "UnescapeDataString", static("Uri", "EscapeDataString", s)) == s
    assert static("WebUtility", "UrlDecode", static("WebUtility", "UrlEncode", s)) == s


def test_web_utility_url_encode_exactness() -> None:
    assert (
        static("WebUtility", "UrlEncode", "a b&c=d/é~*!()'-_.")
        == "a+b%26c%3Dd%2F%C3%A9%7E*!()%27-_."
    )
    assert static("WebUtility", "UrlEncode", None) is None
    assert static("WebUtility", "UrlEncode", "") == ""
    assert static("WebUtility", "UrlDecode", "a+b%26%C3%A9%zz") == "a b&é%zz"
    assert (
        static("WebUtility", "HtmlEncode", "<a href='x'>&\"é")
        == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&#233;"
    )
    assert static("WebUtility", "HtmlDecode", "&lt;&amp;&#233;&quot;") == '<&é"'
    assert (
        call(
            new("Uri", "http://h/p?q"),
            "GetLeftPart",
            rt.get_static(T("UriPartial"), "Path"),
        )
        == "http://h/p"
    )
