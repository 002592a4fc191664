"""System.Random, .NET exceptions as values, ExpressionSyntaxExtensions, qualified type names,
IMessageBody.AsFormUrlEncodedContent and settable HMAC keys (gaps found in APIM's snippets)."""

from __future__ import annotations

import base64
import json

import pytest

from aiohttp_apim.dotnet.randomness import NetRandom
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression, runtime
from aiohttp_apim.expressions.context import ExpressionContext, Request


def ev(source: str, ctx: ExpressionContext | None = None) -> object:
    return compile_expression(source)(ctx or ExpressionContext())


def fails(source: str, ctx: ExpressionContext | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        ev(source, ctx)
    return info.value


# ------------------------------------------------------------------------------ System.Random


def test_seeded_random_reproduces_dotnet_sequences() -> None:
    # new Random(seed).Next() on .NET (the legacy subtractive generator .NET 6+ keeps for seeds)
    assert ev("@(new Random(0).Next())") == 1559595546
    assert ev("@(new Random(1).Next())") == 534011718
    assert ev("@(new Random(42).Next())") == 1434747710
    assert ev("@(new System.Random(int.MinValue).Next())") == NetRandom(2**31 - 1).internal_sample()
    # one generator, successive draws; Next(max) and Next(min, max) scale Sample()
    assert (
        ev(
            '@{ var r = new Random(42); return string.Join(",", new[] { r.Next(100), '
            "r.Next(100), r.Next(100) }); }"
        )
        == "66,14,12"
    )
    r = NetRandom(7)
    expected = [int(r.sample() * 10) + 5 for _ in range(3)]
    assert (
        ev(
            "@{ var r = new Random(7); return new[] { r.Next(5, 15), r.Next(5, 15), "
            "r.Next(5, 15) }; }"
        )
        == expected
    )


def test_random_ranges_and_errors() -> None:
    assert ev("@(new Random(3).Next(4, 4))") == 4
    assert ev("@(new Random(3).Next(0))") == 0
    assert 0 <= ev("@(new Random().Next(1, 3))") < 3  # type: ignore[operator]
    value = ev("@(new Random(9).NextDouble())")
    assert isinstance(value, float)
    assert 0.0 <= value < 1.0
    big = ev("@(new Random(5).Next(int.MinValue, int.MaxValue))")
    assert isinstance(big, int)
    assert -(2**31) <= big < 2**31 - 1
    assert fails("@(new Random(1).Next(5, 4))").exception_type == "ArgumentOutOfRangeException"
    assert fails("@(new Random(1).Next(-1))").exception_type == "ArgumentOutOfRangeException"
    assert fails('@(new Random("x"))').exception_type == "ArgumentException"
    # the corpus's load balancer: a seed from the request id
    ctx = ExpressionContext(request_id="4b6f3e64-8c8a-4e53-9a51-3c8e5f0e6d2a")
    assert ev("@(new Random(context.RequestId.GetHashCode()).Next(1, 3))", ctx) in (1, 2)


# ------------------------------------------------------------------------ exceptions as values


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (
            '@{ try { return int.Parse("x"); } catch (Exception e) { return e.Message; } }',
            "Input string was not in a correct format.",
        ),
        (
            '@{ try { return context.Variables["k"]; } catch (KeyNotFoundException e) '
            "{ return e.Message; } }",
            "The given key 'k' was not present in the dictionary.",
        ),
        (
            '@{ try { int.Parse("x"); return ""; } catch (Exception e) '
            '{ return $"{e is FormatException}/{e is ArgumentException}/'
            '{e.InnerException == null}"; } }',
            "True/False/True",
        ),
        (
            '@{ try { throw new ArgumentNullException("p"); } catch (ArgumentException e) '
            '{ return e.Message + "|" + e.ParamName; } }',
            "Value cannot be null. (Parameter 'p')|p",
        ),
        (
            '@{ try { throw new ArgumentException("bad", "p"); } catch (Exception e) '
            "{ return e.Message; } }",
            "bad (Parameter 'p')",
        ),
        ('@(new ArgumentOutOfRangeException("p", "too big").Message)', "too big (Parameter 'p')"),
        (
            '@{ try { throw new Exception("outer", new FormatException("inner")); } '
            "catch (Exception e) "
            "{ return e.InnerException.Message + e.GetBaseException().Message; } }",
            "innerinner",
        ),
        (
            "@(new InvalidOperationException().Message)",
            "Operation is not valid due to the current state of the object.",
        ),
        ("@(new Exception().Message)", "Exception of type 'System.Exception' was thrown."),
        ('@(new NullReferenceException("n").ToString())', "System.NullReferenceException: n"),
        (
            '@(new System.Collections.Generic.KeyNotFoundException("k").ToString())',
            "System.Collections.Generic.KeyNotFoundException: k",
        ),
        ("@((object)new IndexOutOfRangeException() is SystemException)", True),
        ("@(new OverflowException() is ArithmeticException)", True),
        ("@(new InvalidCastException() is ArgumentException)", False),
    ],
)
def test_exception_objects(source: str, value: object) -> None:
    assert ev(source) == value


def test_thrown_exception_objects_keep_their_type_and_identity() -> None:
    assert (
        ev(
            '@{ try { try { throw new KeyNotFoundException("k"); } catch (Exception e) '
            "{ throw e; } } catch (KeyNotFoundException e2) { return e2.Message; } }"
        )
        == "k"
    )
    assert (
        ev(
            '@{ var original = new FormatException("f", new Exception("i")); '
            "try { throw original; } catch (Exception e) "
            '{ return e == original && e.InnerException.Message == "i"; } }'
        )
        is True
    )
    error = fails('@{ var e = new NotSupportedException("nope"); throw e; }')
    assert (error.exception_type, error.message) == ("NotSupportedException", "nope")
    # Newtonsoft's JsonException is not a SystemException
    assert (
        ev(
            '@{ try { JObject.Parse("{"); return 0; } catch (SystemException) { return 1; } '
            "catch (Exception) { return 2; } }"
        )
        == 2
    )
    assert (
        ev(
            '@{ try { JObject.Parse("{"); return 0; } catch (JsonException e) '
            "{ return e is JsonReaderException ? 3 : 4; } }"
        )
        == 3
    )


def test_exception_members_and_errors() -> None:
    assert fails('@(new Exception("x").ParamName)').exception_type == "MissingMemberException"
    assert fails("@(new Exception(5))").exception_type == "ArgumentException"
    assert fails('@(new Exception("x", "y"))').exception_type == "ArgumentException"
    assert ev('@(new Exception("x").StackTrace)') is None
    # reflection stays out of the sandbox
    assert fails('@(new Exception("x").GetType())').exception_type == "NotSupportedException"


# ------------------------------------------------------------- ExpressionSyntaxExtensions (JWT)


def _jwt(payload: dict[str, object]) -> str:
    def part(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(payload)}.sig"


def test_static_form_of_the_jwt_and_basic_extensions() -> None:
    ctx = ExpressionContext(variables={"t": _jwt({"tid": "tenant", "sub": "alice"})})
    assert (
        ev(
            '@{ Jwt jwt; ExpressionSyntaxExtensions.TryParseJwt((string)context.Variables["t"], '
            'out jwt); return jwt.Claims.GetValueOrDefault("tid", ""); }',
            ctx,
        )
        == "tenant"
    )
    assert (
        ev('@(ExpressionSyntaxExtensions.AsJwt((string)context.Variables["t"]).Subject)', ctx)
        == "alice"
    )
    assert (
        ev(
            '@{ Jwt jwt; var ok = ExpressionSyntaxExtensions.TryParseJwt("nope", out jwt); '
            'return ok + "/" + (jwt == null); }'
        )
        == "False/True"
    )
    assert ev('@(ExpressionSyntaxExtensions.AsBasic("Basic dTpw").Password)') == "p"
    assert (
        ev(
            "@(Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions"
            '.ExpressionSyntaxExtensions.AsBasic("dTpw").UserId)'
        )
        == "u"
    )
    assert fails("@(ExpressionSyntaxExtensions.AsJwt((object)5))").exception_type == (
        "ArgumentException"
    )


def test_jwt_extensions_accept_a_null_receiver() -> None:
    # extension methods receive null instead of throwing NullReferenceException
    assert ev("@(ExpressionSyntaxExtensions.AsJwt(null) == null)") is True
    assert ev("@(((string)null).AsJwt() == null)") is True
    assert ev("@(((string)null).AsBasic())") is None
    assert ev("@{ Jwt j; return ((string)null).TryParseJwt(out j); }") is False
    assert fails("@(((string)null).Trim())").exception_type == "NullReferenceException"


# ------------------------------------------------------------------------ qualified type names


@pytest.mark.parametrize(
    ("name", "full_name"),
    [
        ("Newtonsoft.Json.JsonConvert", "Newtonsoft.Json.JsonConvert"),
        ("Newtonsoft.Json.Linq.JObject", "Newtonsoft.Json.Linq.JObject"),
        ("System.Random", "System.Random"),
        ("System.Exception", "System.Exception"),
        ("System.Collections.Generic.List<string>", "System.Collections.Generic.List`1"),
        ("System.Collections.Generic.IEnumerable<string>", "System.Collections.IEnumerable"),
        ("System.Xml.Linq.XDocument", "System.Xml.Linq.XDocument"),
    ],
)
def test_qualified_type_names_resolve(name: str, full_name: str) -> None:
    t = runtime.resolve_type(name)
    assert t is not None
    assert t.full_name == full_name


@pytest.mark.parametrize(
    "name", ["System.Foo.Regex", "Newtonsoft.Json.Regex", "System.JObject", "Foo.Random"]
)
def test_types_under_a_wrong_namespace_do_not_resolve(name: str) -> None:
    assert runtime.resolve_type(name) is None


def test_qualified_newtonsoft_names_in_expressions() -> None:
    assert ev("@(Newtonsoft.Json.JsonConvert.SerializeObject(new[] { 1, 2 }))") == "[1,2]"
    assert ev('@(Newtonsoft.Json.Linq.JObject.Parse("{\\"a\\":1}")["a"].ToString())') == "1"
    assert (
        ev(
            '@(new Newtonsoft.Json.Linq.JObject(new Newtonsoft.Json.Linq.JProperty("a", 1))'
            ".ToString(Newtonsoft.Json.Formatting.None))"
        )
        == '{"a":1}'
    )
    assert ev("@((Newtonsoft.Json.Linq.JObject)null)") is None


# ------------------------------------------------------------------------------ snippets' misc


def test_form_url_encoded_body() -> None:
    ctx = ExpressionContext(request=Request(body="code=abc&state=x%20y&state=z&empty="))
    assert (
        ev(
            '@(context.Request.Body.AsFormUrlEncodedContent(preserveContent: true)["code"]'
            ".Single())",
            ctx,
        )
        == "abc"
    )
    assert (
        ev('@(string.Join(",", context.Request.Body.AsFormUrlEncodedContent()["state"]))', ctx)
        == "x y,z"
    )
    assert ev("@(context.Request.Body.AsFormUrlEncodedContent())", ctx) is None  # consumed
    ctx = ExpressionContext(request=Request(body="a=1"))
    assert (
        fails('@(context.Request.Body.AsFormUrlEncodedContent()["A"])', ctx).exception_type
        == "KeyNotFoundException"
    )


def test_hmac_key_can_be_set_by_an_initializer() -> None:
    assert (
        ev(
            '@(Convert.ToBase64String(new HMACSHA256 { Key = Encoding.UTF8.GetBytes("k") }'
            '.ComputeHash(Encoding.UTF8.GetBytes("d"))) == Convert.ToBase64String('
            'new HMACSHA256(Encoding.UTF8.GetBytes("k"))'
            '.ComputeHash(Encoding.UTF8.GetBytes("d"))))'
        )
        is True
    )
    assert (
        fails("@(new SHA256Managed { Key = new byte[1] })").exception_type
        == "MissingMemberException"
    )
