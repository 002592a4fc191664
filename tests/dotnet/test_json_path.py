"""SelectTokens and JSONPath as Newtonsoft evaluates them (the examples of
https://www.newtonsoft.com/json/help/html/QueryJsonSelectTokenJsonPath.htm and Goessner's store)."""

from __future__ import annotations

import json

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext

STORE = {
    "Stores": ["Lambton Quay", "Willis Street"],
    "Manufacturers": [
        {
            "Name": "Acme Co",
            "Products": [{"Name": "Anvil", "Price": 50}],
        },
        {
            "Name": "Contoso",
            "Products": [
                {"Name": "Elbow Grease", "Price": 99.95},
                {"Name": "Headlight Fluid", "Price": 4},
            ],
        },
    ],
}


def ev(body: str) -> object:
    text = json.dumps(STORE).replace("\\", "\\\\").replace('"', '\\"')
    return compile_expression(f'@{{ var o = JObject.Parse("{text}"); {body} }}')(
        ExpressionContext()
    )


def names(path: str) -> object:
    escaped = path.replace('"', '\\"')
    return ev(f'return string.Join(",", o.SelectTokens("{escaped}").Select(t => (string)t));')


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # the Newtonsoft documentation's examples
        ("$.Manufacturers[?(@.Name == 'Acme Co')].Name", "Acme Co"),
        ("$..Products[?(@.Price >= 50)].Name", "Anvil,Elbow Grease"),
        ("$.Manufacturers[*].Products[*].Name", "Anvil,Elbow Grease,Headlight Fluid"),
        ("$..Name", "Acme Co,Anvil,Contoso,Elbow Grease,Headlight Fluid"),
        ("Stores[1]", "Willis Street"),
        ("$.Stores[*]", "Lambton Quay,Willis Street"),
        ("$.Stores[-1:]", "Willis Street"),
        ("$.Stores[0:1]", "Lambton Quay"),
        ("$.Stores[::-1]", "Willis Street,Lambton Quay"),
        ("$.Stores[0,1]", "Lambton Quay,Willis Street"),
        ("$['Stores'][0]", "Lambton Quay"),
        ("$.Manufacturers[0]['Name','Products'][0].Name", "Anvil"),
        ("$..Products[?(@.Price < 10 || @.Name == 'Anvil')].Name", "Anvil,Headlight Fluid"),
        ("$..Products[?(@.Price > 1 && @.Price < 60)].Name", "Anvil,Headlight Fluid"),
        ("$..Products[?(@.Price == 4.0)].Name", "Headlight Fluid"),
        ("$..Products[?(@.Name =~ /^E.*e$/)].Name", "Elbow Grease"),
        ("$.Manufacturers[?(@.Products[1])].Name", "Contoso"),
        ("$..Products[?(@.Name != 'Anvil')].Name", "Elbow Grease,Headlight Fluid"),
        ("$..Products[?(@.Price == '4')].Name", ""),
        ("$.Nothing", ""),
    ],
)
def test_select_tokens(path: str, expected: str) -> None:
    assert names(path) == expected


def test_select_token_and_errors() -> None:
    assert ev('return (string)o.SelectToken("Manufacturers[0].Name");') == "Acme Co"
    assert ev('return o.SelectToken("$.Manufacturers[5]") == null;') is True
    assert ev("return (decimal)o.SelectToken(\"$..Products[?(@.Name == 'Anvil')].Price\");") == 50
    for body, message in (
        ('o.SelectToken("$..Name");', "Path returned multiple tokens."),
        ('o.SelectToken("Nope", true);', "Property 'Nope' does not exist on JObject."),
        ('o.SelectToken("Stores[5]", true);', "Index 5 outside the bounds of JArray."),
    ):
        with pytest.raises(ExpressionError) as info:
            ev(body + " return 0;")
        assert (info.value.exception_type, info.value.message) == ("JsonException", message)
    assert ev('return o.SelectTokens("$..Price").Count();') == 3
    # every value under the root: 2 arrays, 2 stores, 2 makers (2 names, 2 arrays), 3 products
    assert ev('return o.SelectTokens("$..*").Count();') == 19


# ---------------------------------------------------------------- Merge, Replace, casts

ORIGINAL = '{ "a": 1, "tags": ["x"], "inner": { "k": "v" }, "keep": "yes" }'
CONTENT = '{ "a": 2, "tags": ["x", "y"], "inner": { "n": null }, "keep": null, "new": true }'


def merged(settings: str = "") -> object:
    def q(text: str) -> str:
        return text.replace('"', '\\"')

    return compile_expression(
        f'@{{ var o = JObject.Parse("{q(ORIGINAL)}"); {settings} '
        f'o.Merge(JObject.Parse("{q(CONTENT)}"){", s" if settings else ""}); '
        "return o.ToString(Formatting.None); }"
    )(ExpressionContext())


def test_merge_as_newtonsoft_documents() -> None:
    # default: arrays concatenated, nulls ignored, new properties added
    assert merged() == (
        '{"a":2,"tags":["x","x","y"],"inner":{"k":"v","n":null},"keep":"yes","new":true}'
    )
    assert merged(
        "var s = new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Union };"
    ) == ('{"a":2,"tags":["x","y"],"inner":{"k":"v","n":null},"keep":"yes","new":true}')
    assert merged(
        "var s = new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace, "
        "MergeNullValueHandling = MergeNullValueHandling.Merge };"
    ) == ('{"a":2,"tags":["x","y"],"inner":{"k":"v","n":null},"keep":null,"new":true}')
    assert (
        compile_expression(
            '@{ var a = JArray.Parse("[1, {\\"p\\": 1}]"); '
            'a.Merge(JArray.Parse("[3, {\\"q\\": 2}, 5]"), new JsonMergeSettings '
            "{ MergeArrayHandling = MergeArrayHandling.Merge }); "
            "return a.ToString(Formatting.None); }"
        )(ExpressionContext())
        == '[3,{"p":1,"q":2},5]'
    )


def test_replace_and_nullable_casts() -> None:
    def run(body: str) -> object:
        return compile_expression(
            '@{ var o = JObject.Parse("{\\"a\\": [1, 2], \\"b\\": null}"); ' + body + " }"
        )(ExpressionContext())

    assert run('o["a"][0].Replace(9); return o.ToString(Formatting.None);') == (
        '{"a":[9,2],"b":null}'
    )
    assert run('o["a"].Replace(new JValue("s")); return o.ToString(Formatting.None);') == (
        '{"a":"s","b":null}'
    )
    assert run(
        'o.Property("b").Replace(new JProperty("c", 3)); return o.ToString(Formatting.None);'
    ) == ('{"a":[1,2],"c":3}')
    assert run('return (int?)o["b"];') is None
    assert run('return (int?)o["missing"];') is None
    assert run('return ((int?)o["a"][1]).Value;') == 2
    with pytest.raises(ExpressionError) as info:
        run('return (int)o["b"];')
    assert info.value.exception_type == "ArgumentException"
    with pytest.raises(ExpressionError) as info:
        run("o.Replace(new JObject()); return 0;")
    assert info.value.exception_type == "InvalidOperationException"
