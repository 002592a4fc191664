"""Newtonsoft.Json.Linq and JsonConvert as expressions see them."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.dotnet.json import JArray, JObject, JValue
from aiohttp_apim.dotnet.primitives import Int64
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, idx, new, out, raises, static

NONE = rt.get_static(T("Formatting"), "None")


def parse(text: str) -> object:
    return static("JObject", "Parse", text)


def test_to_string_is_indented_json() -> None:
    j = parse('{"a":[{"b":1}],"c":"x","d":1.0,"e":null,"f":true,"g":{},"h":[],"i":1.5e300}')
    assert rt.to_string(j) == (
        '{\n  "a": [\n    {\n      "b": 1\n    }\n  ],\n  "c": "x",\n  "d": 1.0,\n  "e": null,\n'
        '  "f": true,\n  "g": {},\n  "h": [],\n  "i": 1.5E+300\n}'
    )
    assert call(j, "ToString", NONE) == (
        '{"a":[{"b":1}],"c":"x","d":1.0,"e":null,"f":true,"g":{},"h":[],"i":1.5E+300}'
    )


def test_nested_access_and_value_to_string() -> None:
    j = parse('{"a":[{"b":"text"},{"b":2}]}')
    assert rt.to_string(idx(idx(idx(j, "a"), 0), "b")) == "text"  # raw, not quoted
    assert rt.to_string(idx(idx(idx(j, "a"), 1), "b")) == "2"
    assert rt.to_string(idx(idx(j, "a"), 0)) == '{\n  "b": "text"\n}'
    assert idx(j, "missing") is None
    raises("NullReferenceException", lambda: idx(idx(j, "missing"), "x"))
    raises("ArgumentOutOfRangeException", lambda: idx(idx(j, "a"), 5))
    raises("ArgumentException", lambda: idx(idx(j, "a"), "x"), "Int32 array index expected")
    raises("ArgumentException", lambda: idx(j, 0), "Object property name expected")
    raises("InvalidOperationException", lambda: idx(idx(idx(idx(j, "a"), 0), "b"), "x"))


def test_explicit_conversions() -> None:
    j = parse('{"s":"abc","n":42,"f":2.5,"t":true,"z":null,"o":{},"ns":"17","big":9999999999}')
    S, INT, B = T("string"), T("int"), T("bool")
    assert rt.cast(S, idx(j, "s")) == "abc"
    assert rt.cast(S, idx(j, "n")) == "42"
    assert rt.cast(S, idx(j, "t")) == "True"
    assert rt.cast(S, idx(j, "z")) is None
    assert rt.cast(S, idx(j, "missing")) is None
    raises(
        "ArgumentException", lambda: rt.cast(S, idx(j, "o")), "Can not convert Object to String."
    )
    assert rt.cast(INT, idx(j, "n")) == 42
    assert rt.cast(INT, idx(j, "ns")) == 17
    assert rt.cast(INT, idx(j, "f")) == 2  # Convert.ToInt32 rounds to even
    raises("OverflowException", lambda: rt.cast(INT, idx(j, "big")))
    raises("ArgumentException", lambda: rt.cast(INT, idx(j, "z")), "Can not convert Null to Int32.")
    assert rt.cast(T("int?"), idx(j, "z")) is None
    assert rt.cast(B, idx(j, "t")) is True
    assert rt.cast(T("double"), idx(j, "f")) == 2.5
    assert type(rt.cast(T("long"), idx(j, "n"))) is Int64
    assert rt.cast(T("JObject"), idx(j, "o")) is idx(j, "o")
    raises("InvalidCastException", lambda: rt.cast(T("JArray"), idx(j, "o")))


def test_value_of_t_and_types() -> None:
    j = parse('{"n":"5","d":"2024-01-02T03:04:05Z","s":"2024-01-02"}')
    assert call(j, "Value", "n", targs=("int",)) == 5
    assert call(j, "Value", "missing", targs=("string",)) is None
    assert call(j, "Value", "missing", targs=("int",)) == 0
    assert rt.to_string(get(idx(j, "n"), "Type")) == "String"
    assert rt.to_string(get(idx(j, "d"), "Type")) == "Date"  # DateParseHandling.DateTime
    assert rt.to_string(idx(j, "d")) == "01/02/2024 03:04:05"
    assert call(j, "ToString", NONE) == '{"n":"5","d":"2024-01-02T03:04:05Z","s":"2024-01-02"}'
    assert rt.to_string(get(idx(j, "s"), "Type")) == "String"


def test_construction_and_mutation() -> None:
    o = new("JObject", new("JProperty", "a", 1), new("JProperty", "b", "x"))
    assert call(o, "ToString", NONE) == '{"a":1,"b":"x"}'
    rt.set_index(o, ["c"], True)
    call(o, "Add", "d", new("JArray", 1, "two", None))
    assert call(o, "ToString", NONE) == '{"a":1,"b":"x","c":true,"d":[1,"two",null]}'
    raises("ArgumentException", lambda: call(o, "Add", "a", 2), "same name")
    assert call(o, "ContainsKey", "a") is True
    assert call(o, "Remove", "a") is True
    assert get(o, "Count") == 3
    ref = out()
    assert call(o, "TryGetValue", "b", ref) is True
    assert rt.to_string(ref.value) == "x"
    assert [get(p, "Name") for p in rt.iterate(call(o, "Properties"))] == ["b", "c", "d"]
    assert [get(kv, "Key") for kv in rt.iterate(o)] == ["b", "c", "d"]
    arr = idx(o, "d")
    call(arr, "Add", 4)
    assert get(arr, "Count") == 4
    assert rt.to_string(get(idx(arr, 0), "Path")) == "d[0]"
    other = new("JObject")
    rt.set_index(other, ["copy"], arr)  # a parented token is cloned, as Newtonsoft does
    assert get(idx(other, "copy"), "Parent") is not get(arr, "Parent")


def test_parse_errors_and_leniency() -> None:
    raises("JsonReaderException", lambda: parse("[1,2]"), "not an object")
    raises("JsonReaderException", lambda: parse("{"))
    raises("JsonReaderException", lambda: parse('{"a":1} x'), "Additional text")
    raises("JsonReaderException", lambda: parse(""))
    raises("JsonReaderException", lambda: parse("[" * 100 + "]" * 100))  # MaxDepth 64
    raises("ArgumentNullException", lambda: parse(None))  # type: ignore[arg-type]
    j = parse("{ // comment\n 'a': 1, b: 'x', /* c */ }")
    assert call(j, "ToString", NONE) == '{"a":1,"b":"x"}'
    assert rt.to_string(static("JToken", "Parse", "[1, 2]")) == "[\n  1,\n  2\n]"
    assert static("JArray", "Parse", "[]") is not None


def test_select_token_and_from_object() -> None:
    j = parse('{"a":{"b":[{"c":7}]},"x y":1}')
    assert rt.to_string(call(j, "SelectToken", "a.b[0].c")) == "7"
    assert rt.to_string(call(j, "SelectToken", "$['x y']")) == "1"
    assert call(j, "SelectToken", "a.nope") is None
    raises("JsonException", lambda: call(j, "SelectToken", "a.nope", True))
    d = new("Dictionary<string,object>")
    rt.set_index(d, ["k"], [1, "v"])
    assert call(static("JObject", "FromObject", d), "ToString", NONE) == '{"k":[1,"v"]}'
    raises("ArgumentException", lambda: static("JObject", "FromObject", [1]))


def test_json_convert() -> None:
    assert static("JsonConvert", "SerializeObject", 'a"b') == '"a\\"b"'
    assert static("JsonConvert", "SerializeObject", None) == "null"
    assert static("JsonConvert", "SerializeObject", [1, 2.0, True]) == "[1,2.0,true]"
    assert static("JsonConvert", "SerializeObject", Decimal("1")) == "1.0"
    d = new("Dictionary<string,string>")
    rt.set_index(d, ["a"], "b")
    assert static("JsonConvert", "SerializeObject", d) == '{"a":"b"}'
    assert isinstance(static("JsonConvert", "DeserializeObject", '{"a":1}'), JObject)
    assert static("JsonConvert", "DeserializeObject", "5") == 5
    assert static("JsonConvert", "DeserializeObject", '"s"') == "s"
    assert isinstance(static("JsonConvert", "DeserializeObject", "[1]", targs=("JArray",)), JArray)
    raises(
        "InvalidCastException",
        lambda: static("JsonConvert", "DeserializeObject", "[1]", targs=("JObject",)),
    )
    dd = static(
        "JsonConvert",
        "DeserializeObject",
        '{"a":"1","b":"2"}',
        targs=("Dictionary", "string", "string"),
    )
    assert dd == {"a": "1", "b": "2"}


def test_jvalue_equality() -> None:
    j = parse('{"a":"x","n":1}')
    assert rt.binary("==", idx(j, "a"), "x") is True
    assert rt.binary("==", idx(j, "n"), 1) is True
    assert rt.binary("==", idx(j, "a"), parse('{"a":"x"}').props["a"].value) is True  # type: ignore[attr-defined]
    assert isinstance(idx(j, "a"), JValue)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_parse_serialize_round_trip(value: object) -> None:
    import json as pyjson

    text = pyjson.dumps(value)
    tok = static("JToken", "Parse", text)
    compact = call(tok, "ToString", NONE)
    again = static("JToken", "Parse", compact)
    assert call(again, "ToString", NONE) == compact
    assert static("JToken", "DeepEquals", tok, again) is True


EDGE_SCALARS = (
    st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec="utf-8"))
    | st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.1234567+02:00", '[{"}]'])
)
"""Values the round trip above leaves out: big integers, infinities, any text, dates."""


@given(json_values | EDGE_SCALARS | st.lists(json_values | EDGE_SCALARS, max_size=4))
def test_the_c_parser_path_reads_json_as_the_lenient_reader_does(value: object) -> None:
    import json

    from aiohttp_apim.dotnet import json_text

    text = json.dumps(value)
    lenient = json_text._Parser(text).value(0)
    fast = json_text.parse(text)
    assert json_text.to_json(fast, False) == json_text.to_json(lenient, False)
    assert call(fast, "ToString") == call(lenient, "ToString")


def test_nesting_beyond_max_depth_is_refused_on_every_path() -> None:
    deep = "[" * 65 + "1" + "]" * 65
    raises("JsonReaderException", lambda: static("JToken", "Parse", deep))
    sibling_then_deep = "[[1]," + "[" * 64 + "1" + "]" * 64 + "]"
    raises("JsonReaderException", lambda: static("JToken", "Parse", sibling_then_deep))
    brackets_in_strings = '["' + "[" * 100 + '", "\\\\", "\\"{{{"]'
    assert call(static("JToken", "Parse", brackets_in_strings), "ToString", NONE) == (
        '["' + "[" * 100 + '","\\\\","\\"{{{"]'
    )
    assert get(static("JToken", "Parse", "[" * 64 + "1" + "]" * 64), "Type") is not None
