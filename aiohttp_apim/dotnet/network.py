"""System.Net.IPAddress and AddressFamily.

Parsing follows .NET's ``IPAddress.Parse``: IPv4 in the forms inet_aton reads ("10.0.0.1",
"10.1", "0x7f.1", octal parts), IPv6 with an optional scope ("fe80::1%12") and brackets
("[::1]"); anything else is a FormatException. ``ToString()`` writes IPv6 compressed, lower
case, with an IPv4-mapped address's last 32 bits dotted ("::ffff:1.2.3.4"), as .NET does.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.dotnet.encoding import _bytes_arg
from aiohttp_apim.dotnet.primitives import Int16, Int64, NetEnum
from aiohttp_apim.errors import ExpressionError

__all__ = ["AddressFamily", "NetAddress", "parse_address"]


class AddressFamily(NetEnum):
    Unknown = -1
    Unspecified = 0
    Unix = 1
    InterNetwork = 2
    InterNetworkV6 = 23


class NetAddress:
    """An IPAddress: its bytes (4 or 16) and, for IPv6, the scope id."""

    __slots__ = ("packed", "scope")

    def __init__(self, packed: bytes, scope: int = 0) -> None:
        self.packed = packed
        self.scope = scope

    @property
    def v6(self) -> bool:
        return len(self.packed) == 16

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NetAddress)
            and other.packed == self.packed
            and other.scope == self.scope
        )

    def __hash__(self) -> int:
        return hash((self.packed, self.scope))

    def __str__(self) -> str:
        if not self.v6:
            return ".".join(str(b) for b in self.packed)
        address = ipaddress.IPv6Address(self.packed)
        mapped = address.ipv4_mapped
        text = f"::ffff:{mapped}" if mapped is not None else address.compressed
        return f"{text}%{self.scope}" if self.scope else text


_BAD = "An invalid IP address was specified."
_IPV4_CHARS = re.compile(r"[0-9A-Fa-fxX.]+")


def parse_address(text: object) -> NetAddress:
    """``IPAddress.Parse(text)``."""
    if text is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'ipString')"
        )
    if not isinstance(text, str):
        raise ExpressionError(
            "ArgumentException", "Argument 'ipString': cannot convert to 'string'"
        )
    if ":" in text:
        body = text
        if body.startswith("["):
            end = body.find("]")
            if end < 0 or (end + 1 < len(body) and not re.fullmatch(r":\d{1,5}", body[end + 1 :])):
                raise ExpressionError("FormatException", _BAD)
            body = body[1:end]
        address, _, scope_text = body.partition("%")
        scope = 0
        if scope_text:
            if not scope_text.isdigit() or len(scope_text) > 10:
                raise ExpressionError("FormatException", _BAD)
            scope = int(scope_text)
        try:
            return NetAddress(ipaddress.IPv6Address(address).packed, scope)
        except ValueError:
            raise ExpressionError("FormatException", _BAD) from None
    if not _IPV4_CHARS.fullmatch(text) or len(text) > 64:
        raise ExpressionError("FormatException", _BAD)
    try:
        return NetAddress(socket.inet_aton(text))
    except OSError:
        raise ExpressionError("FormatException", _BAD) from None


def _try_parse(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IPAddress", "TryParse", a, 2)
    try:
        dotnet.set_out(a, 1, parse_address(a[0]))
    except ExpressionError as e:
        if e.exception_type != "FormatException":
            raise
        dotnet.set_out(a, 1, None)
        return False
    return True


def _ctor(a: Sequence[object], t: Sequence[TypeRef]) -> NetAddress:
    arity("IPAddress", ".ctor", a, 1, 2)
    if isinstance(a[0], bytes | bytearray | list):
        packed = _bytes_arg(a[0], "address")
        if len(packed) not in (4, 16) or (len(a) == 2 and len(packed) != 16):
            raise ExpressionError(
                "ArgumentException", "An invalid IP address was specified. (Parameter 'address')"
            )
        scope = strings._int_arg(a[1], "scopeid") if len(a) == 2 else 0
        if not 0 <= scope <= 0xFFFFFFFF:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Specified argument was out of the range of valid values. (Parameter 'scopeid')",
            )
        return NetAddress(packed, scope)
    value = strings._int_arg(a[0], "newAddress")
    if not 0 <= value <= 0xFFFFFFFF:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Specified argument was out of the range of valid values. (Parameter 'newAddress')",
        )
    return NetAddress(value.to_bytes(4, "little"))  # .NET's long is in network order in memory


def _address_arg(v: object) -> NetAddress:
    if isinstance(v, NetAddress):
        return v
    raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'address')")


def _is_loopback(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IPAddress", "IsLoopback", a, 1)
    address = _address_arg(a[0])
    if address.v6:
        return address.packed == bytes(15) + b"\x01"
    return address.packed[0] == 127


def _map_to_ipv4(x: NetAddress) -> NetAddress:
    return NetAddress(x.packed[12:]) if x.v6 else x


def _map_to_ipv6(x: NetAddress) -> NetAddress:
    return x if x.v6 else NetAddress(bytes(10) + b"\xff\xff" + x.packed)


def _swap(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("IPAddress", "HostToNetworkOrder", a, 1)
    value = a[0]
    cls = type(value)
    if not dotnet.is_integral(value) or cls not in (int, Int16, Int64):
        raise ExpressionError("ArgumentException", "Argument 'host': expected short, int or long")
    size = {int: 4, Int16: 2, Int64: 8}[cls]
    swapped = int.from_bytes(value.to_bytes(size, "little", signed=True), "big", signed=True)
    return swapped if cls is int else cls(swapped)


ADDRESS_FAMILY = dotnet.declare_enum(
    "AddressFamily", "System.Net.Sockets.AddressFamily", AddressFamily
)

IPADDRESS = declare("IPAddress", "System.Net.IPAddress", (NetAddress,))
IPADDRESS.construct = _ctor
IPADDRESS.members.update(
    {
        "AddressFamily": lambda x: (
            AddressFamily.InterNetworkV6 if x.v6 else AddressFamily.InterNetwork
        ),
        "ScopeId": lambda x: Int64(x.scope) if x.v6 else _no_scope(),
        "IsIPv4MappedToIPv6": lambda x: x.v6 and x.packed[:12] == bytes(10) + b"\xff\xff",
        "IsIPv6LinkLocal": lambda x: x.v6 and x.packed[0] == 0xFE and x.packed[1] & 0xC0 == 0x80,
        "IsIPv6SiteLocal": lambda x: x.v6 and x.packed[0] == 0xFE and x.packed[1] & 0xC0 == 0xC0,
        "IsIPv6Multicast": lambda x: x.v6 and x.packed[0] == 0xFF,
        "IsIPv6Teredo": lambda x: x.v6 and x.packed[:4] == b"\x20\x01\x00\x00",
        "IsIPv6UniqueLocal": lambda x: x.v6 and x.packed[0] & 0xFE == 0xFC,
        "Address": lambda x: Int64(int.from_bytes(x.packed, "little")) if not x.v6 else _no_scope(),
    }
)


def _no_scope() -> Int64:
    raise ExpressionError(
        "SocketException",
        "The attempted operation is not supported for the type of object referenced.",
    )


IPADDRESS.methods.update(
    {
        "GetAddressBytes": lambda x, a, t: (
            arity("IPAddress", "GetAddressBytes", a, 0),
            bytearray(x.packed),
        )[1],
        "MapToIPv4": lambda x, a, t: _map_to_ipv4(x),
        "MapToIPv6": lambda x, a, t: _map_to_ipv6(x),
        "ToString": lambda x, a, t: str(x),
        "Equals": lambda x, a, t: x == a[0],
        "GetHashCode": lambda x, a, t: hash(x) & 0x7FFFFFFF,
    }
)
IPADDRESS.statics.update(
    {
        "Any": lambda: NetAddress(bytes(4)),
        "Loopback": lambda: NetAddress(b"\x7f\x00\x00\x01"),
        "Broadcast": lambda: NetAddress(b"\xff" * 4),
        "None": lambda: NetAddress(b"\xff" * 4),
        "IPv6Any": lambda: NetAddress(bytes(16)),
        "IPv6Loopback": lambda: NetAddress(bytes(15) + b"\x01"),
        "IPv6None": lambda: NetAddress(bytes(16)),
    }
)
IPADDRESS.static_methods.update(
    {
        "Parse": lambda a, t: (arity("IPAddress", "Parse", a, 1), parse_address(a[0]))[1],
        "TryParse": _try_parse,
        "IsLoopback": _is_loopback,
        "HostToNetworkOrder": _swap,
        "NetworkToHostOrder": _swap,
    }
)
IPADDRESS.sign(
    "new(byte[] address)",
    "new(byte[] address, long scopeid)",
    "new(long newAddress)",
    "AddressFamily AddressFamily { get; }",
    "long ScopeId { get; }",
    "bool IsIPv4MappedToIPv6 { get; }",
    "bool IsIPv6LinkLocal { get; }",
    "bool IsIPv6SiteLocal { get; }",
    "bool IsIPv6Multicast { get; }",
    "bool IsIPv6Teredo { get; }",
    "bool IsIPv6UniqueLocal { get; }",
    "long Address { get; }",
    "byte[] GetAddressBytes()",
    "IPAddress MapToIPv4()",
    "IPAddress MapToIPv6()",
    "string ToString()",
    "bool Equals(object comparand)",
    "int GetHashCode()",
    *(
        f"static readonly IPAddress {n}"
        for n in ("Any", "Loopback", "Broadcast", "None", "IPv6Any", "IPv6Loopback", "IPv6None")
    ),
    "static IPAddress Parse(string ipString)",
    "static bool TryParse(string ipString, out IPAddress address)",
    "static bool IsLoopback(IPAddress address)",
    "static short HostToNetworkOrder(short host)",
    "static int HostToNetworkOrder(int host)",
    "static long HostToNetworkOrder(long host)",
    "static short NetworkToHostOrder(short network)",
    "static int NetworkToHostOrder(int network)",
    "static long NetworkToHostOrder(long network)",
)

TYPES: tuple[TypeRef, ...] = (ADDRESS_FAMILY, IPADDRESS)
