"""Arguments of a type a .NET member does not take get .NET's error, not one of Python's (nor a
result computed with Python's conversions, such as ``int("1")``); the types the member takes,
numbers where C# converts them implicitly included, keep working. The values come from
``context.Variables`` (typed ``object``), as a policy's would."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import ExpressionSyntaxError, compile_expression
from aiohttp_apim.expressions.context import ExpressionContext

VARIABLES: dict[str, object] = {
    "text": "1",
    "word": "x",
    "real": 1.5,
    "flag": True,
    "n": 3,
    "none": None,
}


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext(variables=dict(VARIABLES)))


def error(source: str, exception_type: str, shown: str = "") -> None:
    """``source`` fails with ``exception_type``, its message showing ``shown``."""
    with pytest.raises(ExpressionError) as info:
        ev(source)
    assert info.value.exception_type == exception_type, (source, str(info.value))
    assert shown in info.value.message, (source, info.value.message)


_REGEX_OPTIONS = "System.Text.RegularExpressions.RegexOptions"


def test_has_flag_takes_a_flag_of_its_own_enum_type() -> None:
    both = f"({_REGEX_OPTIONS}.IgnoreCase | {_REGEX_OPTIONS}.Multiline)"
    assert ev(f"@({both}.HasFlag({_REGEX_OPTIONS}.Multiline))") is True
    assert ev(f"@({_REGEX_OPTIONS}.IgnoreCase.HasFlag({_REGEX_OPTIONS}.Multiline))") is False
    for argument, shown in (
        ('context.Variables["text"]', "System.String"),
        ('context.Variables["n"]', "System.Int32"),
        ("StringComparison.Ordinal", "System.StringComparison"),
    ):
        error(
            f"@({_REGEX_OPTIONS}.IgnoreCase.HasFlag({argument}))",
            "ArgumentException",
            f"The argument type, '{shown}', is not the same as the enum type '{_REGEX_OPTIONS}'.",
        )
    error(
        f'@({_REGEX_OPTIONS}.IgnoreCase.HasFlag(context.Variables["none"]))',
        "ArgumentNullException",
        "(Parameter 'flag')",
    )


def test_an_enum_parameter_takes_its_enum_or_an_integral_number() -> None:
    assert ev("@(Math.Round(2.5, 0, MidpointRounding.AwayFromZero))") == 3.0
    assert ev("@(Math.Round(2.5, 0, (MidpointRounding)1))") == 3.0
    assert ev('@(Math.Round(2.5, 0, context.Variables["n"]))') == 2.0  # ToZero
    assert ev('@(new Uri("http://a.b/c?d").GetLeftPart(UriPartial.Path))') == "http://a.b/c"
    assert ev('@(new Uri("http://a.b/c?d").GetLeftPart(1))') == "http://a.b"
    one_line_breaks = "@(Convert.ToBase64String(new byte[100], {}).Length)"
    assert ev(one_line_breaks.format("Base64FormattingOptions.InsertLineBreaks")) == 138
    assert ev(one_line_breaks.format("Base64FormattingOptions.None")) == 136
    for source, shown in (
        ('@(Math.Round(2.5, 0, context.Variables["text"]))', "'String' to 'MidpointRounding'"),
        ('@(Math.Round(2.5, 0, context.Variables["real"]))', "'Double' to 'MidpointRounding'"),
        ('@(Math.Round(2.5, 0, context.Variables["flag"]))', "'Boolean' to 'MidpointRounding'"),
        ('@(new Uri("http://a.b/").GetLeftPart(context.Variables["text"]))', "to 'UriPartial'"),
        ('@(Convert.ToBase64String(new byte[3], context.Variables["flag"]))', "'Boolean' to"),
    ):
        error(source, "ArgumentException", shown)


def test_specify_kind_takes_a_date_time_and_a_kind() -> None:
    utc = ev('@(DateTime.SpecifyKind(new DateTime(2020, 1, 2), DateTimeKind.Utc).ToString("o"))')
    assert utc == "2020-01-02T00:00:00.0000000Z"
    assert ev("@(DateTime.SpecifyKind(new DateTime(2020, 1, 2), 2).Kind.ToString())") == "Local"
    error(
        '@(DateTime.SpecifyKind(new DateTime(2020, 1, 2), context.Variables["text"]))',
        "ArgumentException",
        "'String' to 'DateTimeKind'",
    )
    error(
        '@(DateTime.SpecifyKind(context.Variables["word"], DateTimeKind.Utc))',
        "InvalidCastException",
        "Unable to cast object of type 'System.String' to type 'System.DateTime'.",
    )
    with pytest.raises(ExpressionSyntaxError, match="no overload for method 'SpecifyKind'"):
        compile_expression("@(DateTime.SpecifyKind(new DateTime(2020, 1, 2)))")


def test_sum_of_chars_widens_them_to_int() -> None:
    # Sum(Func<T, int>) with a lambda returning a char: C# converts the char implicitly
    assert ev('@(new [] { "ab", "c" }.Sum(s => s[0]))') == ord("a") + ord("c")
    assert ev("@(new [] { 'a', 'b' }.Sum(c => c))") == ord("a") + ord("b")
    error("@(new [] { int.MaxValue, 1 }.Sum())", "OverflowException")


def test_group_name_from_number_takes_an_int() -> None:
    regex = 'new System.Text.RegularExpressions.Regex("(a)(?<n>b)")'
    assert ev(f"@({regex}.GroupNameFromNumber(2))") == "n"
    assert ev(f"@({regex}.GroupNameFromNumber((object)(long)1))") == "1"
    assert ev(f"@({regex}.GroupNameFromNumber(9))") == ""
    for argument in ('context.Variables["text"]', 'context.Variables["real"]', "(object)true"):
        error(f"@({regex}.GroupNameFromNumber({argument}))", "ArgumentException", "Argument 'i'")


def test_exact_formats_are_a_string_or_strings() -> None:
    parsed = '@(DateTimeOffset.ParseExact("2020-01-02", {}, null).ToString("yyyy-MM-dd"))'
    assert ev(parsed.format('"yyyy-MM-dd"')) == "2020-01-02"
    assert ev(parsed.format('new [] { "yyyy", "yyyy-MM-dd" }')) == "2020-01-02"
    error(parsed.format('context.Variables["n"]'), "ArgumentException", "'Int32' to 'string[]'")
    # as DateTime.TryParseExact does: the Try form answers false
    tried = (
        '@{{ DateTimeOffset d; return DateTimeOffset.TryParseExact("2020-01-02", {}, null, '
        "System.Globalization.DateTimeStyles.None, out d); }}"
    )
    assert ev(tried.format("(string[])null")) is False
    assert ev(tried.format('new [] { "yyyy-MM-dd" }')) is True


def test_json_convert_to_string_takes_a_value_or_a_container() -> None:
    assert ev("@(Newtonsoft.Json.JsonConvert.ToString(new byte[] { 1, 2 }))") == '"AQI="'
    assert ev('@(Newtonsoft.Json.JsonConvert.ToString(JObject.Parse("{\\"a\\":1}")))') == (
        '{"a":1}'
    )
    error(
        '@(Newtonsoft.Json.JsonConvert.ToString(JObject.Parse("{\\"a\\":1}").Property("a")))',
        "ArgumentException",
        "Unsupported type: Newtonsoft.Json.Linq.JProperty.",
    )


def test_a_sort_comparison_returns_an_int() -> None:
    assert (
        ev(
            "@{ var l = new List<int> { 3, 1, 2 }; l.Sort((x, y) => y - x); "
            'return string.Join(",", l); }'
        )
        == "3,2,1"
    )
    # a double returned would be truncated (0.25 -> 0, "equal"): C# does not compile it
    error(
        "@{ var l = new List<double> { 1.5, 1.25 }; l.Sort((x, y) => x - y); "
        'return string.Join(",", l); }',
        "ArgumentException",
        "'Double' to 'int'",
    )


def test_byte_arrays_sort_in_place() -> None:
    joined = '@{{ var a = new byte[] {{ 5, 3, 1, 2 }}; {} return string.Join(",", a); }}'
    assert ev(joined.format("Array.Sort(a);")) == "1,2,3,5"
    assert ev(joined.format("Array.Sort(a, 1, 2);")) == "5,1,3,2"
    assert ev(joined.format("Array.Sort(a, (x, y) => y - x);")) == "5,3,2,1"
    assert (
        ev(
            '@{ var a = new byte[] { 3, 1, 2 }; var b = new [] { "c", "a", "b" }; Array.Sort(a, b); '
            'return string.Join(",", a) + "|" + string.Join(",", b); }'
        )
        == "1,2,3|a,b,c"
    )
