"""Validation rules of policy documents, driven by the table in ``policy.schema``.

Three kinds of rules live here:

* attribute rules (:func:`read_attributes`): unknown attributes, missing required ones,
  expressions where APIM forbids them, literal conversion (through ``policy.values``);
* placement rules (:class:`Placement`): which section a policy may stand in, policies not allowed
  in fragments, ``<base/>`` only at the top level of a section and only once, policies allowed
  once per section, the backend section's single policy;
* the same placement rules over the model (:func:`placement_problems`), for statements that only
  meet their section when a fragment is inlined.

Every rule reports and carries on: all problems are collected, none stops the load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp_apim.errors import Problem, did_you_mean
from aiohttp_apim.policy.model import (
    Expr,
    Literal,
    Location,
    SectionName,
    Statement,
    walk,
)
from aiohttp_apim.policy.rawxml import TagPosition
from aiohttp_apim.policy.schema import STATEMENTS, ElementSpec
from aiohttp_apim.policy.values import Source, convert_literal

__all__ = ["Placement", "placement_problems", "read_attributes", "section_list"]


def section_list(sections: Iterable[SectionName]) -> str:
    order = list(SectionName)
    return ", ".join(str(s) for s in sorted(sections, key=order.index))


def read_attributes(
    src: Source,
    attrib: Mapping[str, str],
    tag: TagPosition,
    spec: ElementSpec,
) -> dict[str, Literal[Any] | Expr]:
    """The element's attributes as model values (documented defaults filled in as literals).

    An attribute with a problem is left out of the result after the problem is reported; the
    caller notices by the missing key (or by the problem count)."""
    positions = {a.name: a for a in tag.attributes}
    element_text = src.line_text(tag.line)
    result: dict[str, Literal[Any] | Expr] = {}
    for name, value in attrib.items():
        pos = positions.get(name)
        line, column = (pos.line, pos.column) if pos else (tag.line, tag.column)
        search = (pos.value_line, pos.value_column) if pos else (tag.line, tag.column)
        shown = f'{name}="{src.scanned.restore(value)}"'
        attr = spec.by_name.get(name)
        if attr is None:
            allowed = ", ".join(a.name for a in spec.attributes)
            src.problem(
                "validation",
                line,
                column,
                f"unknown attribute {name!r} on <{spec.name}>"
                + did_you_mean(name, spec.by_name)
                + (f" (allowed: {allowed})" if allowed else " (it takes no attributes)"),
                shown,
            )
            continue
        read = src.read(
            value,
            type_=attr.type,
            unit=attr.unit,
            expressions=attr.expressions,
            what=f"attribute {name!r} of <{spec.name}>",
            line=line,
            column=column,
            text=shown,
            search=search,
        )
        if isinstance(read, Literal) and not _within(read.value, attr.minimum, attr.maximum):
            bounds = (
                f"at least {attr.minimum}"
                if attr.maximum is None
                else f"between {attr.minimum} and {attr.maximum}"
                if attr.minimum is not None
                else f"at most {attr.maximum}"
            )
            src.problem(
                "validation",
                line,
                column,
                f"invalid attribute {name!r} of <{spec.name}>: expected {bounds}"
                f"{f' {attr.unit}' if attr.unit else ''}, got {value!r}",
                shown,
            )
            continue
        if read is not None:
            result[name] = read
    for attr in spec.attributes:
        if attr.name in attrib:
            continue
        if attr.required:
            src.problem(
                "validation",
                tag.line,
                tag.column,
                f"<{spec.name}> is missing the required attribute {attr.name!r}",
                element_text,
            )
        elif attr.default is not None:
            value, error = convert_literal(attr.default, attr.type, attr.unit)
            assert error is None, (spec.name, attr.name)  # the table's own defaults are valid
            result[attr.name] = Literal(value, attr.default, src.location(tag.line, tag.column))
    return result


def _within(value: object, minimum: int | None, maximum: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


# --- placement --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    """What one section (or fragment) holds so far, for once-per-section rules."""

    first: dict[str, Location] = field(default_factory=dict)


@dataclass(slots=True)
class Placement:
    """Where a statement stands: its section (None inside a fragment, whose section is only
    known when it is included), whether inside a fragment, whether at the top level of the
    section, and the enclosing element for messages."""

    section: SectionName | None
    fragment: bool = False
    top_level: bool = True
    inside: str | None = None
    seen: _Seen = field(default_factory=_Seen)

    def nested(self, inside: str) -> Placement:
        return Placement(self.section, self.fragment, False, inside, self.seen)

    def check(self, name: str, location: Location, text: str) -> list[Problem]:
        """Problems of placing the statement ``name`` here (and record it as seen)."""
        spec = STATEMENTS[name]
        problems: list[Problem] = []

        def add(message: str) -> None:
            problems.append(
                Problem("validation", location.file, location.line, location.column, message, text)
            )

        if name == "base":
            if self.fragment:
                add("<base/> is not allowed in a policy fragment")
                return problems
            if not self.top_level:
                add(
                    f"<base/> is only allowed at the top level of a section, not inside "
                    f"<{self.inside}>"
                )
                return problems
        if self.fragment and not spec.in_fragment:
            add(f"<{name}> is not allowed in a policy fragment")
        if self.section is not None and self.section not in spec.sections:
            add(
                f"<{name}> is not allowed in the {self.section} section "
                f"(allowed in: {section_list(spec.sections)})"
            )
        if name == "base" or spec.once_per_section or (spec.once_at_top_level and self.top_level):
            first = self.seen.first.get(name)
            if first is None:
                self.seen.first[name] = location
            elif name == "base":
                add(f"a section may contain only one <base/> (the first is at line {first.line})")
            else:
                where = "fragment" if self.fragment else "section"
                add(
                    f"<{name}> may appear only once in a policy {where} "
                    f"(the first is at line {first.line})"
                )
        return problems


def backend_problem(first: tuple[str, Location], extra: tuple[str, Location], text: str) -> Problem:
    """The backend section holds one policy element; ``extra`` is a second one."""
    name, location = extra
    return Problem(
        "validation",
        location.file,
        location.line,
        location.column,
        f"the backend section may contain only one policy; <{name}> follows "
        f"<{first[0]}> (line {first[1].line})",
        text,
    )


def placement_problems(
    items: tuple[Statement, ...], section: SectionName, *, fragment: bool = False
) -> list[Problem]:
    """Placement problems of model statements put into ``section``: for the scope merger, which
    sees fragment statements meet their section only when it inlines ``<include-fragment>``.

    ``text`` of these problems is empty: the model does not keep source lines."""
    placement = Placement(section, fragment)
    problems: list[Problem] = []
    top = {id(item) for item in items}
    for item in walk(items):
        here = placement if id(item) in top else placement.nested("choose")
        problems.extend(here.check(item.element, item.location, ""))
    return problems
