"""The house rules as tests, so that the README's one test command checks them too:
`ruff check`, `ruff format --check` and `mypy --strict` over the package, the tests, the demo and the benchmarks,
and few ``type: ignore`` comments in the package, each saying why."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    result = run(
        sys.executable,
        "-m",
        "ruff",
        "check",
        "aiohttp_apim",
        "tests",
        "demo_app",
        "benchmarks",
        "docs",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


MAX_TYPE_IGNORES = 2
"""``type: ignore`` comments the package may hold: lower it when one goes, never raise it
(narrow the value, type the callable, or cast where a runtime invariant says so instead)."""

MAX_UNEXPLAINED_TYPE_IGNORES = 0
"""Of those, the ones without a comment saying why (on the line, or the comment line above)."""

_IGNORE = re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?(?P<rest>.*)")


def _type_ignores() -> list[tuple[str, bool]]:
    """``(file:line, explained)`` for every ``type: ignore`` comment in the package."""
    found: list[tuple[str, bool]] = []
    for path in sorted((ROOT / "aiohttp_apim").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                match = _IGNORE.search(token.string) if token.type == tokenize.COMMENT else None
                if match is None:
                    continue
                row = token.start[0]
                above = lines[row - 2].strip() if row > 1 else ""
                explained = "#" in match["rest"] or above.startswith("#")
                found.append((f"{path.relative_to(ROOT)}:{row}", explained))
    return found


def test_type_ignores_stay_few_and_explained() -> None:
    ignores = _type_ignores()
    assert len(ignores) <= MAX_TYPE_IGNORES, ignores
    unexplained = [where for where, explained in ignores if not explained]
    assert len(unexplained) <= MAX_UNEXPLAINED_TYPE_IGNORES, unexplained


# Documents outside the repository that a reader of the code cannot open. The patterns are split so
# that this file does not match them itself.
_OUTSIDE_DOCUMENTS = re.compile(
    "|".join(
        (
            r"\b(?:api|contracts)" + r"\.md\b",  # the design folder's contract documents
            r"shared/(?:spec|design)\b",  # that folder itself
            r"(?<![\w/])" + r"architecture\.md\b",  # the repo's own is always docs/architecture.md
            r"\bspec\s+\d",  # numbered sections of a behavioural spec (spec, a space, a number)
            r"\bspec's\b",
        )
    ),
    re.IGNORECASE,
)
_CITATION_SCOPE = ("aiohttp_apim", "demo_app", "tests", "benchmarks", "docs")


def _texts_that_may_cite() -> list[Path]:
    files = [ROOT / name for name in ("README.md", "CHANGES.md", "mkdocs.yml", "setup.cfg")]
    files += (ROOT / "docs").rglob("*.md")
    for folder in _CITATION_SCOPE:
        files += (ROOT / folder).rglob("*.py")
        files += (ROOT / folder).rglob("*.xml")
        files += (ROOT / folder).rglob("*.json")
    # Not what hidden folders hold: the benchmark's virtualenv of aiohttp-cache
    # (benchmarks/.peer-venv, ignored by git) is other people's code.
    return sorted(f for f in files if not any(p.startswith(".") for p in f.relative_to(ROOT).parts))


def test_no_citation_of_documents_outside_the_repository() -> None:
    """Docstrings, comments, help texts and docs state the rule itself or link a public page
    (Microsoft's APIM documentation); ``docs/architecture.md`` is the repo's own."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _texts_that_may_cite()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE_DOCUMENTS.search(_without_site_pages(path, line))
    ]
    assert not found, "\n".join(found)


def _without_site_pages(path: Path, line: str) -> str:
    """``line`` less the names of the docs site's own pages where they name one: in a page of
    docs/ (a link to a sibling) and in mkdocs.yml (its navigation)."""
    if path.parent != ROOT / "docs" and path != ROOT / "mkdocs.yml":
        return line
    pages = re.compile(r"\b(\w+\.md)\b")
    return pages.sub(lambda m: "" if (ROOT / "docs" / m[1]).is_file() else m[0], line)


def test_every_module_logs_on_a_logger_named_after_it() -> None:
    """One logger-name convention: ``logging.getLogger(__name__)``, children of ``aiohttp_apim``
    (what the README's Debugging section says). Written out only: the development trace's
    ``aiohttp_apim.trace``, and the package's root, which the ``check`` command mutes."""
    allowed = {"__name__", "'aiohttp_apim.trace'", "'aiohttp_apim'"}
    names: dict[str, str] = {}
    for path in sorted((ROOT / "aiohttp_apim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "getLogger"
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                names[where] = ast.unparse(node.args[0]) if node.args else "(the root logger)"
    assert len(names) > 10
    assert {where: name for where, name in names.items() if name not in allowed} == {}
