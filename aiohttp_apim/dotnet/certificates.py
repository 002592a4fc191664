"""RSA and X.509 certificates: RSA (with RSAParameters, RSAEncryptionPadding and
RSASignaturePadding), AsymmetricAlgorithm, X509Certificate/X509Certificate2 (read from DER or
PEM bytes, or a PKCS#12 blob with its password), PublicKey, X500DistinguishedName, Oid,
X509ContentType, X509NameType, RSACertificateExtensions and APIM's ``VerifyNoRevocation``.

The mathematics is the ``cryptography`` package's; what is .NET's is the surface: names, the
distinguished-name text ("CN=x, O=y, C=z", last RDN first, values quoted when they need it), the
upper-case hex of thumbprints and serial numbers, key generation on first use, and the
CryptographicException messages. ``Verify()`` builds a chain to the operating system's trust
store (revocation is not checked: no network access from an expression).
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
import ssl
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import current
from aiohttp_apim.dotnet.ciphers import HashAlgorithmName
from aiohttp_apim.dotnet.core import Method, TypeRef, arity, declare
from aiohttp_apim.dotnet.encoding import _bytes_arg
from aiohttp_apim.dotnet.primitives import NetEnum
from aiohttp_apim.errors import ExpressionError

__all__ = ["Certificate", "RsaKey", "distinguished_name"]

_NS = "System.Security.Cryptography"
_X509 = f"{_NS}.X509Certificates"


def _crypto_error(message: str) -> NoReturn:
    raise ExpressionError("CryptographicException", message)


# ---------------------------------------------------------------- paddings and parameters


class RSAEncryptionPaddingMode(NetEnum):
    Pkcs1 = 0
    Oaep = 1


class RSASignaturePaddingMode(NetEnum):
    Pkcs1 = 0
    Pss = 1


@dataclass(frozen=True, slots=True)
class EncryptionPadding:
    mode: RSAEncryptionPaddingMode
    hash_name: str | None = None  # OAEP's hash


@dataclass(frozen=True, slots=True)
class SignaturePadding:
    mode: RSASignaturePaddingMode


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "MD5": hashes.MD5,
    "SHA1": hashes.SHA1,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


def _hash(v: object) -> hashes.HashAlgorithm:
    if not isinstance(v, HashAlgorithmName):
        raise ExpressionError(
            "ArgumentException", "Argument 'hashAlgorithm': expected a HashAlgorithmName"
        )
    if not v.name:
        raise ExpressionError(
            "ArgumentException", "The hash algorithm name cannot be null or empty."
        )
    make = _HASHES.get(v.name)
    if make is None:
        _crypto_error(f"'{v.name}' is not a known hash algorithm.")
    return make()


def _encryption_padding(v: object) -> padding.AsymmetricPadding:
    if not isinstance(v, EncryptionPadding):
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'padding')"
        )
    if v.mode == RSAEncryptionPaddingMode.Pkcs1:
        return padding.PKCS1v15()
    algorithm = _hash(HashAlgorithmName(v.hash_name))
    return padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)


def _signature_padding(v: object, algorithm: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if not isinstance(v, SignaturePadding):
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'padding')"
        )
    if v.mode == RSASignaturePaddingMode.Pkcs1:
        return padding.PKCS1v15()
    # .NET's PSS salt is as long as the hash
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH)


_PARAMETER_FIELDS = ("Modulus", "Exponent", "D", "P", "Q", "DP", "DQ", "InverseQ")


class RSAParameters:
    """The RSAParameters struct: big-endian byte[] fields, null when absent."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: dict[str, bytes | None] = dict.fromkeys(_PARAMETER_FIELDS)

    def copy(self) -> RSAParameters:
        other = RSAParameters()
        other.fields = dict(self.fields)
        return other


def _be(n: int, size: int = 0) -> bytes:
    return n.to_bytes(max(size, (n.bit_length() + 7) // 8, 1), "big")


def _int(b: bytes | None, name: str) -> int:
    if not b:
        _crypto_error(f"The specified RSA parameters are not valid. ('{name}' is missing.)")
    return int.from_bytes(b, "big")


# ---------------------------------------------------------------- RSA


class RsaKey:
    """An RSA key: a private key, or a public key only; made (at KeySize) when first used."""

    __slots__ = ("key_size", "private", "public")

    def __init__(self, key_size: int = 2048) -> None:
        self.key_size = key_size
        self.private: rsa.RSAPrivateKey | None = None
        self.public: rsa.RSAPublicKey | None = None

    def _generate(self) -> None:
        budget = current()
        budget.seconds_left()  # refuse when the budget is already spent
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
        self.public = self.private.public_key()
        budget.seconds_left()  # and account for the time a generation took

    def public_key(self) -> rsa.RSAPublicKey:
        if self.public is None:
            self._generate()
        assert self.public is not None
        return self.public

    def private_key(self) -> rsa.RSAPrivateKey:
        if self.public is None:
            self._generate()
        if self.private is None:
            _crypto_error("The key does not contain a private key.")  # .NET: "Key does not exist."
        return self.private

    def set(self, key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> None:
        if isinstance(key, rsa.RSAPrivateKey):
            self.private, self.public = key, key.public_key()
        else:
            self.private, self.public = None, key
        self.key_size = self.public.key_size


def _import_parameters(k: RsaKey, p: object) -> None:
    if not isinstance(p, RSAParameters):
        raise ExpressionError("ArgumentException", "Argument 'parameters': expected RSAParameters")
    f = p.fields
    public = rsa.RSAPublicNumbers(_int(f["Exponent"], "Exponent"), _int(f["Modulus"], "Modulus"))
    try:
        if f["D"] is None:
            k.set(public.public_key())
            return
        private = rsa.RSAPrivateNumbers(
            _int(f["P"], "P"),
            _int(f["Q"], "Q"),
            _int(f["D"], "D"),
            _int(f["DP"], "DP"),
            _int(f["DQ"], "DQ"),
            _int(f["InverseQ"], "InverseQ"),
            public,
        )
        k.set(private.private_key())
    except ValueError as e:
        _crypto_error(f"The specified RSA parameters are not valid. ({e})")


def _export_parameters(k: RsaKey, include_private: bool) -> RSAParameters:
    p = RSAParameters()
    numbers = k.public_key().public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    p.fields["Modulus"] = _be(numbers.n, size)
    p.fields["Exponent"] = _be(numbers.e)
    if include_private:
        priv = k.private_key().private_numbers()
        half = (size + 1) // 2
        p.fields.update(
            D=_be(priv.d, size),
            P=_be(priv.p, half),
            Q=_be(priv.q, half),
            DP=_be(priv.dmp1, half),
            DQ=_be(priv.dmq1, half),
            InverseQ=_be(priv.iqmp, half),
        )
    return p


def _rsa_create(a: Sequence[object], t: Sequence[TypeRef]) -> RsaKey:
    arity("RSA", "Create", a, 0, 1)
    if not a:
        return RsaKey()
    if isinstance(a[0], RSAParameters):
        k = RsaKey()
        _import_parameters(k, a[0])
        return k
    return RsaKey(_key_size(a[0]))


def _key_size(v: object) -> int:
    size = strings._int_arg(v, "keySizeInBits")
    if not 512 <= size <= 16384 or size % 8:
        _crypto_error("Specified key is not a valid size for this algorithm.")
    if size > 4096:  # a generation this large would hold the event loop for seconds
        raise ExpressionError(
            "NotSupportedException", "RSA keys over 4096 bits are not generated in expressions"
        )
    return size


def _set_key_size(k: RsaKey, v: object) -> None:
    size = _key_size(v)
    if size != k.key_size:
        k.key_size, k.private, k.public = size, None, None


def _data(a: Sequence[object], name: str = "data") -> bytes:
    data = _bytes_arg(a[0], name)
    current().take(1 + len(data) // 65536)
    return data


def _rsa_encrypt(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
    arity("RSA", "Encrypt", a, 2)
    pad = _legacy_oaep(a[1])
    try:
        return bytearray(k.public_key().encrypt(_data(a), _encryption_padding(pad)))
    except ValueError as e:
        _crypto_error(f"Bad Length. ({e})")


def _rsa_decrypt(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
    arity("RSA", "Decrypt", a, 2)
    pad = _legacy_oaep(a[1])
    try:
        return bytearray(k.private_key().decrypt(_data(a), _encryption_padding(pad)))
    except ValueError:
        _crypto_error("The parameter is incorrect.")


def _legacy_oaep(v: object) -> object:
    """RSACryptoServiceProvider.Encrypt(data, bool fOAEP): true is OAEP-SHA1, false PKCS#1."""
    if isinstance(v, bool):
        return (
            EncryptionPadding(RSAEncryptionPaddingMode.Oaep, "SHA1")
            if v
            else EncryptionPadding(RSAEncryptionPaddingMode.Pkcs1)
        )
    return v


def _rsa_sign(prehashed: bool) -> Method:
    name = "SignHash" if prehashed else "SignData"

    def impl(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
        arity("RSA", name, a, 3, 5)
        data = _data(a, "hash" if prehashed else "data")
        if len(a) == 5:
            data = _window(data, a[1], a[2])
        algorithm = _hash(a[-2])
        scheme = _signature_padding(a[-1], algorithm)
        if prehashed:
            from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

            if len(data) != algorithm.digest_size:
                _crypto_error("The hash is not the size the hash algorithm makes.")
            return bytearray(k.private_key().sign(data, scheme, Prehashed(algorithm)))
        return bytearray(k.private_key().sign(data, scheme, algorithm))

    return impl


def _window(data: bytes, offset: object, count: object) -> bytes:
    start, n = strings._int_arg(offset, "offset"), strings._int_arg(count, "count")
    if start < 0 or n < 0 or start + n > len(data):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Specified argument was out of the range of valid values.",
        )
    return data[start : start + n]


def _rsa_verify(prehashed: bool) -> Method:
    name = "VerifyHash" if prehashed else "VerifyData"

    def impl(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("RSA", name, a, 4, 6)
        data = _data(a, "hash" if prehashed else "data")
        if len(a) == 6:
            data = _window(data, a[1], a[2])
        signature = _bytes_arg(a[-3], "signature")
        algorithm = _hash(a[-2])
        scheme = _signature_padding(a[-1], algorithm)
        try:
            if prehashed:
                from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

                k.public_key().verify(signature, data, scheme, Prehashed(algorithm))
            else:
                k.public_key().verify(signature, data, scheme, algorithm)
        except (InvalidSignature, ValueError):
            return False
        return True

    return impl


_XML_FIELDS = ("Modulus", "Exponent", "P", "Q", "DP", "DQ", "InverseQ", "D")


def _to_xml(k: RsaKey, include_private: bool) -> str:
    p = _export_parameters(k, include_private)
    parts = [
        f"<{n}>{base64.b64encode(v).decode()}</{n}>"
        for n in _XML_FIELDS
        if (v := p.fields[n]) is not None
    ]
    return "<RSAKeyValue>" + "".join(parts) + "</RSAKeyValue>"


def _from_xml(k: RsaKey, text: object) -> None:
    if not isinstance(text, str):
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'xmlString')"
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        _crypto_error(
            "Input string does not contain a valid encoding of the 'RSA' 'Modulus' parameter."
        )
    p = RSAParameters()
    for child in root:
        if child.tag in p.fields and child.text:
            p.fields[child.tag] = base64.b64decode(child.text.strip())
    _import_parameters(k, p)


def _import_der(kind: str) -> Method:
    def impl(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> None:
        arity("RSA", f"Import{kind}", a, 2, 3)
        data = _bytes_arg(a[0] if kind != "EncryptedPkcs8PrivateKey" else a[1], "source")
        try:
            if kind == "RSAPublicKey":
                key: object = serialization.load_der_public_key(_spki_of_pkcs1(data))
            elif kind == "SubjectPublicKeyInfo":
                key = serialization.load_der_public_key(data)
            elif kind == "EncryptedPkcs8PrivateKey":
                password = a[0]
                key = serialization.load_der_private_key(
                    data,
                    password.encode()
                    if isinstance(password, str)
                    else _bytes_arg(password, "password"),
                )
            else:  # RSAPrivateKey, Pkcs8PrivateKey
                key = serialization.load_der_private_key(data, None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            _crypto_error("ASN1 corrupted data.")
        if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
            _crypto_error("ASN1 corrupted data.")
        k.set(key)
        dotnet.set_out(a, len(a) - 1, len(data))

    return impl


def _spki_of_pkcs1(der: bytes) -> bytes:
    """A PKCS#1 RSAPublicKey wrapped as a SubjectPublicKeyInfo (what the loader reads)."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    bit_string = b"\x03" + _der_length(len(der) + 1) + b"\x00" + der
    body = algorithm + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = _be(n)
    return bytes([0x80 | len(raw)]) + raw


def _import_pem(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("RSA", "ImportFromPem", a, 1)
    text = a[0]
    if not isinstance(text, str):
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    data = text.encode()
    key: object = None
    try:
        if b"PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, None)
        elif b"BEGIN RSA PUBLIC KEY" in data or b"PUBLIC KEY" in data:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        raise ExpressionError(
            "ArgumentException",
            "No supported key formats were found. Check that the input represents the contents "
            "of a PEM-encoded key file, not the path to such a file. (Parameter 'input')",
        )
    k.set(key)


def _export(fmt: str) -> Method:
    def impl(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
        arity("RSA", f"Export{fmt}", a, 0)
        if fmt == "RSAPublicKey":
            return bytearray(
                k.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.PKCS1
                )
            )
        if fmt == "SubjectPublicKeyInfo":
            return bytearray(
                k.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        private_format = (
            serialization.PrivateFormat.TraditionalOpenSSL
            if fmt == "RSAPrivateKey"
            else serialization.PrivateFormat.PKCS8
        )
        return bytearray(
            k.private_key().private_bytes(
                serialization.Encoding.DER, private_format, serialization.NoEncryption()
            )
        )

    return impl


# ---------------------------------------------------------------- X.509


@dataclass(eq=False, slots=True)
class Certificate:
    """An X509Certificate2: the parsed certificate, its DER bytes and any private key."""

    cert: x509.Certificate
    der: bytes
    private: rsa.RSAPrivateKey | None = None


def _load_certificate(data: bytes, password: object = None) -> Certificate:
    with warnings.catch_warnings():  # a certificate RFC 5280 frowns on still loads in .NET
        warnings.simplefilter("ignore")
        return _parse_certificate(data, password)


def _parse_certificate(data: bytes, password: object) -> Certificate:
    text = data.lstrip()
    try:
        if text.startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(text)
            return Certificate(cert, cert.public_bytes(serialization.Encoding.DER))
        if data[:1] == b"\x30":
            try:
                cert = x509.load_der_x509_certificate(data)
                return Certificate(cert, data)
            except ValueError:
                pass
            secret = password.encode() if isinstance(password, str) else None
            key, cert_or_none, _ = pkcs12.load_key_and_certificates(data, secret)
            if cert_or_none is not None:
                private = key if isinstance(key, rsa.RSAPrivateKey) else None
                return Certificate(
                    cert_or_none, cert_or_none.public_bytes(serialization.Encoding.DER), private
                )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    _crypto_error("Cannot find the requested object.")


def _certificate_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> Certificate:
    arity("X509Certificate2", ".ctor", a, 1, 2, 3)
    if isinstance(a[0], str):
        raise ExpressionError(
            "NotSupportedException",
            "Certificates cannot be read from files in policy expressions: pass the bytes "
            "(e.g. Convert.FromBase64String(text))",
        )
    if isinstance(a[0], Certificate):
        return Certificate(a[0].cert, a[0].der, a[0].private)
    return _load_certificate(_bytes_arg(a[0], "rawData"), a[1] if len(a) > 1 else None)


# .NET's short names of attribute types in distinguished names (X500NameEncoder)
_RDN_NAMES = {
    NameOID.COMMON_NAME.dotted_string: "CN",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.LOCALITY_NAME.dotted_string: "L",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "S",
    NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.EMAIL_ADDRESS.dotted_string: "E",
    NameOID.STREET_ADDRESS.dotted_string: "STREET",
    NameOID.TITLE.dotted_string: "T",
    NameOID.GIVEN_NAME.dotted_string: "G",
    NameOID.INITIALS.dotted_string: "I",
    NameOID.SURNAME.dotted_string: "SN",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC",
    NameOID.SERIAL_NUMBER.dotted_string: "SERIALNUMBER",
}
_QUOTED = set(',+=<>#;"\n\r')


def _rdn_value(value: str) -> str:
    if value and (any(c in _QUOTED for c in value) or value[0] == " " or value[-1] == " "):
        return '"' + value.replace('"', '""') + '"'
    return value


def distinguished_name(name: x509.Name) -> str:
    """.NET's X500DistinguishedName.Name: the last RDN first, joined by ", "."""
    rdns = []
    for rdn in reversed(name.rdns):
        parts = []
        for attribute in rdn:
            oid = attribute.oid.dotted_string
            key = _RDN_NAMES.get(oid, f"OID.{oid}")
            value = attribute.value
            text = value if isinstance(value, str) else value.hex()
            parts.append(f"{key}={_rdn_value(text)}")
        rdns.append(" + ".join(parts))
    return ", ".join(rdns)


@dataclass(frozen=True, slots=True)
class DistinguishedName:
    name: str


@dataclass(frozen=True, slots=True)
class Oid:
    value: str | None
    friendly_name: str | None


_OID_NAMES = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.10045.2.1": "ECC",
    "1.3.101.112": "Ed25519",
    "1.2.840.113549.1.1.4": "md5RSA",
    "1.2.840.113549.1.1.5": "sha1RSA",
    "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.113549.1.1.11": "sha256RSA",
    "1.2.840.113549.1.1.12": "sha384RSA",
    "1.2.840.113549.1.1.13": "sha512RSA",
    "1.2.840.10045.4.1": "sha1ECDSA",
    "1.2.840.10045.4.3.2": "sha256ECDSA",
    "1.2.840.10045.4.3.3": "sha384ECDSA",
    "1.2.840.10045.4.3.4": "sha512ECDSA",
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "2.5.4.3": "CN",
    "1.3.6.1.5.5.7.3.1": "Server Authentication",
    "1.3.6.1.5.5.7.3.2": "Client Authentication",
}


def _oid(value: str) -> Oid:
    return Oid(value, _OID_NAMES.get(value))


def _oid_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> Oid:
    arity("Oid", ".ctor", a, 0, 1, 2)
    if not a:
        return Oid(None, None)
    if isinstance(a[0], Oid):
        return a[0]
    value = a[0] if isinstance(a[0], str) else None
    if len(a) == 2:
        return Oid(value, a[1] if isinstance(a[1], str) else None)
    if value is not None and value not in _OID_NAMES:
        by_name = {v.lower(): k for k, v in _OID_NAMES.items()}
        if value.lower() in by_name:  # new Oid("sha256RSA") finds the value by friendly name
            return _oid(by_name[value.lower()])
    return Oid(value, _OID_NAMES.get(value or ""))


def _oid_from(by_name: bool) -> Callable[[Sequence[object], Sequence[TypeRef]], Oid]:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> Oid:
        arity("Oid", "FromFriendlyName" if by_name else "FromOidValue", a, 2)
        text = a[0]
        if not isinstance(text, str):
            raise ExpressionError("ArgumentNullException", "Value cannot be null.")
        if by_name:
            for value, name in _OID_NAMES.items():
                if name.lower() == text.lower():
                    return Oid(value, name)
        elif text in _OID_NAMES:
            return _oid(text)
        _crypto_error("The OID value was invalid.")

    return impl


@dataclass(frozen=True, slots=True)
class PublicKey:
    certificate: Certificate


def _public_key_bytes(c: Certificate) -> bytes:
    """The subjectPublicKey bits: PKCS#1 for RSA, the point for EC, the raw key for EdDSA."""
    key = c.cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _rsa_public(c: Certificate) -> RsaKey | None:
    key = c.cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return None
    k = RsaKey()
    k.set(key)
    return k


def _rsa_private(c: Certificate) -> RsaKey | None:
    if c.private is None:
        return None
    k = RsaKey()
    k.set(c.private)
    return k


def _serial_bytes(c: Certificate) -> bytes:
    n = c.cert.serial_number
    return (
        n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True)
        if n >= 0
        else n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)
    )


def _local(moment: _dt.datetime) -> dates.DateTime:
    utc = dates.from_datetime(moment)
    return dates.DateTime(utc.ticks, dates.DateTimeKind.Local)  # the gateway's zone is UTC


def _hex(b: bytes) -> str:
    return b.hex().upper()


def _name_info(c: Certificate, a: Sequence[object]) -> str:
    arity("X509Certificate2", "GetNameInfo", a, 2)
    kind, for_issuer = a[0], a[1] is True
    name = c.cert.issuer if for_issuer else c.cert.subject
    try:
        san = c.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if for_issuer:
        san = None

    def first(oid: x509.ObjectIdentifier) -> str | None:
        found = name.get_attributes_for_oid(oid)
        value = found[-1].value if found else None
        return value if isinstance(value, str) else None

    if kind == X509NameType.SimpleName:
        for oid in (
            NameOID.COMMON_NAME,
            NameOID.ORGANIZATIONAL_UNIT_NAME,
            NameOID.ORGANIZATION_NAME,
            NameOID.EMAIL_ADDRESS,
        ):
            if (value := first(oid)) is not None:
                return value
        return ""
    if kind == X509NameType.EmailName:
        if (value := first(NameOID.EMAIL_ADDRESS)) is not None:
            return value
        emails = san.get_values_for_type(x509.RFC822Name) if san is not None else []
        return emails[0] if emails else ""
    if kind in (X509NameType.DnsName, X509NameType.DnsFromAlternativeName):
        names = san.get_values_for_type(x509.DNSName) if san is not None else []
        if names:
            return names[0]
        return (first(NameOID.COMMON_NAME) or "") if kind == X509NameType.DnsName else ""
    if kind == X509NameType.UrlName:
        urls = san.get_values_for_type(x509.UniformResourceIdentifier) if san is not None else []
        return urls[0] if urls else ""
    if kind == X509NameType.UpnName and san is not None:
        upn = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id == upn and other.value[:1] == b"\x0c":
                return other.value[2:].decode("utf-8", "replace")
    return ""


def _trust_store() -> x509.verification.Store | None:
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.openssl_cafile):
        if path:
            try:
                with open(path, "rb") as f, warnings.catch_warnings():
                    # the system's bundle may hold old roots the parser warns about
                    warnings.simplefilter("ignore")
                    return x509.verification.Store(x509.load_pem_x509_certificates(f.read()))
            except (OSError, ValueError):
                continue
    return None


_STORE: list[x509.verification.Store | None] = []


def _verify(c: Certificate) -> bool:
    """Chain to the system's trust store, valid now; revocation not checked."""
    if not _STORE:
        _STORE.append(_trust_store())
    store = _STORE[0]
    if store is None:
        return False
    from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, VerificationError

    now = _dt.datetime.fromtimestamp(
        (dates.now_ticks() - dates.EPOCH_TICKS) / dates.TICKS_PER_SECOND, _dt.UTC
    )
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(now)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    try:
        verifier.verify(c.cert, [])
    except (VerificationError, ValueError):
        return False
    return True


def _to_text(c: Certificate, verbose: bool) -> str:
    sections = [
        ("Subject", distinguished_name(c.cert.subject)),
        ("Issuer", distinguished_name(c.cert.issuer)),
        ("Serial Number", _hex(_serial_bytes(c))),
        ("Not Before", dotnet.to_string(_local(c.cert.not_valid_before_utc))),
        ("Not After", dotnet.to_string(_local(c.cert.not_valid_after_utc))),
        ("Thumbprint", _hex(hashlib.sha1(c.der).digest())),
    ]
    return "".join(f"[{title}]\n  {value}\n\n" for title, value in sections)


class X509ContentType(NetEnum):
    Unknown = 0
    Cert = 1
    SerializedCert = 2
    Pfx = 3
    Pkcs12 = 3
    SerializedStore = 4
    Pkcs7 = 5
    Authenticode = 6


class X509NameType(NetEnum):
    SimpleName = 0
    EmailName = 1
    UpnName = 2
    DnsName = 3
    DnsFromAlternativeName = 4
    UrlName = 5


def _export_certificate(c: Certificate, a: Sequence[object], t: Sequence[TypeRef]) -> bytearray:
    arity("X509Certificate", "Export", a, 1, 2)
    if a[0] != X509ContentType.Cert:
        raise ExpressionError(
            "NotSupportedException",
            "Only X509ContentType.Cert can be exported in policy expressions",
        )
    return bytearray(c.der)


# ---------------------------------------------------------------- declarations

ENC_MODE = dotnet.declare_enum(
    "RSAEncryptionPaddingMode", f"{_NS}.RSAEncryptionPaddingMode", RSAEncryptionPaddingMode
)
SIG_MODE = dotnet.declare_enum(
    "RSASignaturePaddingMode", f"{_NS}.RSASignaturePaddingMode", RSASignaturePaddingMode
)

ENC_PADDING = declare("RSAEncryptionPadding", f"{_NS}.RSAEncryptionPadding", (EncryptionPadding,))
ENC_PADDING.statics["Pkcs1"] = lambda: EncryptionPadding(RSAEncryptionPaddingMode.Pkcs1)
for _h in ("SHA1", "SHA256", "SHA384", "SHA512"):
    ENC_PADDING.statics[f"Oaep{_h}"] = functools.partial(
        EncryptionPadding, RSAEncryptionPaddingMode.Oaep, _h
    )


def _create_oaep(a: Sequence[object], t: Sequence[TypeRef]) -> EncryptionPadding:
    arity("RSAEncryptionPadding", "CreateOaep", a, 1)
    _hash(a[0])
    assert isinstance(a[0], HashAlgorithmName)
    return EncryptionPadding(RSAEncryptionPaddingMode.Oaep, a[0].name)


ENC_PADDING.static_methods["CreateOaep"] = _create_oaep
ENC_PADDING.members["Mode"] = lambda p: p.mode
ENC_PADDING.members["OaepHashAlgorithm"] = lambda p: HashAlgorithmName(p.hash_name)
ENC_PADDING.methods["ToString"] = lambda p, a, t: (
    "Mode: Pkcs1" if p.hash_name is None else f"Mode: Oaep, OaepHashAlgorithm: {p.hash_name}"
)
ENC_PADDING.sign(
    "static RSAEncryptionPadding Pkcs1 { get; }",
    *(
        f"static RSAEncryptionPadding Oaep{h} {{ get; }}"
        for h in ("SHA1", "SHA256", "SHA384", "SHA512")
    ),
    "static RSAEncryptionPadding CreateOaep(HashAlgorithmName hashAlgorithm)",
    "RSAEncryptionPaddingMode Mode { get; }",
    "HashAlgorithmName OaepHashAlgorithm { get; }",
    "string ToString()",
)
SIG_PADDING = declare("RSASignaturePadding", f"{_NS}.RSASignaturePadding", (SignaturePadding,))
SIG_PADDING.statics["Pkcs1"] = lambda: SignaturePadding(RSASignaturePaddingMode.Pkcs1)
SIG_PADDING.statics["Pss"] = lambda: SignaturePadding(RSASignaturePaddingMode.Pss)
SIG_PADDING.members["Mode"] = lambda p: p.mode
SIG_PADDING.methods["ToString"] = lambda p, a, t: p.mode.name
SIG_PADDING.sign(
    "static RSASignaturePadding Pkcs1 { get; }",
    "static RSASignaturePadding Pss { get; }",
    "RSASignaturePaddingMode Mode { get; }",
    "string ToString()",
)

PARAMETERS = declare(
    "RSAParameters",
    f"{_NS}.RSAParameters",
    (RSAParameters,),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
)
PARAMETERS.construct = lambda a, t: (arity("RSAParameters", ".ctor", a, 0), RSAParameters())[1]


def _parameter_field(name: str) -> tuple[clr.Getter, clr.Setter]:
    def get(p: RSAParameters) -> bytes | None:
        return p.fields[name]

    def set_(p: RSAParameters, v: object) -> None:
        p.fields[name] = None if v is None else _bytes_arg(v, name)

    return get, set_


for _f in _PARAMETER_FIELDS:
    PARAMETERS.members[_f], PARAMETERS.setters[_f] = _parameter_field(_f)
PARAMETERS.sign("new()", *(f"byte[] {f} {{ get; set; }}" for f in _PARAMETER_FIELDS))

ASYMMETRIC = declare("AsymmetricAlgorithm", f"{_NS}.AsymmetricAlgorithm", (RsaKey,), owns=False)
ASYMMETRIC.members["KeySize"] = lambda k: k.key_size
ASYMMETRIC.methods["Dispose"] = lambda k, a, t: None
ASYMMETRIC.methods["ToXmlString"] = lambda k, a, t: (
    arity("AsymmetricAlgorithm", "ToXmlString", a, 1),
    _to_xml(k, a[0] is True),
)[1]


def _from_xml_method(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("AsymmetricAlgorithm", "FromXmlString", a, 1)
    _from_xml(k, a[0])


def _import_parameters_method(k: RsaKey, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("RSA", "ImportParameters", a, 1)
    _import_parameters(k, a[0])


ASYMMETRIC.methods["FromXmlString"] = _from_xml_method
ASYMMETRIC.sign(
    "int KeySize { get; set; }",
    "string KeyExchangeAlgorithm { get; }",
    "string SignatureAlgorithm { get; }",
    "string ToXmlString(bool includePrivateParameters)",
    "void FromXmlString(string xmlString)",
    "void Dispose()",
)

RSA = declare("RSA", f"{_NS}.RSA", (RsaKey,), bases=(ASYMMETRIC,))
RSA.static_methods["Create"] = _rsa_create
RSA.setters["KeySize"] = _set_key_size
ASYMMETRIC.members["KeyExchangeAlgorithm"] = lambda k: "RSA"
ASYMMETRIC.members["SignatureAlgorithm"] = lambda k: "RSA"
RSA.methods.update(
    {
        "ImportParameters": _import_parameters_method,
        "ExportParameters": lambda k, a, t: (
            arity("RSA", "ExportParameters", a, 1),
            _export_parameters(k, a[0] is True),
        )[1],
        "Encrypt": _rsa_encrypt,
        "Decrypt": _rsa_decrypt,
        "SignData": _rsa_sign(False),
        "SignHash": _rsa_sign(True),
        "VerifyData": _rsa_verify(False),
        "VerifyHash": _rsa_verify(True),
        "ImportFromPem": _import_pem,
        "ImportRSAPublicKey": _import_der("RSAPublicKey"),
        "ImportRSAPrivateKey": _import_der("RSAPrivateKey"),
        "ImportSubjectPublicKeyInfo": _import_der("SubjectPublicKeyInfo"),
        "ImportPkcs8PrivateKey": _import_der("Pkcs8PrivateKey"),
        "ImportEncryptedPkcs8PrivateKey": _import_der("EncryptedPkcs8PrivateKey"),
        "ExportRSAPublicKey": _export("RSAPublicKey"),
        "ExportRSAPrivateKey": _export("RSAPrivateKey"),
        "ExportSubjectPublicKeyInfo": _export("SubjectPublicKeyInfo"),
        "ExportPkcs8PrivateKey": _export("Pkcs8PrivateKey"),
        "ToString": lambda k, a, t: f"{_NS}.RSA",
    }
)
_SIGN = "HashAlgorithmName hashAlgorithm, RSASignaturePadding padding"
RSA.sign(
    "static RSA Create()",
    "static RSA Create(int keySizeInBits)",
    "static RSA Create(RSAParameters parameters)",
    "void ImportParameters(RSAParameters parameters)",
    "RSAParameters ExportParameters(bool includePrivateParameters)",
    "byte[] Encrypt(byte[] data, RSAEncryptionPadding padding)",
    "byte[] Decrypt(byte[] data, RSAEncryptionPadding padding)",
    f"byte[] SignData(byte[] data, {_SIGN})",
    f"byte[] SignData(byte[] data, int offset, int count, {_SIGN})",
    f"byte[] SignHash(byte[] hash, {_SIGN})",
    f"bool VerifyData(byte[] data, byte[] signature, {_SIGN})",
    f"bool VerifyData(byte[] data, int offset, int count, byte[] signature, {_SIGN})",
    f"bool VerifyHash(byte[] hash, byte[] signature, {_SIGN})",
    "void ImportFromPem(string input)",
    "void ImportRSAPublicKey(byte[] source, out int bytesRead)",
    "void ImportRSAPrivateKey(byte[] source, out int bytesRead)",
    "void ImportSubjectPublicKeyInfo(byte[] source, out int bytesRead)",
    "void ImportPkcs8PrivateKey(byte[] source, out int bytesRead)",
    "void ImportEncryptedPkcs8PrivateKey(string password, byte[] source, out int bytesRead)",
    "byte[] ExportRSAPublicKey()",
    "byte[] ExportRSAPrivateKey()",
    "byte[] ExportSubjectPublicKeyInfo()",
    "byte[] ExportPkcs8PrivateKey()",
    "string ToString()",
)
RSA_PROVIDER = declare(
    "RSACryptoServiceProvider", f"{_NS}.RSACryptoServiceProvider", (), bases=(RSA,)
)
RSA_PROVIDER.check = lambda v: isinstance(v, RsaKey)
RSA_PROVIDER.construct = lambda a, t: (
    arity("RSACryptoServiceProvider", ".ctor", a, 0, 1),
    RsaKey(_key_size(a[0])) if a else RsaKey(),
)[1]
RSA_PROVIDER.sign(
    "new()",
    "new(int dwKeySize)",
    "byte[] Encrypt(byte[] rgb, bool fOAEP)",
    "byte[] Decrypt(byte[] rgb, bool fOAEP)",
)

OID = declare("Oid", f"{_NS}.Oid", (Oid,))
OID.construct = _oid_ctor
OID.members["Value"] = lambda o: o.value
OID.members["FriendlyName"] = lambda o: o.friendly_name
OID.static_methods["FromFriendlyName"] = _oid_from(True)
OID.static_methods["FromOidValue"] = _oid_from(False)
OID.sign(
    "new()",
    "new(string oid)",
    "new(string value, string friendlyName)",
    "new(Oid oid)",
    "string Value { get; }",
    "string FriendlyName { get; }",
    "static Oid FromFriendlyName(string friendlyName, OidGroup group)",
    "static Oid FromOidValue(string oidValue, OidGroup group)",
)

X500 = declare("X500DistinguishedName", f"{_X509}.X500DistinguishedName", (DistinguishedName,))
X500.members["Name"] = lambda n: n.name
X500.methods["ToString"] = lambda n, a, t: n.name
X500.sign("string Name { get; }")

PUBLIC_KEY = declare("PublicKey", f"{_X509}.PublicKey", (PublicKey,))


def _public_key_key(p: PublicKey) -> RsaKey:
    key = _rsa_public(p.certificate)
    if key is None:
        raise ExpressionError(
            "NotSupportedException", "The certificate key algorithm is not supported."
        )
    return key


PUBLIC_KEY.members.update(
    {
        "Oid": lambda p: _oid(p.certificate.cert.public_key_algorithm_oid.dotted_string),
        "Key": _public_key_key,
    }
)
PUBLIC_KEY.methods["GetRSAPublicKey"] = lambda p, a, t: _rsa_public(p.certificate)
PUBLIC_KEY.sign(
    "Oid Oid { get; }",
    "AsymmetricAlgorithm Key { get; }",
    "RSA GetRSAPublicKey()",
)

CONTENT_TYPE = dotnet.declare_enum("X509ContentType", f"{_X509}.X509ContentType", X509ContentType)
NAME_TYPE = dotnet.declare_enum("X509NameType", f"{_X509}.X509NameType", X509NameType)

CERTIFICATE = declare("X509Certificate", f"{_X509}.X509Certificate", (Certificate,), owns=False)
CERTIFICATE.construct = _certificate_ctor
CERTIFICATE.members.update(
    {
        "Subject": lambda c: distinguished_name(c.cert.subject),
        "Issuer": lambda c: distinguished_name(c.cert.issuer),
    }
)
CERTIFICATE.methods.update(
    {
        "GetCertHash": lambda c, a, t: bytearray(hashlib.sha1(c.der).digest()),
        "GetCertHashString": lambda c, a, t: _hex(hashlib.sha1(c.der).digest()),
        "GetSerialNumber": lambda c, a, t: bytearray(reversed(_serial_bytes(c))),
        "GetSerialNumberString": lambda c, a, t: _hex(_serial_bytes(c)),
        "GetPublicKey": lambda c, a, t: bytearray(_public_key_bytes(c)),
        "GetPublicKeyString": lambda c, a, t: _hex(_public_key_bytes(c)),
        "GetKeyAlgorithm": lambda c, a, t: c.cert.public_key_algorithm_oid.dotted_string,
        "GetRawCertData": lambda c, a, t: bytearray(c.der),
        "GetRawCertDataString": lambda c, a, t: _hex(c.der),
        "GetEffectiveDateString": lambda c, a, t: dotnet.to_string(
            _local(c.cert.not_valid_before_utc)
        ),
        "GetExpirationDateString": lambda c, a, t: dotnet.to_string(
            _local(c.cert.not_valid_after_utc)
        ),
        "GetFormat": lambda c, a, t: "X509",
        "Export": _export_certificate,
        "Equals": lambda c, a, t: isinstance(a[0], Certificate) and a[0].der == c.der,
        "GetHashCode": lambda c, a, t: int.from_bytes(
            hashlib.sha1(c.der).digest()[:4], "little", signed=True
        ),
        "ToString": lambda c, a, t: _to_text(c, bool(a and a[0] is True)),
        "Dispose": lambda c, a, t: None,
        "Reset": lambda c, a, t: None,
    }
)
CERTIFICATE.sign(
    "new(byte[] data)",
    "new(byte[] rawData, string password)",
    "string Subject { get; }",
    "string Issuer { get; }",
    "byte[] GetCertHash()",
    "string GetCertHashString()",
    "byte[] GetSerialNumber()",
    "string GetSerialNumberString()",
    "byte[] GetPublicKey()",
    "string GetPublicKeyString()",
    "string GetKeyAlgorithm()",
    "byte[] GetRawCertData()",
    "string GetRawCertDataString()",
    "string GetEffectiveDateString()",
    "string GetExpirationDateString()",
    "string GetFormat()",
    "byte[] Export(X509ContentType contentType)",
    "byte[] Export(X509ContentType contentType, string password)",
    "bool Equals(X509Certificate other)",
    "int GetHashCode()",
    "string ToString()",
    "string ToString(bool fVerbose)",
    "void Dispose()",
    "void Reset()",
)

CERTIFICATE2 = declare(
    "X509Certificate2", f"{_X509}.X509Certificate2", (Certificate,), bases=(CERTIFICATE,)
)
CERTIFICATE2.construct = _certificate_ctor
CERTIFICATE2.members.update(
    {
        "SubjectName": lambda c: DistinguishedName(distinguished_name(c.cert.subject)),
        "IssuerName": lambda c: DistinguishedName(distinguished_name(c.cert.issuer)),
        "Thumbprint": lambda c: _hex(hashlib.sha1(c.der).digest()),
        "SerialNumber": lambda c: _hex(_serial_bytes(c)),
        "NotBefore": lambda c: _local(c.cert.not_valid_before_utc),
        "NotAfter": lambda c: _local(c.cert.not_valid_after_utc),
        "Version": lambda c: c.cert.version.value + 1,
        "RawData": lambda c: bytearray(c.der),
        "HasPrivateKey": lambda c: c.private is not None,
        "FriendlyName": lambda c: "",
        "Archived": lambda c: False,
        "SignatureAlgorithm": lambda c: _oid(c.cert.signature_algorithm_oid.dotted_string),
        "PublicKey": lambda c: PublicKey(c),
    }
)
CERTIFICATE2.methods.update(
    {
        "Verify": lambda c, a, t: (arity("X509Certificate2", "Verify", a, 0), _verify(c))[1],
        "GetNameInfo": lambda c, a, t: _name_info(c, a),
        # RSACertificateExtensions and APIM's extension method
        "GetRSAPublicKey": lambda c, a, t: _rsa_public(c),
        "GetRSAPrivateKey": lambda c, a, t: _rsa_private(c),
        "VerifyNoRevocation": lambda c, a, t: (
            arity("X509Certificate2", "VerifyNoRevocation", a, 0),
            _verify(c),
        )[1],
    }
)
CERTIFICATE2.sign(
    "new(byte[] rawData)",
    "new(byte[] rawData, string password)",
    "new(X509Certificate certificate)",
    "X500DistinguishedName SubjectName { get; }",
    "X500DistinguishedName IssuerName { get; }",
    "string Thumbprint { get; }",
    "string SerialNumber { get; }",
    "DateTime NotBefore { get; }",
    "DateTime NotAfter { get; }",
    "int Version { get; }",
    "byte[] RawData { get; }",
    "bool HasPrivateKey { get; }",
    "string FriendlyName { get; }",
    "bool Archived { get; }",
    "Oid SignatureAlgorithm { get; }",
    "PublicKey PublicKey { get; }",
    "string GetNameInfo(X509NameType nameType, bool forIssuer)",
    "bool Verify()",
    "extension RSA GetRSAPublicKey()",
    "extension RSA GetRSAPrivateKey()",
    "extension bool VerifyNoRevocation()",
)

RSA_EXTENSIONS = declare(
    "RSACertificateExtensions", f"{_X509}.RSACertificateExtensions", (), owns=False
)
RSA_EXTENSIONS.static_methods["GetRSAPublicKey"] = lambda a, t: (
    arity("RSACertificateExtensions", "GetRSAPublicKey", a, 1),
    _rsa_public(_certificate_arg(a[0])),
)[1]
RSA_EXTENSIONS.static_methods["GetRSAPrivateKey"] = lambda a, t: (
    arity("RSACertificateExtensions", "GetRSAPrivateKey", a, 1),
    _rsa_private(_certificate_arg(a[0])),
)[1]
RSA_EXTENSIONS.sign(
    "static RSA GetRSAPublicKey(X509Certificate2 certificate)",
    "static RSA GetRSAPrivateKey(X509Certificate2 certificate)",
)


def _certificate_arg(v: object) -> Certificate:
    if isinstance(v, Certificate):
        return v
    raise ExpressionError(
        "ArgumentNullException", "Value cannot be null. (Parameter 'certificate')"
    )


TYPES: tuple[TypeRef, ...] = (
    ENC_MODE,
    SIG_MODE,
    ENC_PADDING,
    SIG_PADDING,
    PARAMETERS,
    ASYMMETRIC,
    RSA,
    RSA_PROVIDER,
    OID,
    X500,
    PUBLIC_KEY,
    CONTENT_TYPE,
    NAME_TYPE,
    CERTIFICATE,
    CERTIFICATE2,
    RSA_EXTENSIONS,
)
