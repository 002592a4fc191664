"""Symmetric encryption (APIM's Encrypt/Decrypt extension methods of byte[], SymmetricAlgorithm),
HMAC and its bases, HashAlgorithmName and RNGCryptoServiceProvider, as .NET gives them.

Known answers: .NET's Aes, DES, TripleDES and RC2 are the standard ciphers, so their outputs
are the standards' test vectors (NIST SP 800-38A for AES-CBC/ECB, FIPS 46's worked DES example,
RFC 2268 for RC2, RFC 4231 for HMAC-SHA256); padding bytes are those .NET documents for each
PaddingMode (https://learn.microsoft.com/dotnet/api/system.security.cryptography.paddingmode)."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext

NIST_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
NIST_IV = "000102030405060708090a0b0c0d0e0f"
NIST_PLAIN = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
NIST_CBC = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
NIST_ECB = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


def fails(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        ev(source)
    return info.value


def hexed(body: str) -> str:
    """``@{ <body> }`` returning the byte[] ``result`` as lower-case hex."""
    text = ev(
        "@{ byte[] H(string s) => Convert.FromHexString(s); "
        f"{body} return Convert.ToHexString(result).ToLower(); }}"
    )
    assert isinstance(text, str)
    return text


def with_hex(body: str) -> str:
    return hexed(
        body.replace("KEY", f'Convert.FromHexString("{NIST_KEY}")')
        .replace("IVB", f'Convert.FromHexString("{NIST_IV}")')
        .replace("PLAIN", f'Convert.FromHexString("{NIST_PLAIN}")')
    )


def test_aes_cbc_and_ecb_give_the_nist_vectors() -> None:
    cbc = with_hex(
        "var aes = Aes.Create(); aes.Key = KEY; aes.IV = IVB; aes.Padding = PaddingMode.None; "
        "var result = PLAIN.Encrypt(aes);"
    )
    assert cbc == NIST_CBC
    ecb = with_hex(
        "var aes = Aes.Create(); aes.Mode = CipherMode.ECB; aes.Padding = PaddingMode.None; "
        "var result = PLAIN.Encrypt(aes, KEY, IVB);"
    )
    assert ecb == NIST_ECB


def test_the_string_overloads_use_cbc_and_pkcs7() -> None:
    # "Aes" by name: CBC, PKCS7 -- two NIST blocks, then one block of padding (16 x 0x10)
    enc = with_hex('var result = PLAIN.Encrypt("Aes", KEY, IVB);')
    assert len(enc) == 96
    assert enc.startswith(NIST_CBC)
    plain = with_hex('var result = PLAIN.Encrypt("Aes", KEY, IVB).Decrypt("Aes", KEY, IVB);')
    assert plain == NIST_PLAIN
    # decrypting without removing the padding shows it
    padded = with_hex(
        "var aes = Aes.Create(); aes.Padding = PaddingMode.None; "
        'var result = PLAIN.Encrypt("Aes", KEY, IVB).Decrypt(aes, KEY, IVB);'
    )
    assert padded == NIST_PLAIN + "10" * 16


@pytest.mark.parametrize(
    ("mode", "tail"),
    [
        ("PKCS7", "0505050505"),
        ("ANSIX923", "0000000005"),
        ("Zeros", "0000000000"),
    ],
)
def test_padding_modes_write_dotnets_bytes(mode: str, tail: str) -> None:
    body = (
        "var aes = Aes.Create(); aes.Key = KEY; aes.IV = IVB; "
        f"aes.Padding = PaddingMode.{mode}; var data = new byte[11]; "
        "var raw = Aes.Create(); raw.Padding = PaddingMode.None; "
        "var result = data.Encrypt(aes).Decrypt(raw, KEY, IVB);"
    )
    assert with_hex(body) == "00" * 11 + tail
    round_trip = with_hex(body.replace("Decrypt(raw, KEY, IVB)", "Decrypt(aes)"))
    # Zeros padding is not removed on decryption (.NET cannot tell it from data)
    assert round_trip == "00" * 11 + ("0000000000" if mode == "Zeros" else "")


def test_iso10126_padding_ends_with_its_length() -> None:
    out = with_hex(
        "var aes = Aes.Create(); aes.Key = KEY; aes.IV = IVB; aes.Padding = PaddingMode.ISO10126;"
        " var raw = Aes.Create(); raw.Padding = PaddingMode.None;"
        " var enc = new byte[3].Encrypt(aes);"
        " var result = enc.Decrypt(raw, KEY, IVB).Concat(enc.Decrypt(aes)).ToArray();"
    )
    assert out[30:32] == "0d"
    assert out[32:] == "000000"


def test_des_triple_des_and_rc2_give_the_standard_vectors() -> None:
    des = hexed(
        "var des = DES.Create(); des.Mode = CipherMode.ECB; des.Padding = PaddingMode.None; "
        'var result = H("0123456789ABCDEF").Encrypt(des, H("133457799BBCDFF1"), new byte[8]);'
    )
    assert des == "85e813540f0ab405"
    # three equal keys make TripleDES single DES
    tdes = hexed(
        "var t = TripleDES.Create(); t.Mode = CipherMode.ECB; t.Padding = PaddingMode.None; "
        'var k = H("133457799BBCDFF1"); '
        'var result = H("0123456789ABCDEF").Encrypt(t, k.Concat(k).Concat(k).ToArray(), '
        "new byte[8]);"
    )
    assert tdes == "85e813540f0ab405"
    rc2 = hexed(
        "var r = RC2.Create(); r.Mode = CipherMode.ECB; r.Padding = PaddingMode.None; "
        'var result = new byte[8].Encrypt(r, H("88bca90e90875a7f0f79c384627bafb2"), new byte[8]);'
    )
    assert rc2 == "2269552ab0f85ca6"
    by_name = hexed(
        'var k = H("0123456789abcdeffedcba9876543210"); var iv = H("0001020304050607"); '
        'var result = Encoding.UTF8.GetBytes("secret").Encrypt("TripleDES", k, iv)'
        '.Decrypt("3DES", k, iv);'
    )
    assert bytes.fromhex(by_name) == b"secret"


def test_algorithm_defaults_and_generated_keys() -> None:
    assert (
        ev(
            '@{ var a = Aes.Create(); return a.KeySize + "," + a.BlockSize + "," + a.Mode + '
            '"," + a.Padding + "," + a.Key.Length + "," + a.IV.Length; }'
        )
        == "256,128,CBC,PKCS7,32,16"
    )
    assert (
        ev(
            '@{ var d = TripleDES.Create(); return d.KeySize + "," + d.BlockSize + "," + d.IV.Length; }'
        )
        == "192,64,8"
    )
    assert ev("@{ var a = Aes.Create(); a.KeySize = 128; return a.Key.Length; }") == 16
    assert (
        ev(
            "@{ var a = Aes.Create(); var k = a.Key; a.GenerateKey(); return k.SequenceEqual(a.Key); }"
        )
        is False
    )
    # the algorithm's own key and IV round-trip
    assert (
        ev(
            '@{ var a = new AesManaged(); var e = Encoding.UTF8.GetBytes("hi").Encrypt(a); '
            "return Encoding.UTF8.GetString(e.Decrypt(a)); }"
        )
        == "hi"
    )
    assert ev('@(SymmetricAlgorithm.Create("Rijndael").BlockSize)') == 128
    assert ev('@(SymmetricAlgorithm.Create("nope") == null)') is True
    assert ev("@(Aes.Create() is SymmetricAlgorithm)") is True
    assert ev("@(Aes.Create() is DES)") is False


def test_cryptographic_errors_are_dotnets() -> None:
    def error(body: str) -> tuple[str, str]:
        e = fails("@{ " + body + " return 0; }")
        return e.exception_type, e.message

    assert error("Aes.Create().Key = new byte[5];") == (
        "CryptographicException",
        "Specified key is not a valid size for this algorithm.",
    )
    assert error("Aes.Create().IV = new byte[8];")[1].startswith(
        "Specified initialization vector (IV) does not match the block size"
    )
    assert (
        error("var a = Aes.Create(); a.Padding = PaddingMode.None; new byte[5].Encrypt(a);")[1]
        == "The input data is not a complete block."
    )
    assert (
        error("var a = Aes.Create(); var b = new byte[16].Encrypt(a); b[15] ^= 1; b.Decrypt(a);")[1]
        == "Padding is invalid and cannot be removed."
    )
    assert error('new byte[1].Encrypt("Blowfish", new byte[16], new byte[8]);')[0] == (
        "CryptographicException"
    )
    assert error("var a = Aes.Create(); a.Mode = CipherMode.OFB;")[0] == "CryptographicException"
    assert fails("@(new byte[1].Decrypt(Aes.Create()))").exception_type == "CryptographicException"


def test_hmac_types_and_their_bases() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    for make in (
        'new HMACSHA256(Encoding.ASCII.GetBytes("Jefe"))',
        '(HMAC)new HMACSHA256 { Key = Encoding.ASCII.GetBytes("Jefe") }',
        'KeyedHashAlgorithm.Create("HMACSHA256")',
        'HMAC.Create("HMACSHA256")',
    ):
        body = (
            f'var h = {make}; h.Key = Encoding.ASCII.GetBytes("Jefe"); '
            'var result = h.ComputeHash(Encoding.ASCII.GetBytes("what do ya want for nothing?"));'
        )
        assert hexed(body) == expected, make
    assert ev('@(HMAC.Create("HMACSHA512").HashName)') == "SHA512"
    assert ev("@(new HMACSHA1().Key.Length)") == 64  # a random key, as .NET makes
    assert ev("@(new HMACMD5() is KeyedHashAlgorithm)") is True
    assert ev("@(new HMACMD5() is HMACSHA1)") is False
    assert ev('@(HashAlgorithm.Create("SHA256").ComputeHash(new byte[0]).Length)') == 32


def test_hash_algorithm_name() -> None:
    assert ev("@(HashAlgorithmName.SHA256.Name)") == "SHA256"
    assert ev('@(HashAlgorithmName.SHA256 == new HashAlgorithmName("SHA256"))') is True
    assert ev("@(HashAlgorithmName.SHA1.ToString())") == "SHA1"
    assert ev('@(HashAlgorithmName.FromOid("2.16.840.1.101.3.4.2.3").Name)') == "SHA512"


def test_random_bytes_fill_a_buffer() -> None:
    filled = ev(
        "@{ var b = new byte[32]; new RNGCryptoServiceProvider().GetBytes(b); "
        "return b.Count(x => x != 0); }"
    )
    assert isinstance(filled, int)
    assert filled > 16
    assert (
        ev(
            "@{ var b = new byte[64]; RandomNumberGenerator.Create().GetNonZeroBytes(b); "
            "return b.All(x => x != 0); }"
        )
        is True
    )
    assert ev("@(RandomNumberGenerator.GetBytes(12).Length)") == 12
    assert (
        ev(
            "@{ var b = new byte[8]; new RNGCryptoServiceProvider().GetBytes(b, 2, 3); "
            "return b[0] + b[1] + b[5] + b[6] + b[7]; }"
        )
        == 0
    )
