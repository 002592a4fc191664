"""Reading a policy folder (or a mapping of relative paths to XML text) into a PolicySet.

The layout is the one APIM users keep in Git (api.md section 2)::

    policy.xml                                          global scope
    products/<product-id>/policy.xml                    product scope
    apis/<api-id>/policy.xml                            API scope
    apis/<api-id>/operations/<operation-id>/policy.xml  operation scope
    fragments/<fragment-id>.xml                         policy fragments

Every file is optional. An ``.xml`` file anywhere else is a problem: a misplaced file must not
silently disable a policy. Problems of every file are collected and raised together.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.policy.loader import load_document, load_fragment
from aiohttp_apim.policy.model import Fragment, PolicyDocument
from aiohttp_apim.policy.scopes import PolicySet, check_fragment, inline_fragments

__all__ = ["PolicySource", "load_policies", "read_source"]

PolicySource = str | os.PathLike[str] | Mapping[str, str]
"""A policy folder, or a mapping ``{relative path: XML text}`` in the same layout."""

# One segment of an id: anything but a path separator (APIM ids are letters, digits, - _ .).
_ID = r"([^/]+)"
_LAYOUT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("global", re.compile(r"policy\.xml")),
    ("product", re.compile(rf"products/{_ID}/policy\.xml")),
    ("api", re.compile(rf"apis/{_ID}/policy\.xml")),
    ("operation", re.compile(rf"apis/{_ID}/operations/{_ID}/policy\.xml")),
    ("fragment", re.compile(rf"fragments/{_ID}\.xml")),
)
_LAYOUT_HELP = (
    "policy.xml, products/<product-id>/policy.xml, apis/<api-id>/policy.xml, "
    "apis/<api-id>/operations/<operation-id>/policy.xml or fragments/<fragment-id>.xml"
)


@dataclass(frozen=True, slots=True)
class _File:
    key: str
    """The path relative to the policy root, with '/' separators."""
    name: str
    """How problems name the file: the key for a mapping, the path for a folder."""
    text: str


def read_source(source: PolicySource) -> tuple[list[_File], list[Problem]]:
    """The XML files of a folder or mapping, keys normalised to '/' separators, sorted, and
    the problems of the files that could not be read."""
    problems: list[Problem] = []
    if isinstance(source, Mapping):
        files = [_File(_normalise(key), _normalise(key), text) for key, text in source.items()]
    else:
        root = Path(source)
        if not root.is_dir():
            raise PolicyError(
                [Problem("validation", str(root), 1, 1, "the policy folder does not exist")]
            )
        files = []
        for path in sorted(root.rglob("*.xml")):
            key = path.relative_to(root).as_posix()
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem("xml", str(path), 1, 1, f"cannot read the file: {exc}"))
                continue
            files.append(_File(key, str(path), text))
    return sorted(files, key=lambda f: f.key), problems


def _normalise(key: str) -> str:
    key = key.replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key


def load_policies(
    source: PolicySource, *, named_values: Mapping[str, str] | None = None
) -> PolicySet:
    """Load, validate and compile every policy of a folder or mapping.

    Raises :class:`~aiohttp_apim.PolicyError` listing every problem of every file (with file,
    line, column and the offending text); returns the :class:`PolicySet` otherwise.
    """
    named = dict(named_values or {})
    global_policy: PolicyDocument | None = None
    products: dict[str, PolicyDocument] = {}
    apis: dict[str, PolicyDocument] = {}
    operations: dict[tuple[str, str], PolicyDocument] = {}
    fragments: dict[str, Fragment] = {}

    files, problems = read_source(source)
    for file in files:
        kind, ids = _classify(file.key)
        if kind is None:
            problems.append(
                Problem(
                    "validation",
                    file.name,
                    1,
                    1,
                    f"'{file.key}' is not a policy location; expected {_LAYOUT_HELP}",
                )
            )
            continue
        if kind == "fragment":
            fragment, found = load_fragment(file.text, file=file.name, named_values=named)
            problems += found
            if fragment is not None:
                fragments[ids[0]] = fragment
            continue
        document, found = load_document(file.text, file=file.name, named_values=named)
        problems += found
        if document is None:
            continue
        if kind == "global":
            global_policy = document
        elif kind == "product":
            products[ids[0]] = document
        elif kind == "api":
            apis[ids[0]] = document
        else:
            operations[(ids[0], ids[1])] = document

    for fragment_id, fragment in sorted(fragments.items()):
        problems += check_fragment(fragment_id, fragment, fragments)

    def inline(document: PolicyDocument) -> PolicyDocument:
        inlined, found = inline_fragments(document, fragments)
        problems.extend(found)
        return inlined

    policy_set = PolicySet(
        global_policy=None if global_policy is None else inline(global_policy),
        products={k: inline(v) for k, v in products.items()},
        apis={k: inline(v) for k, v in apis.items()},
        operations={k: inline(v) for k, v in operations.items()},
        fragments=fragments,
        generation=_generation(files, named),
    )
    if not problems:
        problems += policy_set.check()
    if problems:
        raise PolicyError(problems)
    return policy_set


def _generation(files: list[_File], named_values: Mapping[str, str]) -> str:
    """A digest of the policy texts (by key) and the named values: equal exactly when two
    loads would behave the same, whatever process or folder they come from."""
    digest = hashlib.sha256()
    for file in files:  # sorted by key already
        for part in ("f", file.key, file.text):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name, value in sorted(named_values.items()):
        for part in ("n", name, value):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def _classify(key: str) -> tuple[str | None, tuple[str, ...]]:
    for kind, pattern in _LAYOUT:
        match = pattern.fullmatch(key)
        if match:
            return kind, match.groups()
    return None, ()
