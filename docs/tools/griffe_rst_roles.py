"""A griffe extension for the API reference: the package's docstrings are reStructuredText-ish.
Markdown has no inline roles (``:class:`~aiohttp_apim.Gateway```, ``:func:`setup```), so each
becomes the code span a reader expects (the last dotted part when the target starts with ``~``);
a paragraph ending in ``::`` (reST's "a literal block follows") ends in one colon, the indented
block after it being a Markdown code block already."""

from __future__ import annotations

import re
from typing import Any

import griffe

_LITERAL_BLOCK = re.compile(r"(?<=\S)::$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|obj|exc|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2).strip()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class RstRoles(griffe.Extension):
    """Rewrite the roles of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = _ROLE.sub(_code, obj.docstring.value)
            obj.docstring.value = _LITERAL_BLOCK.sub(":", text)
