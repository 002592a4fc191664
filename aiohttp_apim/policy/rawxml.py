"""Lift raw policy expressions out of APIM policy text so that an XML parser can read it.

APIM policy documents, as users write them, are not well-formed XML: ``@(...)`` and ``@{...}``
expressions sit raw in attribute values and element text, with their own ``"``, ``<``, ``&``::

    <set-variable name="k" value="@("user-" + context.Variables["id"])" />

:func:`scan` walks the text as XML and, inside attribute values, element text and CDATA, hands
every expression to a C#-aware scanner that decides where it ends (balanced brackets; regular,
verbatim, interpolated strings; char literals; comments). Each expression span is replaced by a
placeholder of private-use characters followed by as many newlines as the span held, so line numbers
stay those of the original file. :func:`parse` then reads the placeholder text with a hardened lxml
parser; :meth:`ScannedDocument.restore` / :meth:`ScannedDocument.expression_in` turn the values lxml
returns back into expression sources.

Expression sources are XML-entity-decoded (``&quot;`` -> ``"``): a well-formed, escaped document and
a raw one give the same expressions. Before anything else the text loses a leading byte order mark
and its line ends are normalised to ``\\n`` (as an XML parser does), so every line and column
reported here counts lines of the file as an editor shows them, and columns count characters (a tab
counts as one), both 1-based.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from lxml import etree

from ..errors import PolicyError, Problem

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "AttrPosition",
    "RawExpression",
    "ScannedDocument",
    "TagPosition",
    "normalize",
    "parse",
    "scan",
]

MAX_DOCUMENT_BYTES = 256 * 1024
"""APIM refuses policy documents larger than 256 KiB (UTF-8); so do we, before any work."""


@dataclass(frozen=True, slots=True)
class RawExpression:
    """One ``@(...)`` / ``@{...}`` span of a policy file."""

    source: str
    """The expression as C# sees it, starting with ``@(`` or ``@{``; XML entities decoded (except
    inside CDATA, where there are none), line ends normalised to ``\\n``."""
    line: int
    """Line of the ``@`` in the file (1-based)."""
    column: int
    """Column of the ``@`` in the file (1-based, in characters)."""
    _anchors: tuple[tuple[int, int, int], ...] = field(default=(), repr=False, compare=False)
    # (index in source, file line, file column) just after each decoded XML entity: between two
    # anchors the source and the file hold the same characters, which is all position_of needs.

    def position_of(self, line: int, column: int) -> tuple[int, int]:
        """The file position of the character at ``line``:``column`` of :attr:`source`
        (1-based; line 1 column 1 is the ``@``), e.g. to place an ``ExpressionSyntaxError``."""
        source = self.source
        index = 0
        for _ in range(line - 1):
            newline = source.find("\n", index)
            if newline < 0:
                break
            index = newline + 1
        index = max(0, min(len(source), index + column - 1))
        at, file_line, file_column = 0, self.line, self.column
        for anchor in self._anchors:
            if anchor[0] > index:
                break
            at, file_line, file_column = anchor
        for char in source[at:index]:
            if char == "\n":
                file_line, file_column = file_line + 1, 1
            else:
                file_column += 1
        return file_line, file_column


@dataclass(frozen=True, slots=True)
class AttrPosition:
    """Where an attribute of a start tag sits in the file."""

    name: str
    """As written, prefix included (``xmlns:x`` too: lxml keeps those out of ``attrib``)."""
    line: int
    column: int
    value_line: int
    """Position of the first character inside the quotes."""
    value_column: int


@dataclass(frozen=True, slots=True)
class TagPosition:
    """Where a start tag (or empty-element tag) sits in the file, and its attributes in order."""

    name: str
    line: int
    """Position of the ``<``."""
    column: int
    attributes: tuple[AttrPosition, ...]


@dataclass(frozen=True, slots=True)
class _Span:
    """One replaced expression: [start, end) in the normalised text, [xml_start, xml_end) in xml."""

    start: int
    end: int
    xml_start: int
    xml_end: int


@dataclass(frozen=True, slots=True)
class _Layout:
    """What ScannedDocument needs to map positions and placeholders back; not part of the API."""

    text: str = ""
    line_starts: tuple[int, ...] = (0,)
    spans: tuple[_Span, ...] = ()
    newlines: tuple[int, ...] = ()
    open: str = "\ue000"
    close: str = "\ue001"
    encoding: tuple[int, int] | None = None
    """[start, end) of the ``encoding="..."`` pseudo-attribute of the XML declaration: parse()
    blanks it, because it hands lxml UTF-8 whatever the file said (the text is already decoded)."""


@dataclass(frozen=True, slots=True)
class ScannedDocument:
    """A policy text with every expression replaced by a placeholder, ready for an XML parser."""

    xml: str
    """The text with each expression span replaced by a placeholder followed by as many ``\\n`` as
    the span held: same line count, so lxml's ``sourceline`` is the file's line."""
    expressions: tuple[RawExpression, ...]
    tags: tuple[TagPosition, ...]
    """Every start tag in document order: the order of ``root.iter(etree.Element)``."""
    doctype: tuple[int, int] | None = None
    """(line, column) of a ``<!DOCTYPE``, if the text has one; :func:`parse` rejects it."""
    _layout: _Layout = field(default_factory=_Layout, repr=False, compare=False)

    def _placeholder(self) -> re.Pattern[str]:
        layout = self._layout
        return re.compile(re.escape(layout.open) + "([0-9]+)" + re.escape(layout.close))

    def restore(self, value: str) -> str:
        """``value`` (an attribute value or text as lxml returns it) with each placeholder
        replaced by its expression source.

        The newlines that followed a placeholder are dropped too, whether lxml kept them (text) or
        turned them into spaces (attribute-value normalisation); anything else is kept as is.
        """
        pattern = self._placeholder()
        parts: list[str] = []
        at = 0
        while (match := pattern.search(value, at)) is not None:
            parts.append(value[at : match.start()])
            index = int(match.group(1))
            if index >= len(self.expressions):  # not one of ours: leave it alone
                parts.append(match.group(0))
                at = match.end()
                continue
            parts.append(self.expressions[index].source)
            at = match.end()
            for _ in range(self._layout.newlines[index]):
                if at < len(value) and value[at] in "\n ":
                    at += 1
        parts.append(value[at:])
        return "".join(parts)

    def expression_in(self, value: str) -> RawExpression | None:
        """The expression when ``value`` (surrounding XML whitespace ignored) is exactly one
        placeholder; None for a literal, or for text mixing literal text and expressions."""
        match = self._placeholder().fullmatch(value.strip(" \t\n\r"))
        if match is None:
            return None
        index = int(match.group(1))
        return self.expressions[index] if index < len(self.expressions) else None

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) of the file, stripped: the ``text`` of a Problem about it."""
        layout = self._layout
        if not 1 <= line <= len(layout.line_starts):
            return ""
        start = layout.line_starts[line - 1]
        end = layout.text.find("\n", start)
        return layout.text[start : end if end >= 0 else len(layout.text)].strip()

    def original_position(self, line: int, column: int) -> tuple[int, int]:
        """Map a position in :attr:`xml` (e.g. an lxml error's) to the file's; a position inside a
        placeholder maps to the ``@`` of its expression. Lines are equal; columns may differ."""
        xml_offset = _offset(_line_starts(self.xml), line, column)
        spans = self._layout.spans
        at = bisect.bisect_right([span.xml_start for span in spans], xml_offset) - 1
        if at < 0:
            offset = xml_offset
        elif xml_offset < spans[at].xml_end:
            offset = spans[at].start
        else:
            offset = spans[at].end + (xml_offset - spans[at].xml_end)
        return _position(self._layout.line_starts, offset)


def normalize(text: str) -> str:
    """``text`` as every position here counts it: without a leading byte order mark, line ends
    normalised to ``\\n`` (as XML does). Loaders computing their own offsets should use it too."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def scan(text: str, *, file: str) -> ScannedDocument:
    """Find every expression in ``text`` and replace it by a placeholder (see the module doc).

    Raises PolicyError (kind ``"xml"``) for an expression that does not end (unbalanced brackets,
    an unterminated string, char literal or comment), for markup the scanner cannot follow (an
    unquoted attribute value, an unterminated tag, comment or CDATA section...), and for a
    document larger than :data:`MAX_DOCUMENT_BYTES`. A DOCTYPE is only noted
    (:attr:`ScannedDocument.doctype`); :func:`parse` rejects it.
    """
    document, problem = _scan(text, file)
    if problem is not None:
        raise PolicyError([problem])
    return document


def parse(text: str, *, file: str) -> tuple[etree._Element, ScannedDocument]:
    """:func:`scan`, then parse the placeholder text with a hardened lxml parser.

    No DTD is loaded, no entity resolved, nothing fetched; a DOCTYPE is refused outright (no entity
    expansion games). Every failure is a PolicyError with problems of kind ``"xml"`` located in the
    original file.

    Zip ``root.iter(etree.Element)`` with :attr:`ScannedDocument.tags` for positions: lxml's
    ``sourceline`` is the line where a start tag *ends* (libxml2's choice), and it has no columns.
    """
    document, problem = _scan(text, file)
    layout = document._layout
    if document.doctype is not None and (
        problem is None
        or _offset(layout.line_starts, *document.doctype) < _problem_offset(document, problem)
    ):
        line, column = document.doctype
        raise PolicyError(
            [
                Problem(
                    "xml",
                    file,
                    line,
                    column,
                    "DOCTYPE declarations are not allowed in policy documents",
                    document.line_text(line),
                ),
            ]
        )
    xml = document.xml
    if layout.encoding is not None:
        start, end = layout.encoding
        xml = xml[:start] + " " * (end - start) + xml[end:]
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        # Bytes, not str: lxml refuses a str that carries an encoding declaration.
        root = etree.fromstring(xml.encode("utf-8", "surrogatepass"), parser)
    except etree.XMLSyntaxError as error:
        lxml_problem = _lxml_problem(document, file, error, parser.error_log)
        if problem is not None and _problem_offset(document, problem) < _problem_offset(
            document, lxml_problem
        ):
            # lxml went further than the scanner could: the scanner's complaint comes first.
            raise PolicyError([problem]) from None
        raise PolicyError([lxml_problem]) from None
    except (etree.LxmlError, ValueError) as error:  # pragma: no cover - lxml's own refusals
        raise PolicyError([Problem("xml", file, 1, 1, str(error))]) from None
    if problem is not None:
        raise PolicyError([problem])
    elements = list(root.iter(etree.Element))
    if len(elements) != len(document.tags) or any(
        etree.QName(element).localname != tag.name.rpartition(":")[2]
        for element, tag in zip(elements, document.tags, strict=True)
    ):  # pragma: no cover - would be a scanner bug; refuse rather than misplace every attribute
        raise PolicyError(
            [
                Problem(
                    "xml",
                    file,
                    1,
                    1,
                    "the raw-XML scanner lost track of the elements (please report this document)",
                ),
            ]
        )
    return root, document


# --- implementation ----------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|(quot|apos|lt|gt|amp));")
_NAMED = {"quot": '"', "apos": "'", "lt": "<", "gt": ">", "amp": "&"}
_NAME = re.compile(r"[^ \t\n\r/>=<\"']*")  # lenient: lxml judges names, we only need their ends
_SPACE = re.compile(r"[ \t\n\r]*")
_TEXT_STOP = re.compile(r"[<@&]")
_VALUE_STOP = {'"': re.compile(r'["@&]'), "'": re.compile(r"['@&]")}
_CDATA_STOP = re.compile(r"@")
_XML_DECL = re.compile(r"<\?xml[ \t\n\r]")
_ENCODING = re.compile(r"encoding[ \t\n\r]*=[ \t\n\r]*(?:\"[^\"]*\"|'[^']*')")

# C# scanner frames
_CODE, _HOLE, _FORMAT, _INTERPOLATED = range(4)
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _line_starts(text: str) -> tuple[int, ...]:
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return tuple(starts)


def _position(line_starts: tuple[int, ...], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


def _offset(line_starts: tuple[int, ...], line: int, column: int) -> int:
    line = max(1, min(line, len(line_starts)))
    return line_starts[line - 1] + max(column, 1) - 1


def _problem_offset(document: ScannedDocument, problem: Problem) -> int:
    return _offset(document._layout.line_starts, problem.line, problem.column)


def _lxml_problem(
    document: ScannedDocument, file: str, error: etree.XMLSyntaxError, log: etree._ListErrorLog
) -> Problem:
    # The parser's own log, not error.error_log: that one accumulates earlier parses' errors.
    # Its first error is the cause; the ones after it are consequences.
    # (lxml's stubs promise a position; an error raised without one has None.)
    position: tuple[int, int] | None = getattr(error, "position", None)
    message, line, column = error.msg, *(position or (1, 1))
    for entry in log:
        if entry.level >= etree.ErrorLevels.ERROR:
            message, line, column = entry.message, entry.line, entry.column
            break
    message = re.sub(r", line \d+, column \d+$", "", message) or "malformed XML"
    line, column = document.original_position(max(line, 1), max(column, 1))
    return Problem("xml", file, line, column, message, document.line_text(line))


def _sentinels(text: str) -> tuple[str, str] | None:
    """Two private-use characters absent from ``text``, to build placeholders that cannot clash."""
    present = set(text)
    free = (char for char in map(chr, range(0xE000, 0xF900)) if char not in present)
    first, second = next(free, None), next(free, None)
    return (first, second) if first is not None and second is not None else None


def _scan(text: str, file: str) -> tuple[ScannedDocument, Problem | None]:
    """Scan; a problem the scanner met in the markup is returned, not raised, so that parse() can
    prefer lxml's own message when lxml fails at or before that point. Problems with expressions
    (and a document too large to look at) are raised."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise PolicyError(
            [
                Problem(
                    "xml",
                    file,
                    1,
                    1,
                    f"the policy document is larger than APIM's limit of {MAX_DOCUMENT_BYTES // 1024} KiB",
                )
            ]
        )
    text = normalize(text)
    sentinels = _sentinels(text)
    if sentinels is None:  # pragma: no cover - needs every private-use character in one file
        raise PolicyError(
            [
                Problem(
                    "xml",
                    file,
                    1,
                    1,
                    "the document uses every private-use character; cannot scan it",
                )
            ]
        )
    scanner = _Scanner(text, file, sentinels)
    problem: Problem | None = None
    try:
        scanner.document()
    except _Stuck as stuck:
        problem = scanner.problem(stuck.offset, stuck.message)
    return scanner.result(), problem


class _Stuck(Exception):
    """Markup the scanner cannot follow; handled by _scan."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(slots=True)
class _Frame:
    kind: int
    closer: str
    start: int
    verbatim: bool = False


class _Scanner:
    """One pass over the text; every loop advances, so the whole scan is linear."""

    def __init__(self, text: str, file: str, sentinels: tuple[str, str]) -> None:
        self.text = text
        self.file = file
        self.open, self.close = sentinels
        self.line_starts = _line_starts(text)
        self.expressions: list[RawExpression] = []
        self.newlines: list[int] = []
        self.spans: list[_Span] = []
        self.tags: list[TagPosition] = []
        self.parts: list[str] = []
        self.copied = 0  # text[:copied] is already in parts
        self.xml_length = 0
        self.doctype: tuple[int, int] | None = None
        self.encoding: tuple[int, int] | None = None
        # what error messages say about the expression being scanned: where its "@" is, the
        # brackets and strings still open, and the quote of the attribute value holding it
        self.expression_start = 0
        self.frames: list[_Frame] = []
        self.quote: str | None = None

    # -- results

    def position(self, offset: int) -> tuple[int, int]:
        return _position(self.line_starts, offset)

    def line_text(self, offset: int) -> str:
        line, _ = self.position(offset)
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].strip()

    def problem(self, offset: int, message: str) -> Problem:
        line, column = self.position(offset)
        return Problem("xml", self.file, line, column, message, self.line_text(offset))

    def fail(self, offset: int, message: str) -> PolicyError:
        return PolicyError([self.problem(offset, message)])

    def result(self) -> ScannedDocument:
        self.parts.append(self.text[self.copied :])
        layout = _Layout(
            text=self.text,
            line_starts=self.line_starts,
            spans=tuple(self.spans),
            newlines=tuple(self.newlines),
            open=self.open,
            close=self.close,
            encoding=self.encoding,
        )
        return ScannedDocument(
            "".join(self.parts), tuple(self.expressions), tuple(self.tags), self.doctype, layout
        )

    # -- characters

    def char(self, at: int, limit: int, decode: bool) -> tuple[str, int]:
        """The character at ``at`` (an XML entity decoded when ``decode``) and where the next one
        starts; ``("", at)`` at ``limit``."""
        if at >= limit:
            return "", at
        char = self.text[at]
        if char != "&" or not decode:
            return char, at + 1
        match = _ENTITY.match(self.text, at, limit)
        if match is None:
            return char, at + 1
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            return _NAMED[name], match.end()
        digits = (decimal or hexadecimal).lstrip("0") or "0"
        code = int(digits, 10 if decimal is not None else 16) if len(digits) <= 8 else -1
        if not (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        ):
            raise self.fail(at, f"{match.group(0)} is not a legal XML character reference")
        return chr(code), match.end()

    def expression_at(self, at: int, limit: int, decode: bool) -> bool:
        char, after = self.char(at, limit, decode)
        return char == "@" and self.char(after, limit, decode)[0] in ("(", "{")

    # -- markup

    def document(self) -> None:
        text = self.text
        if _XML_DECL.match(text):
            end = text.find("?>")
            if end >= 0:
                encoding = _ENCODING.search(text, 0, end)
                if encoding is not None:
                    self.encoding = encoding.span()
        at = 0
        while at < len(text):
            at = self.content(at, len(text), decode=True)
            if at < len(text):
                at = self.markup(at)

    def content(
        self,
        at: int,
        limit: int,
        *,
        decode: bool,
        stop: re.Pattern[str] = _TEXT_STOP,
    ) -> int:
        """Text (or an attribute value / CDATA section, given its ``stop`` characters): lift the
        expressions; return the offset of the first stop character that is not ``@``/``&``."""
        text = self.text
        while True:
            found = stop.search(text, at, limit)
            if found is None:
                return limit
            at = found.start()
            if text[at] not in "@&":
                return at
            if self.expression_at(at, limit, decode):
                at = self.expression(at, limit, decode)
            else:
                at += 1

    def markup(self, at: int) -> int:
        text = self.text
        if text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            if end < 0:
                raise _Stuck(at, "comment is not terminated (missing '-->')")
            return end + 3
        if text.startswith("<![CDATA[", at):
            end = text.find("]]>", at + 9)
            if end < 0:
                raise _Stuck(at, "CDATA section is not terminated (missing ']]>')")
            self.content(at + 9, end, decode=False, stop=_CDATA_STOP)
            return end + 3
        if text.startswith("<!DOCTYPE", at):
            if self.doctype is None:
                self.doctype = self.position(at)
            return self.skip_doctype(at)
        if text.startswith("<!", at):
            raise _Stuck(at, "unexpected '<!': only comments and CDATA sections can start so")
        if text.startswith("<?", at):
            end = text.find("?>", at + 2)
            if end < 0:
                raise _Stuck(at, "processing instruction is not terminated (missing '?>')")
            return end + 2
        if text.startswith("</", at):
            end = text.find(">", at + 2)
            if end < 0:
                raise _Stuck(at, "end tag is not terminated (missing '>')")
            return end + 1
        return self.start_tag(at)

    def skip_doctype(self, at: int) -> int:
        text = self.text
        depth = 0
        index = at + 9
        while index < len(text):
            char = text[index]
            if char in "\"'":
                end = text.find(char, index + 1)
                if end < 0:
                    break
                index = end
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif char == ">" and depth <= 0:
                return index + 1
            index += 1
        raise _Stuck(at, "DOCTYPE declaration is not terminated")

    def name_end(self, at: int) -> int:
        match = _NAME.match(self.text, at)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def space_end(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        assert match is not None
        return match.end()

    def start_tag(self, start: int) -> int:
        text = self.text
        name_end = self.name_end(start + 1)
        if name_end == start + 1:
            raise _Stuck(start, "'<' must start a tag; write '&lt;' for a literal '<'")
        attributes: list[AttrPosition] = []
        at = name_end
        while True:
            at = self.space_end(at)
            if at >= len(text):
                raise _Stuck(start, "start tag is not terminated (missing '>')")
            if text[at] == ">":
                at += 1
                break
            if text.startswith("/>", at):
                at += 2
                break
            name_at = at
            at = self.name_end(at)
            if at == name_at:
                raise _Stuck(at, f"unexpected {text[at]!r} in start tag")
            name = text[name_at:at]
            at = self.space_end(at)
            if not text.startswith("=", at):
                raise _Stuck(name_at, f"attribute {name!r} has no value (expected '=')")
            at = self.space_end(at + 1)
            quote = text[at : at + 1]
            if quote not in ('"', "'"):
                raise _Stuck(at, f"the value of attribute {name!r} must be quoted")
            value_at = at + 1
            self.quote = quote
            at = self.content(value_at, len(text), decode=True, stop=_VALUE_STOP[quote])
            self.quote = None
            if at >= len(text):
                raise _Stuck(value_at - 1, f"the value of attribute {name!r} is not terminated")
            at += 1
            attributes.append(AttrPosition(name, *self.position(name_at), *self.position(value_at)))
        self.tags.append(
            TagPosition(text[start + 1 : name_end], *self.position(start), tuple(attributes))
        )
        return at

    # -- expressions

    def expression(self, start: int, limit: int, decode: bool) -> int:
        """Scan the expression whose ``@`` is at ``start``; record it; return where it ends."""
        end = self.csharp(start, limit, decode)
        source, anchors = self.decode(start, end, decode)
        line, column = self.position(start)
        index = len(self.expressions)
        self.expressions.append(RawExpression(source, line, column, anchors))
        newlines = self.text.count("\n", start, end)
        self.newlines.append(newlines)
        before = self.text[self.copied : start]
        placeholder = f"{self.open}{index}{self.close}" + "\n" * newlines
        xml_start = self.xml_length + len(before)
        self.parts += (before, placeholder)
        self.xml_length = xml_start + len(placeholder)
        self.copied = end
        self.spans.append(_Span(start, end, xml_start, self.xml_length))
        return end

    def decode(
        self,
        start: int,
        end: int,
        decode: bool,
    ) -> tuple[str, tuple[tuple[int, int, int], ...]]:
        text = self.text
        if not decode or text.find("&", start, end) < 0:
            return text[start:end], ()
        parts: list[str] = []
        anchors: list[tuple[int, int, int]] = []
        length = 0
        at = start
        while at < end:
            amp = text.find("&", at, end)
            if amp < 0:
                parts.append(text[at:end])
                break
            parts.append(text[at:amp])
            length += amp - at
            char, after = self.char(amp, end, decode)
            parts.append(char)
            length += 1
            if after != amp + 1:
                anchors.append((length, *self.position(after)))
            at = after
        return "".join(parts), tuple(anchors)

    def csharp(self, start: int, limit: int, decode: bool) -> int:
        """Where the C# expression starting with ``@(``/``@{`` at ``start`` ends (exclusive).

        A stack of frames instead of recursion: nesting depth is up to the input."""

        def char(at: int) -> tuple[str, int]:
            return self.char(at, limit, decode)

        def unterminated(what: str, at: int) -> PolicyError:
            where = "this CDATA section" if not decode else "the document"
            line, column = self.position(at)
            return self.fail(
                start,
                f"the expression does not end: {what} opened at "
                f"{line}:{column} is still open at the end of {where}",
            )

        self.expression_start = start
        _, at = char(start)  # "@"
        opener, at = char(at)
        stack = self.frames = [_Frame(_CODE, _CLOSERS[opener], start)]
        while True:
            frame = stack[-1]
            here = at
            current, at = char(at)
            if current == "":
                if frame.kind == _INTERPOLATED:
                    raise unterminated("an interpolated string", frame.start)
                if frame.kind == _FORMAT:
                    raise unterminated("an interpolation", frame.start)
                raise unterminated(f"'{_opener(frame.closer)}'", frame.start)
            if frame.kind == _INTERPOLATED:
                if current in "{}":
                    following, after = char(at)
                    if following == current:  # {{ or }}: a literal brace
                        at = after
                    elif current == "{":
                        stack.append(_Frame(_HOLE, "}", here, frame.verbatim))
                elif current == '"':
                    following, after = char(at)
                    if frame.verbatim and following == '"':
                        at = after
                    else:
                        stack.pop()
                elif current == "\\" and not frame.verbatim:
                    escaped, at = char(at)
                    if escaped in ("", "\n"):
                        raise unterminated("an interpolated string", frame.start)
                elif current == "\n" and not frame.verbatim:
                    raise unterminated("an interpolated string", frame.start)
                continue
            if frame.kind == _FORMAT:
                if current == "}":
                    stack.pop()
                elif current == "\n" and not frame.verbatim:
                    raise unterminated("an interpolated string", stack[-2].start)
                continue
            # code, or the code of an interpolation hole
            if current == '"':
                at = self.quoted(here, at, limit, decode, '"', "string literal")
            elif current == "'":
                at = self.quoted(here, at, limit, decode, "'", "character literal")
            elif current in "@$":
                following, after = char(at)
                if current == "@" and following == '"':
                    at = self.verbatim_string(here, after, limit, decode)
                elif following in ("@", "$") and following != current:
                    third, after_third = char(after)
                    if third == '"':  # $@"..." or @$"..."
                        stack.append(_Frame(_INTERPOLATED, '"', here, verbatim=True))
                        at = after_third
                elif current == "$" and following == '"':
                    stack.append(_Frame(_INTERPOLATED, '"', here))
                    at = after
            elif current == "/":
                following, after = char(at)
                if following == "/":
                    while (comment := char(after))[0] not in ("", "\n"):
                        after = comment[1]
                    at = after
                elif following == "*":
                    at = self.block_comment(here, after, limit, decode)
            elif current in _CLOSERS:
                stack.append(_Frame(_CODE, _CLOSERS[current], here))
            elif current in ")]}":
                if current != frame.closer:
                    line, column = self.position(here)
                    raise self.fail(
                        start,
                        f"unbalanced brackets in the expression: {current!r} at "
                        f"{line}:{column} where {frame.closer!r} was expected",
                    )
                stack.pop()
                if not stack:
                    return at
            elif current == ":" and frame.kind == _HOLE:
                following, after = char(at)
                if following == ":":  # global::Name
                    at = after
                else:  # format specifier, up to the '}' that ends the hole
                    stack[-1] = _Frame(_FORMAT, "}", frame.start, frame.verbatim)

    def quoted(self, start: int, at: int, limit: int, decode: bool, quote: str, what: str) -> int:
        """Past the closing ``quote`` of a C# literal with backslash escapes (no newlines)."""
        while True:
            char, at = self.char(at, limit, decode)
            escaped = char == "\\"
            if escaped:
                char, at = self.char(at, limit, decode)
            if char in ("", "\n"):
                raise self.string_error(start, what)
            if char == quote and not escaped:
                return at

    def verbatim_string(self, start: int, at: int, limit: int, decode: bool) -> int:
        while True:
            char, at = self.char(at, limit, decode)
            if char == "":
                raise self.string_error(start, "verbatim string literal")
            if char == '"':
                following, after = self.char(at, limit, decode)
                if following != '"':
                    return at
                at = after

    def block_comment(self, start: int, at: int, limit: int, decode: bool) -> int:
        while True:
            char, at = self.char(at, limit, decode)
            if char == "":
                raise self.string_error(start, "comment")
            if char == "*" and self.char(at, limit, decode)[0] == "/":
                return self.char(at, limit, decode)[1]

    def string_error(self, start: int, what: str) -> PolicyError:
        line, column = self.position(start)
        message = (
            f"the expression does not end: the {what} opened at {line}:{column} is not terminated"
        )
        if self.quote is not None and self.text[start] == self.quote:
            # the usual cause: a bracket missing, so the attribute's closing quote opened a string
            missing = "".join(frame.closer for frame in reversed(self.frames))
            message += (
                f"; if the attribute value was meant to end at {line}:{column}, the "
                f"expression is missing {missing!r}"
            )
        return self.fail(self.expression_start, message)


def _opener(closer: str) -> str:
    return {")": "(", "]": "[", "}": "{"}[closer]
