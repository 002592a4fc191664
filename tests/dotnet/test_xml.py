"""System.Xml.Linq: parsing (hardened), navigation, names and namespaces, casts, construction,
ToString, and Body.As<XDocument>() / As<XElement>()."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from aiohttp_apim.dotnet import xml
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext, Request, Response

SOAP = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <SessionResponse xmlns="http://tempuri.org/">
      <SessionResult>tok-123</SessionResult>
    </SessionResponse>
  </soap:Body>
</soap:Envelope>"""

DOC = (
    '<r><conditionValue>true</conditionValue><value1 id="7" flag="1">M1</value1>'
    "<value3>M3</value3><n><value1>deep</value1></n></r>"
)


def ev(source: str, ctx: ExpressionContext | None = None, **variables: object) -> object:
    return compile_expression(source)(ctx or ExpressionContext(variables=variables))


def fails(source: str, **variables: object) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        ev(source, None, **variables)
    return info.value


def test_the_chained_soap_snippet() -> None:
    ctx = ExpressionContext(variables={"soap": Response(body=SOAP)})
    source = """@{
        XNamespace soapNS = "http://schemas.xmlsoap.org/soap/envelope/";
        XNamespace responseNS = "http://tempuri.org/";
        var body = ((IResponse)context.Variables["soap"]).Body;
        var element = body.As<XDocument>(preserveContent: true)
            .Elements(soapNS + "Envelope").Elements(soapNS + "Body")
            .Elements(responseNS + "SessionResponse").Elements(responseNS + "SessionResult")
            .FirstOrDefault();
        return element.Value;
    }"""
    assert ev(source, ctx) == "tok-123"
    assert ev(source, ctx) == "tok-123"  # preserveContent: the body can be read again


def test_the_extracting_multiple_values_snippet() -> None:
    source = """@{
        var doc = XDocument.Parse((string)context.Variables["x"]);
        var obj = new JObject();
        obj["conditionValue"] = doc.Descendants()
            .Where(r => r.Name.LocalName == "conditionValue").First().Value;
        obj["value1"] = doc.Descendants().Where(r => r.Name.LocalName == "value1").First().Value;
        obj["value3"] = doc.Descendants().Where(r => r.Name.LocalName == "value3").First().Value;
        return obj.ToString(Newtonsoft.Json.Formatting.None);
    }"""
    assert ev(source, x=DOC) == '{"conditionValue":"true","value1":"M1","value3":"M3"}'


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("@(XDocument.Parse(x).Root.Name.LocalName)", "r"),
        ('@(XDocument.Parse(x).Root.Element("value1").Value)', "M1"),
        ('@(XDocument.Parse(x).Root.Element("missing") == null)', True),
        ("@(XDocument.Parse(x).Root.Elements().Count())", 4),
        ('@(XDocument.Parse(x).Root.Elements("value1").Count())', 1),
        ('@(XDocument.Parse(x).Descendants("value1").Count())', 2),
        ("@(XDocument.Parse(x).Root.Descendants().Count())", 5),
        ("@(XDocument.Parse(x).Root.DescendantsAndSelf().Count())", 6),
        ("@(XDocument.Parse(x).Root.Value)", "trueM1M3deep"),
        ('@(XDocument.Parse(x).Root.Element("value1").Attribute("id").Value)', "7"),
        ('@(XDocument.Parse(x).Root.Element("value1").Attribute("nope") == null)', True),
        ('@(XDocument.Parse(x).Root.Element("value1").Attributes().Count())', 2),
        ('@(XDocument.Parse(x).Root.Element("value1").Attribute("id").ToString())', 'id="7"'),
        ('@((int)XDocument.Parse(x).Root.Element("value1").Attribute("id") + 1)', 8),
        ('@((bool)XDocument.Parse(x).Root.Element("conditionValue"))', True),
        ('@((bool)XDocument.Parse(x).Root.Element("value1").Attribute("flag"))', True),
        ('@((string)XDocument.Parse(x).Root.Element("value3"))', "M3"),
        ('@((string)XDocument.Parse(x).Root.Element("nope"))', None),
        ('@((int?)XDocument.Parse(x).Root.Element("nope"))', None),
        ('@(XDocument.Parse(x).Root.Element("n").Element("value1").Parent.Name.ToString())', "n"),
        ("@(XDocument.Parse(x).Root.Parent == null)", True),
        ("@(XDocument.Parse(x).Root.HasElements)", True),
        ('@(XDocument.Parse(x).Root.Element("value3").HasAttributes)', False),
        ('@(XDocument.Parse(x).Root.Element("n").Element("value1").Ancestors().Count())', 2),
        ('@(XDocument.Parse(x).Root.Elements().Elements("value1").Single().Value)', "deep"),
        ('@(XDocument.Parse(x).Root.Element("value1").Name == "value1")', True),
        (
            '@(XDocument.Parse(x).Root.Element("value1") == '
            'XDocument.Parse(x).Root.Element("value1"))',
            False,
        ),
        (
            '@{ var d = XDocument.Parse(x); return d.Root.Element("value1") == '
            "d.Root.Elements().Skip(1).First(); }",
            True,
        ),
    ],
)
def test_navigation(source: str, value: object) -> None:
    assert ev(source.replace("(x)", '((string)context.Variables["x"])'), x=DOC) == value


def test_names_and_namespaces() -> None:
    doc = '<a xmlns="urn:d" xmlns:p="urn:p"><p:b p:k="v" k="w">1</p:b><c/></a>'
    prefix = '@{ var d = XDocument.Parse((string)context.Variables["x"]); XNamespace p = "urn:p"; '
    assert ev(prefix + 'XNamespace dflt = "urn:d"; return d.Root.Name == dflt + "a"; }', x=doc)
    assert ev(prefix + "return d.Root.Name.ToString(); }", x=doc) == "{urn:d}a"
    assert ev(prefix + "return d.Root.Name.NamespaceName; }", x=doc) == "urn:d"
    assert ev(prefix + 'return d.Root.Element(p + "b").Value; }', x=doc) == "1"
    assert ev(prefix + 'return d.Root.Element("b") == null; }', x=doc) is True
    assert (
        ev(
            prefix + 'return d.Root.Element("{urn:p}b").Attribute(p + "k").Value + '
            'd.Root.Element(p + "b").Attribute("k").Value; }',
            x=doc,
        )
        == "vw"
    )
    assert (
        ev(prefix + 'return d.Root.Element(p + "b").Attribute(p + "k").ToString(); }', x=doc)
        == 'p:k="v"'
    )
    assert ev(prefix + "return d.Root.GetDefaultNamespace().NamespaceName; }", x=doc) == "urn:d"
    assert ev(prefix + 'return d.Root.GetNamespaceOfPrefix("p") == p; }', x=doc) is True
    assert (
        ev(prefix + "return d.Root.Attributes().Count(a => a.IsNamespaceDeclaration); }", x=doc)
        == 2
    )
    # XNamespace + string is an XName, whichever way the compiler builds the sum
    assert ev('@{ XNamespace ns = "urn:x"; return (ns + "a").ToString(); }') == "{urn:x}a"
    assert (
        ev(
            '@{ XNamespace ns = "urn:x"; var local = "a"; XName n = ns + local; '
            'return n.LocalName + "|" + n.NamespaceName; }'
        )
        == "a|urn:x"
    )
    assert ev('@{ XNamespace ns = "urn:x"; return ns.GetName("a") == ns + "a"; }') is True
    assert (
        ev('@(XName.Get("a", "urn:x").ToString() + XNamespace.Get("urn:y").NamespaceName)')
        == "{urn:x}aurn:y"
    )
    assert ev('@(XNamespace.None + "a" == "a")') is True
    # a string concatenated with a namespace stays a string
    assert ev('@{ XNamespace ns = "urn:x"; return "" + ns + "a"; }') == "urn:xa"
    assert ev('@{ XNamespace ns = "urn:x"; return $"{ns}a"; }') == "urn:xa"
    assert ev('@{ XNamespace ns = "urn:x"; return ns.ToString(); }') == "urn:x"


def test_to_string_like_dotnet() -> None:
    assert (
        ev('@(XDocument.Parse("<a><b x=\\"1\\"/><c>t</c></a>").ToString())')
        == '<a>\n  <b x="1" />\n  <c>t</c>\n</a>'
    )
    assert ev('@(XElement.Parse("<a>  <b>t</b>  </a>").Element("b").ToString())') == "<b>t</b>"
    assert ev("@(XElement.Parse(\"<a xml:space='preserve'> <b/> </a>\").Value)") == "  "
    assert ev('@(XElement.Parse("<a>x <b>y</b> z</a>").Value)') == "x y z"
    assert ev('@(XElement.Parse("<a><![CDATA[<c>]]><!--note--></a>").Value)') == "<c>"
    assert (
        ev('@(XElement.Parse("<a xmlns=\\"urn:q\\"><b/></a>").Element("{urn:q}b").ToString())')
        == '<b xmlns="urn:q" />'
    )


def test_construction() -> None:
    assert (
        ev(
            '@(new XElement("root", new XAttribute("id", 5), new XElement("child", "text"), '
            'new[] { new XElement("i", 1), new XElement("i", true) }, null).ToString())'
        )
        == '<root id="5">\n  <child>text</child>\n  <i>1</i>\n  <i>true</i>\n</root>'
    )
    assert (
        ev('@{ XNamespace ns = "urn:x"; return new XElement(ns + "a", "t").ToString(); }')
        == '<a xmlns="urn:x">t</a>'
    )
    assert ev('@(new XDocument(new XElement("a")).Root.Name.LocalName)') == "a"
    assert ev('@(new XElement("a", "x", 1, "y").Value)') == "x1y"
    assert (
        ev(
            '@{ var c = new XElement("c"); var a = new XElement("a", c); '
            'var b = new XElement("b", c); return a.ToString() + b.ToString(); }'
        )
        == "<a>\n  <c />\n</a><b>\n  <c />\n</b>"
    )
    assert (
        fails('@(new XElement("a", new XAttribute("k", 1), new XAttribute("k", 2)))').exception_type
        == "InvalidOperationException"
    )
    assert fails('@(new XElement("bad name"))').exception_type == "XmlException"
    assert fails("@(new XElement(null))").exception_type == "ArgumentNullException"
    assert fails('@(new XAttribute("k", null))').exception_type == "ArgumentNullException"


def test_body_as_xml() -> None:
    ctx = ExpressionContext(request=Request(body="<a><b>1</b><b>2</b></a>"))
    assert (
        ev(
            '@(context.Request.Body.As<XElement>(preserveContent: true).Elements("b")'
            ".Sum(b => (int)b))",
            ctx,
        )
        == 3
    )
    assert ev("@(context.Request.Body.As<XDocument>(true).Root.Name.LocalName)", ctx) == "a"
    assert (
        ev("@(context.Request.Body.As<XNode>().ToString())", ctx)
        == "<a>\n  <b>1</b>\n  <b>2</b>\n</a>"
    )
    assert ev("@(context.Request.Body.As<XDocument>())", ctx) is None  # consumed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "DTD is prohibited"),
        ('<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>', "DTD is prohibited"),
        ("<a>&unknown;</a>", "unknown"),
        ("<a>", ""),
        ("", "Root element is missing."),
        ("<a/><b/>", ""),
    ],
)
def test_hardened_parsing(text: str, message: str) -> None:
    error = fails('@(XDocument.Parse((string)context.Variables["x"]))', x=text)
    assert error.exception_type == "XmlException"
    assert message in error.message
    assert fails("@(XDocument.Parse(null))").exception_type == "ArgumentNullException"


def test_casts_of_xml_values() -> None:
    assert ev('@((double)XElement.Parse("<a> 1.5 </a>"))') == 1.5
    assert ev('@(((decimal)XElement.Parse("<a>2.50</a>")).ToString())') == "2.50"
    assert ev('@((long)XElement.Parse("<a>-9</a>"))') == -9
    assert fails('@((int)XElement.Parse("<a>x</a>"))').exception_type == "FormatException"
    assert fails('@((bool)XElement.Parse("<a>yes</a>"))').exception_type == "FormatException"
    assert fails('@((Uri)XElement.Parse("<a>x</a>"))').exception_type == "InvalidCastException"


_SPACES = st.sampled_from(["", " ", "\n  ", "\t", "\u00a0", "x", " y ", "\u2003"])


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(st.sampled_from(["a", "b", "c"]))
    space = draw(st.sampled_from(["", "", "", ' xml:space="default"']))
    parts = [draw(_SPACES)]
    if depth < 3:
        for _ in range(draw(st.integers(0, 3))):
            parts.append(draw(st.sampled_from(["<!--c-->", "<?pi x?>", "<![CDATA[ ]]>", "CHILD"])))
            if parts[-1] == "CHILD":
                parts[-1] = draw(_documents(depth + 1))
            parts.append(draw(_SPACES))
    return f"<{name}{space}>{''.join(parts)}</{name}>"


@given(_documents())
def test_the_one_pass_drops_whitespace_as_the_ancestor_walk_does(text: str) -> None:
    """Without xml:space="preserve" anywhere, the pass over lxml's iterator and the walk that
    tracks xml:space from the root (the rule, node by node) leave the same tree."""
    walked = etree.fromstring(text.encode(), xml._PARSER)
    xml._drop_outside_preserve(walked, False)
    assert etree.tostring(xml._parse(text)) == etree.tostring(walked)


def test_xml_space_decides_by_the_nearest_declaration() -> None:
    text = "<a xml:space='preserve'> <b> <c/> </b> <d xml:space='default'> <e/> </d> </a>"
    assert etree.tostring(xml._parse(text)) == (
        b'<a xml:space="preserve"> <b> <c/> </b> <d xml:space="default"><e/></d> </a>'
    )
