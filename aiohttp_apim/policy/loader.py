"""Policy XML -> typed model (``policy.model``), with every problem located in the file.

The raw text goes through ``rawxml.parse`` (expressions lifted out, hardened lxml parse); the
tree is then read by one small reader function per element (``READERS``), through the table in
``policy.schema``. Comments and processing instructions are ignored, whitespace is ignored, any
other stray text is a problem. Unsupported policies are reported and not descended into: their
content (and its expressions, which may use .NET we don't have) is never looked at -- nor is
that of a policy the caller asked to skip (``ignore_policies``). Every policy element met is
counted in a :class:`Census`: run, skipped or refused.

The document comes back only when there is no problem at all; otherwise ``None`` and the list
of every problem, in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, TypeVar, Unpack

from lxml import etree

from aiohttp_apim.errors import PolicyError, Problem, ProblemKind, did_you_mean
from aiohttp_apim.policy import rawxml
from aiohttp_apim.policy.model import (
    Expr,
    Fragment,
    Literal,
    Location,
    PolicyDocument,
    Section,
    SectionName,
    Statement,
)
from aiohttp_apim.policy.readers import READERS, Attrs, Broken
from aiohttp_apim.policy.schema import (
    APIM_POLICIES,
    STATEMENTS,
    SUPPORTED_POLICIES,
    UNSUPPORTED_CHILDREN,
    ElementSpec,
)
from aiohttp_apim.policy.validate import Placement, backend_problem, read_attributes
from aiohttp_apim.policy.values import Source

__all__ = ["Census", "LoadOptions", "load_document", "load_fragment"]

_Element = etree._Element
_AnyValue = Literal[Any] | Expr


@dataclass(slots=True)
class Census:
    """The policy elements of a policy set, by name and by what the gateway does with each:
    ``supported`` (it runs them), ``ignored`` (skipped, as ``ignore_policies`` asked) or
    ``refused`` (not supported: a problem)."""

    supported: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    first_ignored: dict[str, Location] = field(default_factory=dict)
    """Where each ignored element first occurs (for the warning that names it once)."""

    def ignore(self, name: str, location: Location) -> None:
        self.ignored[name] += 1
        self.first_ignored.setdefault(name, location)


class LoadOptions(TypedDict, total=False):
    """How :func:`load_document` and :func:`load_fragment` read a file, beyond its named values."""

    ignore_policies: Collection[str]
    """Policies we do not run that are skipped (counted as ignored) rather than refused."""
    census: Census
    """Where every policy element met is counted."""
    allow_missing_named_values: bool
    """Read a value naming an undefined named value as unknown instead of reporting it (for
    checking only: such a model cannot run)."""


def load_document(
    text: str, *, file: str, named_values: Mapping[str, str], **options: Unpack[LoadOptions]
) -> tuple[PolicyDocument | None, list[Problem]]:
    """Load one policy document (``<policies>`` root). Never raises for bad input: the
    document is None exactly when the returned list of problems is not empty."""
    return _load(Loader.document, text, file, named_values, options)


def load_fragment(
    text: str, *, file: str, named_values: Mapping[str, str], **options: Unpack[LoadOptions]
) -> tuple[Fragment | None, list[Problem]]:
    """Load one policy fragment (``<fragment>`` root); same contract as :func:`load_document`."""
    return _load(Loader.fragment, text, file, named_values, options)


_Root = TypeVar("_Root", PolicyDocument, Fragment)


def _load(
    read: Callable[[Loader], _Root | None],
    text: str,
    file: str,
    named_values: Mapping[str, str],
    options: LoadOptions,
) -> tuple[_Root | None, list[Problem]]:
    loader = Loader.parse(
        text,
        file,
        named_values,
        options.get("ignore_policies", ()),
        options.get("census"),
        options.get("allow_missing_named_values", False),
    )
    if isinstance(loader, list):
        return None, loader
    root = read(loader)
    problems = loader.finish()
    return (None if problems else root), problems


class Loader:
    """Reads one parsed file into the model (internal: the readers call back into it for
    positions, child elements, attributes and content)."""

    def __init__(
        self,
        src: Source,
        root: _Element,
        positions: dict[_Element, rawxml.TagPosition],
        ignore: Collection[str] = (),
        census: Census | None = None,
    ):
        self.src = src
        self.root = root
        self.positions = positions
        self.ignore = frozenset(ignore)
        self.census = census if census is not None else Census()

    @classmethod
    def parse(
        cls,
        text: str,
        file: str,
        named_values: Mapping[str, str],
        ignore: Collection[str] = (),
        census: Census | None = None,
        allow_missing_named_values: bool = False,
    ) -> Loader | list[Problem]:
        try:
            root, scanned = rawxml.parse(text, file=file)
        except PolicyError as error:
            return list(error.problems)
        # rawxml lists every start tag in document order, which is lxml's element order.
        positions = dict(zip(root.iter(etree.Element), scanned.tags, strict=False))
        src = Source(
            text,
            file=file,
            scanned=scanned,
            named_values=named_values,
            allow_missing_named_values=allow_missing_named_values,
        )
        return cls(src, root, positions, ignore, census)

    def finish(self) -> list[Problem]:
        return sorted(self.src.problems, key=lambda p: (p.line, p.column))

    # --- positions --------------------------------------------------------------------------

    def tag(self, el: _Element) -> rawxml.TagPosition:
        found = self.positions.get(el)
        if found is None:  # only if the scanner and lxml disagree; keep a usable position
            return rawxml.TagPosition(str(el.tag), el.sourceline or 1, 1, ())
        return found

    def loc(self, el: _Element) -> Location:
        tag = self.tag(el)
        return self.src.location(tag.line, tag.column)

    def report(self, kind: ProblemKind, el: _Element, message: str) -> None:
        tag = self.tag(el)
        self.src.problem(kind, tag.line, tag.column, message, self.src.line_text(tag.line))

    # --- structure --------------------------------------------------------------------------

    def elements(self, el: _Element, where: str) -> list[_Element]:
        """``el``'s child elements; stray non-whitespace text around them is a problem."""
        anchor = self.tag(el)
        self._stray(el.text, anchor.line, anchor.column, where)
        children: list[_Element] = []
        for child in el:
            if isinstance(child.tag, str):
                children.append(child)
                anchor = self.tag(child)
            self._stray(child.tail, anchor.line, anchor.column, where)
        return children

    def _stray(self, text: str | None, line: int, column: int, where: str) -> None:
        if not text or not text.strip():
            return
        shown = self.src.scanned.restore(text).strip()
        first = shown.split("\n", 1)[0].strip()
        at = self.src.find(first, line, column) or (line, column)
        self.src.problem("validation", *at, f"unexpected text {_clip(first)!r} in <{where}>", first)

    def empty(self, el: _Element, spec: ElementSpec) -> None:
        """The element takes neither child elements nor text."""
        for child in self.elements(el, spec.name):
            self.report(
                "validation", child, f"unexpected element <{self.tag(child).name}> in <{spec.name}>"
            )

    def parts(self, el: _Element, spec: ElementSpec) -> list[tuple[str, _Element]]:
        """The child elements of a policy made of parts, checked against its spec."""
        result: list[tuple[str, _Element]] = []
        counts: dict[str, int] = {}
        for child in self.elements(el, spec.name):
            name = self.tag(child).name
            child_spec = spec.child(str(child.tag))
            if child_spec is None:
                if name in UNSUPPORTED_CHILDREN.get(spec.name, ()):
                    if name in self.ignore:
                        self.census.ignore(name, self.loc(child))
                        continue
                    self.census.refused[name] += 1
                    self.report(
                        "unsupported-policy",
                        child,
                        f"<{name}> in <{spec.name}> is not supported; {_skip_hint(name)}",
                    )
                else:
                    expected = ", ".join(f"<{c.name}>" for c in spec.children)
                    self.report(
                        "validation",
                        child,
                        f"unexpected element <{name}> in <{spec.name}>"
                        + did_you_mean(name, (c.name for c in spec.children), quote="<")
                        + (f" (expected {expected})" if expected else ""),
                    )
                continue
            counts[name] = counts.get(name, 0) + 1
            if child_spec.max is not None and counts[name] > child_spec.max:
                self.report("validation", child, f"<{name}> may appear only once in <{spec.name}>")
                continue
            result.append((name, child))
        for child_spec in spec.children:
            if child_spec.required and not counts.get(child_spec.name):
                self.report(
                    "validation", el, f"<{spec.name}> needs at least one <{child_spec.name}>"
                )
        return result

    def attributes(self, el: _Element, spec: ElementSpec) -> Attrs:
        attrib = {str(k): str(v) for k, v in el.attrib.items()}
        return Attrs(read_attributes(self.src, attrib, self.tag(el), spec))

    def content(
        self, el: _Element, spec: ElementSpec, *, markup: bool = False, lenient: bool = False
    ) -> _AnyValue | None:
        """The element's text as a value. With ``markup`` child elements are part of the
        content, kept as written (Liquid templates, literal XML bodies)."""
        tag = self.tag(el)
        if markup:
            text = (el.text or "") + "".join(
                etree.tostring(child, encoding="unicode", with_tail=True) for child in el
            )
        else:
            for child in el:
                if isinstance(child.tag, str):
                    self.report(
                        "validation",
                        child,
                        f"unexpected element <{self.tag(child).name}> in <{spec.name}>",
                    )
            text = el.text or ""
        search = (
            (tag.attributes[-1].value_line, tag.attributes[-1].value_column)
            if tag.attributes
            else (tag.line, tag.column)
        )
        return self.src.read(
            text,
            type_=str,
            unit=None,
            expressions=spec.text_expressions,
            what=f"the content of <{spec.name}>",
            line=tag.line,
            column=tag.column,
            text=self.src.line_text(tag.line),
            search=search,
            content=True,
            lenient_names=lenient,
        )

    # --- documents --------------------------------------------------------------------------

    def document(self) -> PolicyDocument | None:
        root = self.root
        if root.tag != "policies":
            self.report(
                "validation",
                root,
                f"the root element must be <policies>, not <{self.tag(root).name}>",
            )
            return None
        self.attributes(root, _NO_ATTRIBUTES["policies"])
        root_loc = self.loc(root)
        sections: dict[SectionName, Section] = {}
        names = {str(s): s for s in SectionName}
        for child in self.elements(root, "policies"):
            tag = self.tag(child)
            name = names.get(str(child.tag))
            if name is None:
                self.report(
                    "validation",
                    child,
                    f"unknown section <{tag.name}>"
                    + did_you_mean(tag.name, names, quote="<")
                    + " (expected <inbound>, <backend>, <outbound> or <on-error>)",
                )
                continue
            if name in sections:
                first = sections[name].location
                self.report(
                    "validation",
                    child,
                    f"duplicate section <{name}> (the first is at line {first.line})",
                )
            self.attributes(child, _NO_ATTRIBUTES[str(name)])
            items = self.statements(child, Placement(name), str(name))
            if name is SectionName.BACKEND:
                self._single_backend_policy(child)
            sections.setdefault(
                name, Section(name=name, items=items, location=self.loc(child), present=True)
            )

        def section(name: SectionName) -> Section:
            return sections.get(name) or Section(
                name=name, items=(), location=root_loc, present=False
            )

        return PolicyDocument(
            file=self.src.file,
            inbound=section(SectionName.INBOUND),
            backend=section(SectionName.BACKEND),
            outbound=section(SectionName.OUTBOUND),
            on_error=section(SectionName.ON_ERROR),
        )

    def _single_backend_policy(self, backend: _Element) -> None:
        children = [c for c in backend if isinstance(c.tag, str)]
        if len(children) < 2:
            return
        first = (self.tag(children[0]).name, self.loc(children[0]))
        for extra in children[1:]:
            tag = self.tag(extra)
            self.src.problems.append(
                backend_problem(first, (tag.name, self.loc(extra)), self.src.line_text(tag.line))
            )

    def fragment(self) -> Fragment | None:
        root = self.root
        if root.tag != "fragment":
            self.report(
                "validation",
                root,
                f"the root element of a policy fragment must be <fragment>, "
                f"not <{self.tag(root).name}>",
            )
            return None
        self.attributes(root, _NO_ATTRIBUTES["fragment"])
        items = self.statements(root, Placement(None, fragment=True), "fragment")
        return Fragment(file=self.src.file, items=items, location=self.loc(root))

    def statements(self, el: _Element, placement: Placement, where: str) -> tuple[Statement, ...]:
        items: list[Statement] = []
        for child in self.elements(el, where):
            item = self.statement(child, placement)
            if item is not None:
                items.append(item)
        return tuple(items)

    def statement(self, el: _Element, placement: Placement) -> Statement | None:
        tag = self.tag(el)
        spec = STATEMENTS.get(str(el.tag))
        if spec is None:
            name = tag.name
            if name in self.ignore:
                self.census.ignore(name, self.loc(el))
                return None
            self.census.refused[name] += 1
            self.report("unsupported-policy", el, _unsupported(name))
            return None
        self.src.problems.extend(
            placement.check(spec.name, self.loc(el), self.src.line_text(tag.line))
        )
        return self.read(el, spec, placement)

    def read(self, el: _Element, spec: ElementSpec, placement: Placement) -> Statement | None:
        """Read a supported policy element, as a statement or as part of another policy."""
        self.census.supported[spec.name] += 1
        attrs = self.attributes(el, spec)
        try:
            return READERS[spec.name](self, el, spec, placement, attrs)
        except Broken:
            return None


def _unsupported(name: str) -> str:
    supported = f"supported policies: {', '.join(SUPPORTED_POLICIES)}"
    if name in APIM_POLICIES:
        return f"policy <{name}> is not supported; {_skip_hint(name)} ({supported})"
    hint = did_you_mean(name, APIM_POLICIES, quote="<")
    return f"policy <{name}> is not supported{hint} ({supported})"


def _skip_hint(name: str) -> str:
    return (
        f"to run the rest of the policy without it, skip it with ignore_policies={{{name!r}}} "
        f"(check --ignore-policy {name})"
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_NO_ATTRIBUTES = {
    name: ElementSpec(name, statement=False)
    for name in ("policies", "fragment", *(str(section) for section in SectionName))
}
