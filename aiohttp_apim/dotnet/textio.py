"""System.IO.StringReader and StringWriter: reading a string by characters and lines, and
writing text into a StringBuilder. Lines end at "\\r\\n", "\\r" or "\\n" when read; WriteLine
writes "\\n" (the gateway's Environment.NewLine, as StringBuilder.AppendLine)."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import Char, to_string
from aiohttp_apim.dotnet.strings import NetStringBuilder
from aiohttp_apim.errors import ExpressionError

__all__ = ["StringReader", "StringWriter"]

NEWLINE = "\n"


class StringReader:
    __slots__ = ("pos", "text")

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.pos = 0

    def source(self) -> str:
        if self.text is None:
            raise ExpressionError(
                "ObjectDisposedException", "Cannot read from a closed TextReader."
            )
        return self.text


class StringWriter:
    __slots__ = ("builder", "closed", "newline")

    def __init__(self, builder: NetStringBuilder) -> None:
        self.builder = builder
        self.newline = NEWLINE
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            raise ExpressionError("ObjectDisposedException", "Cannot write to a closed TextWriter.")
        self.builder.append(text)


def _reader_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> StringReader:
    arity("StringReader", ".ctor", a, 1)
    if a[0] is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 's')")
    if not isinstance(a[0], str):
        raise ExpressionError("ArgumentException", "Argument 's': cannot convert to 'string'")
    return StringReader(a[0])


def _read(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("StringReader", "Read", a, 0, 3)
    text = r.source()
    if not a:
        if r.pos >= len(text):
            return -1
        r.pos += 1
        return ord(text[r.pos - 1])
    return _read_block(r, a, t)


def _read_block(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("StringReader", "ReadBlock", a, 3)
    buffer = a[0]
    if not isinstance(buffer, list):
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'buffer')")
    index, count = strings._int_arg(a[1], "index"), strings._int_arg(a[2], "count")
    if index < 0 or count < 0 or index + count > len(buffer):
        raise ExpressionError(
            "ArgumentException",
            "Offset and length were out of bounds for the array or count is greater than the "
            "number of elements from index to the end of the source collection.",
        )
    text = r.source()
    chunk = text[r.pos : r.pos + count]
    buffer[index : index + len(chunk)] = [Char(c) for c in chunk]
    r.pos += len(chunk)
    return len(chunk)


def _peek(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("StringReader", "Peek", a, 0)
    text = r.source()
    return ord(text[r.pos]) if r.pos < len(text) else -1


def _read_line(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> str | None:
    arity("StringReader", "ReadLine", a, 0)
    text = r.source()
    start = r.pos
    if start >= len(text):
        return None
    end = start
    while end < len(text) and text[end] not in "\r\n":
        end += 1
    r.pos = end
    if end < len(text):
        r.pos += 2 if text[end] == "\r" and text[end + 1 : end + 2] == "\n" else 1
    return text[start:end]


def _read_to_end(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("StringReader", "ReadToEnd", a, 0)
    text = r.source()
    rest = text[r.pos :] if r.pos else text
    r.pos = len(text)
    return rest


def _close_reader(r: StringReader, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    r.text = None


READER = declare("StringReader", "System.IO.StringReader", (StringReader,))
READER.construct = _reader_ctor
READER.methods.update(
    {
        "Read": _read,
        "ReadBlock": _read_block,
        "Peek": _peek,
        "ReadLine": _read_line,
        "ReadToEnd": _read_to_end,
        "Close": _close_reader,
        "Dispose": _close_reader,
    }
)
READER.sign(
    "new(string s)",
    "int Read()",
    "int Read(char[] buffer, int index, int count)",
    "int ReadBlock(char[] buffer, int index, int count)",
    "int Peek()",
    "string ReadLine()",
    "string ReadToEnd()",
    "void Close()",
    "void Dispose()",
)


def _writer_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> StringWriter:
    arity("StringWriter", ".ctor", a, 0, 1, 2)
    builder = next((x for x in a if isinstance(x, NetStringBuilder)), None)
    return StringWriter(builder if builder is not None else NetStringBuilder())


def _text_of(a: Sequence[object]) -> str:
    if not a:
        return ""
    if len(a) > 1 and isinstance(a[0], str):  # Write(format, args...)
        return str(strings._format(a, ()))
    if len(a) == 3 and isinstance(a[0], list):  # Write(char[] buffer, int index, int count)
        index, count = strings._int_arg(a[1], "index"), strings._int_arg(a[2], "count")
        if index < 0 or count < 0 or index + count > len(a[0]):
            raise ExpressionError(
                "ArgumentException",
                "Offset and length were out of bounds for the array or count is greater than "
                "the number of elements from index to the end of the source collection.",
            )
        return "".join(str(c) for c in a[0][index : index + count])
    value = a[0]
    if isinstance(value, list) and all(type(c) is Char for c in value):
        return "".join(str(c) for c in value)
    if isinstance(value, bool):
        return "True" if value else "False"
    return to_string(value)


def _write(w: StringWriter, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("StringWriter", "Write", a, 1, 2, 3, 4)
    w.write(_text_of(a))


def _write_line(w: StringWriter, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    w.write(_text_of(a) + w.newline)


def _set_newline(w: StringWriter, v: object) -> None:
    w.newline = NEWLINE if v is None else to_string(v)


def _close_writer(w: StringWriter, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    w.closed = True


WRITER = declare("StringWriter", "System.IO.StringWriter", (StringWriter,))
WRITER.construct = _writer_ctor
WRITER.members["NewLine"] = lambda w: w.newline
WRITER.setters["NewLine"] = _set_newline
WRITER.methods.update(
    {
        "Write": _write,
        "WriteLine": _write_line,
        "ToString": lambda w, a, t: w.builder.text(),
        "GetStringBuilder": lambda w, a, t: w.builder,
        "Flush": lambda w, a, t: None,
        "Close": _close_writer,
        "Dispose": _close_writer,
    }
)


WRITER.sign(
    "new()",
    "new(StringBuilder sb)",
    "new(IFormatProvider formatProvider)",
    "new(StringBuilder sb, IFormatProvider formatProvider)",
    "string NewLine { get; set; }",
    "void Write(object value)",
    "void Write(string value)",
    "void Write(char value)",
    "void Write(char[] buffer)",
    "void Write(char[] buffer, int index, int count)",
    "void Write(string format, params object[] arg)",
    "void WriteLine()",
    "void WriteLine(object value)",
    "void WriteLine(string value)",
    "void WriteLine(string format, params object[] arg)",
    "string ToString()",
    "StringBuilder GetStringBuilder()",
    "void Flush()",
    "void Close()",
    "void Dispose()",
)

TYPES: tuple[TypeRef, ...] = (READER, WRITER)
