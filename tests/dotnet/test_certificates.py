"""RSA and X509Certificate2 as .NET reads them.

.NET's values that these tests expect: distinguished names printed last RDN first with .NET's
attribute names (S= for stateOrProvinceName, E= for emailAddress) and values quoted when they
hold a comma; Thumbprint = upper-case hex SHA-1 of the DER; SerialNumber = upper-case hex of the
serial's big-endian two's complement bytes (a leading 00 kept); GetSerialNumber() the same bytes
reversed; NotBefore/NotAfter local time (UTC here); Version 3; an RSA key's ToXmlString(false)
is <RSAKeyValue><Modulus>..</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>. Signatures and
OAEP/PKCS#1 ciphertexts are the standard schemes, so the ``cryptography`` package's own
verifier and decrypter check what expressions produce, and the other way round."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Washington"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso, Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "www.contoso.com"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "admin@contoso.com"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2034, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.contoso.com")]), False)
        .sign(key, hashes.SHA256())
    )


def test_certificate_members(key: rsa.RSAPrivateKey) -> None:
    cert = _certificate(key, 0x80FF01)
    der = cert.public_bytes(serialization.Encoding.DER)
    make = f'new X509Certificate2(Convert.FromBase64String("{base64.b64encode(der).decode()}"))'

    def get(member: str) -> object:
        return ev(f"@({make}.{member})")

    subject = 'E=admin@contoso.com, CN=www.contoso.com, O="Contoso, Ltd", S=Washington, C=US'
    assert get("Subject") == subject
    assert get("Issuer") == subject
    assert get("SubjectName.Name") == subject
    assert get("Thumbprint") == hashlib.sha1(der).hexdigest().upper()
    assert get("SerialNumber") == "0080FF01"
    assert get("GetSerialNumberString()") == "0080FF01"
    assert ev(f"@(BitConverter.ToString({make}.GetSerialNumber()))") == "01-FF-80-00"
    assert ev(f'@({make}.NotBefore.ToString("o"))') == "2024-01-02T03:04:05.0000000+00:00"
    assert ev(f"@({make}.NotAfter.Year)") == 2034
    assert get("Version") == 3
    assert get("HasPrivateKey") is False
    assert get("SignatureAlgorithm.FriendlyName") == "sha256RSA"
    assert get("SignatureAlgorithm.Value") == "1.2.840.113549.1.1.11"
    assert get("GetKeyAlgorithm()") == "1.2.840.113549.1.1.1"
    assert get("PublicKey.Oid.FriendlyName") == "RSA"
    pkcs1 = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    assert (
        ev(f"@(Convert.ToBase64String({make}.GetPublicKey()))") == base64.b64encode(pkcs1).decode()
    )
    assert get("GetPublicKeyString()") == pkcs1.hex().upper()
    assert ev(f"@(Convert.ToBase64String({make}.RawData))") == base64.b64encode(der).decode()
    assert get("GetNameInfo(X509NameType.SimpleName, false)") == "www.contoso.com"
    assert get("GetNameInfo(X509NameType.DnsName, false)") == "api.contoso.com"
    assert get("GetNameInfo(X509NameType.EmailName, false)") == "admin@contoso.com"
    assert get("GetFormat()") == "X509"
    text = get("ToString()")
    assert isinstance(text, str)
    assert text.startswith(f"[Subject]\n  {subject}\n\n[Issuer]\n")
    assert "[Serial Number]\n  0080FF01\n\n[Not Before]\n  01/02/2024 03:04:05\n" in text
    # a self-signed certificate chains to no trusted root
    assert get("Verify()") is False
    assert get("VerifyNoRevocation()") is False


def test_certificate_from_pem_and_its_rsa_key(key: rsa.RSAPrivateKey) -> None:
    cert = _certificate(key, 7)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode().replace("\n", "\\n")
    make = f'new X509Certificate2(Encoding.ASCII.GetBytes("{pem}"))'
    assert ev(f"@({make}.SerialNumber)") == "07"
    # sign with the private key outside, verify inside with the certificate's public key
    data = b"payload"
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    verify = (
        f'@({make}.GetRSAPublicKey().VerifyData(Encoding.UTF8.GetBytes("payload"), '
        f'Convert.FromBase64String("{base64.b64encode(signature).decode()}"), '
        "HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))"
    )
    assert ev(verify) is True
    assert ev(verify.replace('"payload"', '"tampered"')) is False
    assert ev(f"@(RSACertificateExtensions.GetRSAPublicKey({make}).KeySize)") == 2048
    assert ev(f"@({make}.GetRSAPrivateKey() == null)") is True


def test_bad_certificate_bytes_are_a_cryptographic_exception() -> None:
    with pytest.raises(ExpressionError) as info:
        ev("@(new X509Certificate2(new byte[] { 1, 2, 3 }).Subject)")
    assert info.value.exception_type == "CryptographicException"


def test_rsa_with_imported_parameters(key: rsa.RSAPrivateKey) -> None:
    numbers = key.public_key().public_numbers()
    modulus = base64.b64encode(numbers.n.to_bytes(256, "big")).decode()
    setup = (
        "var rsa = RSA.Create(); rsa.ImportParameters(new RSAParameters { "
        f'Modulus = Convert.FromBase64String("{modulus}"), '
        'Exponent = Convert.FromBase64String("AQAB") });'
    )
    assert ev("@{ " + setup + " return rsa.ToXmlString(false); }") == (
        f"<RSAKeyValue><Modulus>{modulus}</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>"
    )
    # OAEP-SHA256 encrypted inside, decrypted outside
    cipher = ev(
        "@{ "
        + setup
        + ' return Convert.ToBase64String(rsa.Encrypt(Encoding.UTF8.GetBytes("secret"), '
        "RSAEncryptionPadding.OaepSHA256)); }"
    )
    assert isinstance(cipher, str)
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    assert key.decrypt(base64.b64decode(cipher), oaep) == b"secret"
    # a public key cannot sign
    with pytest.raises(ExpressionError) as info:
        ev(
            "@{ "
            + setup
            + " rsa.SignData(new byte[1], HashAlgorithmName.SHA256, RSASignaturePadding.Pss);"
            " return 0; }"
        )
    assert info.value.exception_type == "CryptographicException"


def test_rsa_keys_made_inside_sign_and_round_trip(key: rsa.RSAPrivateKey) -> None:
    pem = (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
        .replace("\n", "\\n")
    )
    signed = ev(
        f'@{{ var rsa = RSA.Create(); rsa.ImportFromPem("{pem}"); '
        'return Convert.ToBase64String(rsa.SignData(Encoding.UTF8.GetBytes("m"), '
        "HashAlgorithmName.SHA512, RSASignaturePadding.Pss)); }"
    )
    assert isinstance(signed, str)
    key.public_key().verify(
        base64.b64decode(signed),
        b"m",
        padding.PSS(padding.MGF1(hashes.SHA512()), padding.PSS.DIGEST_LENGTH),
        hashes.SHA512(),
    )
    assert (
        ev(
            f'@{{ var rsa = RSA.Create(); rsa.ImportFromPem("{pem}"); '
            'var c = rsa.Encrypt(Encoding.UTF8.GetBytes("hi"), RSAEncryptionPadding.Pkcs1); '
            "var p = rsa.ExportParameters(true); var other = RSA.Create(p); "
            "return Encoding.UTF8.GetString(other.Decrypt(c, RSAEncryptionPadding.Pkcs1)); }"
        )
        == "hi"
    )
    assert ev("@(RSA.Create(1024).KeySize)") == 1024
    assert ev("@(RSAEncryptionPadding.OaepSHA256.OaepHashAlgorithm.Name)") == "SHA256"
    assert ev("@(RSASignaturePadding.Pss.Mode.ToString())") == "Pss"
    assert ev('@(new Oid("1.2.840.113549.1.1.11").FriendlyName)') == "sha256RSA"
