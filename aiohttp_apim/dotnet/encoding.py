"""Bytes and text: System.Text.Encoding, Convert's Base64/hex members, BitConverter, and the
System.Security.Cryptography hashes policy authors use for cache keys (SHA1/256/384/512, MD5,
HMAC*). Decoding invalid bytes yields U+FFFD like .NET's replacement fallback; ASCII encodes
non-ASCII characters as '?'.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import numerics, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_length, declare, throw
from aiohttp_apim.errors import ExpressionError

__all__ = ["NetEncoding", "from_base64"]


@dataclass(frozen=True, slots=True)
class NetEncoding:
    name: str  # Python codec
    web_name: str

    def encode(self, s: str) -> bytes:
        if self.name == "ascii":
            return s.encode("ascii", errors="replace")
        return s.encode(self.name, errors="surrogatepass" if self.name != "utf-8" else "replace")

    def decode(self, b: bytes) -> str:
        if self.name == "ascii":
            return "".join(chr(x) if x < 128 else "?" for x in b)
        return b.decode(self.name, errors="replace")


UTF8 = NetEncoding("utf-8", "utf-8")
ASCII = NetEncoding("ascii", "us-ascii")
UNICODE = NetEncoding("utf-16-le", "utf-16")
BIG_ENDIAN = NetEncoding("utf-16-be", "utf-16BE")
UTF32 = NetEncoding("utf-32-le", "utf-32")
LATIN1 = NetEncoding("latin-1", "iso-8859-1")
_BY_NAME = {
    "utf-8": UTF8,
    "utf8": UTF8,
    "us-ascii": ASCII,
    "ascii": ASCII,
    "utf-16": UNICODE,
    "unicode": UNICODE,
    "utf-16be": BIG_ENDIAN,
    "utf-32": UTF32,
    "iso-8859-1": LATIN1,
    "latin1": LATIN1,
}


def _bytes_arg(v: object, param: str = "bytes") -> bytes:
    if v is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{param}')"
        )
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    if isinstance(v, list):
        return bytes(dotnet.to_integral(dotnet.Byte, x) for x in v)
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{param}': cannot convert from '{clr.net_name(v)}' to 'byte[]'",
    )


def _slice(b: bytes, a: Sequence[object], i: int) -> bytes:
    if len(a) >= i + 2:
        start, count = strings._int_arg(a[i], "index"), strings._int_arg(a[i + 1], "count")
        if start < 0 or count < 0 or start + count > len(b):
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Index and count must refer to a location within the buffer. (Parameter 'bytes')",
            )
        return b[start : start + count]
    return b


def _get_bytes(e: NetEncoding, a: Sequence[object], t: Sequence[TypeRef]) -> bytes:
    arity("Encoding", "GetBytes", a, 1, 3)
    v = a[0]
    if v is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 's')")
    if isinstance(v, list):
        v = "".join(str(c) for c in v)
    s = strings._str_arg(v, "s", "GetBytes")
    if len(a) == 3:
        i, n = strings._int_arg(a[1], "index"), strings._int_arg(a[2], "count")
        s = s[i : i + n]
    return e.encode(s)


def _get_string(e: NetEncoding, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Encoding", "GetString", a, 1, 3)
    return check_length(e.decode(_slice(_bytes_arg(a[0]), a, 1)))


def _get_encoding(a: Sequence[object], t: Sequence[TypeRef]) -> NetEncoding:
    arity("Encoding", "GetEncoding", a, 1)
    name = strings._str_arg(a[0], "name", "GetEncoding").lower()
    enc = _BY_NAME.get(name)
    if enc is None:
        raise ExpressionError(
            "ArgumentException", f"'{a[0]}' is not a supported encoding name. (Parameter 'name')"
        )
    return enc


ENCODING = declare("Encoding", "System.Text.Encoding", (NetEncoding,))
ENCODING.statics.update(
    {
        "UTF8": lambda: UTF8,
        "ASCII": lambda: ASCII,
        "Unicode": lambda: UNICODE,
        "BigEndianUnicode": lambda: BIG_ENDIAN,
        "UTF32": lambda: UTF32,
        "Latin1": lambda: LATIN1,
        "Default": lambda: UTF8,
    }
)
ENCODING.static_methods["GetEncoding"] = _get_encoding
ENCODING.members["WebName"] = lambda e: e.web_name
ENCODING.members["EncodingName"] = lambda e: e.web_name
ENCODING.methods.update(
    {
        "GetBytes": _get_bytes,
        "GetString": _get_string,
        "GetByteCount": lambda e, a, t: len(_get_bytes(e, a, t)),
        "GetCharCount": lambda e, a, t: len(_get_string(e, a, t)),
        "GetPreamble": lambda e, a, t: {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}.get(
            e.name, b""
        ),
    }
)


# ---------------------------------------------------------------- Convert: Base64 / hex

_B64_BAD = (
    "The input is not a valid Base-64 string as it contains a non-base 64 character, more than "
    "two padding characters, or an illegal character among the padding characters."
)
_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def from_base64(s: object) -> bytes:
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 's')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 's': cannot convert to 'string'")
    text = "".join(ch for ch in s if ch not in " \t\r\n")
    if len(text) % 4 or not _B64_RE.fullmatch(text):
        raise ExpressionError("FormatException", _B64_BAD)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ExpressionError("FormatException", _B64_BAD) from None


def _to_base64(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Convert", "ToBase64String", a, 1, 2, 3, 4)
    b = _slice(_bytes_arg(a[0], "inArray"), a, 1)
    text = base64.b64encode(b).decode("ascii")
    options = (
        dotnet.enum_number(a[-1], Base64FormattingOptions, "options") if len(a) in (2, 4) else 0
    )
    if options == Base64FormattingOptions.InsertLineBreaks:
        text = "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    return check_length(text)


def _from_hex(a: Sequence[object], t: Sequence[TypeRef]) -> bytes:
    arity("Convert", "FromHexString", a, 1)
    s = strings._str_arg(a[0], "s", "FromHexString")
    if len(s) % 2:
        raise ExpressionError(
            "FormatException",
            "The input is not a valid hex string as its length is not a multiple of 2.",
        )
    try:
        return (
            bytes.fromhex(s)
            if re.fullmatch(r"[0-9A-Fa-f]*", s)
            else throw(
                "FormatException",
                "The input is not a valid hex string as it contains a non-hex character.",
            )
        )
    except ValueError:
        raise ExpressionError(
            "FormatException",
            "The input is not a valid hex string as it contains a non-hex character.",
        ) from None


class Base64FormattingOptions(dotnet.NetEnum):
    None_ = 0
    InsertLineBreaks = 1


_B64OPT = dotnet.declare_enum(
    "Base64FormattingOptions", "System.Base64FormattingOptions", Base64FormattingOptions
)
_B64OPT.statics["None"] = lambda: Base64FormattingOptions(0)
_B64OPT.sign("const Base64FormattingOptions None")

CONVERT_MEMBERS: dict[str, clr.StaticMethod] = {
    # Convert's base-64 and hex members (its numeric ones are numerics.py's)
    "ToBase64String": _to_base64,
    "FromBase64String": lambda a, t: (
        arity("Convert", "FromBase64String", a, 1),
        from_base64(a[0]),
    )[1],
    "ToHexString": lambda a, t: _slice(_bytes_arg(a[0], "inArray"), a, 1).hex().upper(),
    "ToHexStringLower": lambda a, t: _slice(_bytes_arg(a[0], "inArray"), a, 1).hex(),
    "FromHexString": _from_hex,
}


# ---------------------------------------------------------------- BitConverter


def _bc_to_string(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("BitConverter", "ToString", a, 1, 2, 3)
    b = _bytes_arg(a[0], "value")
    if len(a) >= 2:
        start = strings._int_arg(a[1], "startIndex")
        count = strings._int_arg(a[2], "length") if len(a) == 3 else len(b) - start
        if start < 0 or count < 0 or start + count > len(b):
            raise ExpressionError(
                "ArgumentOutOfRangeException", "Index was out of range. (Parameter 'startIndex')"
            )
        b = b[start : start + count]
    return check_length("-".join(f"{x:02X}" for x in b))


_FORMATS = {
    int: "<i",
    dotnet.Int64: "<q",
    dotnet.UInt32: "<I",
    dotnet.UInt64: "<Q",
    dotnet.Int16: "<h",
    dotnet.UInt16: "<H",
    float: "<d",
    dotnet.Single: "<f",
}


def _bc_get_bytes(a: Sequence[object], t: Sequence[TypeRef]) -> bytes:
    arity("BitConverter", "GetBytes", a, 1)
    v = a[0]
    if isinstance(v, bool):
        return b"\x01" if v else b"\x00"
    if type(v) is dotnet.Char:
        return struct.pack("<H", ord(v))
    fmt = _FORMATS.get(type(v))
    if fmt is None:
        raise ExpressionError(
            "ArgumentException", f"BitConverter.GetBytes does not accept '{clr.net_name(v)}'"
        )
    return struct.pack(fmt, v)


def _bc_reader(fmt: str, size: int, cls: type) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("BitConverter", "To", a, 1, 2)
        b = _bytes_arg(a[0], "value")
        i = strings._int_arg(a[1], "startIndex") if len(a) == 2 else 0
        if i < 0 or i + size > len(b):
            raise ExpressionError(
                "ArgumentOutOfRangeException" if i < 0 or i >= len(b) else "ArgumentException",
                "Destination array is not long enough to copy all the items in the collection. "
                "Check array index and length.",
            )
        v = struct.unpack_from(fmt, b, i)[0]
        return v if cls in (int, float, bool) else cls(v)

    return impl


BITCONVERTER = declare("BitConverter", "System.BitConverter", ())
BITCONVERTER.statics["IsLittleEndian"] = lambda: True
BITCONVERTER.static_methods.update(
    {
        "ToString": _bc_to_string,
        "GetBytes": _bc_get_bytes,
        "ToInt32": _bc_reader("<i", 4, int),
        "ToInt64": _bc_reader("<q", 8, dotnet.Int64),
        "ToUInt32": _bc_reader("<I", 4, dotnet.UInt32),
        "ToUInt64": _bc_reader("<Q", 8, dotnet.UInt64),
        "ToInt16": _bc_reader("<h", 2, dotnet.Int16),
        "ToUInt16": _bc_reader("<H", 2, dotnet.UInt16),
        "ToDouble": _bc_reader("<d", 8, float),
        "ToBoolean": _bc_reader("<?", 1, bool),
    }
)


# ---------------------------------------------------------------- cryptography


@dataclass(slots=True)
class HashAlgorithm:
    name: str  # hashlib name
    key: bytes | None = None  # HMAC key
    last: bytes | None = None


class KeyedHash(HashAlgorithm):
    """An HMAC: a hash with a key."""

    __slots__ = ()


_NET_HASH_NAMES = {"sha256": "SHA256", "sha1": "SHA1", "sha384": "SHA384", "sha512": "SHA512"}
_NET_HASH_NAMES["md5"] = "MD5"


def _compute_hash(h: HashAlgorithm, a: Sequence[object], t: Sequence[TypeRef]) -> bytes:
    arity(h.name, "ComputeHash", a, 1, 3)
    data = _slice(_bytes_arg(a[0], "buffer"), a, 1)
    if h.key is not None:
        digest = hmac.new(h.key, data, h.name).digest()
    else:
        digest = hashlib.new(h.name, data).digest()
    h.last = digest
    return digest


def _hash_named(name: object, *, keyed: bool) -> HashAlgorithm | None:
    """``HashAlgorithm.Create(name)`` / ``HMAC.Create(name)``: null for an unknown name."""
    if not isinstance(name, str):
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'name')")
    key = name.upper().removeprefix("SYSTEM.SECURITY.CRYPTOGRAPHY.").replace("-", "")
    for suffix in ("MANAGED", "CRYPTOSERVICEPROVIDER", "CNG"):
        key = key.removesuffix(suffix)
    if keyed:
        key = key.removeprefix("HMAC")
    for algo, net in _NET_HASH_NAMES.items():
        if key == net:
            return KeyedHash(algo, secrets.token_bytes(64)) if keyed else HashAlgorithm(algo)
    return None


def _declare_hash(net: str, algo: str, *aliases: str) -> TypeRef:
    t = declare(net, f"System.Security.Cryptography.{net}", (), aliases=aliases, bases=(HASH,))
    t.sign(
        "new()",
        f"static {net} Create()",
        "static byte[] HashData(byte[] source)",
    )
    t.static_methods["Create"] = lambda a, ta: HashAlgorithm(algo)
    t.static_methods["HashData"] = lambda a, ta: hashlib.new(
        algo, _bytes_arg(a[0], "source")
    ).digest()
    t.construct = lambda a, ta: HashAlgorithm(algo)
    t.check = lambda v: type(v) is HashAlgorithm and v.name == algo
    return t


def _declare_hmac(net: str, algo: str) -> TypeRef:
    t = declare(net, f"System.Security.Cryptography.{net}", (), bases=(HMAC,))

    def ctor(a: Sequence[object], ta: Sequence[TypeRef]) -> HashAlgorithm:
        arity(net, ".ctor", a, 0, 1)
        # new HMACSHA256(): a random key, as .NET makes
        return KeyedHash(algo, _bytes_arg(a[0], "key") if a else secrets.token_bytes(64))

    t.construct = ctor
    t.check = lambda v: type(v) is KeyedHash and v.name == algo
    t.sign("new()", "new(byte[] key)", "static byte[] HashData(byte[] key, byte[] source)")
    t.static_methods["HashData"] = lambda a, ta: hmac.new(
        _bytes_arg(a[0], "key"), _bytes_arg(a[1], "source"), algo
    ).digest()
    return t


HASH = declare("HashAlgorithm", "System.Security.Cryptography.HashAlgorithm", (HashAlgorithm,))
HASH.methods["ComputeHash"] = _compute_hash
HASH.methods["Dispose"] = lambda h, a, t: None
HASH.members["Hash"] = lambda h: h.last
HASH.members["HashSize"] = lambda h: hashlib.new(h.name).digest_size * 8
HASH.static_methods["Create"] = lambda a, t: (
    arity("HashAlgorithm", "Create", a, 1),
    _hash_named(a[0], keyed=False),
)[1]


def _set_key(h: HashAlgorithm, v: object) -> None:
    # ``new HMACSHA256 { Key = bytes }``
    h.key = _bytes_arg(v, "value")


KEYED = declare(
    "KeyedHashAlgorithm",
    "System.Security.Cryptography.KeyedHashAlgorithm",
    (KeyedHash,),
    bases=(HASH,),
    owns=False,  # every keyed hash is an HMAC: values dispatch to HMAC's table
)
KEYED.members["Key"] = lambda h: h.key
KEYED.setters["Key"] = _set_key
KEYED.static_methods["Create"] = lambda a, t: (
    arity("KeyedHashAlgorithm", "Create", a, 1),
    _hash_named(a[0], keyed=True),
)[1]
KEYED.sign("byte[] Key { get; set; }", "static KeyedHashAlgorithm Create(string algName)")
HMAC = declare("HMAC", "System.Security.Cryptography.HMAC", (KeyedHash,), bases=(KEYED,))
HMAC.members["HashName"] = lambda h: _NET_HASH_NAMES[h.name]
HMAC.static_methods["Create"] = lambda a, t: (
    arity("HMAC", "Create", a, 1),
    _hash_named(a[0], keyed=True),
)[1]
HMAC.sign("string HashName { get; }", "static HMAC Create(string algorithmName)")
_HASHES: list[TypeRef] = [KEYED, HMAC]

for _net, _algo in (
    ("SHA256", "sha256"),
    ("SHA1", "sha1"),
    ("SHA384", "sha384"),
    ("SHA512", "sha512"),
    ("MD5", "md5"),
):
    _HASHES.append(_declare_hash(_net, _algo))
    for _suffix in ("Managed", "CryptoServiceProvider"):
        _t = declare(
            _net + _suffix, f"System.Security.Cryptography.{_net}{_suffix}", (), bases=(HASH,)
        )
        _t.construct = lambda a, ta, algo=_algo: HashAlgorithm(algo)
        _t.check = lambda v, algo=_algo: type(v) is HashAlgorithm and v.name == algo
        _t.sign("new()")
        _HASHES.append(_t)
for _net, _algo in (
    ("HMACSHA256", "sha256"),
    ("HMACSHA1", "sha1"),
    ("HMACSHA384", "sha384"),
    ("HMACSHA512", "sha512"),
    ("HMACMD5", "md5"),
):
    _HASHES.append(_declare_hmac(_net, _algo))


ENCODING.sign(
    *(
        f"static Encoding {n} {{ get; }}"
        for n in ("ASCII", "BigEndianUnicode", "Default", "Latin1", "UTF32", "UTF8", "Unicode")
    ),
    "static Encoding GetEncoding(string name)",
    "static Encoding GetEncoding(int codepage)",
    "string EncodingName { get; }",
    "string WebName { get; }",
    "byte[] GetBytes(string s)",
    "byte[] GetBytes(char[] chars)",
    "byte[] GetBytes(string s, int index, int count)",
    "int GetByteCount(string s)",
    "int GetByteCount(char[] chars)",
    "int GetCharCount(byte[] bytes)",
    "byte[] GetPreamble()",
    "string GetString(byte[] bytes)",
    "string GetString(byte[] bytes, int index, int count)",
)
BITCONVERTER.sign(
    "static readonly bool IsLittleEndian",
    "static string ToString(byte[] value)",
    "static string ToString(byte[] value, int startIndex)",
    "static string ToString(byte[] value, int startIndex, int length)",
    *(
        f"static byte[] GetBytes({n} value)"
        for n in (
            "bool",
            "char",
            "double",
            "float",
            "short",
            "int",
            "long",
            "ushort",
            "uint",
            "ulong",
        )
    ),
    *(
        f"static {n} {name}(byte[] value, int startIndex)"
        for name, n in (
            ("ToBoolean", "bool"),
            ("ToDouble", "double"),
            ("ToInt16", "short"),
            ("ToInt32", "int"),
            ("ToInt64", "long"),
            ("ToUInt16", "ushort"),
            ("ToUInt32", "uint"),
            ("ToUInt64", "ulong"),
        )
    ),
)
HASH.sign(
    "byte[] ComputeHash(byte[] buffer)",
    "byte[] ComputeHash(byte[] buffer, int offset, int count)",
    "void Dispose()",
    "byte[] Hash { get; }",
    "int HashSize { get; }",
    "static HashAlgorithm Create(string hashName)",
)

CONVERT_SIGNATURES = (
    "static string ToBase64String(byte[] inArray)",
    "static string ToBase64String(byte[] inArray, Base64FormattingOptions options)",
    "static string ToBase64String(byte[] inArray, int offset, int length)",
    "static byte[] FromBase64String(string s)",
    "static string ToHexString(byte[] inArray)",
    "static string ToHexString(byte[] inArray, int offset, int length)",
    "static string ToHexStringLower(byte[] inArray)",
    "static string ToHexStringLower(byte[] inArray, int offset, int length)",
    "static byte[] FromHexString(string s)",
)

TYPES: tuple[TypeRef, ...] = (ENCODING, _B64OPT, BITCONVERTER, HASH, *_HASHES)


def register(registry: Registry) -> None:
    """Convert's base-64 and hex members join its numeric ones."""
    numerics.CONVERT.static_methods.update(CONVERT_MEMBERS)
    numerics.CONVERT.sign(*CONVERT_SIGNATURES)
    registry.add(*TYPES)
