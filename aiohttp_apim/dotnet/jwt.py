"""APIM's string extension methods for credentials: ``AsJwt()``/``TryParseJwt(out jwt)`` and
``AsBasic()``/``TryParseBasic(out credentials)``.

``AsJwt`` decodes (never validates) a compact JWS "header.payload.signature"; anything
malformed gives null. ``AsBasic`` accepts an Authorization header value ("Basic <base64>",
scheme case-insensitive) or the bare base64 text, and gives null when it is not
"user:password" in base64 of UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import json as _json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, strings
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import set_out
from aiohttp_apim.errors import ExpressionError

__all__ = ["BasicAuthCredentials", "Jwt", "parse_basic", "parse_jwt"]


@dataclass(frozen=True, slots=True)
class Jwt:
    header: dict[str, object]
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class BasicAuthCredentials:
    user_id: str
    password: str


def _b64url(part: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_\-]*={0,2}", part):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse_jwt(text: object) -> Jwt | None:
    if not isinstance(text, str):
        return None
    parts = text.strip().split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    try:
        header = _json.loads(_b64url(parts[0]))
        payload = _json.loads(_b64url(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return Jwt(header, payload)


def parse_basic(text: object) -> BasicAuthCredentials | None:
    if not isinstance(text, str):
        return None
    value = text.strip()
    m = re.match(r"(?i)basic\s+", value)
    if m:
        value = value[m.end() :].strip()
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, _, password = decoded.partition(":")
    return BasicAuthCredentials(user, password)


def _claim_strings(v: object) -> list[str]:
    if isinstance(v, list):
        return [x for item in v for x in _claim_strings(item)]
    if isinstance(v, str):
        return [v]
    if isinstance(v, bool):
        return ["true" if v else "false"]
    if v is None:
        return [""]
    if isinstance(v, int | float):
        return [_json.dumps(v)]
    return [_json.dumps(v, separators=(",", ":"), ensure_ascii=False)]


def _date(payload: dict[str, object], name: str) -> object:
    v = payload.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    try:
        return dates.from_unix(float(v))
    except clr.ExpressionError:
        return None


def _str(d: dict[str, object], name: str) -> object:
    v = d.get(name)
    return v if isinstance(v, str) else (None if v is None else _claim_strings(v)[0])


def _audiences(j: Jwt) -> list[object]:
    aud = j.payload.get("aud")
    return [] if aud is None else list(_claim_strings(aud))


def _try(parse: Callable[[object], object | None], name: str) -> clr.Method:
    fn = parse

    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("String", name, a, 1)
        v = fn(s)
        set_out(a, 0, v)
        return v is not None

    return impl


ClaimsDictionary = Callable[[dict[str, list[str]]], object]
"""Makes ``Jwt.Claims`` (an IReadOnlyDictionary<string, string[]>) of the claims' values."""

_claims_dictionary: list[ClaimsDictionary] = [dict]


def use_claims_dictionary(factory: ClaimsDictionary) -> None:
    """Have ``Jwt.Claims`` made by ``factory``: APIM's model offers the dictionary of string
    values that its headers use too (with APIM's ``GetValueOrDefault`` joining the values); the
    library alone has only a plain Dictionary."""
    _claims_dictionary[0] = factory


JWT = declare(
    "Jwt", "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.Jwt", (Jwt,)
)
JWT.members.update(
    {
        "Id": lambda j: _str(j.payload, "jti"),
        "Issuer": lambda j: _str(j.payload, "iss"),
        "Subject": lambda j: _str(j.payload, "sub"),
        "Audiences": _audiences,
        "ExpirationTime": lambda j: _date(j.payload, "exp"),
        "NotBefore": lambda j: _date(j.payload, "nbf"),
        "IssuedAt": lambda j: _date(j.payload, "iat"),
        "Type": lambda j: _str(j.header, "typ"),
        "Algorithm": lambda j: _str(j.header, "alg"),
        "Claims": lambda j: _claims_dictionary[0](
            {k: _claim_strings(v) for k, v in j.payload.items()}
        ),
    }
)
BASIC = declare(
    "BasicAuthCredentials",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.BasicAuthCredentials",
    (BasicAuthCredentials,),
)
BASIC.members.update({"UserId": lambda b: b.user_id, "Password": lambda b: b.password})

EXTENSIONS: dict[str, clr.Method] = {
    "AsJwt": lambda s, a, t: (arity("String", "AsJwt", a, 0), parse_jwt(s))[1],
    "TryParseJwt": _try(parse_jwt, "TryParseJwt"),
    "AsBasic": lambda s, a, t: (arity("String", "AsBasic", a, 0), parse_basic(s))[1],
    "TryParseBasic": _try(parse_basic, "TryParseBasic"),
}
"""APIM's extension methods on string. As extension methods they accept a null receiver (null
gives null / false), both as ``s.AsJwt()`` and in the static form
``ExpressionSyntaxExtensions.AsJwt(s)``."""


def _static(name: str, method: clr.Method) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        if not a:
            arity("ExpressionSyntaxExtensions", name, a, 1)
        receiver = a[0]
        if receiver is not None and not isinstance(receiver, str):
            raise ExpressionError(
                "ArgumentException",
                f"Argument 'input' of '{name}': cannot convert from "
                f"'{clr.net_name(receiver)}' to 'string'",
            )
        return method(receiver, a[1:], t)

    return impl


SYNTAX_EXTENSIONS = declare(
    "ExpressionSyntaxExtensions",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions."
    "ExpressionSyntaxExtensions",
)
SYNTAX_EXTENSIONS.static_methods.update({k: _static(k, m) for k, m in EXTENSIONS.items()})

JWT.sign(
    *(f"string {n} {{ get; }}" for n in ("Id", "Issuer", "Subject", "Type", "Algorithm")),
    "IEnumerable<string> Audiences { get; }",
    "DateTime? ExpirationTime { get; }",
    "DateTime? NotBefore { get; }",
    "DateTime? IssuedAt { get; }",
    "IReadOnlyDictionary<string, string[]> Claims { get; }",
)
BASIC.sign("string UserId { get; }", "string Password { get; }")
EXTENSION_SIGNATURES = (
    "Jwt AsJwt()",
    "bool TryParseJwt(out Jwt result)",
    "BasicAuthCredentials AsBasic()",
    "bool TryParseBasic(out BasicAuthCredentials result)",
)
SYNTAX_EXTENSIONS.sign(
    "static Jwt AsJwt(string input)",
    "static bool TryParseJwt(string input, out Jwt result)",
    "static BasicAuthCredentials AsBasic(string input)",
    "static bool TryParseBasic(string input, out BasicAuthCredentials result)",
)

TYPES: tuple[TypeRef, ...] = (JWT, BASIC, SYNTAX_EXTENSIONS)


def register(registry: Registry) -> None:
    """APIM's extension methods on string, which accept a null receiver."""
    strings.STRING.methods.update(EXTENSIONS)
    strings.STRING.sign(*(f"extension {line}" for line in EXTENSION_SIGNATURES))
    registry.null_receiver_methods.update(EXTENSIONS)
    registry.add(*TYPES)
