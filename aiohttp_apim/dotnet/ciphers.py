"""Symmetric encryption as APIM's expressions see it: SymmetricAlgorithm (Aes, DES, TripleDES,
RC2, Rijndael) with Key/IV/Mode/Padding, CipherMode and PaddingMode, APIM's ``Encrypt`` and
``Decrypt`` extension methods on ``byte[]``, HashAlgorithmName, and RNGCryptoServiceProvider.

The ciphers are the ``cryptography`` package's (OpenSSL): nothing here encrypts by hand. What is
.NET's is around them: key and IV sizes, the default mode (CBC) and padding (PKCS7), the padding
modes (None, PKCS7, Zeros, ANSIX923, ISO10126) applied and removed as .NET does, and .NET's
CryptographicException messages. APIM's extension methods are documented on
https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ref-context-request.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from cryptography.hazmat.decrepit.ciphers import algorithms as decrepit
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aiohttp_apim.dotnet import collections, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import charge_chars
from aiohttp_apim.dotnet.core import (
    Method,
    Registry,
    Setter,
    StaticMethod,
    TypeRef,
    arity,
    check_size,
    declare,
)
from aiohttp_apim.dotnet.encoding import _bytes_arg
from aiohttp_apim.dotnet.primitives import NetEnum
from aiohttp_apim.errors import ExpressionError

__all__ = ["CipherMode", "HashAlgorithmName", "PaddingMode", "Symmetric", "decrypt", "encrypt"]

_NS = "System.Security.Cryptography"


class CipherMode(NetEnum):
    CBC = 1
    ECB = 2
    OFB = 3
    CFB = 4
    CTS = 5


class PaddingMode(NetEnum):
    None_ = 1
    PKCS7 = 2
    Zeros = 3
    ANSIX923 = 4
    ISO10126 = 5


def _crypto_error(message: str) -> NoReturn:
    raise ExpressionError("CryptographicException", message)


# ---------------------------------------------------------------- algorithms


@dataclass(frozen=True, slots=True)
class _Kind:
    """One symmetric algorithm: its .NET name, legal key sizes and block size (bits)."""

    name: str
    key_sizes: tuple[int, ...]
    default_key_size: int
    block_size: int

    def cipher(self, key: bytes) -> algorithms.AES | decrepit.TripleDES | decrepit.RC2:
        if self.name in ("Aes", "Rijndael"):
            return algorithms.AES(key)
        if self.name == "DES":
            return decrepit.TripleDES(key * 3)  # one key three times is single DES
        if self.name == "TripleDES":  # a two-key one is K1 K2 K1
            return decrepit.TripleDES(key + key[:8] if len(key) == 16 else key)
        if len(key) != 16:
            raise ExpressionError(
                "NotSupportedException",
                "RC2 keys other than 128 bits are not supported in this gateway "
                "(the OpenSSL cipher it uses takes 128-bit keys only)",
            )
        return decrepit.RC2(key)


AES = _Kind("Aes", (128, 192, 256), 256, 128)
RIJNDAEL = _Kind("Rijndael", (128, 192, 256), 256, 128)
DES = _Kind("DES", (64,), 64, 64)
TRIPLE_DES = _Kind("TripleDES", (128, 192), 192, 64)
RC2 = _Kind("RC2", tuple(range(40, 1025, 8)), 128, 64)

_BY_NAME = {
    name.lower(): kind
    for kind, names in (
        (AES, ("Aes", "AesManaged", "AesCryptoServiceProvider", "AesCng", "AES")),
        (RIJNDAEL, ("Rijndael", "RijndaelManaged")),
        (DES, ("DES", "DESCryptoServiceProvider")),
        (TRIPLE_DES, ("TripleDES", "3DES", "Triple DES", "TripleDESCryptoServiceProvider")),
        (RC2, ("RC2", "RC2CryptoServiceProvider")),
    )
    for name in (*names, *(f"{_NS}.{n}" for n in names))
}
"""The names SymmetricAlgorithm.Create(name) and the string forms of Encrypt/Decrypt know."""


@dataclass(eq=False, slots=True)
class Symmetric:
    """A SymmetricAlgorithm: key and IV made at random when first read, as .NET does."""

    kind: _Kind
    key_size: int = 0
    mode: CipherMode = CipherMode.CBC
    padding: PaddingMode = PaddingMode.PKCS7
    feedback_size: int = 8
    _key: bytes | None = field(default=None, repr=False)
    _iv: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.key_size = self.key_size or self.kind.default_key_size

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = secrets.token_bytes(self.key_size // 8)
        return self._key

    @key.setter
    def key(self, value: object) -> None:
        key = _bytes_arg(value, "value")
        if len(key) * 8 not in self.kind.key_sizes:
            _crypto_error("Specified key is not a valid size for this algorithm.")
        self._key = key
        self.key_size = len(key) * 8

    @property
    def iv(self) -> bytes:
        if self._iv is None:
            self._iv = secrets.token_bytes(self.kind.block_size // 8)
        return self._iv

    @iv.setter
    def iv(self, value: object) -> None:
        iv = _bytes_arg(value, "value")
        if len(iv) * 8 != self.kind.block_size:
            _crypto_error(
                "Specified initialization vector (IV) does not match the block size for this "
                "algorithm."
            )
        self._iv = iv


def _mode(alg: Symmetric, iv: bytes) -> modes.CBC | modes.ECB | modes.CFB | modes.CFB8:
    if alg.mode == CipherMode.CBC:
        return modes.CBC(iv)
    if alg.mode == CipherMode.ECB:
        return modes.ECB()
    if alg.mode == CipherMode.CFB and alg.feedback_size == 8:
        return modes.CFB8(iv)
    if alg.mode == CipherMode.CFB and alg.feedback_size == alg.kind.block_size:
        return modes.CFB(iv)
    if alg.mode == CipherMode.CFB:
        _crypto_error(
            f"The specified feedback size '{alg.feedback_size}' for CipherMode "
            "'CFB' is not supported."
        )
    _crypto_error(f"The specified CipherMode '{alg.mode.name}' is not supported.")


def _pad_block(alg: Symmetric) -> int:
    """Bytes that padding rounds up to: the feedback size in CFB, else the block size."""
    return (alg.feedback_size if alg.mode == CipherMode.CFB else alg.kind.block_size) // 8


def _pad(data: bytes, padding: PaddingMode, block: int) -> bytes:
    short = -len(data) % block
    if padding == PaddingMode.None_:
        if short:
            _crypto_error("The input data is not a complete block.")
        return data
    if padding == PaddingMode.Zeros:
        return data + bytes(short)
    n = short or block
    if padding == PaddingMode.PKCS7:
        return data + bytes([n]) * n
    if padding == PaddingMode.ANSIX923:
        return data + bytes(n - 1) + bytes([n])
    return data + secrets.token_bytes(n - 1) + bytes([n])  # ISO10126


def _unpad(data: bytes, padding: PaddingMode, block: int) -> bytes:
    if padding in (PaddingMode.None_, PaddingMode.Zeros) or not data:
        return data
    n = data[-1]
    if not 0 < n <= block or n > len(data):
        _crypto_error("Padding is invalid and cannot be removed.")
    if padding == PaddingMode.PKCS7 and data[-n:] != bytes([n]) * n:
        _crypto_error("Padding is invalid and cannot be removed.")
    if padding == PaddingMode.ANSIX923 and any(data[-n:-1]):
        _crypto_error("Padding is invalid and cannot be removed.")
    return data[:-n]


def _transform(alg: Symmetric, data: bytes, key: bytes, iv: bytes, *, encrypting: bool) -> bytes:
    if len(key) * 8 not in alg.kind.key_sizes:
        _crypto_error("Specified key is not a valid size for this algorithm.")
    if alg.mode != CipherMode.ECB and len(iv) * 8 != alg.kind.block_size:
        _crypto_error(
            "Specified initialization vector (IV) does not match the block size for this algorithm."
        )
    charge_chars(len(data))
    block = _pad_block(alg)
    if encrypting:
        data = _pad(data, alg.padding, block)
        check_size(len(data))
    elif len(data) % block:
        _crypto_error("The input data is not a complete block.")
    out = _run(alg, key, iv, data, encrypting=encrypting)
    return out if encrypting else _unpad(out, alg.padding, block)


def _run(alg: Symmetric, key: bytes, iv: bytes, data: bytes, *, encrypting: bool) -> bytes:
    algorithm = alg.kind.cipher(key)
    if alg.kind is RC2 and alg.mode != CipherMode.CBC:
        if alg.mode != CipherMode.ECB:
            _crypto_error(f"The specified CipherMode '{alg.mode.name}' is not supported.")
        # OpenSSL offers RC2 in CBC mode only: ECB is CBC of each block with a zero IV
        size = alg.kind.block_size // 8
        zero = bytes(size)
        return b"".join(
            _once(Cipher(algorithm, modes.CBC(zero)), data[i : i + size], encrypting)
            for i in range(0, len(data), size)
        )
    return _once(Cipher(algorithm, _mode(alg, iv)), data, encrypting)


def _once(
    cipher: Cipher[modes.CBC | modes.ECB | modes.CFB | modes.CFB8], data: bytes, encrypting: bool
) -> bytes:
    context = cipher.encryptor() if encrypting else cipher.decryptor()
    return context.update(data) + context.finalize()


def encrypt(
    data: bytes, alg: Symmetric, key: bytes | None = None, iv: bytes | None = None
) -> bytes:
    """``data.Encrypt(alg[, key, iv])``: the algorithm's own key and IV unless given."""
    return _transform(
        alg, data, alg.key if key is None else key, alg.iv if iv is None else iv, encrypting=True
    )


def decrypt(
    data: bytes, alg: Symmetric, key: bytes | None = None, iv: bytes | None = None
) -> bytes:
    """``data.Decrypt(alg[, key, iv])``."""
    return _transform(
        alg, data, alg.key if key is None else key, alg.iv if iv is None else iv, encrypting=False
    )


def _algorithm_arg(v: object) -> Symmetric:
    if isinstance(v, Symmetric):
        return v
    if isinstance(v, str):
        kind = _BY_NAME.get(v.lower())
        if kind is None:
            _crypto_error(f"'{v}' is not a known symmetric encryption algorithm.")
        return Symmetric(kind)
    if v is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'alg')")
    raise ExpressionError(
        "ArgumentException", "Argument 'alg': expected a SymmetricAlgorithm or its name"
    )


def _extension(encrypting: bool) -> Method:
    name = "Encrypt" if encrypting else "Decrypt"

    def impl(b: bytes, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
        arity("Byte[]", name, a, 1, 3)
        alg = _algorithm_arg(a[0])
        if len(a) == 1:
            if isinstance(a[0], str):
                raise ExpressionError(
                    "MissingMethodException",
                    f"No overload for method '{name}' takes a name without a key and an IV",
                )
            key, iv = alg.key, alg.iv
        else:
            key, iv = _bytes_arg(a[1], "key"), _bytes_arg(a[2], "iv")
        return bytearray(_transform(alg, bytes(b), key, iv, encrypting=encrypting))

    return impl


EXTENSIONS: dict[str, Method] = {"Encrypt": _extension(True), "Decrypt": _extension(False)}
EXTENSION_SIGNATURES = tuple(
    f"extension byte[] {name}({params})"
    for name in ("Encrypt", "Decrypt")
    for params in (
        "string alg, byte[] key, byte[] iv",
        "SymmetricAlgorithm alg",
        "SymmetricAlgorithm alg, byte[] key, byte[] iv",
    )
)


# ---------------------------------------------------------------- declarations

CIPHER_MODE = dotnet.declare_enum("CipherMode", f"{_NS}.CipherMode", CipherMode)
PADDING_MODE = dotnet.declare_enum("PaddingMode", f"{_NS}.PaddingMode", PaddingMode)
PADDING_MODE.statics["None"] = lambda: PaddingMode.None_
PADDING_MODE.sign("const PaddingMode None")


def _set_key_size(alg: Symmetric, v: object) -> None:
    size = strings._int_arg(v, "value")
    if size not in alg.kind.key_sizes:
        _crypto_error("Specified key is not a valid size for this algorithm.")
    alg.key_size, alg._key = size, None


def _set_block_size(alg: Symmetric, v: object) -> None:
    if strings._int_arg(v, "value") != alg.kind.block_size:
        _crypto_error("Specified block size is not valid for this algorithm.")


def _set_feedback_size(alg: Symmetric, v: object) -> None:
    size = strings._int_arg(v, "value")
    if size not in (8, alg.kind.block_size):
        _crypto_error("Specified feedback size is invalid.")
    alg.feedback_size = size


def _set_enum(cls: type[NetEnum], attr: str) -> Setter:
    def setter(alg: Symmetric, v: object) -> None:
        if not isinstance(v, cls):
            raise ExpressionError(
                "InvalidCastException", f"Specified cast is not valid ({cls.__name__})"
            )
        if cls is CipherMode and v in (CipherMode.OFB, CipherMode.CTS):
            _crypto_error("Specified cipher mode is not valid for this algorithm.")
        setattr(alg, attr, v)

    return setter


def _create(kind: _Kind | None) -> StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> Symmetric | None:
        if kind is not None:
            arity(kind.name, "Create", a, 0, 1)
        else:
            arity("SymmetricAlgorithm", "Create", a, 1)
        if a:
            if not isinstance(a[0], str):
                raise ExpressionError(
                    "ArgumentNullException", "Value cannot be null. (Parameter 'algName')"
                )
            found = _BY_NAME.get(a[0].lower())
            if found is None or (kind is not None and found is not kind):
                return None
            return Symmetric(found)
        assert kind is not None
        return Symmetric(kind)

    return impl


def _transformer(encrypting: bool) -> Method:
    name = "CreateEncryptor" if encrypting else "CreateDecryptor"

    def impl(alg: Symmetric, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        raise ExpressionError(
            "NotSupportedException",
            f"SymmetricAlgorithm.{name} and crypto streams are not supported in policy "
            "expressions: use the Encrypt and Decrypt extension methods of byte[]",
        )

    return impl


SYMMETRIC = declare("SymmetricAlgorithm", f"{_NS}.SymmetricAlgorithm", (Symmetric,))
SYMMETRIC.members.update(
    {
        "Key": lambda alg: alg.key,
        "IV": lambda alg: alg.iv,
        "KeySize": lambda alg: alg.key_size,
        "BlockSize": lambda alg: alg.kind.block_size,
        "FeedbackSize": lambda alg: alg.feedback_size,
        "Mode": lambda alg: alg.mode,
        "Padding": lambda alg: alg.padding,
    }
)
SYMMETRIC.setters.update(
    {
        "Key": lambda alg, v: setattr(alg, "key", v),
        "IV": lambda alg, v: setattr(alg, "iv", v),
        "KeySize": _set_key_size,
        "BlockSize": _set_block_size,
        "FeedbackSize": _set_feedback_size,
        "Mode": _set_enum(CipherMode, "mode"),
        "Padding": _set_enum(PaddingMode, "padding"),
    }
)
SYMMETRIC.methods.update(
    {
        "GenerateKey": lambda alg, a, t: setattr(
            alg, "_key", secrets.token_bytes(alg.key_size // 8)
        ),
        "GenerateIV": lambda alg, a, t: setattr(
            alg, "_iv", secrets.token_bytes(alg.kind.block_size // 8)
        ),
        "ValidKeySize": lambda alg, a, t: strings._int_arg(a[0], "bitLength") in alg.kind.key_sizes,
        "Dispose": lambda alg, a, t: None,
        "Clear": lambda alg, a, t: None,
        "CreateEncryptor": _transformer(True),
        "CreateDecryptor": _transformer(False),
        "ToString": lambda alg, a, t: f"{_NS}.{alg.kind.name}",
    }
)
SYMMETRIC.static_methods["Create"] = _create(None)
SYMMETRIC.sign(
    "byte[] Key { get; set; }",
    "byte[] IV { get; set; }",
    "int KeySize { get; set; }",
    "int BlockSize { get; set; }",
    "int FeedbackSize { get; set; }",
    "CipherMode Mode { get; set; }",
    "PaddingMode Padding { get; set; }",
    "void GenerateKey()",
    "void GenerateIV()",
    "bool ValidKeySize(int bitLength)",
    "void Dispose()",
    "void Clear()",
    "ICryptoTransform CreateEncryptor()",
    "ICryptoTransform CreateEncryptor(byte[] rgbKey, byte[] rgbIV)",
    "ICryptoTransform CreateDecryptor()",
    "ICryptoTransform CreateDecryptor(byte[] rgbKey, byte[] rgbIV)",
    "static SymmetricAlgorithm Create(string algName)",
)


def _declare_algorithm(kind: _Kind, *providers: str) -> list[TypeRef]:
    base = declare(
        kind.name,
        f"{_NS}.{kind.name}",
        (),
        bases=(SYMMETRIC,),
    )
    base.check = lambda v: isinstance(v, Symmetric) and v.kind is kind
    base.static_methods["Create"] = _create(kind)
    base.sign(f"static {kind.name} Create()", f"static {kind.name} Create(string algName)")
    declared = [base]
    for provider in providers:
        t = declare(provider, f"{_NS}.{provider}", (), bases=(base,))
        t.check = base.check
        t.construct = lambda a, ta, kind=kind: (
            arity(kind.name, ".ctor", a, 0),
            Symmetric(kind),
        )[1]
        t.sign("new()")
        declared.append(t)
    return declared


_ALGORITHMS = [
    *_declare_algorithm(AES, "AesManaged", "AesCryptoServiceProvider"),
    *_declare_algorithm(RIJNDAEL, "RijndaelManaged"),
    *_declare_algorithm(DES, "DESCryptoServiceProvider"),
    *_declare_algorithm(TRIPLE_DES, "TripleDESCryptoServiceProvider"),
    *_declare_algorithm(RC2, "RC2CryptoServiceProvider"),
]


# ---------------------------------------------------------------- HashAlgorithmName


@dataclass(frozen=True, slots=True)
class HashAlgorithmName:
    name: str | None


HASH_NAME = declare(
    "HashAlgorithmName",
    f"{_NS}.HashAlgorithmName",
    (HashAlgorithmName,),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
    default=HashAlgorithmName(None),
)
HASH_NAME.construct = lambda a, t: (
    arity("HashAlgorithmName", ".ctor", a, 0, 1),
    HashAlgorithmName(a[0] if a and isinstance(a[0], str) else None),
)[1]
HASH_NAME.members["Name"] = lambda h: h.name
HASH_NAME.methods["ToString"] = lambda h, a, t: h.name or ""
for _n in ("MD5", "SHA1", "SHA256", "SHA384", "SHA512"):
    HASH_NAME.statics[_n] = functools.partial(HashAlgorithmName, _n)
_OIDS = {
    "1.2.840.113549.2.5": "MD5",
    "1.3.14.3.2.26": "SHA1",
    "2.16.840.1.101.3.4.2.1": "SHA256",
    "2.16.840.1.101.3.4.2.2": "SHA384",
    "2.16.840.1.101.3.4.2.3": "SHA512",
}


def _from_oid(a: Sequence[object], t: Sequence[TypeRef]) -> HashAlgorithmName:
    arity("HashAlgorithmName", "FromOid", a, 1)
    name = _OIDS.get(str(a[0]))
    if name is None:
        _crypto_error(f"The specified OID ({a[0]}) is not known.")
    return HashAlgorithmName(name)


HASH_NAME.static_methods["FromOid"] = _from_oid
HASH_NAME.sign(
    "new(string name)",
    "string Name { get; }",
    *(
        f"static HashAlgorithmName {n} {{ get; }}"
        for n in ("MD5", "SHA1", "SHA256", "SHA384", "SHA512")
    ),
    "static HashAlgorithmName FromOid(string oidValue)",
    "string ToString()",
)


# ---------------------------------------------------------------- random numbers


class RandomGenerator:
    """RNGCryptoServiceProvider / RandomNumberGenerator: the OS's CSPRNG."""

    __slots__ = ()


def _fill(b: object, a: Sequence[object], *, non_zero: bool) -> None:
    if b is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'data')")
    if not isinstance(b, bytearray):
        raise ExpressionError(
            "NotSupportedException", "This byte[] is read-only in policy expressions"
        )
    start, count = 0, len(b)
    if len(a) == 3:
        start, count = strings._int_arg(a[1], "offset"), strings._int_arg(a[2], "count")
        if start < 0 or count < 0 or start + count > len(b):
            raise ExpressionError(
                "ArgumentException",
                "Offset and length were out of bounds for the array or count is greater than "
                "the number of elements from index to the end of the source collection.",
            )
    charge_chars(count)
    if non_zero:
        b[start : start + count] = bytes(secrets.randbelow(255) + 1 for _ in range(count))
    else:
        b[start : start + count] = secrets.token_bytes(count)


RNG = declare("RandomNumberGenerator", f"{_NS}.RandomNumberGenerator", (RandomGenerator,))


def _get_bytes(r: RandomGenerator, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("RandomNumberGenerator", "GetBytes", a, 1, 3)
    _fill(a[0], a, non_zero=False)


def _get_non_zero_bytes(r: RandomGenerator, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("RandomNumberGenerator", "GetNonZeroBytes", a, 1)
    _fill(a[0], a, non_zero=True)


RNG.methods.update(
    {
        "GetBytes": _get_bytes,
        "GetNonZeroBytes": _get_non_zero_bytes,
        "Dispose": lambda r, a, t: None,
    }
)


def _random_bytes(a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
    arity("RandomNumberGenerator", "GetBytes", a, 1)
    count = strings._int_arg(a[0], "count")
    if count < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')"
        )
    check_size(count)
    return bytearray(secrets.token_bytes(count))


RNG.static_methods.update(
    {
        "Create": lambda a, t: (arity("RandomNumberGenerator", "Create", a, 0), RandomGenerator())[
            1
        ],
        "GetBytes": _random_bytes,
        "GetInt32": lambda a, t: _random_int(a),
    }
)


def _random_int(a: Sequence[object]) -> int:
    arity("RandomNumberGenerator", "GetInt32", a, 1, 2)
    low, high = (
        (0, strings._int_arg(a[0], "toExclusive"))
        if len(a) == 1
        else (strings._int_arg(a[0], "fromInclusive"), strings._int_arg(a[1], "toExclusive"))
    )
    if low >= high:
        raise ExpressionError(
            "ArgumentException",
            "Range of random number does not contain at least one possibility.",
        )
    return low + secrets.randbelow(high - low)


RNG.sign(
    "void GetBytes(byte[] data)",
    "void GetBytes(byte[] data, int offset, int count)",
    "void GetNonZeroBytes(byte[] data)",
    "void Dispose()",
    "static RandomNumberGenerator Create()",
    "static byte[] GetBytes(int count)",
    "static int GetInt32(int toExclusive)",
    "static int GetInt32(int fromInclusive, int toExclusive)",
)
RNG_PROVIDER = declare(
    "RNGCryptoServiceProvider", f"{_NS}.RNGCryptoServiceProvider", (), bases=(RNG,)
)
RNG_PROVIDER.check = lambda v: isinstance(v, RandomGenerator)
RNG_PROVIDER.construct = lambda a, t: RandomGenerator()
RNG_PROVIDER.sign("new()")

TYPES: tuple[TypeRef, ...] = (
    CIPHER_MODE,
    PADDING_MODE,
    SYMMETRIC,
    *_ALGORITHMS,
    HASH_NAME,
    RNG,
    RNG_PROVIDER,
)


def register(registry: Registry) -> None:
    """APIM's Encrypt and Decrypt extension methods of byte[]."""
    collections.BYTES.methods.update(EXTENSIONS)
    collections.BYTES.sign(*EXTENSION_SIGNATURES)
    registry.add(*TYPES)
