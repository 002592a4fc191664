"""System.Xml.Linq editing and navigation, with the output .NET writes.

Expected strings follow System.Xml.Linq's documented behaviour
(https://learn.microsoft.com/dotnet/api/system.xml.linq): ``ToString()`` indents child elements
by two spaces and writes empty elements as ``<a />``; ``SaveOptions.DisableFormatting`` writes no
white space; ``SetAttributeValue``/``SetElementValue`` with null remove; removing an element
keeps the text around it; ``XDocument.ToString()`` omits the declaration."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


def flat(body: str, xml: str = "<a><b>1</b><c /></a>") -> object:
    """Run ``body`` with ``x`` the parsed element; return x unformatted."""
    escaped = xml.replace('"', '\\"')
    return ev(
        f'@{{ var x = XElement.Parse("{escaped}"); {body} '
        "return x.ToString(SaveOptions.DisableFormatting); }"
    )


def test_set_attribute_element_and_value() -> None:
    assert flat('x.Element("b").SetValue(2); x.SetAttributeValue("id", 5);') == (
        '<a id="5"><b>2</b><c /></a>'
    )
    assert flat('x.SetAttributeValue("id", 5); x.SetAttributeValue("id", null);') == (
        "<a><b>1</b><c /></a>"
    )
    assert flat('x.SetElementValue("q", "v");') == "<a><b>1</b><c /><q>v</q></a>"
    assert flat('x.SetElementValue("b", "9");') == "<a><b>9</b><c /></a>"
    assert flat('x.SetElementValue("b", null);') == "<a><c /></a>"
    assert flat('x.Value = "new";') == "<a>new</a>"
    assert flat('x.Element("b").Value = "a<b";') == "<a><b>a&lt;b</b><c /></a>"
    assert flat('x.Name = "z";') == "<z><b>1</b><c /></z>"
    assert flat('x.Attribute("k").Value = "7";', '<a k="1" />') == '<a k="7" />'
    assert flat('x.Attribute("k").Remove();', '<a k="1" j="2" />') == '<a j="2" />'
    assert flat("x.RemoveAttributes();", '<a k="1"><b /></a>') == "<a><b /></a>"
    assert flat("x.RemoveAll();", '<a k="1"><b /></a>') == "<a />"
    assert flat("x.RemoveNodes();", '<a k="1"><b />t</a>') == '<a k="1" />'
    assert flat("x.SetValue(true);") == "<a>true</a>"


def test_add_remove_replace() -> None:
    assert flat('x.Add(new XElement("d", "t"), new XAttribute("n", 1));') == (
        '<a n="1"><b>1</b><c /><d>t</d></a>'
    )
    assert flat('x.AddFirst(new XElement("z"));') == "<a><z /><b>1</b><c /></a>"
    assert flat('x.Element("c").Remove();') == "<a><b>1</b></a>"
    assert flat('x.Element("b").ReplaceWith(new XElement("z", "q"));') == "<a><z>q</z><c /></a>"
    assert flat('x.Element("b").AddAfterSelf(new XComment("n"));') == (
        "<a><b>1</b><!--n--><c /></a>"
    )
    assert flat('x.Element("c").AddBeforeSelf("text");') == "<a><b>1</b>text<c /></a>"
    assert flat('x.ReplaceNodes(new XElement("only"));') == "<a><only /></a>"
    # removing an element keeps the text on both sides of it
    assert flat('x.Element("b").Remove();', "<a>x<b />y</a>") == "<a>xy</a>"
    # an element that has a parent is copied, not moved
    assert flat('x.Add(x.Element("b"));') == "<a><b>1</b><c /><b>1</b></a>"
    assert flat('x.Elements().Where(e => e.Name == "c").ToList().ForEach(e => e.Remove());') == (
        "<a><b>1</b></a>"
    )


def test_formatted_and_unformatted_output() -> None:
    assert ev('@(new XElement("a", new XElement("b", "1"), new XElement("c")).ToString())') == (
        "<a>\n  <b>1</b>\n  <c />\n</a>"
    )
    assert ev(
        '@(new XElement("a", new XElement("b", "1")).ToString(SaveOptions.DisableFormatting))'
    ) == ("<a><b>1</b></a>")


def test_nodes_and_navigation() -> None:
    src = '@{ var x = XElement.Parse("<a>x<!--c--><b />y</a>"); '
    assert ev(src + 'return string.Join(",", x.Nodes().Select(n => n.NodeType)); }') == (
        "Text,Comment,Element,Text"
    )
    assert ev(src + "return ((XText)x.FirstNode).Value; }") == "x"
    assert ev(src + "return ((XText)x.LastNode).Value; }") == "y"
    assert ev(src + 'return ((XText)x.Element("b").NextNode).Value; }') == "y"
    assert ev(src + 'return ((XComment)x.Element("b").PreviousNode).Value; }') == "c"
    assert ev(src + "return x.FirstNode.NextNode.NodeType.ToString(); }") == "Comment"
    assert ev(src + "return x.LastNode.NextNode == null; }") is True
    assert ev(src + "return x.FirstNode.PreviousNode == null; }") is True
    assert ev(src + 'return x.Element("b").NodeType == XmlNodeType.Element; }') is True
    assert ev(src + "return x.DescendantNodes().Count(); }") == 4
    assert ev(src + 'return x.Element("b").ElementsAfterSelf().Count(); }') == 0
    assert ev(src + 'return x.Element("b").NodesBeforeSelf().Count(); }') == 2
    # a text node's value can be set where it is
    assert ev(src + '((XText)x.FirstNode).Value = "X"; return x.ToString(); }') == (
        "<a>X<!--c--><b />y</a>"
    )
    assert (
        ev(
            '@{ var x = XElement.Parse("<a i=\\"1\\" j=\\"2\\" />"); '
            'return x.Attribute("i").NextAttribute.Name.LocalName; }'
        )
        == "j"
    )
    assert ev('@(new XElement("a").FirstNode == null)') is True


def test_node_types() -> None:
    assert ev('@(new XElement("a", new XCData("x<y")).ToString())') == "<a><![CDATA[x<y]]></a>"
    assert ev('@(new XCData("x").NodeType.ToString())') == "CDATA"
    assert ev('@(new XText("a<b").ToString())') == "a&lt;b"
    assert ev('@(new XText("t").NodeType)') == ev("@(XmlNodeType.Text)")
    assert ev('@(new XComment("hi").ToString())') == "<!--hi-->"
    assert ev('@(new XElement("a", new XComment("hi"), "t").ToString())') == "<a><!--hi-->t</a>"
    assert ev('@(new XProcessingInstruction("xml-stylesheet", "href=\'a\'").ToString())') == (
        "<?xml-stylesheet href='a'?>"
    )
    assert ev('@(new XProcessingInstruction("t", "d").Target)') == "t"
    assert ev('@(new XDeclaration("1.0", "utf-8", "yes").ToString())') == (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
    )
    assert ev('@(new XDeclaration("1.0", null, null).ToString())') == '<?xml version="1.0"?>'


def test_documents_keep_their_declaration() -> None:
    src = (
        '@{ var d = XDocument.Parse("<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?><r><x /></r>"); '
    )
    assert ev(src + "return d.Declaration.Version; }") == "1.0"
    assert ev(src + "return d.Declaration.Encoding; }") == "utf-8"
    assert ev(src + "return d.Declaration.ToString(); }") == (
        '<?xml version="1.0" encoding="utf-8"?>'
    )
    assert ev(src + "return d.ToString(); }") == "<r>\n  <x />\n</r>"  # no declaration
    assert ev('@(XDocument.Parse("<r />").Declaration == null)') is True
    assert (
        ev(
            '@{ var d = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("r")); '
            "return d.Declaration.Version + d.Root.Name; }"
        )
        == "1.0r"
    )
    assert ev(src + 'd.Root.Element("x").Remove(); return d.ToString(); }') == "<r />"
    assert ev('@(XDocument.Parse("<!--c--><r />").Nodes().Count())') == 2


def test_editing_errors() -> None:
    with pytest.raises(ExpressionError) as info:
        ev('@{ new XElement("a").Remove(); return 0; }')
    assert info.value.exception_type == "InvalidOperationException"
    with pytest.raises(ExpressionError) as info:
        ev('@{ new XElement("a").SetValue(null); return 0; }')
    assert info.value.exception_type == "ArgumentNullException"
    with pytest.raises(ExpressionError) as info:
        ev('@{ var d = new XDocument(new XElement("a")); d.Add(new XElement("b")); return 0; }')
    assert info.value.exception_type == "InvalidOperationException"
