"""The .NET surface: strings, numbers, Math, Convert, Encoding, hashes, collections, Linq."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.dotnet.budget import Budget, BudgetLimits, using
from aiohttp_apim.dotnet.primitives import Char, Int64, MidpointRounding, StringComparison
from aiohttp_apim.dotnet.primitives import StringSplitOptions as SSO
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, idx, new, out, raises, static

GENEROUS = BudgetLimits(seconds=600.0, steps=10**9)

# ---------------------------------------------------------------- String instance members


def test_length_substring_index_of() -> None:
    assert get("hello", "Length") == 5
    assert call("hello", "Substring", 1) == "ello"
    assert call("hello", "Substring", 1, 3) == "ell"
    assert call("hello", "Substring", 5) == ""
    raises("ArgumentOutOfRangeException", lambda: call("hello", "Substring", 6))
    raises("ArgumentOutOfRangeException", lambda: call("hello", "Substring", 2, 4), "length")
    assert call("hello", "IndexOf", Char("l")) == 2
    assert call("hello", "IndexOf", "lo") == 3
    assert call("hello", "IndexOf", "l", 3) == 3
    assert call("hello", "IndexOf", "z") == -1
    assert call("hello", "IndexOf", "") == 0
    assert call("HeLLo", "IndexOf", "ll", StringComparison.OrdinalIgnoreCase) == 2
    assert call("hello", "LastIndexOf", Char("l")) == 3
    assert call("hello", "LastIndexOf", "l", 2) == 2
    assert call("hello", "IndexOfAny", [Char("x"), Char("e")]) == 1
    assert idx("hello", 1) == "e"
    assert type(idx("hello", 1)) is Char
    raises("IndexOutOfRangeException", lambda: idx("hello", 5))
    raises("ArgumentNullException", lambda: call("hello", "IndexOf", None))


def test_contains_starts_ends() -> None:
    assert call("hello", "Contains", "ell") is True
    assert call("hello", "Contains", "ELL", StringComparison.OrdinalIgnoreCase) is True
    assert call("user@contoso.com", "EndsWith", "@contoso.com") is True
    assert call("Hello", "StartsWith", "he") is False
    assert call("Hello", "StartsWith", "he", StringComparison.OrdinalIgnoreCase) is True
    assert call("Hello", "EndsWith", "LO", StringComparison.InvariantCultureIgnoreCase) is True
    raises("ArgumentNullException", lambda: call("x", "StartsWith", None))


def test_split_forms() -> None:
    sp = " "
    assert call("Bearer abc", "Split", Char(sp)) == ["Bearer", "abc"]
    assert call("a  b\tc", "Split") == ["a", "", "b", "c"]
    assert call("a,b;c", "Split", Char(","), Char(";")) == ["a", "b", "c"]
    assert call("a,b;c", "Split", [Char(","), Char(";")]) == ["a", "b", "c"]
    assert call("a,,b", "Split", Char(","), SSO.RemoveEmptyEntries) == ["a", "b"]
    assert call("a, b ,c", "Split", Char(","), SSO.TrimEntries) == ["a", "b", "c"]
    assert call("a::b::c", "Split", "::") == ["a", "b", "c"]
    assert call("a::b--c", "Split", ["::", "--"], SSO(0)) == ["a", "b", "c"]
    assert call("a,b,c", "Split", Char(","), 2) == ["a", "b,c"]
    assert call("a,,b,c", "Split", [Char(",")], 2, SSO.RemoveEmptyEntries) == ["a", "b,c"]
    assert call("abc", "Split", "") == ["abc"]
    assert call("", "Split", Char(",")) == [""]
    assert call("", "Split", Char(","), SSO.RemoveEmptyEntries) == []
    assert call("a,b", "Split", Char(","), 0) == []
    raises("ArgumentOutOfRangeException", lambda: call("a", "Split", Char(","), -1))


def test_split_then_index_on_missing_token() -> None:
    # an absent Authorization header -> "".Split(' ')[1] -> IndexOutOfRange
    parts = call("", "Split", Char(" "))
    raises("IndexOutOfRangeException", lambda: idx(parts, 1))


@given(st.text(alphabet="ab, ;", max_size=30), st.sampled_from([",", " ", ";"]))
def test_split_on_char_matches_python_split(s: str, sep: str) -> None:
    assert call(s, "Split", Char(sep)) == s.split(sep)
    assert call(s, "Split", Char(sep), SSO.RemoveEmptyEntries) == [x for x in s.split(sep) if x]
    assert static("String", "Join", sep, call(s, "Split", Char(sep))) == s


def test_trim_case_replace_pad() -> None:
    assert call("  a b  ", "Trim") == "a b"
    assert call("\u3000a\xa0", "Trim") == "a"
    assert call("xxaxx", "Trim", Char("x")) == "a"
    assert call("xyaxy", "TrimStart", Char("x"), Char("y")) == "axy"
    assert call("a//", "TrimEnd", [Char("/")]) == "a"
    assert call("AbC", "ToLower") == "abc"
    assert call("AbC", "ToUpperInvariant") == "ABC"
    assert call("straße", "ToUpper") == "STRAßE"  # .NET maps char by char
    assert call("a-b-c", "Replace", "-", "+") == "a+b+c"
    assert call("a-b-c", "Replace", Char("-"), Char("_")) == "a_b_c"
    assert call("a-b", "Replace", "-", None) == "ab"
    raises("ArgumentException", lambda: call("a", "Replace", "", "x"))
    assert call("7", "PadLeft", 3, Char("0")) == "007"
    assert call("7", "PadRight", 3) == "7  "
    assert call("abc", "Insert", 1, "X") == "aXbc"
    assert call("abcdef", "Remove", 2) == "ab"
    assert call("abcdef", "Remove", 1, 2) == "adef"
    assert call("ab", "ToCharArray") == ["a", "b"]


def test_equals_compare() -> None:
    assert call("a", "Equals", "a") is True
    assert call("a", "Equals", "A") is False
    assert call("a", "Equals", "A", StringComparison.OrdinalIgnoreCase) is True
    assert call("a", "Equals", 1) is False
    assert static("String", "Equals", "a", "A", StringComparison.OrdinalIgnoreCase) is True
    assert static("String", "Equals", None, None) is True
    assert call("a", "CompareTo", "b") == -1
    assert call("b", "CompareTo", "a") == 1
    assert call("a", "CompareTo", "A") == -1  # culture order: lower before upper
    assert call("a", "CompareTo", "B") == -1  # not ordinal
    assert static("String", "Compare", "a", "B", StringComparison.Ordinal) == 1
    assert static("String", "Compare", "a", "A", True) == 0


def test_static_string_members() -> None:
    assert rt.get_static(T("string"), "Empty") == ""
    assert static("string", "IsNullOrEmpty", None) is True
    assert static("string", "IsNullOrEmpty", "") is True
    assert static("string", "IsNullOrEmpty", " ") is False
    assert static("string", "IsNullOrWhiteSpace", " \t") is True
    assert static("string", "Join", ",", ["a", "b"]) == "a,b"
    assert static("string", "Join", ",", "a", "b", "c") == "a,b,c"
    assert static("string", "Join", Char("-"), [1, 2]) == "1-2"
    assert static("string", "Join", ",", call([3, 1], "OrderBy", lambda x: x)) == "1,3"
    assert static("string", "Join", ",", [None, True]) == ",True"
    assert static("string", "Concat", "a", 1, None, True) == "a1True"
    assert static("string", "Concat", ["a", "b"]) == "ab"
    assert new("string", Char("x"), 3) == "xxx"


def test_format() -> None:
    f = "{0}-{1:N2}-{2:D5}-{3:X}-{0,5}-{0,-5}|{{}}"
    assert static("String", "Format", f, "ab", 1234.567, 42, 255) == (
        "ab-1,234.57-00042-FF-   ab-ab   |{}"
    )
    assert static("String", "Format", "{0} {1}", ["a", "b"]) == "a b"
    assert static("String", "Format", "{0:yyyy-MM-dd}", new("DateTime", 2024, 3, 4)) == "2024-03-04"
    assert static("String", "Format", "{0:0.00}", 3.14159) == "3.14"
    assert static("String", "Format", "{0}", None) == ""
    raises("FormatException", lambda: static("String", "Format", "{1}", "a"))
    raises("FormatException", lambda: static("String", "Format", "{0", "a"))
    raises("FormatException", lambda: static("String", "Format", "a}", "a"))


# ---------------------------------------------------------------- numbers


def test_int_parse() -> None:
    assert static("int", "Parse", "42") == 42
    assert static("int", "Parse", " -42 ") == -42
    assert static("int", "Parse", "+7") == 7
    e = raises("FormatException", lambda: static("int", "Parse", "abc"))
    assert e.message == "Input string was not in a correct format."
    raises("FormatException", lambda: static("int", "Parse", "1.5"))
    raises("FormatException", lambda: static("int", "Parse", ""))
    raises("FormatException", lambda: static("int", "Parse", "١٢"))  # only ASCII digits
    e = raises("OverflowException", lambda: static("int", "Parse", "2147483648"))
    assert e.message == "Value was either too large or too small for an Int32."
    raises("ArgumentNullException", lambda: static("int", "Parse", None))
    assert static("long", "Parse", "2147483648") == 2**31
    assert type(static("long", "Parse", "1")) is Int64
    assert static("int", "Parse", "ff", T("NumberStyles").statics["HexNumber"]()) == 255


def test_try_parse() -> None:
    ref = out()
    results: list[object] = []
    for type_name, text in [("int", "12"), ("int", "x"), ("double", "1.5"), ("bool", "TRUE")]:
        results.append(static(type_name, "TryParse", text, ref))
        results.append(ref.value)
    assert results == [True, 12, False, 0, True, 1.5, True, True]
    assert static("Guid", "TryParse", "nope", ref) is False


def test_double_decimal_bool_parse() -> None:
    assert static("double", "Parse", "1,234.5") == 1234.5
    assert static("double", "Parse", "1e3") == 1000.0
    assert static("double", "Parse", "-Infinity") == float("-inf")
    raises("FormatException", lambda: static("double", "Parse", "1_000"))
    raises("FormatException", lambda: static("double", "Parse", "inf"))
    assert static("decimal", "Parse", "1.50") == Decimal("1.50")
    raises("FormatException", lambda: static("decimal", "Parse", "1e3"))
    assert static("bool", "Parse", " true ") is True
    raises("FormatException", lambda: static("bool", "Parse", "yes"), "String 'yes' was not")


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (1234.5678, "N2", "1,234.57"),
        (1234, "N", "1,234.00"),
        (2.5, "F0", "3"),
        (0.125, "F2", "0.13"),
        (1.005, "F2", "1.00"),
        (42, "D5", "00042"),
        (-42, "D", "-42"),
        (255, "X", "FF"),
        (255, "x4", "00ff"),
        (-1, "X", "FFFFFFFF"),
        (Int64(-1), "X", "FFFFFFFFFFFFFFFF"),
        (1234.5, "E", "1.234500E+003"),
        (0.5, "P", "50.00 %"),
        (3.14159, "0.00", "3.14"),
        (1234567.891, "#,##0.00", "1,234,567.89"),
        (5, "000", "005"),
        (1.5, "0.##", "1.5"),
        (-2.0, "0.0;(0.0)", "(2.0)"),
        (0.25, "0%", "25%"),
        (1.5, "G3", "1.5"),
        (Decimal("2.345"), "F2", "2.35"),
    ],
)
def test_number_to_string_format(value: object, fmt: str, text: str) -> None:
    assert call(value, "ToString", fmt) == text


def test_number_format_errors_and_limits() -> None:
    raises("FormatException", lambda: call(1.5, "ToString", "D"))
    raises("FormatException", lambda: call(1.5, "ToString", "X"))
    assert rt.get_static(T("int"), "MaxValue") == 2**31 - 1
    assert rt.get_static(T("int"), "MinValue") == -(2**31)
    assert rt.get_static(T("long"), "MaxValue") == 2**63 - 1
    assert call(5, "CompareTo", 7) == -1


def test_math() -> None:
    assert static("Math", "Round", 2.5) == 2.0  # banker's rounding by default
    assert static("Math", "Round", 3.5) == 4.0
    assert static("Math", "Round", -2.5) == -2.0
    assert static("Math", "Round", 2.5, MidpointRounding.AwayFromZero) == 3.0
    assert static("Math", "Round", -2.5, MidpointRounding.AwayFromZero) == -3.0
    assert static("Math", "Round", 1.2345, 2) == 1.23
    assert static("Math", "Round", Decimal("2.345"), 2) == Decimal("2.34")
    assert static("Math", "Round", Decimal("2.345"), 2, MidpointRounding.AwayFromZero) == Decimal(
        "2.35"
    )
    raises("ArgumentOutOfRangeException", lambda: static("Math", "Round", 1.0, 16))
    assert static("Math", "Max", 3, 7) == 7
    assert type(static("Math", "Max", 3, Int64(7))) is Int64
    assert static("Math", "Min", 3, 2.5) == 2.5
    assert static("Math", "Abs", -3) == 3
    raises("OverflowException", lambda: static("Math", "Abs", -(2**31)))
    assert static("Math", "Floor", 2.7) == 2.0
    assert static("Math", "Ceiling", 2.1) == 3.0
    assert static("Math", "Pow", 2, 10) == 1024.0
    assert static("Math", "Sqrt", 16) == 4.0
    assert str(static("Math", "Sqrt", -1)) == "nan"


def test_convert() -> None:
    assert static("Convert", "ToInt32", "42") == 42
    assert static("Convert", "ToInt32", None) == 0
    assert static("Convert", "ToInt32", 2.5) == 2  # banker's
    assert static("Convert", "ToInt32", 3.5) == 4
    assert static("Convert", "ToInt32", True) == 1
    assert static("Convert", "ToInt32", "ff", 16) == 255
    raises("OverflowException", lambda: static("Convert", "ToInt32", Int64(2**40)))
    raises("FormatException", lambda: static("Convert", "ToInt32", "x"))
    assert type(static("Convert", "ToInt64", "5")) is Int64
    assert static("Convert", "ToDouble", "1.5") == 1.5
    assert static("Convert", "ToBoolean", "False") is False
    assert static("Convert", "ToBoolean", 2) is True
    assert static("Convert", "ToString", None) == ""
    assert static("Convert", "ToString", True) == "True"
    assert static("Convert", "ToString", 255, 16) == "ff"
    assert static("Convert", "ToString", -1, 2) == "1" * 32


def test_base64_and_encoding() -> None:
    b = call(rt.get_static(T("Encoding"), "UTF8"), "GetBytes", "héllo")
    assert b == "héllo".encode()
    assert static("Convert", "ToBase64String", b) == "aMOpbGxv"
    back = static("Convert", "FromBase64String", "aMOpbGxv")
    assert call(rt.get_static(T("Encoding"), "UTF8"), "GetString", back) == "héllo"
    assert static("Convert", "FromBase64String", " aGk= ") == b"hi"
    raises("FormatException", lambda: static("Convert", "FromBase64String", "abc"))
    raises("FormatException", lambda: static("Convert", "FromBase64String", "a$=="))
    ascii_ = rt.get_static(T("Encoding"), "ASCII")
    assert call(ascii_, "GetBytes", "é") == b"?"
    assert call(rt.get_static(T("Encoding"), "Unicode"), "GetBytes", "A") == b"A\x00"
    assert call(rt.get_static(T("Encoding"), "UTF8"), "GetString", b"\xff") == "\ufffd"
    assert static("BitConverter", "ToString", b"\x01\xab\xff") == "01-AB-FF"
    assert static("BitConverter", "ToString", b"") == ""
    assert static("Convert", "ToHexString", b"\x01\xab") == "01AB"
    assert static("BitConverter", "ToInt32", b"\x01\x00\x00\x00", 0) == 1


def test_hashes() -> None:
    data = b"payload"
    sha = static("SHA256", "Create")
    assert call(sha, "ComputeHash", data) == hashlib.sha256(data).digest()
    assert call(new("SHA256Managed"), "ComputeHash", data) == hashlib.sha256(data).digest()
    assert call(static("MD5", "Create"), "ComputeHash", data) == hashlib.md5(data).digest()
    mac = new("HMACSHA256", b"key")
    assert call(mac, "ComputeHash", data) == hmac.new(b"key", data, "sha256").digest()
    text = static("BitConverter", "ToString", call(sha, "ComputeHash", data))
    assert call(call(text, "Replace", "-", ""), "ToLower") == hashlib.sha256(data).hexdigest()


def test_guid() -> None:
    g = static("Guid", "Parse", "6F9619FF-8B86-D011-B42D-00CF4FC964FF")
    assert call(g, "ToString") == "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
    assert call(g, "ToString", "N") == "6f9619ff8b86d011b42d00cf4fc964ff"
    assert call(g, "ToString", "B") == "{6f9619ff-8b86-d011-b42d-00cf4fc964ff}"
    assert rt.to_string(rt.get_static(T("Guid"), "Empty")) == "00000000-0000-0000-0000-000000000000"
    assert rt.binary("!=", static("Guid", "NewGuid"), static("Guid", "NewGuid")) is True
    raises("FormatException", lambda: static("Guid", "Parse", "xyz"))


# ---------------------------------------------------------------- collections and Linq


def test_arrays() -> None:
    arr = rt.new_array(None, ["a", "b"])
    assert get(arr, "Length") == 2
    raises("IndexOutOfRangeException", lambda: idx(arr, 2))
    raises("IndexOutOfRangeException", lambda: idx(arr, -1))
    assert call(arr, "Contains", "b") is True
    raises("MissingMemberException", lambda: get(arr, "Count"))
    assert call(arr, "Count") == 2


def test_list() -> None:
    lst = new("List<string>")
    call(lst, "Add", "a")
    call(lst, "Add", "b")
    assert get(lst, "Count") == 2
    assert idx(lst, 1) == "b"
    raises("ArgumentOutOfRangeException", lambda: idx(lst, 2))
    assert call(lst, "Contains", "a") is True
    assert call(lst, "ToArray") == ["a", "b"]
    assert call(lst, "Remove", "a") is True
    assert call(lst, "IndexOf", "b") == 0
    rt.set_index(lst, [0], "z")
    assert list(rt.iterate(lst)) == ["z"]
    assert list(new("List<int>", [3, 4])) == [3, 4]  # type: ignore[call-overload]


def test_dictionary() -> None:
    d = new("Dictionary<string,int>")
    call(d, "Add", "a", 1)
    raises("ArgumentException", lambda: call(d, "Add", "a", 2), "same key")
    rt.set_index(d, ["b"], 2)
    assert idx(d, "a") == 1
    e = raises("KeyNotFoundException", lambda: idx(d, "zz"))
    assert e.message == "The given key 'zz' was not present in the dictionary."
    raises("ArgumentNullException", lambda: idx(d, None))
    assert call(d, "ContainsKey", "b") is True
    assert get(d, "Count") == 2
    assert list(get(d, "Keys")) == ["a", "b"]  # type: ignore[call-overload]
    assert get(get(d, "Values"), "Count") == 2
    ref = out()
    assert call(d, "TryGetValue", "nope", ref) is False
    assert call(d, "GetValueOrDefault", "nope", 9) == 9
    assert call(d, "Remove", "a") is True


def test_hashset_kvp_tuple() -> None:
    hs = new("HashSet<string>", rt.get_static(T("StringComparer"), "OrdinalIgnoreCase"))
    assert call(hs, "Add", "A") is True
    assert call(hs, "Add", "a") is False
    assert get(hs, "Count") == 1
    t = static("Tuple", "Create", 1, "x")
    assert get(t, "Item2") == "x"
    assert rt.to_string(t) == "(1, x)"
    kv = new("KeyValuePair", "k", 1)
    assert rt.to_string(kv) == "[k, 1]"


def test_linq() -> None:
    src = [5, 1, 4, 1]
    assert list(call(src, "Where", lambda x: x > 1)) == [5, 4]  # type: ignore[call-overload]
    assert call(call(src, "Select", lambda x: x * 2), "ToArray") == [10, 2, 8, 2]
    assert call(call(src, "Select", lambda x, i: i), "ToList") == [0, 1, 2, 3]
    assert call(src, "Any") is True
    assert call(src, "Any", lambda x: x > 10) is False
    assert call(src, "All", lambda x: x > 0) is True
    assert call(src, "First") == 5
    assert call(src, "First", lambda x: x < 5) == 1
    assert call([], "FirstOrDefault") is None
    assert call(src, "Last") == 1
    raises("InvalidOperationException", lambda: call([], "First"), "no elements")
    raises("InvalidOperationException", lambda: call(src, "First", lambda x: x > 9), "no matching")
    raises("InvalidOperationException", lambda: call(src, "Single"))
    assert call(src, "Count") == 4
    assert call(src, "Count", lambda x: x == 1) == 2
    assert call(src, "Contains", 4) is True
    assert call(call(src, "OrderBy", lambda x: x), "ToArray") == [1, 1, 4, 5]
    assert call(call(src, "OrderByDescending", lambda x: x), "ToArray") == [5, 4, 1, 1]
    words = ["bb", "a", "ab", "b"]
    ordered = call(call(words, "OrderBy", lambda w: get(w, "Length")), "ThenBy", lambda w: w)
    assert call(ordered, "ToArray") == ["a", "b", "ab", "bb"]
    assert call(call(src, "Skip", 1), "ToArray") == [1, 4, 1]
    assert call(call(src, "Take", 2), "ToArray") == [5, 1]
    assert call(call(src, "Distinct"), "ToArray") == [5, 1, 4]
    assert call(src, "Sum") == 11
    assert call(src, "Min") == 1
    assert call(src, "Max") == 5
    assert call(src, "Average") == 2.75
    raises("OverflowException", lambda: call([2**31 - 1, 1], "Sum"))
    raises("InvalidOperationException", lambda: call([], "Max"))
    assert call(src, "Aggregate", 0, lambda a, x: a + x) == 11
    assert call(call(src, "Concat", [9]), "ToArray") == [5, 1, 4, 1, 9]
    assert call(src, "SequenceEqual", [5, 1, 4, 1]) is True
    assert call(
        call(["a", "B", "b"], "Distinct", rt.get_static(T("StringComparer"), "OrdinalIgnoreCase")),
        "ToArray",
    ) == ["a", "B"]
    groups = call(call(words, "GroupBy", lambda w: get(w, "Length")), "ToArray")
    assert [get(g, "Key") for g in groups] == [2, 1]  # type: ignore[attr-defined]
    assert call(call(words, "Select", lambda w: w), "Reverse") is not None
    assert call(call("abc", "Reverse"), "ToArray") == ["c", "b", "a"]
    assert call(call([1, "a", 2], "OfType", targs=("int",)), "ToArray") == [1, 2]
    raises("InvalidCastException", lambda: call(call([1, "a"], "Cast", targs=("int",)), "ToArray"))
    d = call(words, "ToDictionary", lambda w: w, lambda w: get(w, "Length"))
    assert idx(d, "bb") == 2


def test_linq_is_lazy() -> None:
    seen: list[object] = []

    def spy(x: object) -> object:
        seen.append(x)
        return x

    q = call(static("Enumerable", "Range", 0, 2**31 - 1), "Select", spy)
    assert call(q, "First") == 0
    assert seen == [0]
    assert rt.to_string(q).startswith("System.Linq.Enumerable+")


def test_linq_on_string_and_static_form() -> None:
    assert call("hello", "Count", lambda c: rt.binary("==", c, Char("l"))) == 2
    assert static("Enumerable", "Where", [1, 2, 3], lambda x: x > 1) is not None
    assert call(static("Enumerable", "Repeat", "x", 3), "ToArray") == ["x", "x", "x"]
    with using(Budget(GENEROUS)):  # the item bound, not the expression budget, stops this one
        raises(
            "OutOfMemoryException", lambda: call(static("Enumerable", "Range", 0, 2**21), "ToArray")
        )
