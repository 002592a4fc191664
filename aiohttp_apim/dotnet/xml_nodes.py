"""System.Xml.Linq's nodes and editing: XText, XCData, XComment, XProcessingInstruction,
XDeclaration, XmlNodeType and SaveOptions; ``Nodes()``, ``FirstNode``/``LastNode``,
``NextNode``/``PreviousNode``, ``NodeType``; ``Add``/``AddFirst``/``AddBeforeSelf``/
``AddAfterSelf``, ``Remove``, ``ReplaceWith``, ``ReplaceNodes``/``ReplaceAll``, ``RemoveNodes``/
``RemoveAll``/``RemoveAttributes``, ``SetAttributeValue``, ``SetElementValue``, ``SetValue``, the
``Value`` and ``Name`` setters; ``ToString(SaveOptions.DisableFormatting)``.

lxml keeps text as an element's ``text`` and each child's ``tail``; .NET has text nodes. An
`XText` read from a tree is a view of one of those places. An edit that inserts or removes
nodes between others rebuilds the parent's content as a list of nodes and writes it back (adding
at the end, the common case, appends). Adjacent text nodes merge, as they do when .NET reloads
what it wrote; CDATA read from a document is plain text (the parser does not keep the
distinction), CDATA added by an expression is written as CDATA.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from lxml import etree

from aiohttp_apim.dotnet import linq
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import xml as xl
from aiohttp_apim.dotnet.budget import current
from aiohttp_apim.dotnet.core import (
    Constructor,
    Getter,
    Method,
    Registry,
    Setter,
    TypeRef,
    arity,
    declare,
)
from aiohttp_apim.dotnet.primitives import NetEnum, NetFlags
from aiohttp_apim.dotnet.xml import XAttribute, XDeclaration, XDocument, XElement
from aiohttp_apim.errors import ExpressionError

__all__ = ["SaveOptions", "XComment", "XProcessingInstruction", "XText", "XmlNodeType"]


class XmlNodeType(NetEnum):
    None_ = 0
    Element = 1
    Attribute = 2
    Text = 3
    CDATA = 4
    EntityReference = 5
    Entity = 6
    ProcessingInstruction = 7
    Comment = 8
    Document = 9
    DocumentType = 10
    DocumentFragment = 11
    Notation = 12
    Whitespace = 13
    SignificantWhitespace = 14
    EndElement = 15
    EndEntity = 16
    XmlDeclaration = 17


class SaveOptions(NetFlags):
    None_ = 0
    DisableFormatting = 1
    OmitDuplicateNamespaces = 2


class XText:
    """A text node: detached (``text`` holds its value) or the ``text`` of ``owner`` (``tail``
    False) or the ``tail`` of ``owner`` (``tail`` True)."""

    __slots__ = ("owner", "tail", "text")
    cdata: bool = False

    def __init__(self, text: str, owner: etree._Element | None = None, tail: bool = False) -> None:
        self.text = text
        self.owner = owner
        self.tail = tail

    @property
    def value(self) -> str:
        if self.owner is None:
            return self.text
        found = self.owner.tail if self.tail else self.owner.text
        return "" if found is None else str(found)

    @value.setter
    def value(self, text: str) -> None:
        if self.owner is None:
            self.text = text
        elif self.tail:
            self.owner.tail = text
        else:
            self.owner.text = text

    def parent(self) -> etree._Element | None:
        if self.owner is None:
            return None
        return self.owner.getparent() if self.tail else self.owner

    def __eq__(self, other: object) -> bool:  # two views of one place are one node
        if not isinstance(other, XText):
            return False
        if self.owner is None:
            return self is other
        return other.owner is self.owner and other.tail == self.tail

    def __hash__(self) -> int:
        return hash((id(self.owner), self.tail)) if self.owner is not None else id(self)


class XCData(XText):
    __slots__ = ()
    cdata = True


class XComment:
    __slots__ = ("el",)

    def __init__(self, el: etree._Element) -> None:
        self.el = el


class XProcessingInstruction:
    __slots__ = ("el",)

    def __init__(self, el: etree._Element) -> None:
        self.el = el


class _Text:
    """Text in a content list being rebuilt."""

    __slots__ = ("cdata", "value")

    def __init__(self, value: str, cdata: bool = False) -> None:
        self.value = value
        self.cdata = cdata


Item = etree._Element | _Text


# ---------------------------------------------------------------- reading the node list


def _wrap(node: etree._Element) -> object:
    if isinstance(node, etree._Comment):
        return XComment(node)
    if isinstance(node, etree._ProcessingInstruction):
        return XProcessingInstruction(node)
    return XElement(node)


def _node_views(el: etree._Element) -> list[object]:
    """The nodes of an element, as .NET lists them."""
    views: list[object] = []
    if el.text is not None:
        views.append(XText("", el, False))
    for child in el:
        views.append(_wrap(child))
        if child.tail is not None:
            views.append(XText("", child, True))
    return views


def _document_nodes(d: XDocument) -> list[object]:
    if d.root is None:
        return []
    before = [_wrap(n) for n in reversed(list(d.root.itersiblings(preceding=True)))]
    return [*before, XElement(d.root), *(_wrap(n) for n in d.root.itersiblings())]


def _nodes_of(container: object) -> list[object]:
    if isinstance(container, XDocument):
        return _document_nodes(container)
    if isinstance(container, XElement):
        return _node_views(container.el)
    raise ExpressionError("InvalidCastException", "Specified cast is not valid (XContainer).")


def _same(a: object, b: object) -> bool:
    if isinstance(a, XText) or isinstance(b, XText):
        return a == b
    return getattr(a, "el", None) is getattr(b, "el", a)


def _parent_element(node: object) -> etree._Element | None:
    if isinstance(node, XText):
        return node.parent()
    el = getattr(node, "el", None)
    return None if el is None else el.getparent()


def _siblings(node: object) -> tuple[list[object], int]:
    """The node list the node is in and its index there ([], -1 when it has no parent)."""
    parent = _parent_element(node)
    if parent is None:
        el = getattr(node, "el", None)
        if el is not None and el.getparent() is None:
            before = [_wrap(n) for n in reversed(list(el.itersiblings(preceding=True)))]
            after = [_wrap(n) for n in el.itersiblings()]
            if before or after:  # the root of a document, among its comments
                return [*before, node, *after], len(before)
        return [], -1
    views = _node_views(parent)
    for i, view in enumerate(views):
        if _same(view, node):
            return views, i
    return [], -1


def _next(node: object, step: int) -> object:
    views, i = _siblings(node)
    j = i + step
    return views[j] if i >= 0 and 0 <= j < len(views) else None


def _node_type(node: object) -> XmlNodeType:
    if isinstance(node, XCData):
        return XmlNodeType.CDATA
    if isinstance(node, XText):
        return XmlNodeType.Text
    if isinstance(node, XComment):
        return XmlNodeType.Comment
    if isinstance(node, XProcessingInstruction):
        return XmlNodeType.ProcessingInstruction
    if isinstance(node, XDocument):
        return XmlNodeType.Document
    if isinstance(node, XAttribute):
        return XmlNodeType.Attribute
    return XmlNodeType.Element


def _descendant_nodes(container: object) -> Iterator[object]:
    for node in _nodes_of(container):
        yield node
        if isinstance(node, XElement):
            yield from _descendant_nodes(node)


# ---------------------------------------------------------------- writing content


def _content(el: etree._Element) -> list[Item]:
    items: list[Item] = []
    if el.text is not None:
        items.append(_Text(str(el.text)))
    for child in el:
        items.append(child)
        if child.tail is not None:
            items.append(_Text(str(child.tail)))
    return items


def _write(el: etree._Element, items: Sequence[Item]) -> None:
    """Replace ``el``'s nodes (not its attributes) by ``items``."""
    current().take(1 + len(items) // 64)
    for child in list(el):
        child.tail = None
        el.remove(child)
    el.text = None
    _append(el, items)


def _append(el: etree._Element, items: Iterable[Item]) -> None:
    pending: list[_Text] = []

    def flush() -> None:
        if not pending:
            return
        text = "".join(t.value for t in pending)
        value: str | etree.CDATA = text
        if all(t.cdata for t in pending):
            value = etree.CDATA(text)
        if len(el):
            last = el[-1]
            if last.tail is not None and not isinstance(value, etree.CDATA):
                value = str(last.tail) + text
            last.tail = value
        else:
            if el.text is not None and not isinstance(value, etree.CDATA):
                value = str(el.text) + text
            el.text = value
        pending.clear()

    for item in items:
        if isinstance(item, _Text):
            pending.append(item)
        else:
            flush()
            item.tail = None
            el.append(item)
    flush()


def _node_items(content: Sequence[object], *, attributes: list[XAttribute] | None) -> list[Item]:
    """The nodes ``content`` adds (attributes collected in ``attributes``, when allowed)."""
    items: list[Item] = []

    def add(x: object) -> None:
        if x is None:
            return
        if isinstance(x, XText):
            items.append(_Text(x.value, x.cdata))
        elif isinstance(x, XElement | XComment | XProcessingInstruction):
            node = x.el if x.el.getparent() is None else copy.deepcopy(x.el)
            node.tail = None
            items.append(node)
        elif isinstance(x, XAttribute):
            if attributes is None:
                raise ExpressionError(
                    "ArgumentException", "An attribute cannot be added to content."
                )
            attributes.append(x)
        elif isinstance(x, XDocument):
            raise ExpressionError(
                "ArgumentException", "A node of type Document cannot be added to content."
            )
        elif isinstance(x, str):
            items.append(_Text(x))
        elif isinstance(x, linq.Seq | list):
            for y in linq.items_of(x):
                add(y)
        else:
            items.append(_Text(xl._xml_text(x)))

    for x in content:
        add(x)
    return items


def _set_attributes(el: etree._Element, attributes: list[XAttribute]) -> None:
    for at in attributes:
        if at.name.namespace == xl._XMLNS_NS or at.name.clark == "xmlns":
            continue  # namespace declarations are lxml's to write
        if el.get(at.name.clark) is not None:
            raise ExpressionError("InvalidOperationException", "Duplicate attribute.")
        el.set(at.name.clark, at.value)


def _edit_parent(node: object) -> etree._Element:
    parent = _parent_element(node)
    if parent is None:
        raise ExpressionError("InvalidOperationException", "The parent is missing.")
    return parent


def _index_in(parent: etree._Element, node: object) -> int:
    """The index of ``node`` in ``_content(parent)`` (texts and nodes alike)."""
    for i, view in enumerate(_node_views(parent)):
        if _same(view, node):
            return i
    raise ExpressionError("InvalidOperationException", "The parent is missing.")


def _splice(node: object, before: Sequence[Item], after: Sequence[Item], *, keep: bool) -> None:
    parent = _edit_parent(node)
    items = _content(parent)
    i = _index_in(parent, node)
    middle = [items[i]] if keep else []
    _write(parent, [*items[:i], *before, *middle, *after, *items[i + 1 :]])


def _remove(node: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("XNode", "Remove", a, 0)
    if isinstance(node, XAttribute):
        _remove_attribute(node)
        return
    _splice(node, (), (), keep=False)


def _add_before(node: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    _splice(node, _node_items(a, attributes=None), (), keep=True)


def _add_after(node: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    _splice(node, (), _node_items(a, attributes=None), keep=True)


def _replace_with(node: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    _splice(node, _node_items(a, attributes=None), (), keep=False)


def _element(container: object) -> etree._Element:
    if isinstance(container, XElement):
        return container.el
    if isinstance(container, XDocument):
        if container.root is None:
            raise ExpressionError(
                "NotSupportedException", "Editing a document without a root element"
            )
        return container.root
    raise ExpressionError("InvalidCastException", "Specified cast is not valid (XContainer).")


def _add(container: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    if isinstance(container, XDocument):
        _add_to_document(container, a)
        return
    el = _element(container)
    attributes: list[XAttribute] = []
    items = _node_items(a, attributes=attributes)
    _set_attributes(el, attributes)
    current().take(1 + len(items) // 64)
    _append(el, items)


def _add_to_document(d: XDocument, a: Sequence[object]) -> None:
    for item in _node_items(a, attributes=None):
        if isinstance(item, _Text):
            if item.value.strip():
                raise ExpressionError(
                    "ArgumentException", "Non-whitespace characters cannot be added to content."
                )
        elif isinstance(item.tag, str):
            if d.root is not None:
                raise ExpressionError(
                    "InvalidOperationException",
                    "This operation would create an incorrectly structured document.",
                )
            d.root = item
        elif d.root is not None:
            following = list(d.root.itersiblings())
            (following[-1] if following else d.root).addnext(item)
        else:
            raise ExpressionError(
                "NotSupportedException", "Comments before a document's root element"
            )


def _add_first(container: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    el = _element(container)
    _write(el, [*_node_items(a, attributes=None), *_content(el)])


def _replace_nodes(container: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    el = _element(container)
    items = _node_items(a, attributes=None)
    _write(el, items)


def _remove_nodes(container: object, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("XContainer", "RemoveNodes", a, 0)
    _write(_element(container), ())


def _replace_all(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    attributes: list[XAttribute] = []
    items = _node_items(a, attributes=attributes)
    _clear_attributes(x.el)
    _write(x.el, items)
    _set_attributes(x.el, attributes)


def _replace_attributes(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    attributes: list[XAttribute] = []
    items = _node_items(a, attributes=attributes)
    _clear_attributes(x.el)
    _set_attributes(x.el, attributes)
    _append(x.el, items)


def _clear_attributes(el: etree._Element) -> None:
    for key in list(el.attrib):
        del el.attrib[key]


def _remove_all(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("XElement", "RemoveAll", a, 0)
    _clear_attributes(x.el)
    _write(x.el, ())


def _text_of(value: object, param: str = "value") -> str:
    if value is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{param}')"
        )
    if isinstance(value, str):
        return value
    if isinstance(value, XObjectTypes):
        raise ExpressionError("ArgumentException", "An XObject cannot be used as a value.")
    return xl._xml_text(value)


def _set_value(x: XElement, value: object) -> None:
    _write(x.el, [_Text(_text_of(value))])


def _set_attribute_value(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("XElement", "SetAttributeValue", a, 2)
    name = xl.name_of(a[0])
    if a[1] is None:
        x.el.attrib.pop(name.clark, None)
        return
    x.el.set(name.clark, _text_of(a[1]))


def _set_element_value(x: XElement, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("XElement", "SetElementValue", a, 2)
    tag = xl.name_of(a[0]).clark
    found = next((c for c in x.el if c.tag == tag), None)
    if a[1] is None:
        if found is not None:
            _splice(XElement(found), (), (), keep=False)
        return
    if found is not None:
        _set_value(XElement(found), a[1])
        return
    child = xl._new_element([a[0], _text_of(a[1])], ())
    _append(x.el, [child.el])


def _remove_attribute(at: XAttribute) -> None:
    if at.parent is None:
        raise ExpressionError("InvalidOperationException", "The parent is missing.")
    at.parent.attrib.pop(at.name.clark, None)
    at.parent = None


def _set_attribute(at: XAttribute, value: object) -> None:
    text = _text_of(value)
    if at.parent is not None:
        at.parent.set(at.name.clark, text)
    at.value = text


def _next_attribute(at: XAttribute, step: int) -> XAttribute | None:
    if at.parent is None:
        return None
    found = [a for a in xl._attributes_of(at.parent) if not _is_declaration(a)]
    index = next((i for i, a in enumerate(found) if a.name == at.name), -1)
    j = index + step
    return found[j] if index >= 0 and 0 <= j < len(found) else None


def _is_declaration(at: XAttribute) -> bool:
    return at.name.namespace == xl._XMLNS_NS or at.name.clark == "xmlns"


def _rename(x: XElement, value: object) -> None:
    x.el.tag = xl.name_of(value).clark


_AnyNode = XText | XComment | XProcessingInstruction | XElement | XDocument
"""What the classes of XNode and XContainer (whose members take a receiver of their own) hold."""


def _to_string(node: _AnyNode, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("XNode", "ToString", a, 0, 1)
    plain = bool(a) and isinstance(a[0], SaveOptions) and bool(a[0] & SaveOptions.DisableFormatting)
    if isinstance(node, XText):
        text = node.value
        if node.cdata:
            return f"<![CDATA[{text}]]>"
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(node, XComment | XProcessingInstruction):
        return etree.tostring(node.el, encoding=str, with_tail=False)
    el = node.root if isinstance(node, XDocument) else node.el
    if el is None:
        return ""
    return xl._serialize(el, pretty=not plain)


# ---------------------------------------------------------------- construction


def _new_text(cls: type[XText]) -> Constructor:
    def ctor(a: Sequence[object], t: Sequence[TypeRef]) -> XText:
        arity(cls.__name__, ".ctor", a, 1)
        if isinstance(a[0], XText):
            return cls(a[0].value)
        return cls(_text_of(a[0]))

    return ctor


def _new_comment(a: Sequence[object], t: Sequence[TypeRef]) -> XComment:
    arity("XComment", ".ctor", a, 1)
    if isinstance(a[0], XComment):
        return XComment(copy.deepcopy(a[0].el))
    return XComment(etree.Comment(_text_of(a[0])))


def _new_instruction(a: Sequence[object], t: Sequence[TypeRef]) -> XProcessingInstruction:
    arity("XProcessingInstruction", ".ctor", a, 1, 2)
    if len(a) == 1 and isinstance(a[0], XProcessingInstruction):
        return XProcessingInstruction(copy.deepcopy(a[0].el))
    arity("XProcessingInstruction", ".ctor", a, 2)
    target = _text_of(a[0], "target")
    try:
        return XProcessingInstruction(etree.ProcessingInstruction(target, _text_of(a[1], "data")))
    except ValueError as e:
        raise ExpressionError("ArgumentException", str(e)) from None


def _new_declaration(a: Sequence[object], t: Sequence[TypeRef]) -> XDeclaration:
    arity("XDeclaration", ".ctor", a, 1, 3)
    if len(a) == 1:
        other = a[0]
        if not isinstance(other, XDeclaration):
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'other')"
            )
        return XDeclaration(other.version, other.encoding, other.standalone)
    parts = [x if isinstance(x, str) else None for x in a]
    return XDeclaration(parts[0], parts[1], parts[2])


def _new_element(a: Sequence[object], t: Sequence[TypeRef]) -> XElement:
    """``new XElement(name, content...)`` with every kind of node as content."""
    if len(a) <= 1:
        return xl._new_element(a, t)
    x = xl._new_element(a[:1], t)
    _add(x, a[1:], t)
    return x


def _new_document(a: Sequence[object], t: Sequence[TypeRef]) -> XDocument:
    declaration = a[0] if a and isinstance(a[0], XDeclaration) else None
    d = XDocument(None, declaration)
    _add_to_document(d, a[1:] if declaration is not None else a)
    return d


# ---------------------------------------------------------------- declarations

_NS = "System.Xml.Linq."

XText_types = (XText, XCData)
XObjectTypes = (XElement, XDocument, XAttribute, XText, XComment, XProcessingInstruction)

NODE_TYPE = dotnet.declare_enum("XmlNodeType", "System.Xml.XmlNodeType", XmlNodeType)
NODE_TYPE.statics["None"] = lambda: XmlNodeType.None_
NODE_TYPE.sign("const XmlNodeType None")
SAVE_OPTIONS = dotnet.declare_enum("SaveOptions", _NS + "SaveOptions", SaveOptions)
SAVE_OPTIONS.statics["None"] = lambda: SaveOptions.None_
SAVE_OPTIONS.sign("const SaveOptions None")

XTEXT = declare("XText", _NS + "XText", (XText,), bases=(xl.XNODE,))
XTEXT.construct = _new_text(XText)
XTEXT.members["Value"] = lambda x: x.value
XTEXT.setters["Value"] = lambda x, v: setattr(x, "value", _text_of(v))
XTEXT.sign("new(string value)", "new(XText other)", "string Value { get; set; }")
XCDATA = declare("XCData", _NS + "XCData", (XCData,), bases=(XTEXT,))
XCDATA.construct = _new_text(XCData)
XCDATA.sign("new(string value)", "new(XCData other)")
XCOMMENT = declare("XComment", _NS + "XComment", (XComment,), bases=(xl.XNODE,))
XCOMMENT.construct = _new_comment
XCOMMENT.members["Value"] = lambda c: c.el.text or ""
XCOMMENT.setters["Value"] = lambda c, v: setattr(c.el, "text", _text_of(v))
XCOMMENT.sign("new(string value)", "new(XComment other)", "string Value { get; set; }")
XPI = declare(
    "XProcessingInstruction",
    _NS + "XProcessingInstruction",
    (XProcessingInstruction,),
    bases=(xl.XNODE,),
)
XPI.construct = _new_instruction
XPI.members["Target"] = lambda p: p.el.target
XPI.members["Data"] = lambda p: p.el.text or ""
XPI.setters["Data"] = lambda p, v: setattr(p.el, "text", _text_of(v))
XPI.sign(
    "new(string target, string data)",
    "new(XProcessingInstruction other)",
    "string Target { get; }",
    "string Data { get; set; }",
)
XDECLARATION = declare("XDeclaration", _NS + "XDeclaration", (XDeclaration,))
XDECLARATION.construct = _new_declaration


def _declaration_part(attr: str) -> tuple[Getter, Setter]:
    def get(d: XDeclaration) -> object:
        return getattr(d, attr)

    def set_(d: XDeclaration, v: object) -> None:
        setattr(d, attr, v if isinstance(v, str) else None)

    return get, set_


for _part in ("Version", "Encoding", "Standalone"):
    XDECLARATION.members[_part], XDECLARATION.setters[_part] = _declaration_part(_part.lower())
XDECLARATION.methods["ToString"] = lambda d, a, t: str(d)
XDECLARATION.sign(
    "new(string version, string encoding, string standalone)",
    "new(XDeclaration other)",
    "string Version { get; set; }",
    "string Encoding { get; set; }",
    "string Standalone { get; set; }",
    "string ToString()",
)

NODE_METHODS: Final[dict[str, Method]] = {
    "Remove": _remove,
    "ReplaceWith": _replace_with,
    "AddBeforeSelf": _add_before,
    "AddAfterSelf": _add_after,
    "ToString": _to_string,
    "NodesAfterSelf": lambda n, a, t: linq.Seq(lambda: _siblings(n)[0][_siblings(n)[1] + 1 :]),
    "NodesBeforeSelf": lambda n, a, t: linq.Seq(lambda: _siblings(n)[0][: max(_siblings(n)[1], 0)]),
    "ElementsAfterSelf": lambda n, a, t: linq.Seq(
        lambda: xl._filter(
            (x.el for x in _siblings(n)[0][_siblings(n)[1] + 1 :] if isinstance(x, XElement)), a
        )
    ),
    "ElementsBeforeSelf": lambda n, a, t: linq.Seq(
        lambda: xl._filter(
            (x.el for x in _siblings(n)[0][: max(_siblings(n)[1], 0)] if isinstance(x, XElement)),
            a,
        )
    ),
}
NODE_MEMBERS: Final = {
    "NextNode": lambda n: _next(n, 1),
    "PreviousNode": lambda n: _next(n, -1),
}
NODE_SIGNATURES = (
    "XNode NextNode { get; }",
    "XNode PreviousNode { get; }",
    "void Remove()",
    "void ReplaceWith(object content)",
    "void ReplaceWith(params object[] content)",
    "void AddBeforeSelf(object content)",
    "void AddBeforeSelf(params object[] content)",
    "void AddAfterSelf(object content)",
    "void AddAfterSelf(params object[] content)",
    "IEnumerable<XNode> NodesAfterSelf()",
    "IEnumerable<XNode> NodesBeforeSelf()",
    "IEnumerable<XElement> ElementsAfterSelf()",
    "IEnumerable<XElement> ElementsAfterSelf(XName name)",
    "IEnumerable<XElement> ElementsBeforeSelf()",
    "IEnumerable<XElement> ElementsBeforeSelf(XName name)",
    "string ToString(SaveOptions options)",
)
CONTAINER_METHODS: Final[dict[str, Method]] = {
    "Add": _add,
    "AddFirst": _add_first,
    "Nodes": lambda c, a, t: (
        arity("XContainer", "Nodes", a, 0),
        linq.Seq(lambda: _nodes_of(c), "XContainer"),
    )[1],
    "DescendantNodes": lambda c, a, t: (
        arity("XContainer", "DescendantNodes", a, 0),
        linq.Seq(lambda: _descendant_nodes(c), "XContainer"),
    )[1],
    "RemoveNodes": _remove_nodes,
    "ReplaceNodes": _replace_nodes,
    "ToString": _to_string,
}
CONTAINER_MEMBERS: Final = {
    "FirstNode": lambda c: next(iter(_nodes_of(c)), None),
    "LastNode": lambda c: (_nodes_of(c) or [None])[-1],
}
CONTAINER_SIGNATURES = (
    "XNode FirstNode { get; }",
    "XNode LastNode { get; }",
    "void Add(object content)",
    "void Add(params object[] content)",
    "void AddFirst(object content)",
    "void AddFirst(params object[] content)",
    "IEnumerable<XNode> Nodes()",
    "IEnumerable<XNode> DescendantNodes()",
    "void RemoveNodes()",
    "void ReplaceNodes(object content)",
    "void ReplaceNodes(params object[] content)",
)
ELEMENT_METHODS: Final[dict[str, Method]] = {
    "SetAttributeValue": _set_attribute_value,
    "SetElementValue": _set_element_value,
    "SetValue": lambda x, a, t: (
        _set_value(x, a[0]) if arity("XElement", "SetValue", a, 1) else None
    ),
    "RemoveAll": _remove_all,
    "RemoveAttributes": lambda x, a, t: (
        _clear_attributes(x.el) if arity("XElement", "RemoveAttributes", a, 0) else None
    ),
    "ReplaceAll": _replace_all,
    "ReplaceAttributes": _replace_attributes,
}
ELEMENT_SIGNATURES = (
    "void SetAttributeValue(XName name, object value)",
    "void SetElementValue(XName name, object value)",
    "void SetValue(object value)",
    "void RemoveAll()",
    "void RemoveAttributes()",
    "void ReplaceAll(object content)",
    "void ReplaceAll(params object[] content)",
    "void ReplaceAttributes(object content)",
    "void ReplaceAttributes(params object[] content)",
)
ATTRIBUTE_SIGNATURES = (
    "XAttribute NextAttribute { get; }",
    "XAttribute PreviousAttribute { get; }",
    "void SetValue(object value)",
    "void Remove()",
)

TYPES: tuple[TypeRef, ...] = (NODE_TYPE, SAVE_OPTIONS, XTEXT, XCDATA, XCOMMENT, XPI, XDECLARATION)


def register(registry: Registry) -> None:
    """Node types join XObject/XNode; editing and navigation join XNode, XContainer, XElement,
    XAttribute and XDocument."""
    new_nodes = (XText, XCData, XComment, XProcessingInstruction)
    xl.XOBJECT.py_types = (*xl.XOBJECT.py_types, *new_nodes)
    xl.XNODE.py_types = (*xl.XNODE.py_types, *new_nodes)
    xl.XOBJECT.members["NodeType"] = _node_type
    xl.XOBJECT.members["Parent"] = lambda n: xl._wrap(_parent_element(n))
    xl.XOBJECT.sign("XmlNodeType NodeType { get; }", "XElement Parent { get; }")
    xl.XNODE.methods.update(NODE_METHODS)
    xl.XNODE.members.update(NODE_MEMBERS)
    xl.XNODE.sign(*NODE_SIGNATURES)
    xl.XCONTAINER.methods.update(CONTAINER_METHODS)
    xl.XCONTAINER.members.update(CONTAINER_MEMBERS)
    xl.XCONTAINER.sign(*CONTAINER_SIGNATURES)
    xl.XELEMENT.methods.update(ELEMENT_METHODS)
    xl.XELEMENT.setters["Value"] = lambda x, v: _set_value(x, _text_of(v))
    xl.XELEMENT.setters["Name"] = _rename
    xl.XELEMENT.sign(*ELEMENT_SIGNATURES)
    xl.XATTRIBUTE.setters["Value"] = _set_attribute
    xl.XATTRIBUTE.methods["SetValue"] = lambda at, a, t: (
        _set_attribute(at, a[0]) if arity("XAttribute", "SetValue", a, 1) else None
    )
    xl.XATTRIBUTE.methods["Remove"] = _remove
    xl.XATTRIBUTE.members["NextAttribute"] = lambda at: _next_attribute(at, 1)
    xl.XATTRIBUTE.members["PreviousAttribute"] = lambda at: _next_attribute(at, -1)
    xl.XATTRIBUTE.sign(*ATTRIBUTE_SIGNATURES)
    xl.XDOCUMENT.construct = _new_document
    xl.XELEMENT.construct = _new_element
    xl.XDOCUMENT.setters["Declaration"] = lambda d, v: setattr(
        d, "declaration", v if isinstance(v, XDeclaration) else None
    )
    xl.XDOCUMENT.sign("new(XDeclaration declaration, params object[] content)")
    for cls in (XText, XCData, XComment, XProcessingInstruction):
        dotnet.EQUALITY_HOOKS[cls] = _same
    registry.add(*TYPES)
