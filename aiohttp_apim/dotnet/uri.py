"""System.Uri (RFC 3986 parsing, normalisation and relative resolution), UriKind/UriPartial,
Uri.EscapeDataString/UnescapeDataString and System.Net.WebUtility.

Normalisation follows .NET for hierarchical schemes: scheme and host lower-cased, default port
dropped, dot segments removed, an empty path becomes "/", "\\" becomes "/" in http(s) paths,
and characters not allowed in a component are percent-encoded (UTF-8, upper-case hex) in
``AbsoluteUri``. ``ToString()`` is the unescaped display form (escapes of reserved characters
are kept). Relative references resolve with RFC 3986 section 5.2 (strict: "http:g" is absolute).
Anything unparsable is UriFormatException.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import linq, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_length, declare, throw
from aiohttp_apim.dotnet.primitives import NetEnum, set_out
from aiohttp_apim.errors import ExpressionError

__all__ = ["Uri", "parse_uri", "resolve", "url_decode", "url_encode"]

_RFC3986 = re.compile(
    r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ftp": 21,
    "ws": 80,
    "wss": 443,
    "ldap": 389,
    "nntp": 119,
    "gopher": 70,
    "news": -1,
    "mailto": 25,
    "file": -1,
}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_OK = _UNRESERVED | _SUB_DELIMS | frozenset(":@/%")
_QUERY_OK = _PATH_OK | frozenset("?")
_RESERVED = frozenset(":/?#[]@") | _SUB_DELIMS


class UriKind(NetEnum):
    RelativeOrAbsolute = 0
    Absolute = 1
    Relative = 2


class UriPartial(NetEnum):
    Scheme = 0
    Authority = 1
    Path = 2
    Query = 3


@dataclass(frozen=True, slots=True)
class Uri:
    original: str
    absolute: bool
    scheme: str = ""
    userinfo: str = ""
    host: str = ""
    port: int = -1  # explicit or default port; -1 unknown
    explicit_port: bool = False
    has_authority: bool = False
    path: str = ""  # escaped
    query: str | None = None  # escaped, without '?'
    fragment: str | None = None  # escaped, without '#'

    # ---- text forms
    def authority(self) -> str:
        if not self.has_authority:
            return ""
        a = self.host
        if self.explicit_port and self.port != DEFAULT_PORTS.get(self.scheme, -2):
            a += f":{self.port}"
        return a

    def left(self, part: int) -> str:
        out = self.scheme + ":"
        if part == UriPartial.Scheme:
            return out + ("//" if self.has_authority else "")
        if self.has_authority:
            out += "//" + (self.userinfo + "@" if self.userinfo else "") + self.authority()
        if part == UriPartial.Authority:
            return out if self.has_authority else ""
        out += self.path
        if part == UriPartial.Path:
            return out
        return out + ("?" + self.query if self.query is not None else "")

    def absolute_uri(self) -> str:
        return self.left(UriPartial.Query) + (
            "#" + self.fragment if self.fragment is not None else ""
        )


def _bad(msg: str = "Invalid URI: The format of the URI could not be determined.") -> NoReturn:
    raise ExpressionError("UriFormatException", msg)


def _escape(text: str, allowed: frozenset[str]) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "%" and i + 2 < n + 0 and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 1 : i + 3]):
            out.append("%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if c in allowed and c != "%":
            out.append(c)
        else:
            out.extend(f"%{b:02X}" for b in c.encode("utf-8", errors="surrogatepass"))
        i += 1
    return "".join(out)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    inp, out = path, list[str]()
    while inp:
        if inp.startswith("../"):
            inp = inp[3:]
        elif inp.startswith(("./", "/./")):
            inp = inp[2:]
        elif inp == "/.":
            inp = "/"
        elif inp.startswith("/../"):
            inp = inp[3:]
            if out:
                out.pop()
        elif inp == "/..":
            inp = "/"
            if out:
                out.pop()
        elif inp in (".", ".."):
            inp = ""
        else:
            j = inp.find("/", 1 if inp.startswith("/") else 0)
            if j < 0:
                out.append(inp)
                inp = ""
            else:
                out.append(inp[:j])
                inp = inp[j:]
    return "".join(out)


def _build(
    original: str,
    scheme: str,
    authority: str | None,
    path: str,
    query: str | None,
    fragment: str | None,
) -> Uri:
    scheme = scheme.lower()
    hierarchical = authority is not None
    userinfo = host = ""
    port = DEFAULT_PORTS.get(scheme, -1)
    explicit = False
    if authority is not None:
        rest = authority
        if "@" in rest:
            userinfo, rest = rest.rsplit("@", 1)
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                _bad("Invalid URI: The hostname could not be parsed.")
            host, rest = rest[: end + 1], rest[end + 1 :]
            if rest and not rest.startswith(":"):
                _bad("Invalid URI: The hostname could not be parsed.")
            port_text = rest[1:] if rest else None
        else:
            host, sep, port_text_raw = rest.partition(":")
            port_text = port_text_raw if sep else None
        if port_text is not None and port_text != "":
            if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
                _bad("Invalid URI: Invalid port specified.")
            port, explicit = int(port_text), True
        host = host.lower()
        if not host and scheme not in ("file",):
            _bad("Invalid URI: The hostname could not be parsed.")
        if re.search(r"[\s<>\"{}|\\^`%]", host) and not host.startswith("["):
            _bad("Invalid URI: The hostname could not be parsed.")
    if scheme in ("http", "https", "ws", "wss", "ftp", "file"):
        path = path.replace("\\", "/")
    if hierarchical:
        path = remove_dot_segments(path) if path else ""
        if not path.startswith("/"):
            path = "/" + path
    return Uri(
        original=original,
        absolute=True,
        scheme=scheme,
        userinfo=_escape(userinfo, _PATH_OK),
        host=host,
        port=port,
        explicit_port=explicit,
        has_authority=hierarchical,
        path=_escape(path, _PATH_OK),
        query=None if query is None else _escape(query, _QUERY_OK),
        fragment=None if fragment is None else _escape(fragment, _QUERY_OK | frozenset("#")),
    )


def parse_uri(text: object, kind: int = UriKind.Absolute) -> Uri:
    if text is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'uriString')"
        )
    if not isinstance(text, str):
        raise ExpressionError(
            "ArgumentException", "Argument 'uriString': cannot convert to 'string'"
        )
    check_length(text)
    s = text.strip(" \t\r\n\f\v")
    m = _RFC3986.match(s)
    is_abs = bool(m and m.group(1) and _SCHEME.fullmatch(m.group(1)) and len(m.group(1)) > 1)
    if kind == UriKind.Relative:
        if is_abs:
            _bad(
                "Invalid URI: A Relative URI cannot be created because the 'uriString' parameter "
                "represents an absolute URI."
            )
        return Uri(original=text, absolute=False)
    if not is_abs:
        if kind == UriKind.RelativeOrAbsolute:
            return Uri(original=text, absolute=False)
        if not s:
            _bad("Invalid URI: The URI is empty.")
        _bad()
    assert m is not None
    scheme, authority, path, query, fragment = m.groups()
    if scheme.lower() in ("http", "https") and authority is None:
        # "http:host/x" is still an http URI for .NET; require the authority form
        _bad("Invalid URI: The hostname could not be parsed.")
    return _build(text, scheme, authority, path, query, fragment)


def _merge(base: Uri, ref_path: str) -> str:
    if base.has_authority and base.path in ("", "/") and not base.path:
        return "/" + ref_path
    i = base.path.rfind("/")
    return base.path[: i + 1] + ref_path


def resolve(base: Uri, relative: str) -> Uri:
    """RFC 3986 section 5.2.2 (strict), then .NET normalisation."""
    if not base.absolute:
        raise ExpressionError(
            "InvalidOperationException", "This operation is not supported for a relative URI."
        )
    check_length(relative)
    m = _RFC3986.match(relative.strip(" \t\r\n\f\v"))
    assert m is not None
    r_scheme, r_auth, r_path, r_query, r_frag = m.groups()
    if base.scheme in ("http", "https"):
        r_path = r_path.replace("\\", "/")
    if r_scheme and _SCHEME.fullmatch(r_scheme) and len(r_scheme) > 1:
        return _build(relative, r_scheme, r_auth, remove_dot_segments(r_path), r_query, r_frag)
    base_auth = None
    if base.has_authority:
        base_auth = (
            (base.userinfo + "@" if base.userinfo else "")
            + base.host
            + (f":{base.port}" if base.explicit_port else "")
        )
    if r_auth is not None:
        auth, path, query = r_auth, remove_dot_segments(r_path), r_query
    else:
        auth = base_auth
        if r_path == "":
            path = base.path
            query = r_query if r_query is not None else base.query
        else:
            path = remove_dot_segments(r_path if r_path.startswith("/") else _merge(base, r_path))
            query = r_query
    return _build(relative, base.scheme, auth, path, query, r_frag)


_DISPLAY_KEEP = _RESERVED | frozenset("%")


def _display(text: str) -> str:
    """Uri.ToString(): unescape %XX sequences except reserved characters and controls."""

    def repl(m: re.Match[str]) -> str:
        raw = m.group(0)
        data = bytes(int(h, 16) for h in re.findall(r"%([0-9A-F]{2})", raw))
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            return raw
        if any(c in _DISPLAY_KEEP or ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
            return raw
        return decoded

    return re.sub(r"(?:%[0-9A-F]{2})+", repl, text)


def unescape_data(s: str) -> str:
    """UnescapeDataString: decode every valid %XX run as UTF-8; invalid runs stay as they are."""

    def repl(m: re.Match[str]) -> str:
        raw = m.group(0)
        data = bytes(int(h, 16) for h in re.findall(r"%([0-9A-Fa-f]{2})", raw))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return raw  # bytes that are not UTF-8 stay escaped, as .NET leaves them

    return re.sub(r"(?:%[0-9A-Fa-f]{2})+", repl, s)


def escape_data(s: str) -> str:
    return check_length(_escape(s.replace("%", "%25"), _UNRESERVED))


# ---------------------------------------------------------------- WebUtility

_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!*()")


def url_encode(s: str) -> str:
    out: list[str] = []
    for b in s.encode("utf-8", errors="replace"):
        c = chr(b)
        if c in _URL_SAFE:
            out.append(c)
        elif c == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return check_length("".join(out))


def url_decode(s: str) -> str:
    buf = bytearray()
    i, n = 0, len(s)
    out: list[str] = []

    def flush() -> None:
        if buf:
            out.append(buf.decode("utf-8", errors="replace"))
            buf.clear()

    while i < n:
        c = s[i]
        if c == "+":
            buf.extend(b" ")
            i += 1
        elif c == "%" and i + 2 < n + 0 and re.fullmatch(r"[0-9A-Fa-f]{2}", s[i + 1 : i + 3]):
            buf.append(int(s[i + 1 : i + 3], 16))
            i += 3
        else:
            if ord(c) < 128:
                buf.append(ord(c))
            else:
                flush()
                out.append(c)
            i += 1
    flush()
    return "".join(out)


def html_encode(s: str) -> str:
    out: list[str] = []
    for c in s:
        o = ord(c)
        if c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == "&":
            out.append("&amp;")
        elif c == '"':
            out.append("&quot;")
        elif c == "'":
            out.append("&#39;")
        elif 160 <= o < 256 or o > 0xFFFF:
            out.append(f"&#{o};")
        else:
            out.append(c)
    return check_length("".join(out))


# ---------------------------------------------------------------- declarations


def _rel_error() -> NoReturn:
    raise ExpressionError(
        "InvalidOperationException", "This operation is not supported for a relative URI."
    )


def _abs(getter: Callable[[Uri], object]) -> clr.Getter:
    fn = getter

    def get(u: Uri) -> object:
        if not u.absolute:
            _rel_error()
        return fn(u)

    return get


def _segments(u: Uri) -> list[object]:
    path = u.path
    parts = re.findall(r"[^/]*/|[^/]+$", path)
    return [p for p in parts if p]


def _ctor(a: Sequence[object], t: Sequence[TypeRef]) -> Uri:
    arity("Uri", ".ctor", a, 1, 2)
    if len(a) == 2 and isinstance(a[0], Uri):
        rel = a[1]
        if isinstance(rel, Uri):
            rel = rel.original if not rel.absolute else rel.absolute_uri()
        if rel is None:
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'relativeUri')"
            )
        return resolve(a[0], strings._str_arg(rel, "relativeUri", "Uri"))
    kind = int(a[1]) if len(a) == 2 and isinstance(a[1], UriKind) else UriKind.Absolute
    return parse_uri(a[0], kind)


def _try_create(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Uri", "TryCreate", a, 3)
    try:
        if isinstance(a[0], Uri):
            rel = a[1].original if isinstance(a[1], Uri) else a[1]
            v = resolve(a[0], strings._str_arg(rel, "relativeUri", "TryCreate"))
        else:
            v = parse_uri(a[0], int(a[1]) if isinstance(a[1], UriKind) else UriKind.Absolute)
    except clr.ExpressionError:
        set_out(a, 2, None)
        return False
    set_out(a, 2, v)
    return True


def _well_formed(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Uri", "IsWellFormedUriString", a, 2)
    s = a[0]
    if not isinstance(s, str):
        return False
    try:
        u = parse_uri(s, int(a[1]) if isinstance(a[1], UriKind) else UriKind.Absolute)
    except clr.ExpressionError:
        return False
    if u.absolute:
        return re.search(r"[\s<>\"{}|\\^`]", s) is None and not re.search(r"%(?![0-9A-Fa-f]{2})", s)
    return re.search(r"[\s<>\"{}|\\^`]", s) is None


def _to_string(u: Uri, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Uri", "ToString", a, 0)
    if not u.absolute:
        return u.original
    return _display(u.absolute_uri())


def _str1(name: str, a: Sequence[object]) -> str:
    arity("Uri", name, a, 1)
    return strings._str_arg(a[0], "stringToEscape", name)


def _left_part(u: Uri, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Uri", "GetLeftPart", a, 1)
    if not u.absolute:
        _rel_error()
    return u.left(dotnet.enum_number(a[0], UriPartial, "part"))


URI_KIND = dotnet.declare_enum("UriKind", "System.UriKind", UriKind)
URI_PARTIAL = dotnet.declare_enum("UriPartial", "System.UriPartial", UriPartial)

URI = declare("Uri", "System.Uri", (Uri,))
URI.construct = _ctor
URI.members.update(
    {
        "AbsoluteUri": _abs(Uri.absolute_uri),
        "AbsolutePath": _abs(lambda u: u.path),
        "LocalPath": _abs(lambda u: unescape_data(u.path)),
        "Host": _abs(lambda u: u.host),
        "DnsSafeHost": _abs(lambda u: u.host.strip("[]")),
        "IdnHost": _abs(lambda u: u.host),
        "Port": _abs(lambda u: u.port),
        "Scheme": _abs(lambda u: u.scheme),
        "Query": _abs(lambda u: "?" + u.query if u.query is not None else ""),
        "Fragment": _abs(lambda u: "#" + u.fragment if u.fragment is not None else ""),
        "PathAndQuery": _abs(lambda u: u.path + ("?" + u.query if u.query is not None else "")),
        "Authority": _abs(Uri.authority),
        "UserInfo": _abs(lambda u: u.userinfo),
        "Segments": _abs(_segments),
        "IsDefaultPort": _abs(lambda u: u.port == DEFAULT_PORTS.get(u.scheme, -2)),
        "IsLoopback": _abs(lambda u: u.host in ("localhost", "127.0.0.1", "[::1]")),
        "IsFile": _abs(lambda u: u.scheme == "file"),
        "IsAbsoluteUri": lambda u: u.absolute,
        "OriginalString": lambda u: u.original,
    }
)
URI.methods.update(
    {
        "ToString": _to_string,
        "GetLeftPart": _left_part,
        "Equals": lambda u, a, t: isinstance(a[0], Uri) and _same(u, a[0]),
        "IsBaseOf": lambda u, a, t: (
            isinstance(a[0], Uri)
            and a[0].absolute_uri().startswith(u.left(UriPartial.Path).rsplit("/", 1)[0] + "/")
        ),
        "MakeRelativeUri": lambda u, a, t: throw(
            "NotSupportedException", "Uri.MakeRelativeUri is not supported"
        ),
    }
)


def _same(a: Uri, b: Uri) -> bool:
    if a.absolute != b.absolute:
        return False
    if not a.absolute:
        return a.original == b.original
    return a.left(UriPartial.Query) == b.left(UriPartial.Query)


URI.statics.update(
    {
        "UriSchemeHttp": lambda: "http",
        "UriSchemeHttps": lambda: "https",
        "SchemeDelimiter": lambda: "://",
    }
)
URI.static_methods.update(
    {
        "EscapeDataString": lambda a, t: escape_data(_str1("EscapeDataString", a)),
        "UnescapeDataString": lambda a, t: unescape_data(_str1("UnescapeDataString", a)),
        "EscapeUriString": lambda a, t: check_length(
            _escape(_str1("EscapeUriString", a).replace("%", "%25"), _QUERY_OK | frozenset("#[]"))
        ),
        "TryCreate": _try_create,
        "IsWellFormedUriString": _well_formed,
        "CheckSchemeName": lambda a, t: (
            isinstance(a[0], str) and _SCHEME.fullmatch(a[0]) is not None
        ),
    }
)


def _nullable_str(name: str, fn: Callable[[str], str]) -> clr.StaticMethod:
    f = fn

    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("WebUtility", name, a, 1)
        if a[0] is None:
            return None
        return f(strings._str_arg(a[0], "value", name))

    return impl


WEBUTILITY = declare("WebUtility", "System.Net.WebUtility", ())
WEBUTILITY.static_methods.update(
    {
        "UrlEncode": _nullable_str("UrlEncode", url_encode),
        "UrlDecode": _nullable_str("UrlDecode", url_decode),
        "HtmlEncode": _nullable_str("HtmlEncode", html_encode),
        "HtmlDecode": _nullable_str("HtmlDecode", html.unescape),
    }
)


URI.sign(
    "new(string uriString)",
    "new(string uriString, UriKind uriKind)",
    "new(Uri baseUri, string relativeUri)",
    "new(Uri baseUri, Uri relativeUri)",
    *(
        f"string {n} {{ get; }}"
        for n in (
            "AbsolutePath",
            "AbsoluteUri",
            "Authority",
            "DnsSafeHost",
            "Fragment",
            "Host",
            "IdnHost",
            "LocalPath",
            "OriginalString",
            "PathAndQuery",
            "Query",
            "Scheme",
            "UserInfo",
        )
    ),
    *(f"bool {n} {{ get; }}" for n in ("IsAbsoluteUri", "IsDefaultPort", "IsFile", "IsLoopback")),
    "int Port { get; }",
    "string[] Segments { get; }",
    "bool Equals(object comparand)",
    "string GetLeftPart(UriPartial part)",
    "bool IsBaseOf(Uri uri)",
    "Uri MakeRelativeUri(Uri uri)",
    "string ToString()",
    "static readonly string SchemeDelimiter",
    "static readonly string UriSchemeHttp",
    "static readonly string UriSchemeHttps",
    "static bool CheckSchemeName(string schemeName)",
    "static string EscapeDataString(string stringToEscape)",
    "static string EscapeUriString(string stringToEscape)",
    "static string UnescapeDataString(string stringToUnescape)",
    "static bool IsWellFormedUriString(string uriString, UriKind uriKind)",
    "static bool TryCreate(string uriString, UriKind uriKind, out Uri result)",
    "static bool TryCreate(Uri baseUri, string relativeUri, out Uri result)",
)
WEBUTILITY.sign(
    "static string HtmlDecode(string value)",
    "static string HtmlEncode(string value)",
    "static string UrlDecode(string encodedValue)",
    "static string UrlEncode(string value)",
)

TYPES: tuple[TypeRef, ...] = (URI_KIND, URI_PARTIAL, URI, WEBUTILITY)


def to_query_string(form: object, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    """APIM's ``ToQueryString()`` of form data (``Body.AsFormUrlEncodedContent()``, or any
    dictionary of names to values or lists of values): ``name=value`` pairs joined by "&", each
    name and value URL-encoded as WebUtility.UrlEncode does, one pair per value of a name."""
    arity("IDictionary", "ToQueryString", a, 0)
    pairs: list[str] = []
    for item in linq.items_of(form):
        if not isinstance(item, linq.KeyValuePair):
            raise ExpressionError(
                "InvalidOperationException", "ToQueryString needs a dictionary of names to values"
            )
        name = url_encode(dotnet.to_string(item.key))
        values = item.value
        if isinstance(values, list | tuple | linq.Seq | linq.CollectionView):
            pairs.extend(f"{name}={url_encode(dotnet.to_string(v))}" for v in values)
        else:
            pairs.append(f"{name}={url_encode(dotnet.to_string(values))}")
    return check_length("&".join(pairs))


def register(registry: Registry) -> None:
    """Uris compare by value; APIM's ToQueryString() extension of form dictionaries."""
    dotnet.EQUALITY_HOOKS[Uri] = lambda a, b: (
        isinstance(a, Uri) and isinstance(b, Uri) and _same(a, b)
    )
    linq.IENUMERABLE.methods["ToQueryString"] = to_query_string
    linq.IENUMERABLE.sign("extension string ToQueryString()")
    registry.add(*TYPES)
