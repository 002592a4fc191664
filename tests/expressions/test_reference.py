"""docs/expressions.md is the registry's reference, up to date, and it accounts for every type of
Microsoft's allowed-types table: supported, or listed as not supported with the reason."""

from __future__ import annotations

from pathlib import Path

from aiohttp_apim.expressions import reference, runtime

DOC = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"

ALLOWED_TYPES_PAGE = (
    "https://learn.microsoft.com/azure/api-management/api-management-policy-expressions"
)
ALLOWED_TYPES = [
    "Newtonsoft.Json.Formatting",
    "Newtonsoft.Json.JsonConvert",
    "Newtonsoft.Json.Linq.Extensions",
    "Newtonsoft.Json.Linq.JArray",
    "Newtonsoft.Json.Linq.JConstructor",
    "Newtonsoft.Json.Linq.JContainer",
    "Newtonsoft.Json.Linq.JObject",
    "Newtonsoft.Json.Linq.JProperty",
    "Newtonsoft.Json.Linq.JRaw",
    "Newtonsoft.Json.Linq.JToken",
    "Newtonsoft.Json.Linq.JTokenType",
    "Newtonsoft.Json.Linq.JValue",
    "System.Array",
    "System.BitConverter",
    "System.Boolean",
    "System.Byte",
    "System.Char",
    "System.Collections.Generic.Dictionary<TKey,",
    "TValue>",
    "System.Collections.Generic.HashSet<T>",
    "System.Collections.Generic.ICollection<T>",
    "System.Collections.Generic.IDictionary<TKey,",
    "TValue>",
    "System.Collections.Generic.IEnumerable<T>",
    "System.Collections.Generic.IEnumerator<T>",
    "System.Collections.Generic.IList<T>",
    "System.Collections.Generic.IReadOnlyCollection<T>",
    "System.Collections.Generic.IReadOnlyDictionary<TKey,",
    "TValue>",
    "System.Collections.Generic.ISet<T>",
    "System.Collections.Generic.KeyValuePair<TKey,",
    "TValue>",
    "System.Collections.Generic.List<T>",
    "System.Collections.Generic.Queue<T>",
    "System.Collections.Generic.Stack<T>",
    "System.Convert",
    "System.DateTime",
    "System.DateTimeKind",
    "System.DateTimeOffset",
    "System.Decimal",
    "System.Double",
    "System.Exception",
    "System.Guid",
    "System.Int16",
    "System.Int32",
    "System.Int64",
    "System.IO.StringReader",
    "System.IO.StringWriter",
    "System.Linq.Enumerable",
    "System.Math",
    "System.MidpointRounding",
    "System.Net.IPAddress",
    "System.Net.WebUtility",
    "System.Nullable",
    "System.Random",
    "System.SByte",
    "System.Security.Cryptography.AsymmetricAlgorithm",
    "System.Security.Cryptography.CipherMode",
    "System.Security.Cryptography.HashAlgorithm",
    "System.Security.Cryptography.HashAlgorithmName",
    "System.Security.Cryptography.HMAC",
    "System.Security.Cryptography.HMACMD5",
    "System.Security.Cryptography.HMACSHA1",
    "System.Security.Cryptography.HMACSHA256",
    "System.Security.Cryptography.HMACSHA384",
    "System.Security.Cryptography.HMACSHA512",
    "System.Security.Cryptography.KeyedHashAlgorithm",
    "System.Security.Cryptography.MD5",
    "System.Security.Cryptography.Oid",
    "System.Security.Cryptography.PaddingMode",
    "System.Security.Cryptography.RNGCryptoServiceProvider",
    "System.Security.Cryptography.RSA",
    "System.Security.Cryptography.RSAEncryptionPadding",
    "System.Security.Cryptography.RSASignaturePadding",
    "System.Security.Cryptography.SHA1",
    "System.Security.Cryptography.SHA1Managed",
    "System.Security.Cryptography.SHA256",
    "System.Security.Cryptography.SHA256Managed",
    "System.Security.Cryptography.SHA384",
    "System.Security.Cryptography.SHA384Managed",
    "System.Security.Cryptography.SHA512",
    "System.Security.Cryptography.SHA512Managed",
    "System.Security.Cryptography.SymmetricAlgorithm",
    "System.Security.Cryptography.X509Certificates.PublicKey",
    "System.Security.Cryptography.X509Certificates.RSACertificateExtensions",
    "System.Security.Cryptography.X509Certificates.X500DistinguishedName",
    "System.Security.Cryptography.X509Certificates.X509Certificate",
    "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "System.Security.Cryptography.X509Certificates.X509ContentType",
    "System.Security.Cryptography.X509Certificates.X509NameType",
    "System.Single",
    "System.String",
    "System.StringComparer",
    "System.StringComparison",
    "System.StringSplitOptions",
    "System.Text.Encoding",
    "System.Text.RegularExpressions.Capture",
    "System.Text.RegularExpressions.CaptureCollection",
    "System.Text.RegularExpressions.Group",
    "System.Text.RegularExpressions.GroupCollection",
    "System.Text.RegularExpressions.Match",
    "System.Text.RegularExpressions.Regex",
    "System.Text.RegularExpressions.RegexOptions",
    "System.Text.StringBuilder",
    "System.TimeSpan",
    "System.TimeZone",
    "System.TimeZoneInfo",
    "System.TimeZoneInfo.AdjustmentRule",
    "System.TimeZoneInfo.TransitionTime",
    "System.Tuple",
    "System.UInt16",
    "System.UInt32",
    "System.UInt64",
    "System.Uri",
    "System.UriPartial",
    "System.Xml.Linq.Extensions",
    "System.Xml.Linq.XAttribute",
    "System.Xml.Linq.XCData",
    "System.Xml.Linq.XComment",
    "System.Xml.Linq.XContainer",
    "System.Xml.Linq.XDeclaration",
    "System.Xml.Linq.XDocument",
    "System.Xml.Linq.XDocumentType",
    "System.Xml.Linq.XElement",
    "System.Xml.Linq.XName",
    "System.Xml.Linq.XNamespace",
    "System.Xml.Linq.XNode",
    "System.Xml.Linq.XNodeDocumentOrderComparer",
    "System.Xml.Linq.XNodeEqualityComparer",
    "System.Xml.Linq.XObject",
    "System.Xml.Linq.XProcessingInstruction",
    "System.Xml.Linq.XText",
    "System.Xml.XmlNodeType",
]
"""The type column of the ".NET Framework types allowed in policy expressions" table of
ALLOWED_TYPES_PAGE (generic parameters spaced as written there, joined here)."""


def _names() -> list[str]:
    joined: list[str] = []
    for word in ALLOWED_TYPES:
        if joined and joined[-1].count("<") > joined[-1].count(">"):
            joined[-1] += " " + word
        else:
            joined.append(word)
    return joined


def test_the_table_is_read_whole() -> None:
    names = _names()
    assert len(names) == len(set(names)) == 129
    assert "System.Collections.Generic.Dictionary<TKey, TValue>" in names


def test_every_type_of_the_allowed_types_table_has_an_entry() -> None:
    missing = [
        name
        for name in _names()
        if runtime.resolve_type(name) is None and name not in reference.NOT_SUPPORTED
    ]
    assert missing == [], "supported, or listed in reference.NOT_SUPPORTED with the reason"


def test_types_listed_as_not_supported_are_neither_supported_nor_invented() -> None:
    names = set(_names())
    assert sorted(n for n in reference.NOT_SUPPORTED if n not in names) == []
    assert sorted(n for n in reference.NOT_SUPPORTED if runtime.resolve_type(n) is not None) == []
    assert all(why.strip() for why in reference.NOT_SUPPORTED.values())


def test_the_committed_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == reference.render(), (
        "regenerate it: python -m aiohttp_apim.expressions.reference > docs/expressions.md"
    )


def test_the_reference_lists_types_members_and_reasons() -> None:
    text = reference.render()
    assert "### `System.String`" in text
    assert "- `string Substring(int startIndex, int length)`" in text
    assert "- `extension Jwt AsJwt()`" in text
    assert "| `System.TimeZone` | not implemented yet (obsolete in .NET" in text
