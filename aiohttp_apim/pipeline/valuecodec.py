"""The bytes a ``cache-store-value`` value is stored as, and back: a versioned format of our own.

``cache-lookup-value`` must hand the variable back with the .NET type it was stored with (spec
2.2, 6.3): a ``long`` stays a long, a ``JObject`` a JObject whose ``.Type``, ``(string)x["a"]``
and ``ToString()`` behave as before, a stored ``context.Response`` an IResponse whose body can be
read with ``As<string>()``. The entry may sit in a Redis that others can write to, so decoding is
a closed, allow-listed reader: no pickle, no ``eval``, no imports, no attribute look-ups by a
name taken from the data. Whatever the bytes, `decode_value` returns a value of a supported type
or raises `ValueDecodeError`; it never raises anything else, never recurses deeper than
`MAX_DEPTH`, never reads past the input and never builds more than `MAX_NODES` values.

    data = encode_value(value)     # bytes; ValueEncodeError names a .NET type we cannot cache
    value = decode_value(data)     # ValueDecodeError for anything that is not such bytes

`encode_value` enforces the same limits as `decode_value`, so whatever it returns decodes.

Wire format, version 1
======================

All integers are big-endian; ``varint`` is unsigned LEB128, at most 5 bytes and minimal (no
trailing 0x00 group). ``str`` is ``varint byte-length`` + the string's code points, each encoded
on its own as UTF-8 encodes it — including U+D800-U+DFFF, which the runtime can hold
(``(char)0xD800``, ``"😀"[0]``): 3 bytes each, and two of them are never joined into one
4-byte character (Python's ``surrogatepass``). So "😀" (one code point, 4 bytes) and the pair
"\\ud83d\\ude00" (two code points, 6 bytes) stay distinct and every string round-trips code point
for code point. ``bytes`` is ``varint length`` + raw bytes.
``f64`` is an IEEE 754 binary64 (NaN payloads and -0.0 kept bit for bit)::

    entry   = A9 56 version(u8 = 0x01) value            -- no trailing bytes
    value   = tag(u8) payload

    tag  .NET type            payload
    'N'  null                 -
    'T'  Boolean true         -
    'F'  Boolean false        -
    'i'  Int32                i32
    'n'  a plain integer      varint n (1..2048) + n bytes two's complement: an integer the
         outside Int32        runtime holds untyped (Newtonsoft's BigInteger, from parsing JSON
                              integers beyond Int64); decoded as such, not as Int64
    'l'  Int64                i64
    'h'  Int16                i16
    'b'  SByte                i8
    'B'  Byte                 u8
    'H'  UInt16               u16
    'u'  UInt32               u32
    'q'  UInt64               u64
    'd'  Double               f64
    'f'  Single               f64 holding the single's value (exact; no rounding on the way)
    'm'  Decimal              sign(u8: 0|1) exponent(i8, -64..64) n(u8, 0..16) + n bytes
                              unsigned coefficient; value = (-1)^sign * coefficient * 10^exponent,
                              scale kept ("1.50" stays 1.50)
    'c'  Char                 u32 code point (<= 0x10FFFF)
    's'  String               str
    'D'  DateTime             ticks(i64, 0..3155378975999999999) kind(u8: 0 Unspecified,
                              1 Utc, 2 Local)
    'S'  TimeSpan             ticks(i64)
    'O'  DateTimeOffset       local ticks(i64, DateTime range) offset ticks(i64)
    'g'  Guid                 16 bytes, RFC 4122 order (Guid.ToString() order, not
                              ToByteArray()'s mixed-endian order)
    'x'  byte[]               bytes
    'y'  byte[] (writable)    bytes (the runtime's writable byte[] kind: a Python bytearray)
    'E'  an enum value        str full .NET type name (e.g. "System.DateTimeKind") + i64 value;
                              only enum types the expression runtime declares are accepted
    'U'  Uri                  flags(u8: 1 absolute, 2 explicit port, 4 has authority,
                              8 has query, 16 has fragment) str OriginalString, str scheme,
                              str user-info, str host, i32 port (-1..65535), str path (escaped),
                              [str query without '?'], [str fragment without '#']
    'a'  T[] (array)          varint count + count values
    'L'  List<T>              varint count + count values
    'v'  read-only collection varint count + count values (Dictionary.Keys/Values and the like)
    'M'  Dictionary<K,V>      varint count + count (key value) pairs; a key is a non-null
                              scalar (a tag listed before 'a', except 'N' and 'y'); no two keys
                              equal
    'z'  HashSet<T>           comparer(u8: 0 default, 1 Ordinal, 2 OrdinalIgnoreCase,
                              3 InvariantCulture, 4 InvariantCultureIgnoreCase, 5 CurrentCulture,
                              6 CurrentCultureIgnoreCase) varint count + values (strings or null
                              when a comparer is given); no duplicates under the comparer
    'K'  KeyValuePair<K,V>    value value
    'p'  Tuple                varint count + count values
    '{'  JObject              varint count + count (str name, token) members; unique names
    '['  JArray               varint count + count tokens
    ':'  JProperty            str name, token
    '='  JValue               JTokenType(u8) + one scalar value allowed for that type:
                              Null/Undefined(10/11): 'N'; String(8): 's'; Integer(6): any integer
                              tag; Float(7): 'd' 'f' 'm'; Boolean(9): 'T' 'F'; Date(12): 'D' 'O';
                              Guid(15): 'g'; TimeSpan(17): 'S'; Bytes(14): 'x'; Uri(16): 'U'
    'R'  IResponse            status(i32) str reason, headers, u8 (0: Body is null | 1: body
                              follows)
    'W'  string -> string[]   headers (context.Request.Headers, Url.Query, ...)
         dictionary
    'Y'  IMessageBody         body

    token   = a '{', '[' or '=' value (a JProperty only as a whole entry, never inside a token)
    headers = flags(u8: 1 case-insensitive names) varint count + count
              (str name, varint n, n * str value); names unique under the case rule
    body    = flags(u8: 1 consumed, 2 has content type) [str content type] bytes content
              (a consumed body has no content left: As<string>() reads "", As<JObject>() null)

Limits, checked on both sides (so that whatever `encode_value` returns decodes):

* an entry is at most `MAX_SIZE` bytes (4 MiB);
* depth: the root is at depth 0, an element of a collection or a member of a JObject/JArray/
  JProperty one deeper than its container, and a value deeper than `MAX_DEPTH` (64) fails; a
  JValue's content adds no level. This is Newtonsoft's reader rule, so any token that
  ``JObject.Parse``/``JToken.Parse`` accepted can be stored at the root;
* at most `MAX_NODES` work units: a tag byte, a header value or a HashSet element is one, and what
  costs more to rebuild counts more (a JObject member's name 2, a header name 7, a JValue or a
  DateTime 2, a DateTimeOffset or an enum 3, a Guid or an integer outside Int64 4, a Uri or an
  IResponse 4, a Decimal 6), so that no entry costs more than a few tens of milliseconds of CPU and a few tens
  of megabytes to decode, whatever its shape;
* every count is checked against the bytes left before anything is read or allocated.

Decisions:

* The JSON tokens are stored as a tree of typed values, not as JSON text: compact JSON loses what
  ``.Type``, casts and ``ToString()`` see (Int64 vs BigInteger vs Double vs Decimal vs Single,
  Date vs String and the DateTime's Kind, Guid/Uri/TimeSpan/Bytes kinds, NaN), and the side table
  needed to restore that would be the tree again. A token comes back as a root (``Parent`` null),
  as a deserialised token does in .NET.
* Arrays, List<T> and read-only collections keep distinct tags (the runtime gives them different
  members); element types are not tracked by the runtime, so ``string[]`` and ``object[]`` share
  the array tag.
* A response is a snapshot taken when the value is stored (status, reason, headers with every
  value and the first spelling of each name, body bytes, content type, whether the body was
  already consumed); each lookup gets its own `Response`, so one reader consuming the body does
  not empty it for the next.
* Uri is stored as its parsed parts plus ``OriginalString`` and rebuilt without re-parsing, so
  ``ToString()``, ``AbsoluteUri`` and ``OriginalString`` come back exactly.
* Refused (`ValueEncodeError`): lambdas, Regex/Match/Group objects, lazy Linq sequences (call
  ToArray()/ToList() first), StringBuilder, Jwt, encodings, hash algorithms, the context's
  request/URL/user objects, and anything else not listed above — not silently turned into text.
* No checksum here: the pipeline seals every entry it writes (a checksum, or an HMAC with the
  gateway's signing key; ``pipeline.entryseal``) and decodes only entries whose seal opened.
  This format's job is that no byte string, sealed or not, can do more than fail to decode.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet.dates import (
    MAX_TICKS,
    DateTime,
    DateTimeKind,
    DateTimeOffset,
    TimeSpan,
)
from aiohttp_apim.dotnet.json import JArray, JObject, JProperty, JToken, JTokenType, JValue
from aiohttp_apim.dotnet.linq import (
    CollectionView,
    KeyValuePair,
    NetHashSet,
    NetList,
    NetTuple,
)
from aiohttp_apim.dotnet.primitives import (
    Byte,
    Char,
    Guid,
    Int16,
    Int64,
    NetEnum,
    NetFlags,
    SByte,
    Single,
    StringComparer,
    UInt16,
    UInt32,
    UInt64,
)
from aiohttp_apim.dotnet.uri import Uri
from aiohttp_apim.expressions import runtime  # noqa: F401 - runtime loads the .NET library
from aiohttp_apim.expressions.context import MessageBody, Response, StringValuesDictionary

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SIZE",
    "ValueDecodeError",
    "ValueEncodeError",
    "decode_value",
    "encode_value",
]

MAGIC: Final = b"\xa9V"
FORMAT_VERSION: Final = 1
MAX_SIZE: Final = 4 * 1024 * 1024
"""Largest entry, in bytes, either side will handle."""
MAX_DEPTH: Final = 64
"""Deepest nesting: a value inside more than 64 containers is refused (root = depth 0)."""
MAX_NODES: Final = 1 << 16
"""Most work units in one entry (see the module docstring): a bound on the time and memory one
decode takes, measured at about 0.5 us per unit."""
# Extra units of what costs more than a plain tag to rebuild (measured per type, so that a unit
# costs about the same whatever the entry is made of).
_HEAVY: Final = 3
"""Extra units of a Uri or an IResponse: they cost several Python objects to rebuild."""
_DECIMAL_EXTRA: Final = 5
_GUID_EXTRA: Final = 3
_BIGINT_EXTRA: Final = 3
_DTO_EXTRA: Final = 2
_ENUM_EXTRA: Final = 2
_DATETIME_EXTRA: Final = 1
_JVALUE_EXTRA: Final = 1
_MEMBER: Final = 2
"""Units of a JObject member's name (a dictionary slot and a string)."""
_HEADER_NAME: Final = 7
"""Units of a header's name (a case-folded slot, a list and a string)."""
MAX_BIGINT_BYTES: Final = 2048

_HEADER: Final = MAGIC + bytes([FORMAT_VERSION])


class ValueEncodeError(ValueError):
    """A value that cannot be cached; the message names its .NET type and why."""


class ValueDecodeError(ValueError):
    """Bytes that are not a value entry of this format and version (corrupt, foreign, hostile)."""


# ---------------------------------------------------------------- tags

T_NULL: Final = ord("N")
T_TRUE: Final = ord("T")
T_FALSE: Final = ord("F")
T_INT32: Final = ord("i")
T_BIGINT: Final = ord("n")
T_INT64: Final = ord("l")
T_INT16: Final = ord("h")
T_SBYTE: Final = ord("b")
T_BYTE: Final = ord("B")
T_UINT16: Final = ord("H")
T_UINT32: Final = ord("u")
T_UINT64: Final = ord("q")
T_DOUBLE: Final = ord("d")
T_SINGLE: Final = ord("f")
T_DECIMAL: Final = ord("m")
T_CHAR: Final = ord("c")
T_STRING: Final = ord("s")
T_DATETIME: Final = ord("D")
T_TIMESPAN: Final = ord("S")
T_DTO: Final = ord("O")
T_GUID: Final = ord("g")
T_BYTES: Final = ord("x")
T_BYTEARRAY: Final = ord("y")
T_ENUM: Final = ord("E")
T_URI: Final = ord("U")
T_ARRAY: Final = ord("a")
T_LIST: Final = ord("L")
T_VIEW: Final = ord("v")
T_DICT: Final = ord("M")
T_HASHSET: Final = ord("z")
T_KVP: Final = ord("K")
T_TUPLE: Final = ord("p")
T_JOBJECT: Final = ord("{")
T_JARRAY: Final = ord("[")
T_JPROPERTY: Final = ord(":")
T_JVALUE: Final = ord("=")
T_RESPONSE: Final = ord("R")
T_HEADERS: Final = ord("W")
T_BODY: Final = ord("Y")

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_U16 = struct.Struct(">H")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")

_INT_TAGS: Final[dict[type, tuple[int, struct.Struct]]] = {
    Int64: (T_INT64, _I64),
    Int16: (T_INT16, _I16),
    SByte: (T_SBYTE, _I8),
    UInt16: (T_UINT16, _U16),
    UInt32: (T_UINT32, _U32),
    UInt64: (T_UINT64, _U64),
}
_INTEGRAL: Final = (int, Int64, UInt64, UInt32, Int16, UInt16, Byte, SByte)

_COMPARERS: Final = (
    None,
    StringComparer(False, "Ordinal"),
    StringComparer(True, "OrdinalIgnoreCase"),
    StringComparer(False, "InvariantCulture"),
    StringComparer(True, "InvariantCultureIgnoreCase"),
    StringComparer(False, "CurrentCulture"),
    StringComparer(True, "CurrentCultureIgnoreCase"),
)

_JVALUE_TYPES: Final[dict[int, tuple[type, ...]]] = {
    JTokenType.Null: (type(None),),
    JTokenType.Undefined: (type(None),),
    JTokenType.String: (str,),
    JTokenType.Integer: _INTEGRAL,
    JTokenType.Float: (float, Single, Decimal),
    JTokenType.Boolean: (bool,),
    JTokenType.Date: (DateTime, DateTimeOffset),
    JTokenType.Guid: (Guid,),
    JTokenType.TimeSpan: (TimeSpan,),
    JTokenType.Bytes: (bytes,),
    JTokenType.Uri: (Uri,),
}
"""What a JValue of each JTokenType may hold (exact classes); other JTokenTypes are refused."""

_KIND_BY_VALUE: Final = {int(k): k for k in DateTimeKind}
_JTYPE_BY_VALUE: Final = {int(k): k for k in JTokenType}

_DECIMAL_EXPONENT: Final = 64
_DECIMAL_COEFFICIENT_BYTES: Final = 16
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# ---------------------------------------------------------------- encoding


def encode_value(value: object) -> bytes:
    """The entry bytes for a value an expression produced.

    Raises `ValueEncodeError` (naming the .NET type) for a value that cannot be cached: an
    unsupported type anywhere inside it, nesting deeper than `MAX_DEPTH` (which includes a
    collection that contains itself), more than `MAX_NODES` nodes or more than `MAX_SIZE`
    bytes."""
    w = _Writer()
    w.buf += _HEADER
    _write(w, value, 0)
    if len(w.buf) > MAX_SIZE:
        _too_large()
    return bytes(w.buf)


class _Writer:
    __slots__ = ("buf", "nodes")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.nodes = 0

    def node(self, n: int = 1) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise ValueEncodeError(
                f"the value is too large to cache: more than {MAX_NODES} items in all"
            )

    def tag(self, tag: int) -> None:
        self.node()
        self.buf.append(tag)

    def varint(self, n: int) -> None:
        buf = self.buf
        while n > 0x7F:
            buf.append((n & 0x7F) | 0x80)
            n >>= 7
        buf.append(n)

    def blob(self, data: bytes | bytearray) -> None:
        self.varint(len(data))
        self.buf += data
        if len(self.buf) > MAX_SIZE:
            _too_large()

    def text(self, s: str) -> None:
        self.blob(s.encode("utf-8", "surrogatepass"))

    def pack(self, s: struct.Struct, v: object, what: str) -> None:
        try:
            self.buf += s.pack(v)
        except (struct.error, OverflowError, TypeError):
            raise ValueEncodeError(f"cannot cache {what} value {v!r}: out of range") from None


def _too_large() -> NoReturn:
    raise ValueEncodeError(f"the value is too large to cache: more than {MAX_SIZE} bytes encoded")


def _net_name(value: object) -> str:
    if callable(value) and clr.type_of(value) is None:
        return "System.Delegate"
    return clr.net_name(value, full=True)


_DEFAULT_HINT: Final = (
    "only data values (null, strings, numbers, Boolean, Char, dates, Guid, Uri, enums, byte[], "
    "arrays, List, Dictionary, HashSet, Tuple, KeyValuePair, JSON tokens, responses) can be cached"
)
_HINTS: Final = {
    "System.Delegate": "a lambda cannot be cached",
    "System.Text.RegularExpressions.Regex": "store the pattern string instead",
    "System.Text.RegularExpressions.Match": "store the matched strings instead",
    "System.Text.RegularExpressions.Group": "store the matched strings instead",
    "System.Text.StringBuilder": "store its ToString() instead",
    "System.Linq.Enumerable+Iterator`1": "materialise it with ToArray() or ToList() first",
    "System.Linq.IGrouping`2": "materialise it with ToArray() or ToList() first",
}


def _unsupported(value: object, where: str = "") -> NoReturn:
    name = _net_name(value)
    hint = _HINTS.get(name, _DEFAULT_HINT)
    raise ValueEncodeError(f"cannot cache a value of type '{name}'{where}: {hint}")


def _too_deep(v: object, depth: int) -> NoReturn:
    raise ValueEncodeError(
        f"cannot cache a value nested more than {MAX_DEPTH} levels deep "
        f"(or a collection that contains itself): '{_net_name(v)}' at depth {depth}"
    )


def _write(w: _Writer, v: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        _too_deep(v, depth)
    cls = type(v)
    scalar = _SCALAR_WRITERS.get(cls)
    if scalar is not None:
        scalar(w, v)
        return
    container = _CONTAINER_WRITERS.get(cls)
    if container is not None:
        container(w, v, depth)
        return
    if isinstance(v, NetEnum | NetFlags):
        _write_enum(w, v)
        return
    _unsupported(v)


def _write_scalar_only(w: _Writer, v: object, what: str) -> None:
    scalar = _SCALAR_WRITERS.get(type(v))
    if scalar is not None:
        scalar(w, v)
    elif isinstance(v, NetEnum | NetFlags):
        _write_enum(w, v)
    else:
        _unsupported(v, what)


def _write_null(w: _Writer, v: None) -> None:
    w.tag(T_NULL)


def _write_bool(w: _Writer, v: bool) -> None:
    w.tag(T_TRUE if v else T_FALSE)


def _write_int(w: _Writer, v: int) -> None:
    if _INT32_MIN <= v <= _INT32_MAX:
        w.tag(T_INT32)
        w.buf += _I32.pack(v)
        return
    n = (v + (v < 0)).bit_length() // 8 + 1  # two's complement bytes, sign bit included
    if n > MAX_BIGINT_BYTES:
        raise ValueEncodeError(
            f"cannot cache an integer of {v.bit_length()} bits (at most {MAX_BIGINT_BYTES} bytes)"
        )
    w.tag(T_BIGINT)
    w.node(_BIGINT_EXTRA)
    w.blob(v.to_bytes(n, "big", signed=True))


def _write_sized_int(w: _Writer, v: int) -> None:
    tag, s = _INT_TAGS[type(v)]
    w.tag(tag)
    w.pack(s, int(v), clr.net_name(v, full=True))


def _write_byte(w: _Writer, v: Byte) -> None:
    w.tag(T_BYTE)
    if not 0 <= v <= 0xFF:
        raise ValueEncodeError(f"cannot cache System.Byte value {int(v)}: out of range")
    w.buf.append(int(v))


def _write_double(w: _Writer, v: float) -> None:
    w.tag(T_DOUBLE)
    w.buf += _F64.pack(v)


def _write_single(w: _Writer, v: Single) -> None:
    w.tag(T_SINGLE)
    w.buf += _F64.pack(v)


def _write_decimal(w: _Writer, v: Decimal) -> None:
    sign, digits, exponent = v.as_tuple()
    if not isinstance(exponent, int):
        raise ValueEncodeError(f"cannot cache System.Decimal value {v}: not a finite number")
    coefficient = int("".join(map(str, digits))) if len(digits) <= 40 else 1 << 128
    size = (coefficient.bit_length() + 7) // 8
    if abs(exponent) > _DECIMAL_EXPONENT or size > _DECIMAL_COEFFICIENT_BYTES:
        raise ValueEncodeError(f"cannot cache System.Decimal value {v}: out of range")
    w.tag(T_DECIMAL)
    w.node(_DECIMAL_EXTRA)
    w.buf += bytes((sign, exponent & 0xFF, size))
    w.buf += coefficient.to_bytes(size, "big")


def _write_char(w: _Writer, v: Char) -> None:
    if len(v) != 1:
        raise ValueEncodeError(f"cannot cache System.Char value {str(v)!r}: not one character")
    w.tag(T_CHAR)
    w.buf += _U32.pack(ord(v))


def _write_str(w: _Writer, v: str) -> None:
    w.tag(T_STRING)
    w.text(v)


def _write_datetime(w: _Writer, v: DateTime) -> None:
    kind = int(v.kind)
    if type(v.ticks) is not int or not 0 <= v.ticks <= MAX_TICKS or kind not in _KIND_BY_VALUE:
        raise ValueEncodeError(f"cannot cache System.DateTime {v!r}: out of range")
    w.tag(T_DATETIME)
    w.node(_DATETIME_EXTRA)
    w.buf += _I64.pack(v.ticks)
    w.buf.append(kind)


def _write_timespan(w: _Writer, v: TimeSpan) -> None:
    w.tag(T_TIMESPAN)
    w.pack(_I64, v.ticks, "System.TimeSpan")


def _write_dto(w: _Writer, v: DateTimeOffset) -> None:
    if type(v.ticks) is not int or not 0 <= v.ticks <= MAX_TICKS:
        raise ValueEncodeError(f"cannot cache System.DateTimeOffset {v!r}: out of range")
    w.tag(T_DTO)
    w.node(_DTO_EXTRA)
    w.buf += _I64.pack(v.ticks)
    w.pack(_I64, v.offset, "System.DateTimeOffset")


def _write_guid(w: _Writer, v: Guid) -> None:
    w.tag(T_GUID)
    w.node(_GUID_EXTRA)
    w.buf += v.value.bytes


def _write_bytes(w: _Writer, v: bytes) -> None:
    w.tag(T_BYTES)
    w.blob(v)


def _write_bytearray(w: _Writer, v: bytearray) -> None:
    w.tag(T_BYTEARRAY)
    w.blob(v)


def _write_enum(w: _Writer, v: NetEnum | NetFlags) -> None:
    t = clr.type_of(v)
    if t is None or clr.lookup(t.full_name) is not t or t.py_types != (type(v),):
        _unsupported(v, " (an enum the runtime does not declare)")
    w.tag(T_ENUM)
    w.node(_ENUM_EXTRA)
    w.text(t.full_name)
    w.pack(_I64, int(v), t.full_name)


def _write_uri(w: _Writer, v: Uri) -> None:
    if not -1 <= v.port <= 0xFFFF:
        raise ValueEncodeError(f"cannot cache System.Uri {v.original!r}: port out of range")
    w.tag(T_URI)
    w.node(_HEAVY)
    flags = (
        v.absolute
        | v.explicit_port << 1
        | v.has_authority << 2
        | (v.query is not None) << 3
        | (v.fragment is not None) << 4
    )
    w.buf.append(flags)
    for part in (v.original, v.scheme, v.userinfo, v.host):
        w.text(part)
    w.buf += _I32.pack(v.port)
    w.text(v.path)
    if v.query is not None:
        w.text(v.query)
    if v.fragment is not None:
        w.text(v.fragment)


_SCALAR_WRITERS: Final[dict[type, Callable[[_Writer, Any], None]]] = {
    type(None): _write_null,
    bool: _write_bool,
    int: _write_int,
    Int64: _write_sized_int,
    Int16: _write_sized_int,
    SByte: _write_sized_int,
    UInt16: _write_sized_int,
    UInt32: _write_sized_int,
    UInt64: _write_sized_int,
    Byte: _write_byte,
    float: _write_double,
    Single: _write_single,
    Decimal: _write_decimal,
    Char: _write_char,
    str: _write_str,
    DateTime: _write_datetime,
    TimeSpan: _write_timespan,
    DateTimeOffset: _write_dto,
    Guid: _write_guid,
    bytes: _write_bytes,
    bytearray: _write_bytearray,
    Uri: _write_uri,
}
_KEY_TYPES: Final = frozenset(_SCALAR_WRITERS) - {type(None), bytearray}


def _write_items(
    w: _Writer, tag: int, items: list[object] | tuple[object, ...], depth: int
) -> None:
    w.tag(tag)
    w.varint(len(items))
    for x in items:
        _write(w, x, depth + 1)


def _write_array(w: _Writer, v: list[object], depth: int) -> None:
    _write_items(w, T_ARRAY, v, depth)


def _write_list(w: _Writer, v: NetList, depth: int) -> None:
    _write_items(w, T_LIST, v, depth)


def _write_view(w: _Writer, v: CollectionView, depth: int) -> None:
    _write_items(w, T_VIEW, v, depth)


def _write_tuple(w: _Writer, v: NetTuple, depth: int) -> None:
    _write_items(w, T_TUPLE, v.items, depth)


def _write_dict(w: _Writer, v: dict[object, object], depth: int) -> None:
    w.tag(T_DICT)
    items = list(v.items())
    w.varint(len(items))
    for key, x in items:
        if type(key) not in _KEY_TYPES and not isinstance(key, NetEnum | NetFlags):
            _unsupported(key, " as a Dictionary key")
        _write_scalar_only(w, key, " as a Dictionary key")
        _write(w, x, depth + 1)


def _write_hashset(w: _Writer, v: NetHashSet, depth: int) -> None:
    try:
        comparer = _COMPARERS.index(v.comparer)
    except ValueError:
        _unsupported(v.comparer, " as a HashSet comparer")
    items = v.values()
    if comparer and any(x is not None and type(x) is not str for x in items):
        raise ValueEncodeError(
            "cannot cache a HashSet with a StringComparer that holds values other than strings"
        )
    w.tag(T_HASHSET)
    w.buf.append(comparer)
    w.varint(len(items))
    for x in items:
        w.node()
        _write(w, x, depth + 1)


def _write_kvp(w: _Writer, v: KeyValuePair, depth: int) -> None:
    w.tag(T_KVP)
    _write(w, v.key, depth + 1)
    _write(w, v.value, depth + 1)


def _write_token(w: _Writer, t: JToken, depth: int) -> None:
    """A token inside a JObject/JArray/JProperty: JObject, JArray or JValue."""
    if depth > MAX_DEPTH:
        _too_deep(t, depth)
    writer = _TOKEN_WRITERS.get(type(t))
    if writer is None:
        _unsupported(t, " inside a JSON container")
    writer(w, t, depth)


def _write_jobject(w: _Writer, v: JObject, depth: int) -> None:
    w.tag(T_JOBJECT)
    props = list(v.props.items())
    w.varint(len(props))
    for name, p in props:
        w.node(_MEMBER)
        w.text(name)
        _write_token(w, p.value, depth + 1)


def _write_jarray(w: _Writer, v: JArray, depth: int) -> None:
    w.tag(T_JARRAY)
    items = list(v.items)
    w.varint(len(items))
    for x in items:
        _write_token(w, x, depth + 1)


def _write_jproperty(w: _Writer, v: JProperty, depth: int) -> None:
    w.tag(T_JPROPERTY)
    w.text(v.name)
    _write_token(w, v.value, depth + 1)


def _write_jvalue(w: _Writer, v: JValue, depth: int) -> None:
    kind = int(v.kind)
    allowed = _JVALUE_TYPES.get(kind)
    if allowed is None or type(v.value) not in allowed:
        raise ValueEncodeError(
            f"cannot cache a Newtonsoft.Json.Linq.JValue of JTokenType {v.kind.name} holding "
            f"'{_net_name(v.value)}'"
        )
    w.tag(T_JVALUE)
    w.node(_JVALUE_EXTRA)
    w.buf.append(kind)
    _write_scalar_only(w, v.value, " inside a JValue")


def _write_headers(w: _Writer, v: StringValuesDictionary) -> None:
    items = v.items()
    w.buf.append(1 if v.case_insensitive else 0)
    w.varint(len(items))
    for name, values in items:
        if type(name) is not str or any(type(x) is not str for x in values):
            raise ValueEncodeError(
                "cannot cache a header dictionary whose names or values are not strings"
            )
        w.node(_HEADER_NAME)
        w.text(name)
        w.varint(len(values))
        for x in values:
            w.node()
            w.text(x)


def _write_body(w: _Writer, v: MessageBody) -> None:
    content_type = v.content_type
    content = v.content
    if (content_type is not None and type(content_type) is not str) or not isinstance(
        content, bytes | bytearray
    ):
        raise ValueEncodeError("cannot cache an IMessageBody that does not hold bytes")
    w.buf.append(v.consumed | (content_type is not None) << 1)
    if content_type is not None:
        w.text(content_type)
    w.blob(content)


def _write_response(w: _Writer, v: Response, depth: int) -> None:
    if type(v.status_code) is not int or not _INT32_MIN <= v.status_code <= _INT32_MAX:
        raise ValueEncodeError(f"cannot cache an IResponse with status code {v.status_code!r}")
    if type(v.status_reason) is not str:
        _unsupported(v.status_reason, " as an IResponse status reason")
    if type(v.headers) is not StringValuesDictionary:
        _unsupported(v.headers, " as IResponse headers")
    if v.body is not None and type(v.body) is not MessageBody:
        _unsupported(v.body, " as an IResponse body")
    w.tag(T_RESPONSE)
    w.node(_HEAVY)
    w.buf += _I32.pack(v.status_code)
    w.text(v.status_reason)
    _write_headers(w, v.headers)
    if v.body is None:
        w.buf.append(0)
    else:
        w.buf.append(1)
        _write_body(w, v.body)


def _write_headers_value(w: _Writer, v: StringValuesDictionary, depth: int) -> None:
    w.tag(T_HEADERS)
    _write_headers(w, v)


def _write_body_value(w: _Writer, v: MessageBody, depth: int) -> None:
    w.tag(T_BODY)
    _write_body(w, v)


_TOKEN_WRITERS: Final[dict[type, Callable[[_Writer, Any, int], None]]] = {
    JObject: _write_jobject,
    JArray: _write_jarray,
    JValue: _write_jvalue,
}
_CONTAINER_WRITERS: Final[dict[type, Callable[[_Writer, Any, int], None]]] = {
    list: _write_array,
    NetList: _write_list,
    CollectionView: _write_view,
    dict: _write_dict,
    NetHashSet: _write_hashset,
    KeyValuePair: _write_kvp,
    NetTuple: _write_tuple,
    **_TOKEN_WRITERS,
    JProperty: _write_jproperty,
    Response: _write_response,
    StringValuesDictionary: _write_headers_value,
    MessageBody: _write_body_value,
}


# ---------------------------------------------------------------- decoding


def decode_value(data: bytes | bytearray | memoryview) -> object:
    """The value `encode_value` stored in ``data``.

    Raises `ValueDecodeError` — and nothing else — for anything that is not exactly such an
    entry: another format, another version, truncated or trailing bytes, an unknown tag, a value
    out of its type's range, or an entry beyond the size, depth or node limits."""
    if not isinstance(data, bytes):
        if not isinstance(data, bytearray | memoryview):
            raise ValueDecodeError(f"a value entry is bytes, not {type(data).__name__}")
        data = bytes(data)
    if len(data) > MAX_SIZE:
        raise ValueDecodeError(f"value entry of {len(data)} bytes exceeds {MAX_SIZE}")
    if data[:2] != MAGIC:
        raise ValueDecodeError("not a cached value entry (bad magic)")
    if len(data) < 4:
        raise ValueDecodeError("truncated value entry")
    if data[2] != FORMAT_VERSION:
        raise ValueDecodeError(f"unsupported value entry version {data[2]}")
    r = _Reader(data)
    try:
        value = _read(r, 0)
        if r.pos != len(data):
            r.fail(f"{len(data) - r.pos} trailing bytes")
    except ValueDecodeError:
        raise
    except Exception as e:  # a safety net: a malformed entry must not escape as anything else
        raise ValueDecodeError(f"malformed value entry ({type(e).__name__}: {e})") from e
    return value


class _Reader:
    __slots__ = ("data", "nodes", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = len(_HEADER)
        self.nodes = MAX_NODES

    def fail(self, message: str) -> NoReturn:
        raise ValueDecodeError(f"{message} (at byte {self.pos})") from None

    def node(self, n: int = 1) -> None:
        self.nodes -= n
        if self.nodes < 0:
            self.fail(f"more than {MAX_NODES} nodes")

    def u8(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            self.fail("truncated")
        self.pos = pos + 1
        return self.data[pos]

    def take(self, n: int) -> bytes:
        pos = self.pos
        end = pos + n
        if end > len(self.data):
            self.fail(f"truncated: {n} bytes expected, {len(self.data) - pos} left")
        self.pos = end
        return self.data[pos:end]

    def unpack(self, s: struct.Struct) -> Any:
        pos = self.pos
        end = pos + s.size
        if end > len(self.data):
            self.fail("truncated")
        self.pos = end
        return s.unpack_from(self.data, pos)[0]

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.u8()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                if b == 0 and shift:
                    self.fail("non-minimal varint")
                return result
            shift += 7
            if shift == 35:
                self.fail("varint longer than 5 bytes")

    def count(self, min_bytes: int) -> int:
        """An element count, checked against the bytes left (each element needs min_bytes)."""
        n = self.varint()
        if n * min_bytes > len(self.data) - self.pos:
            self.fail(f"count {n} exceeds the bytes left")
        return n

    def blob(self) -> bytes:
        return self.take(self.varint())

    def text(self) -> str:
        raw = self.blob()
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            self.fail("invalid UTF-8 in a string")


def _read(r: _Reader, depth: int) -> object:
    if depth > MAX_DEPTH:
        r.fail(f"nested more than {MAX_DEPTH} levels deep")
    r.node()
    tag = r.u8()
    scalar = _SCALAR_READERS.get(tag)
    if scalar is not None:
        return scalar(r)
    container = _CONTAINER_READERS.get(tag)
    if container is None:
        r.fail(f"unknown tag 0x{tag:02x}")
    return container(r, depth)


def _read_scalar_only(r: _Reader, readers: dict[int, Callable[[_Reader], object]]) -> object:
    r.node()
    tag = r.u8()
    scalar = readers.get(tag)
    if scalar is None:
        r.fail(f"tag 0x{tag:02x} is not allowed here")
    return scalar(r)


def _read_bigint(r: _Reader) -> int:
    r.node(_BIGINT_EXTRA)
    n = r.varint()
    if not 1 <= n <= MAX_BIGINT_BYTES:
        r.fail(f"integer of {n} bytes")
    return int.from_bytes(r.take(n), "big", signed=True)


def _read_byte(r: _Reader) -> Byte:
    return Byte(r.u8())


def _reader_for(cls: Callable[[int], object], s: struct.Struct) -> Callable[[_Reader], object]:
    def read(r: _Reader) -> object:
        return cls(r.unpack(s))

    return read


def _read_int32(r: _Reader) -> int:
    return int(r.unpack(_I32))


def _read_double(r: _Reader) -> float:
    return float(r.unpack(_F64))


def _read_single(r: _Reader) -> Single:
    return Single(r.unpack(_F64))


def _read_decimal(r: _Reader) -> Decimal:
    r.node(_DECIMAL_EXTRA)
    sign = r.u8()
    exponent = r.unpack(_I8)
    size = r.u8()
    if sign > 1 or abs(exponent) > _DECIMAL_EXPONENT or size > _DECIMAL_COEFFICIENT_BYTES:
        r.fail("System.Decimal out of range")
    coefficient = int.from_bytes(r.take(size), "big")
    # From text: 7x faster than from a digit tuple, and as exact (coefficient and exponent kept).
    return Decimal(f"{'-' if sign else ''}{coefficient}E{exponent}")


def _read_char(r: _Reader) -> Char:
    code = r.unpack(_U32)
    if code > 0x10FFFF:
        r.fail(f"System.Char code point 0x{code:x} out of range")
    return Char(chr(code))


def _read_datetime(r: _Reader) -> DateTime:
    r.node(_DATETIME_EXTRA)
    ticks = r.unpack(_I64)
    kind = _KIND_BY_VALUE.get(r.u8())
    if not 0 <= ticks <= MAX_TICKS or kind is None:
        r.fail("System.DateTime out of range")
    return DateTime(ticks, kind)


def _read_timespan(r: _Reader) -> TimeSpan:
    return TimeSpan(r.unpack(_I64))


def _read_dto(r: _Reader) -> DateTimeOffset:
    r.node(_DTO_EXTRA)
    ticks = r.unpack(_I64)
    offset = r.unpack(_I64)
    if not 0 <= ticks <= MAX_TICKS:
        r.fail("System.DateTimeOffset out of range")
    return DateTimeOffset(ticks, offset)


def _read_guid(r: _Reader) -> Guid:
    r.node(_GUID_EXTRA)
    return Guid(uuid.UUID(bytes=r.take(16)))


def _read_bytearray(r: _Reader) -> bytearray:
    return bytearray(r.blob())


def _read_enum(r: _Reader) -> object:
    r.node(_ENUM_EXTRA)
    name = r.text()
    value = r.unpack(_I64)
    t = clr.lookup(name)
    cls = t.py_types[0] if t is not None and len(t.py_types) == 1 else None
    if (
        t is None
        or t.full_name != name
        or not isinstance(cls, type)
        or not issubclass(cls, NetEnum | NetFlags)
    ):
        r.fail(f"unknown enum type {name!r}")
    try:
        return cls(value)
    except ValueError:
        r.fail(f"{value} is not a value of {name}")


def _read_uri(r: _Reader) -> Uri:
    r.node(_HEAVY)
    flags = r.u8()
    if flags > 0x1F:
        r.fail("bad System.Uri flags")
    original, scheme, userinfo, host = r.text(), r.text(), r.text(), r.text()
    port = r.unpack(_I32)
    if not -1 <= port <= 0xFFFF:
        r.fail("System.Uri port out of range")
    path = r.text()
    query = r.text() if flags & 8 else None
    fragment = r.text() if flags & 16 else None
    return Uri(
        original=original,
        absolute=bool(flags & 1),
        scheme=scheme,
        userinfo=userinfo,
        host=host,
        port=port,
        explicit_port=bool(flags & 2),
        has_authority=bool(flags & 4),
        path=path,
        query=query,
        fragment=fragment,
    )


_SCALAR_READERS: Final[dict[int, Callable[[_Reader], object]]] = {
    T_NULL: lambda r: None,
    T_TRUE: lambda r: True,
    T_FALSE: lambda r: False,
    T_INT32: _read_int32,
    T_BIGINT: _read_bigint,
    T_INT64: _reader_for(Int64, _I64),
    T_INT16: _reader_for(Int16, _I16),
    T_SBYTE: _reader_for(SByte, _I8),
    T_BYTE: _read_byte,
    T_UINT16: _reader_for(UInt16, _U16),
    T_UINT32: _reader_for(UInt32, _U32),
    T_UINT64: _reader_for(UInt64, _U64),
    T_DOUBLE: _read_double,
    T_SINGLE: _read_single,
    T_DECIMAL: _read_decimal,
    T_CHAR: _read_char,
    T_STRING: _Reader.text,
    T_DATETIME: _read_datetime,
    T_TIMESPAN: _read_timespan,
    T_DTO: _read_dto,
    T_GUID: _read_guid,
    T_BYTES: _Reader.blob,
    T_BYTEARRAY: _read_bytearray,
    T_ENUM: _read_enum,
    T_URI: _read_uri,
}
_KEY_READERS: Final = {t: f for t, f in _SCALAR_READERS.items() if t not in (T_NULL, T_BYTEARRAY)}


def _read_items(r: _Reader, depth: int) -> list[object]:
    n = r.count(1)
    return [_read(r, depth + 1) for _ in range(n)]


def _read_array(r: _Reader, depth: int) -> list[object]:
    return _read_items(r, depth)


def _read_list(r: _Reader, depth: int) -> NetList:
    return NetList(_read_items(r, depth))


def _read_view(r: _Reader, depth: int) -> CollectionView:
    return CollectionView(_read_items(r, depth))


def _read_tuple(r: _Reader, depth: int) -> NetTuple:
    return NetTuple(tuple(_read_items(r, depth)))


def _read_dict(r: _Reader, depth: int) -> dict[object, object]:
    n = r.count(2)
    d: dict[object, object] = {}
    for _ in range(n):
        key = _read_scalar_only(r, _KEY_READERS)
        if depth + 1 > MAX_DEPTH:
            r.fail(f"nested more than {MAX_DEPTH} levels deep")
        value = _read(r, depth + 1)
        if key in d:
            r.fail("duplicate Dictionary key")
        d[key] = value
    return d


def _read_hashset(r: _Reader, depth: int) -> NetHashSet:
    index = r.u8()
    if index >= len(_COMPARERS):
        r.fail("unknown HashSet comparer")
    comparer = _COMPARERS[index]
    n = r.count(1)
    hs = NetHashSet(comparer)
    for _ in range(n):
        r.node()
        x = _read(r, depth + 1)
        if comparer is not None and x is not None and type(x) is not str:
            r.fail("a HashSet with a StringComparer holds strings only")
        if not hs.add(x):
            r.fail("duplicate HashSet value")
    return hs


def _read_kvp(r: _Reader, depth: int) -> KeyValuePair:
    key = _read(r, depth + 1)
    return KeyValuePair(key, _read(r, depth + 1))


def _read_token(r: _Reader, depth: int) -> JToken:
    if depth > MAX_DEPTH:
        r.fail(f"nested more than {MAX_DEPTH} levels deep")
    r.node()
    tag = r.u8()
    reader = _TOKEN_READERS.get(tag)
    if reader is None:
        r.fail(f"tag 0x{tag:02x} is not a JSON token")
    return reader(r, depth)


def _read_jobject(r: _Reader, depth: int) -> JObject:
    n = r.count(2)
    o = JObject()
    for _ in range(n):
        r.node(_MEMBER)
        name = r.text()
        if name in o.props:
            r.fail(f"duplicate JObject property {name!r}")
        o.set(name, _read_token(r, depth + 1))
    return o


def _read_jarray(r: _Reader, depth: int) -> JArray:
    n = r.count(1)
    a = JArray()
    for _ in range(n):
        a.append(_read_token(r, depth + 1))
    return a


def _read_jproperty(r: _Reader, depth: int) -> JProperty:
    name = r.text()
    return JProperty(name, _read_token(r, depth + 1))


def _read_jvalue(r: _Reader, depth: int) -> JValue:
    r.node(_JVALUE_EXTRA)
    kind = r.u8()
    allowed = _JVALUE_TYPES.get(kind)
    if allowed is None:
        r.fail(f"JTokenType {kind} cannot be a cached JValue")
    value = _read_scalar_only(r, _SCALAR_READERS)
    if type(value) not in allowed:
        r.fail(f"a JValue of JTokenType {_JTYPE_BY_VALUE[kind].name} cannot hold that value")
    return JValue(value, _JTYPE_BY_VALUE[kind])


def _read_headers(r: _Reader) -> StringValuesDictionary:
    flags = r.u8()
    if flags > 1:
        r.fail("bad header dictionary flags")
    n = r.count(2)
    d = StringValuesDictionary(case_insensitive=bool(flags))
    for _ in range(n):
        r.node(_HEADER_NAME)
        name = r.text()
        m = r.count(1)
        values: list[str] = []
        for _ in range(m):
            r.node()
            values.append(r.text())
        if name in d:
            r.fail(f"duplicate header {name!r}")
        d.set(name, values)
    return d


def _read_body(r: _Reader) -> MessageBody:
    flags = r.u8()
    if flags > 3:
        r.fail("bad message body flags")
    content_type = r.text() if flags & 2 else None
    content = r.blob()
    body = MessageBody(content, content_type)
    if flags & 1:
        if content:
            r.fail("a consumed message body has no content")
        body._consumed = True
    return body


def _read_response(r: _Reader, depth: int) -> Response:
    r.node(_HEAVY)
    status = r.unpack(_I32)
    reason = r.text()
    headers = _read_headers(r)
    has_body = r.u8()
    if has_body > 1:
        r.fail("bad IResponse body marker")
    body = _read_body(r) if has_body else None
    return Response(status_code=status, status_reason=reason, headers=headers, body=body)


_TOKEN_READERS: Final[dict[int, Callable[[_Reader, int], JToken]]] = {
    T_JOBJECT: _read_jobject,
    T_JARRAY: _read_jarray,
    T_JVALUE: _read_jvalue,
}
_CONTAINER_READERS: Final[dict[int, Callable[[_Reader, int], object]]] = {
    T_ARRAY: _read_array,
    T_LIST: _read_list,
    T_VIEW: _read_view,
    T_DICT: _read_dict,
    T_HASHSET: _read_hashset,
    T_KVP: _read_kvp,
    T_TUPLE: _read_tuple,
    **_TOKEN_READERS,
    T_JPROPERTY: _read_jproperty,
    T_RESPONSE: _read_response,
    T_HEADERS: lambda r, depth: _read_headers(r),
    T_BODY: lambda r, depth: _read_body(r),
}
