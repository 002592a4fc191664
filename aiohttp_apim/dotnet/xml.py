"""A read-mostly System.Xml.Linq: XDocument, XElement, XAttribute, XName, XNamespace.

What policies do with XML: ``Body.As<XDocument>()`` / ``XDocument.Parse(text)``, then walk it
(``Root``, ``Element(name)``, ``Elements(..)``, ``Descendants(..)``, ``Attribute(name)``,
``Value``, ``Name.LocalName``, ``(string)element``, ``(int)attribute``), with namespaces written
``XNamespace ns = "urn:x"; doc.Elements(ns + "Envelope")``. Elements can also be built
(``new XElement(name, content...)``, ``new XAttribute(name, value)``) and printed.

Parsing uses lxml with a hardened parser (no entity expansion, no network, no DTD loading, no
huge trees) and refuses any document with a DTD, as .NET's XmlReader does by default
(``DtdProcessing.Prohibit``): XmlException. Like ``LoadOptions.None``, whitespace-only text
between elements is dropped unless ``xml:space="preserve"`` is in scope.

Representation: `XElement` wraps an lxml element (two wrappers of one element are ``==``);
`XName` holds (namespace, local name); names given as strings use .NET's expanded form
``"{urn:x}local"``. ``ns + "local"`` (XNamespace + string) is an XName; when the compiler builds
it as a string concatenation it yields that name's expanded text, which every method taking a
name accepts (see `concat_head`). ToString() indents with two spaces and writes "\\n" like
json.py. Not modelled: XText/XComment nodes (``Nodes()``), mutation after construction,
XmlReader/XmlDocument (System.Xml).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation

from lxml import etree

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import json, linq
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import charge_chars
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import to_string
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "XAttribute",
    "XDeclaration",
    "XDocument",
    "XElement",
    "XName",
    "XNamespace",
    "concat_head",
    "parse_document",
]

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XMLNS_NS = "http://www.w3.org/2000/xmlns/"
_DTD_PROHIBITED = (
    "For security reasons DTD is prohibited in this XML document. To enable DTD processing set "
    "the DtdProcessing property on XmlReaderSettings to Parse and pass the settings into "
    "XmlReader.Create method."
)


def _xml_error(message: str) -> ExpressionError:
    return ExpressionError("XmlException", message)


# ---------------------------------------------------------------- names


class XNamespace:
    __slots__ = ("uri",)

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XNamespace) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(("XNamespace", self.uri))


class XName:
    __slots__ = ("local", "namespace")

    def __init__(self, namespace: str, local: str) -> None:
        self.namespace = namespace
        self.local = local

    @property
    def clark(self) -> str:
        """lxml's (and .NET's expanded) form: ``{ns}local``, or ``local``."""
        return f"{{{self.namespace}}}{self.local}" if self.namespace else self.local

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, XName)
            and other.local == self.local
            and other.namespace == self.namespace
        )

    def __hash__(self) -> int:
        return hash(("XName", self.namespace, self.local))


def name_of(v: object, param: str = "name") -> XName:
    """An XName from an XName or its expanded string form (C#'s implicit conversion)."""
    if isinstance(v, XName):
        return v
    if isinstance(v, str):
        if v.startswith("{"):
            end = v.find("}")
            if end < 0 or end == len(v) - 1:
                raise _xml_error(f"'{v}' is an invalid expanded name.")
            namespace, local = v[1:end], v[end + 1 :]
        else:
            namespace, local = "", v
        _check_local(local)
        return XName(namespace, local)
    if v is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{param}')"
        )
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{param}': cannot convert from '{clr.net_name(v)}' to 'XName'",
    )


_NCNAME = re.compile(r"[^\W\d][\w.\-]*\Z")


def _check_local(local: str) -> None:
    if not _NCNAME.match(local):
        raise _xml_error(
            f"The '{local[:1]}' character, hexadecimal value 0x{ord(local[:1] or ' '):X}, "
            "cannot be included in a name."
            if local
            else "The empty string '' is not a valid local name."
        )


def namespace_of(v: object) -> XNamespace:
    if isinstance(v, XNamespace):
        return v
    if isinstance(v, str):
        return XNamespace(v)
    if v is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'namespaceName')"
        )
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type "
        "'System.Xml.Linq.XNamespace'.",
    )


def _split(tag: str) -> XName:
    if tag.startswith("{"):
        end = tag.index("}")
        return XName(tag[1:end], tag[end + 1 :])
    return XName("", tag)


def concat_head(value: object) -> str:
    """The text of the left operand ``x`` of a compiled concatenation ``x + "..."``.

    In C#, ``XNamespace + string`` is not a concatenation but an XName; its text is the expanded
    name ``{ns}local``, which is what this prefix makes of the concatenation."""
    if type(value) is XNamespace:
        return f"{{{value.uri}}}" if value.uri else ""
    return to_string(value)


# ---------------------------------------------------------------- nodes


class XElement:
    __slots__ = ("el",)

    def __init__(self, el: etree._Element) -> None:
        self.el = el


class XDocument:
    __slots__ = ("declaration", "root")

    def __init__(self, root: etree._Element | None, declaration: object = None) -> None:
        self.root = root
        self.declaration = declaration  # an XDeclaration (xml_nodes.py), or None


class XDeclaration:
    """``<?xml version="1.0" encoding="utf-8" standalone="yes"?>``: each part may be null."""

    __slots__ = ("encoding", "standalone", "version")

    def __init__(self, version: str | None, encoding: str | None, standalone: str | None) -> None:
        self.version = version
        self.encoding = encoding
        self.standalone = standalone

    @classmethod
    def read(cls, pseudo_attributes: str) -> XDeclaration:
        found = dict(re.findall(r"(\w+)\s*=\s*[\"']([^\"']*)[\"']", pseudo_attributes))
        return cls(found.get("version"), found.get("encoding"), found.get("standalone"))

    def __str__(self) -> str:
        parts = [
            f'{name}="{value}"'
            for name, value in (
                ("version", self.version),
                ("encoding", self.encoding),
                ("standalone", self.standalone),
            )
            if value is not None
        ]
        return "<?xml " + " ".join(parts) + "?>"


class XAttribute:
    __slots__ = ("name", "parent", "value")

    def __init__(self, name: XName, value: str, parent: etree._Element | None = None) -> None:
        self.name = name
        self.value = value
        self.parent = parent


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
    remove_comments=False,
    remove_pis=False,
    strip_cdata=True,
)


def _parse(text: object) -> etree._Element:
    if text is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'text')")
    if not isinstance(text, str):
        raise ExpressionError(
            "ArgumentException",
            f"Argument 'text': cannot convert from '{clr.net_name(text)}' to 'string'",
        )
    if "<!DOCTYPE" in text or "<!doctype" in text:
        raise _xml_error(_DTD_PROHIBITED)
    if not text.strip():
        raise _xml_error("Root element is missing.")
    charge_chars(len(text))
    try:
        # bytes: lxml refuses a str that carries an encoding declaration
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), _PARSER)
    except etree.XMLSyntaxError as e:
        raise _xml_error(str(e)) from None
    if root.getroottree().docinfo.doctype:
        raise _xml_error(_DTD_PROHIBITED)
    _drop_insignificant_whitespace(root, text)
    return root


def _drop_insignificant_whitespace(root: etree._Element, text: str) -> None:
    """Drop whitespace-only text between elements, as LoadOptions.None does: an element's leading
    text when it has children, and the text after any child; not inside xml:space="preserve"
    (the nearest xml:space decides). lxml's iterator walks the tree; without any xml:space in
    the text (the common case) nothing needs the ancestors."""
    if "xml:space" in text:
        _drop_outside_preserve(root, False)
        return
    for node in root.iter():
        leading = node.text
        if leading is not None and isinstance(node.tag, str) and len(node) and not leading.strip():
            node.text = None
        tail = node.tail
        if tail is not None and not tail.strip() and node is not root:
            node.tail = None


def _drop_outside_preserve(el: etree._Element, preserve: bool) -> None:
    space = el.get(f"{{{_XML_NS}}}space")
    if space is not None:
        preserve = space == "preserve"
    if not preserve and el.text is not None and not el.text.strip() and len(el):
        el.text = None
    for child in el:
        if isinstance(child.tag, str):
            _drop_outside_preserve(child, preserve)
        if not preserve and child.tail is not None and not child.tail.strip():
            child.tail = None


DECLARATION = re.compile(r"\ufeff?<\?xml\s([^?]*)\?>")
"""The XML declaration a document may start with (its pseudo-attributes in group 1)."""


def parse_document(text: object) -> XDocument:
    root = _parse(text)
    found = DECLARATION.match(text) if isinstance(text, str) else None
    return XDocument(root, XDeclaration.read(found.group(1)) if found else None)


def parse_element(text: object) -> XElement:
    return XElement(_parse(text))


def _elements(el: etree._Element) -> Iterator[etree._Element]:
    return (c for c in el if isinstance(c.tag, str))


def _value(el: etree._Element) -> str:
    return clr.check_length("".join(el.itertext()))


def _serialize(el: etree._Element, pretty: bool = True) -> str:
    text = etree.tostring(copy.deepcopy(el), encoding=str, pretty_print=pretty, with_tail=False)
    # .NET writes empty elements as <a /> and ends without a newline
    text = re.sub(r"(<[^!?<>][^<>]*?)(?<! )/>", r"\1 />", text).rstrip("\n")
    return clr.check_length(text.replace("\n", json.NEWLINE))


def _wrap(el: etree._Element | None) -> XElement | None:
    return None if el is None else XElement(el)


def _seq(factory: Callable[[], Iterable[object]]) -> linq.Seq:
    return linq.Seq(factory, "XContainer")


def _filter(items: Iterable[etree._Element], a: Sequence[object]) -> Iterator[object]:
    if not a:
        return (XElement(e) for e in items)
    if a[0] is None:
        return iter(())
    tag = name_of(a[0]).clark
    return (XElement(e) for e in items if e.tag == tag)


def _container(v: object) -> etree._Element | None:
    """The lxml element whose children a container method walks (a document's root's parent
    is the document itself: its only child element is the root)."""
    if isinstance(v, XElement):
        return v.el
    if isinstance(v, XDocument):
        return v.root
    raise ExpressionError("InvalidCastException", f"'{clr.net_name(v)}' is not an XContainer")


def _children_of(v: object) -> list[etree._Element]:
    if isinstance(v, XDocument):
        return [] if v.root is None else [v.root]
    el = _container(v)
    return [] if el is None else list(_elements(el))


def _descendants_of(v: object, and_self: bool = False) -> Iterator[etree._Element]:
    el = _container(v)
    if el is None:
        return iter(())
    items = el.iter(etree.Element)
    if isinstance(v, XDocument) or and_self:
        return items  # a document's descendants include its root
    next(items)  # skip the element itself
    return items


def _m_elements(v: object, a: Sequence[object], t: Sequence[TypeRef]) -> linq.Seq:
    arity("XContainer", "Elements", a, 0, 1)
    return _seq(lambda: _filter(_children_of(v), a))


def _m_element(v: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("XContainer", "Element", a, 1)
    if a[0] is None:
        return None
    tag = name_of(a[0]).clark
    return next((XElement(e) for e in _children_of(v) if e.tag == tag), None)


def _m_descendants(and_self: bool) -> clr.Method:
    def impl(v: object, a: Sequence[object], t: Sequence[TypeRef]) -> linq.Seq:
        arity("XContainer", "Descendants", a, 0, 1)
        return _seq(lambda: _filter(_descendants_of(v, and_self), a))

    return impl


def _m_ancestors(and_self: bool) -> clr.Method:
    def impl(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> linq.Seq:
        arity("XElement", "Ancestors", a, 0, 1)
        return _seq(
            lambda: _filter(
                x.el.iterancestors() if not and_self else (x.el, *x.el.iterancestors()), a
            )
        )

    return impl


def _attributes_of(el: etree._Element) -> Iterator[XAttribute]:
    for key, value in el.attrib.items():
        yield XAttribute(_split(str(key)), str(value), el)
    for prefix, uri in (el.nsmap or {}).items():
        parent = el.getparent()
        if parent is not None and (parent.nsmap or {}).get(prefix) == uri:
            continue  # declared further up
        yield XAttribute(XName(_XMLNS_NS, prefix) if prefix else XName("", "xmlns"), uri, el)


def _m_attribute(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("XElement", "Attribute", a, 1)
    if a[0] is None:
        return None
    name = name_of(a[0])
    return next((at for at in _attributes_of(x.el) if at.name == name), None)


def _m_attributes(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> linq.Seq:
    arity("XElement", "Attributes", a, 0, 1)
    if a and a[0] is None:
        return _seq(list)
    name = name_of(a[0]) if a else None
    return _seq(lambda: (at for at in _attributes_of(x.el) if name is None or at.name == name))


def _attribute_text(at: XAttribute) -> str:
    if at.name.namespace == _XMLNS_NS:
        qualified = f"xmlns:{at.name.local}"
    elif at.name.namespace == _XML_NS:
        qualified = f"xml:{at.name.local}"
    elif at.name.namespace and at.parent is not None:
        prefix = next(
            (p for p, u in (at.parent.nsmap or {}).items() if u == at.name.namespace and p), None
        )
        qualified = f"{prefix}:{at.name.local}" if prefix else at.name.local
    else:
        qualified = at.name.local
    escaped = (
        at.value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
        .replace("\t", "&#x9;")
    )
    return f'{qualified}="{escaped}"'


# ---------------------------------------------------------------- construction


def _add_content(el: etree._Element, item: object) -> None:
    if item is None:
        return
    if isinstance(item, XElement):
        child = item.el if item.el.getparent() is None else copy.deepcopy(item.el)
        if child.tail is not None:
            child.tail = None
        el.append(child)
    elif isinstance(item, XAttribute):
        if item.name.namespace == _XMLNS_NS or item.name.clark == "xmlns":
            return  # namespace declarations are lxml's to write
        if el.get(item.name.clark) is not None:
            raise ExpressionError("InvalidOperationException", "Duplicate attribute.")
        el.set(item.name.clark, item.value)
    elif isinstance(item, XDocument):
        raise ExpressionError("ArgumentException", "An XDocument cannot be added as content.")
    elif isinstance(item, linq.Seq | list):  # arrays, List<T>, Linq results: each item
        for x in linq.items_of(item):
            _add_content(el, x)
    else:
        text = item if isinstance(item, str) else _xml_text(item)
        if len(el):
            last = el[-1]
            last.tail = (last.tail or "") + text
        else:
            el.text = (el.text or "") + text


def _xml_text(v: object) -> str:
    """XmlConvert's culture-invariant text of a simple value (bool is "true"/"false")."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isinf(v):
        return "INF" if v > 0 else "-INF"
    return to_string(v)


def _new_element(a: Sequence[object], t: Sequence[TypeRef]) -> XElement:
    if not a:
        arity("XElement", ".ctor", a, 1)
    first = a[0]
    if isinstance(first, XElement) and len(a) == 1:
        return XElement(copy.deepcopy(first.el))
    name = name_of(first)
    try:
        # a namespace of its own is the default namespace, as .NET writes it (<a xmlns="urn:x">)
        el = etree.Element(name.clark, nsmap={None: name.namespace} if name.namespace else None)
    except ValueError as e:
        raise _xml_error(str(e)) from None
    for item in a[1:]:
        _add_content(el, item)
    return XElement(el)


def _new_attribute(a: Sequence[object], t: Sequence[TypeRef]) -> XAttribute:
    arity("XAttribute", ".ctor", a, 2)
    if a[1] is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    value = a[1] if isinstance(a[1], str) else _xml_text(a[1])
    return XAttribute(name_of(a[0]), value)


def _new_document(a: Sequence[object], t: Sequence[TypeRef]) -> XDocument:
    roots = [x for x in a if isinstance(x, XElement)]
    if len(roots) > 1:
        raise ExpressionError(
            "InvalidOperationException",
            "This operation would create an incorrectly structured document.",
        )
    if roots:
        el = roots[0].el if roots[0].el.getparent() is None else copy.deepcopy(roots[0].el)
        return XDocument(el)
    return XDocument(None)


# ---------------------------------------------------------------- conversions


def _convert_text(target: TypeRef, text: str) -> object:
    inner = target.nullable_of or target
    name = inner.name
    s = text.strip()
    if name in ("String", "Object"):
        return text
    if name == "Boolean":
        if s in ("true", "1"):
            return True
        if s in ("false", "0"):
            return False
        raise ExpressionError(
            "FormatException", f"The string '{text}' is not a valid Boolean value."
        )
    if name in ("Int32", "Int64", "Int16", "Byte", "SByte", "UInt16", "UInt32", "UInt64"):
        if not re.fullmatch(r"[+-]?\d+", s):
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
        assert inner.convert is not None
        cls = {"Int32": int}.get(name) or type(inner.convert(0))
        return dotnet.checked_int(cls, int(s))
    if name in ("Double", "Single"):
        special = {"INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
        if s in special:
            value = special[s]
        else:
            try:
                if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s):
                    raise ValueError(s)
                value = float(s)
            except ValueError:
                raise ExpressionError(
                    "FormatException", "Input string was not in a correct format."
                ) from None
        return value if name == "Double" else dotnet.to_single(value)
    if name == "Decimal":
        try:
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", s):
                raise InvalidOperation(s)
            return dotnet.to_decimal(Decimal(s))
        except InvalidOperation:
            raise ExpressionError(
                "FormatException", "Input string was not in a correct format."
            ) from None
    return NotImplemented


def _cast_hook(target: TypeRef, value: object) -> object:
    if target.is_instance(value):
        return value
    if isinstance(value, XElement):
        return _convert_text(target, _value(value.el))
    if isinstance(value, XAttribute):
        return _convert_text(target, value.value)
    return NotImplemented


def _equals(a: object, b: object) -> bool:
    if isinstance(a, XElement) and isinstance(b, XElement):
        return a.el is b.el
    if isinstance(a, XDocument) and isinstance(b, XDocument):
        return a.root is b.root
    if isinstance(a, XName | XNamespace) or isinstance(b, XName | XNamespace):
        try:
            if isinstance(a, XName) or isinstance(b, XName):
                return name_of(a) == name_of(b)
            return namespace_of(a) == namespace_of(b)
        except ExpressionError:
            return False
    return a is b


# ---------------------------------------------------------------- declarations

_NS = "System.Xml.Linq."

XOBJECT = declare("XObject", _NS + "XObject", (XElement, XDocument, XAttribute), owns=False)
XNODE = declare("XNode", _NS + "XNode", (XElement, XDocument), bases=(XOBJECT,), owns=False)
XCONTAINER = declare(
    "XContainer", _NS + "XContainer", (XElement, XDocument), bases=(XNODE,), owns=False
)
XELEMENT = declare("XElement", _NS + "XElement", (XElement,), bases=(XCONTAINER,))
XDOCUMENT = declare("XDocument", _NS + "XDocument", (XDocument,), bases=(XCONTAINER,))
XATTRIBUTE = declare("XAttribute", _NS + "XAttribute", (XAttribute,), bases=(XOBJECT,))
XNAME = declare("XName", _NS + "XName", (XName,))
XNAMESPACE = declare("XNamespace", _NS + "XNamespace", (XNamespace,))

XCONTAINER.methods.update(
    {
        "Element": _m_element,
        "Elements": _m_elements,
        "Descendants": _m_descendants(False),
        "ToString": lambda v, a, t: (
            arity("XNode", "ToString", a, 0),
            "" if (el := _container(v)) is None else _serialize(el),
        )[1],
    }
)
XELEMENT.construct = _new_element
XELEMENT.static_methods["Parse"] = lambda a, t: (
    arity("XElement", "Parse", a, 1, 2),
    parse_element(a[0]),
)[1]
XELEMENT.members.update(
    {
        "Name": lambda x: _split(x.el.tag),
        "Value": lambda x: _value(x.el),
        "Parent": lambda x: _wrap(x.el.getparent()),
        "HasElements": lambda x: any(True for _ in _elements(x.el)),
        "HasAttributes": lambda x: any(True for _ in _attributes_of(x.el)),
        "IsEmpty": lambda x: not len(x.el) and x.el.text is None,
        "FirstAttribute": lambda x: next(_attributes_of(x.el), None),
    }
)
XELEMENT.methods.update(
    {
        "Attribute": _m_attribute,
        "Attributes": _m_attributes,
        "DescendantsAndSelf": _m_descendants(True),
        "Ancestors": _m_ancestors(False),
        "AncestorsAndSelf": _m_ancestors(True),
        "GetDefaultNamespace": lambda x, a, t: XNamespace((x.el.nsmap or {}).get(None, "")),
        "GetNamespaceOfPrefix": lambda x, a, t: (
            None if (u := (x.el.nsmap or {}).get(a[0] if a else None)) is None else XNamespace(u)
        ),
    }
)
XDOCUMENT.construct = _new_document
XDOCUMENT.static_methods["Parse"] = lambda a, t: (
    arity("XDocument", "Parse", a, 1, 2),
    parse_document(a[0]),
)[1]
XDOCUMENT.members.update({"Root": lambda d: _wrap(d.root), "Declaration": lambda d: d.declaration})
XATTRIBUTE.construct = _new_attribute
XATTRIBUTE.members.update(
    {
        "Name": lambda at: at.name,
        "Value": lambda at: at.value,
        "Parent": lambda at: _wrap(at.parent),
        "IsNamespaceDeclaration": lambda at: (
            at.name.namespace == _XMLNS_NS or at.name.clark == "xmlns"
        ),
    }
)
XATTRIBUTE.methods["ToString"] = lambda at, a, t: (
    arity("XAttribute", "ToString", a, 0),
    _attribute_text(at),
)[1]
XNAME.convert = lambda v: name_of(v)
XNAME.implicit = True
XNAME.members.update(
    {
        "LocalName": lambda x: x.local,
        "Namespace": lambda x: XNamespace(x.namespace),
        "NamespaceName": lambda x: x.namespace,
    }
)
XNAME.methods["ToString"] = lambda x, a, t: (arity("XName", "ToString", a, 0), x.clark)[1]
XNAME.static_methods["Get"] = lambda a, t: (
    arity("XName", "Get", a, 1, 2),
    name_of(a[0]) if len(a) == 1 else XName(namespace_of(a[1]).uri, name_of(a[0]).local),
)[1]
XNAMESPACE.convert = namespace_of
XNAMESPACE.implicit = True
XNAMESPACE.members["NamespaceName"] = lambda x: x.uri
XNAMESPACE.methods.update(
    {
        "ToString": lambda x, a, t: (arity("XNamespace", "ToString", a, 0), x.uri)[1],
        "GetName": lambda x, a, t: (
            arity("XNamespace", "GetName", a, 1),
            XName(x.uri, name_of(a[0], "localName").local),
        )[1],
    }
)
XNAMESPACE.statics.update(
    {
        "None": lambda: XNamespace(""),
        "Xml": lambda: XNamespace(_XML_NS),
        "Xmlns": lambda: XNamespace(_XMLNS_NS),
    }
)
XNAMESPACE.static_methods["Get"] = lambda a, t: (
    arity("XNamespace", "Get", a, 1),
    namespace_of(a[0]),
)[1]

# System.Xml.Linq.Extensions: the axis methods on sequences of elements
# (``doc.Elements(a).Elements(b)``, ``xs.Attributes("id")``)


def _seq_axis(method: clr.Method) -> clr.Method:
    def impl(source: object, a: Sequence[object], t: Sequence[TypeRef]) -> linq.Seq:
        def items() -> Iterator[object]:
            for node in linq.items_of(source):
                if node is not None:
                    yield from linq.items_of(method(node, a, t))

        return _seq(items)

    return impl


SEQUENCE_EXTENSIONS: dict[str, clr.Method] = {
    "Elements": _seq_axis(_m_elements),
    "Descendants": _seq_axis(_m_descendants(False)),
    "DescendantsAndSelf": _seq_axis(_m_descendants(True)),
    "Attributes": _seq_axis(_m_attributes),
    "Ancestors": _seq_axis(_m_ancestors(False)),
}


def _namespace_plus(ns: XNamespace, local: object) -> XName:
    return XName(ns.uri, name_of(local, "localName").local)


XNAMESPACE.operators[("+", XNamespace, str)] = _namespace_plus  # XNamespace + string is an XName

XCONTAINER.sign(
    "XElement Element(XName name)",
    "IEnumerable<XElement> Elements()",
    "IEnumerable<XElement> Elements(XName name)",
    "IEnumerable<XElement> Descendants()",
    "IEnumerable<XElement> Descendants(XName name)",
    "string ToString()",
)
XELEMENT.sign(
    "new(XName name)",
    "new(XName name, object content)",
    "new(XName name, params object[] content)",
    "XAttribute FirstAttribute { get; }",
    "bool HasAttributes { get; }",
    "bool HasElements { get; }",
    "bool IsEmpty { get; }",
    "XName Name { get; set; }",
    "XElement Parent { get; }",
    "string Value { get; set; }",
    "IEnumerable<XElement> Ancestors()",
    "IEnumerable<XElement> Ancestors(XName name)",
    "IEnumerable<XElement> AncestorsAndSelf()",
    "IEnumerable<XElement> AncestorsAndSelf(XName name)",
    "XAttribute Attribute(XName name)",
    "IEnumerable<XAttribute> Attributes()",
    "IEnumerable<XAttribute> Attributes(XName name)",
    "IEnumerable<XElement> DescendantsAndSelf()",
    "IEnumerable<XElement> DescendantsAndSelf(XName name)",
    "XNamespace GetDefaultNamespace()",
    "XNamespace GetNamespaceOfPrefix(string prefix)",
    "static XElement Parse(string text)",
)
XDOCUMENT.sign(
    "new(params object[] content)",
    "XDeclaration Declaration { get; set; }",
    "XElement Root { get; }",
    "static XDocument Parse(string text)",
)
XATTRIBUTE.sign(
    "new(XName name, object value)",
    "bool IsNamespaceDeclaration { get; }",
    "XName Name { get; }",
    "XElement Parent { get; }",
    "string Value { get; set; }",
    "string ToString()",
)
XNAME.sign(
    "string LocalName { get; }",
    "XNamespace Namespace { get; }",
    "string NamespaceName { get; }",
    "string ToString()",
    "static XName Get(string expandedName)",
    "static XName Get(string localName, string namespaceName)",
)
XNAMESPACE.sign(
    "string NamespaceName { get; }",
    "XName GetName(string localName)",
    "string ToString()",
    "static XNamespace None { get; }",
    "static XNamespace Xml { get; }",
    "static XNamespace Xmlns { get; }",
    "static XNamespace Get(string namespaceName)",
)
SEQUENCE_SIGNATURES = (
    "extension IEnumerable<XElement> Elements()",
    "extension IEnumerable<XElement> Elements(XName name)",
    "extension IEnumerable<XElement> Descendants()",
    "extension IEnumerable<XElement> Descendants(XName name)",
    "extension IEnumerable<XElement> DescendantsAndSelf()",
    "extension IEnumerable<XElement> DescendantsAndSelf(XName name)",
    "extension IEnumerable<XAttribute> Attributes()",
    "extension IEnumerable<XAttribute> Attributes(XName name)",
    "extension IEnumerable<XElement> Ancestors()",
    "extension IEnumerable<XElement> Ancestors(XName name)",
)
"""System.Xml.Linq.Extensions on IEnumerable<XElement> (and of XContainer)."""

TYPES: tuple[TypeRef, ...] = (
    XOBJECT,
    XNODE,
    XCONTAINER,
    XELEMENT,
    XDOCUMENT,
    XATTRIBUTE,
    XNAME,
    XNAMESPACE,
)


def register(registry: Registry) -> None:
    """The axis methods on sequences of elements (System.Xml.Linq.Extensions), conversions of
    elements and attributes, and equality of nodes and names."""
    linq.IENUMERABLE.methods.update(SEQUENCE_EXTENSIONS)
    linq.IENUMERABLE.sign(*SEQUENCE_SIGNATURES)
    for cls in (XElement, XAttribute):
        registry.cast_hooks[cls] = _cast_hook
    for node in (XElement, XDocument, XName, XNamespace):
        dotnet.EQUALITY_HOOKS[node] = _equals
    registry.add(*TYPES)
