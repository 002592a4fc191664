"""Reading a policy folder (or a mapping of relative paths to XML text) into a PolicySet.

The layout is the one APIM users keep in Git::

    policy.xml                                          global scope
    products/<product-id>/policy.xml                    product scope
    apis/<api-id>/policy.xml                            API scope
    apis/<api-id>/operations/<operation-id>/policy.xml  operation scope
    fragments/<fragment-id>.xml                         policy fragments

Every file is optional. An ``.xml`` file anywhere else is a problem: a misplaced file must not
silently disable a policy. Problems of every file are collected and raised together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.policy.advice import ignored_warnings, policy_warnings
from aiohttp_apim.policy.loader import Census, LoadOptions, load_document, load_fragment
from aiohttp_apim.policy.model import Fragment, PolicyDocument
from aiohttp_apim.policy.schema import SUPPORTED_POLICIES
from aiohttp_apim.policy.scopes import PolicySet, check_fragment, inline_fragments

__all__ = [
    "LoadResult",
    "PolicySource",
    "ignore_set",
    "load_policies",
    "read_policies",
    "read_source",
]

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


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What reading a policy folder found: the policy set (None when there is an error), every
    problem (errors and warnings, in file order) and the census of its policy elements."""

    policies: PolicySet | None
    problems: tuple[Problem, ...]
    census: Census

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


def load_policies(
    source: PolicySource,
    *,
    named_values: Mapping[str, str] | None = None,
    ignore_policies: Collection[str] = (),
) -> PolicySet:
    """Load, validate and compile every policy of a folder or mapping.

    Raises :class:`~aiohttp_apim.PolicyError` listing every problem of every file (with file,
    line, column and the offending text); returns the :class:`PolicySet` otherwise, with the
    warnings found in its ``warnings``.

    A policy element this package does not run is an error, unless ``ignore_policies`` names
    it (``{"set-backend-service", "validate-jwt"}``): then every such element is skipped, and
    the rest of its policy runs; one warning per name says so. Naming a policy that does run
    is a ``ValueError``.
    """
    result = read_policies(source, named_values=named_values, ignore_policies=ignore_policies)
    if result.policies is None:
        raise PolicyError(result.errors)
    return result.policies


def read_policies(
    source: PolicySource,
    *,
    named_values: Mapping[str, str] | None = None,
    ignore_policies: Collection[str] = (),
    allow_missing_named_values: bool = False,
) -> LoadResult:
    """:func:`load_policies` without raising for the policies' problems: what ``check`` reports.

    With ``allow_missing_named_values`` an undefined ``{{name}}`` is no problem and the value
    using it is taken as unknown: the policy set is then for checking only."""
    ignored = ignore_set(ignore_policies)
    named = dict(named_values or {})
    census = Census()
    global_policy: PolicyDocument | None = None
    products: dict[str, PolicyDocument] = {}
    apis: dict[str, PolicyDocument] = {}
    operations: dict[tuple[str, str], PolicyDocument] = {}
    fragments: dict[str, Fragment] = {}

    options = LoadOptions(
        ignore_policies=ignored,
        census=census,
        allow_missing_named_values=allow_missing_named_values,
    )
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
            fragment, found = load_fragment(
                file.text, file=file.name, named_values=named, **options
            )
            problems += found
            if fragment is not None:
                fragments[ids[0]] = fragment
            continue
        document, found = load_document(file.text, file=file.name, named_values=named, **options)
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
        generation=_generation(files, named, ignored),
        ignored_policies=ignored,
        census=census,
    )
    if not problems:
        problems += policy_set.check()
    warnings = ignored_warnings(census)
    if not problems:  # a set with errors lacks the documents that failed: no false alarms
        warnings += policy_warnings(policy_set)
    ordered = tuple(sorted(problems + warnings, key=_file_order))
    if problems:
        return LoadResult(None, ordered, census)
    policy_set = dataclasses.replace(policy_set, warnings=tuple(sorted(warnings, key=_file_order)))
    return LoadResult(policy_set, ordered, census)


def ignore_set(ignore_policies: Collection[str]) -> frozenset[str]:
    """``ignore_policies`` checked: a collection of names of policies this package does not run."""
    if isinstance(ignore_policies, str) or not all(isinstance(n, str) for n in ignore_policies):
        raise TypeError(
            "ignore_policies takes a collection of policy element names, e.g. "
            f"{{'set-backend-service'}}, not {ignore_policies!r}"
        )
    names = frozenset(name.strip() for name in ignore_policies)
    supported = sorted(names & set(SUPPORTED_POLICIES))
    if supported:
        raise ValueError(
            f"ignore_policies names {', '.join(supported)}, which aiohttp_apim runs; only "
            "policies it does not run can be skipped"
        )
    if "" in names:
        raise ValueError("ignore_policies contains an empty name")
    return names


def _file_order(problem: Problem) -> tuple[str, int, int, str, str]:
    return (problem.file, problem.line, problem.column, problem.kind, problem.message)


def _generation(
    files: list[_File], named_values: Mapping[str, str], ignored: frozenset[str]
) -> str:
    """A digest of the policy texts (by key), the named values and the skipped policies: equal
    exactly when two loads would behave the same, whatever process or folder they come from."""
    digest = hashlib.sha256()
    for file in files:  # sorted by key already
        for part in ("f", file.key, file.text):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name, value in sorted(named_values.items()):
        for part in ("n", name, value):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name in sorted(ignored):
        for part in ("i", name):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def _classify(key: str) -> tuple[str | None, tuple[str, ...]]:
    for kind, pattern in _LAYOUT:
        match = pattern.fullmatch(key)
        if match:
            return kind, match.groups()
    return None, ()
