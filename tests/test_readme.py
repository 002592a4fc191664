"""The README as a test, so that what it tells a newcomer to type keeps working.

- Every command of its shell blocks is run: the check commands, the demo (started on a free port,
  probed over HTTP, stopped), the docs build. Installing is what made the environment this suite
  runs in (the extras it names are checked to exist), ``pytest`` is this suite, and measurements
  that take minutes (``python -m benchmarks``) are checked against the command's own ``--help``
  and configuration names, never run: timing never decides a test.
- Every Python block is type-checked (``mypy --strict``) and run in a folder holding the tour's
  policy files and subscriptions: the tour's app is served and probed, the testing example runs
  under pytest, the others run as scripts.
- Every XML block loads as a policy, the JSON block is a valid subscriptions document, and the
  configuration reference lists every option of ``setup()`` and of each cache, with its real
  default.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import dataclasses
import inspect
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_type_hints

import pytest

import aiohttp_apim
from aiohttp_apim.web.options import GatewayOptions, Settings
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SERVE_TIMEOUT = 60.0
"""Seconds a served example gets to start listening (a bound, not a measurement)."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: its language, text (dedented) and the prose line just before it."""

    lang: str
    text: str
    line: int
    before: str


def _blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        fence = re.fullmatch(r"(\s*)```(\w*)\s*", line)
        if fence is None:
            if opened is not None:
                body.append(line[len(opened[1]) :])
            continue
        if opened is None:
            before = next((text for text in reversed(lines[: number - 1]) if text.strip()), "")
            opened = (number, fence[1])
            body = []
            found.append(Block(fence[2], "", number, before))
        else:
            found[-1] = dataclasses.replace(found[-1], text="\n".join(body) + "\n")
            opened = None
    assert opened is None, f"README.md:{opened[0]}: a fence is never closed"
    return found


BLOCKS = _blocks()


def _of(*langs: str) -> list[Block]:
    return [block for block in BLOCKS if block.lang in langs]


def _commands() -> list[list[str]]:
    """Each command of the shell blocks, as words (comments dropped, ``&&`` splits)."""
    commands: list[list[str]] = []
    for block in _of("bash", "sh", "shell"):
        for line in block.text.replace("\\\n", " ").splitlines():
            command: list[str] = []
            for word in shlex.split(line, comments=True):
                if word == "&&":
                    commands.append(command)
                    command = []
                else:
                    command.append(word)
            if command:
                commands.append(command)
    return commands


# --- shell commands ----------------------------------------------------------------------------


def _extras() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return set(config["options.extras_require"])


def _installs(command: list[str], tmp_path: Path) -> None:
    """``pip install -e .`` or ``-e '.[extra,...]'``: the extras exist (installing them is
    what made the environment this suite runs in)."""
    assert command[:3] == ["pip", "install", "-e"], command
    target = command[3]
    match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
    assert match is not None, f"install from this checkout, not {target!r}"
    named = set(filter(None, (match[1] or "").split(",")))
    assert named <= _extras(), f"no such extra: {named - _extras()}"


def _is_the_suite(command: list[str], tmp_path: Path) -> None:
    assert command == ["pytest"], "the test command is plain pytest (pyproject.toml says the rest)"


def _runs(command: list[str], tmp_path: Path) -> None:
    argv = [sys.executable, *command[1:]] if command[0] == "python" else command
    argv = [sys.executable, "-m", "mkdocs", *argv[1:]] if argv[0] == "mkdocs" else argv
    if "--site-dir" in argv:  # the docs build: into a temporary folder
        argv[argv.index("--site-dir") + 1] = str(tmp_path / "site")
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr


def _serves_the_demo(command: list[str], tmp_path: Path) -> None:
    """Start the demo as written, on a free port, and see the cache answer a second request;
    on Redis, start two, as the README says, and see the second answer from the first's entry
    (each answer carries the time its backend call made it)."""
    ports = [free_port() for _ in range(2 if "--redis" in command else 1)]
    with contextlib.ExitStack() as servers:
        for port in ports:
            argv = [sys.executable, *_with(command, "--port", str(port))[1:]]
            servers.enter_context(_serving(argv, ROOT, port, tmp_path))
        query = f"/catalog/search?q={uuid.uuid4().hex[:6]}"
        answers = [_get_json(f"http://127.0.0.1:{port}{query}") for port in ports for _ in "12"]
    assert all(answer == answers[0] for answer in answers), answers


def _checks_the_benchmark_command(command: list[str], tmp_path: Path) -> None:
    """A measurement of minutes: the options it uses are the command's own, and the
    configurations it names exist (``tests/test_benchmarks.py`` runs the command itself)."""
    from benchmarks.configs import all_configs

    help_text = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for word in command[3:]:
        if word.startswith("--"):
            assert word in help_text, f"{word} is not an option of python -m benchmarks"
    if "--only" in command:
        known = {c.kind for c in all_configs((1024,))} | {c.name for c in all_configs((1024,))}
        named = set(command[command.index("--only") + 1].split(","))
        assert named <= known | {"memory"}, named - known


Runner = Callable[[list[str], Path], None]
RULES: list[tuple[tuple[str, ...], Runner]] = [
    (("pip", "install"), _installs),
    (("pytest",), _is_the_suite),
    (("python", "-m", "demo_app"), _serves_the_demo),
    (("python", "-m", "aiohttp_apim", "check"), _runs),
    (("python", "-m", "benchmarks"), _checks_the_benchmark_command),
    (("mkdocs", "build"), _runs),
]


def _rule(command: list[str]) -> Runner:
    for prefix, runner in RULES:
        if _matches(prefix, command):
            return runner
    raise AssertionError(f"README command with no rule in tests/test_readme.py: {command}")


@pytest.mark.parametrize("command", _commands(), ids=shlex.join)
def test_readme_command(command: list[str], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if "--redis" in command:  # the Redis the README names is a private one here
        server: RedisServer = request.getfixturevalue("redis_server")
        command = _with(command, "--redis", server.url)
    _rule(command)(command, tmp_path)


def _with(command: list[str], option: str, value: str) -> list[str]:
    """``command`` with ``option``'s value replaced (or the option added)."""
    if option not in command:
        return [*command, option, value]
    at = command.index(option) + 1
    return [*command[:at], value, *command[at + 1 :]]


def test_every_kind_of_command_is_in_the_readme() -> None:
    """A rule no command uses would be a check that quietly stopped checking anything."""
    unused = [prefix for prefix, _ in RULES if not any(_matches(prefix, c) for c in _commands())]
    assert unused == []


def _matches(prefix: tuple[str, ...], command: list[str]) -> bool:
    """Whether ``command`` starts with ``prefix`` (its last word may be the start of a word)."""
    head = command[: len(prefix)]
    if len(head) < len(prefix):
        return False
    return head[:-1] == list(prefix[:-1]) and head[-1].startswith(prefix[-1])


# --- the folder the Python blocks run in -------------------------------------------------------


def _policy_path(block: Block) -> str | None:
    """The policy file a block shows, when the line before it names one in backticks."""
    match = re.search(r"`(policies/[\w/.<>-]+\.xml)`", block.before)
    return match[1] if match else None


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The tour's policy files and the subscriptions document, where the examples expect them."""
    for block in _of("xml"):
        path = _policy_path(block)
        if path is not None:
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(block.text, encoding="utf-8")
    (tmp_path / "policies").mkdir(exist_ok=True)
    (json_block,) = _of("json")
    (tmp_path / "subscriptions.json").write_text(json_block.text, encoding="utf-8")
    return tmp_path


def test_xml_blocks_load_as_policies(workdir: Path) -> None:
    aiohttp_apim.load_policies(workdir / "policies")
    for block in _of("xml"):
        if _policy_path(block) is None:  # a snippet of an inbound section
            policy = (
                f"<policies><inbound>{block.text}</inbound><backend><forward-request />"
                "</backend><outbound /><on-error /></policies>"
            )
            aiohttp_apim.load_policies(
                {"policy.xml": policy}, named_values={"token-endpoint": "https://example.com/t"}
            )


def test_the_json_block_is_a_subscriptions_document() -> None:
    (block,) = _of("json")
    subscriptions = aiohttp_apim.Subscriptions.from_dict(json.loads(block.text))
    assert subscriptions.required


# --- Python blocks -----------------------------------------------------------------------------


def test_python_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    blocks = _of("python")
    assert blocks
    for number, block in enumerate(blocks):
        (tmp_path / f"readme_block_{number}_line_{block.line}.py").write_text(block.text)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("block", _of("python"), ids=lambda block: f"line-{block.line}")
def test_python_block_runs(block: Block, workdir: Path) -> None:
    script = workdir / "readme_example.py"
    if "web.run_app(app)" in block.text:
        port = free_port()
        script.write_text(block.text.replace("web.run_app(app)", f"web.run_app(app, port={port})"))
        with _serving([sys.executable, str(script)], workdir, port, workdir):
            _probe_the_tour(port)
            if "add_metrics_route(app)" in block.text:
                _probe_operating_it(port)
        return
    if re.search(r"^async def test_", block.text, re.M):
        test_file = workdir / "test_readme_example.py"
        test_file.write_text(block.text, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
        argv += ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    else:
        script.write_text(block.text, encoding="utf-8")
        argv = [sys.executable, str(script)]
    done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _probe_the_tour(port: int) -> None:
    """What the tour says a user sees: the list, and a hit that says how long it may be kept."""
    url = f"http://127.0.0.1:{port}/shop/items?page=1"
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
            assert json.loads(answer.read()) == [{"id": 1, "name": "teapot"}]
            assert answer.headers["Cache-Control"].startswith("public, max-age=")


def _probe_operating_it(port: int) -> None:
    """What *Operating it* says a user sees: ``Cache-Status`` on a hit, the hit in /metrics."""
    url = f"http://127.0.0.1:{port}/shop/items?page=1"
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.headers["Cache-Status"].startswith("aiohttp-apim; hit; ttl=")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    assert 'aiohttp_apim_cache_hits_total{api="shop",cache="memory",kind="response",' in text


# --- serving -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _serving(argv: list[str], cwd: Path, port: int, logs: Path) -> Iterator[None]:
    """Run a server until the block ends; fail with its output if it does not listen."""
    log = logs / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "not listening: " + log.read_text(errors="replace")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        data = json.loads(answer.read())
    assert isinstance(data, dict)
    return data


# --- the configuration reference ---------------------------------------------------------------


def _reference_tables() -> dict[str, dict[str, str]]:
    """``{subsection heading: {name: default cell}}`` of the configuration reference."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration reference\n", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, dict[str, str]] = {}
    heading = ""
    for line in section.splitlines():
        if line.startswith("### "):
            heading = line[4:]
            tables[heading] = {}
        row = re.match(r"\| `(\w+)` \| ([^|]*) \|", line)
        if row and heading:
            tables[heading][row[1]] = row[2].strip()
    return tables


def _parameters(function: Callable[..., object], *skip: str) -> dict[str, Any]:
    """A function's keyword parameters and their defaults (``inspect.Parameter.empty``: none)."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if name not in ("self", "cls", *skip)
    }


def _documented() -> list[tuple[str, dict[str, Any]]]:
    options = {f.name: _default(f) for f in dataclasses.fields(Settings)}
    assert set(options) == set(get_type_hints(GatewayOptions))
    redis = aiohttp_apim.RedisCache
    return [
        ("`setup()`", {**_parameters(aiohttp_apim.setup, "app", "options"), **options}),
        ("`MemoryCache", _parameters(aiohttp_apim.MemoryCache.__init__)),
        (
            "`RedisCache",
            {**_parameters(redis.__init__, "client"), **_parameters(redis.from_url)},
        ),
        ("`NearCache", _parameters(aiohttp_apim.NearCache.__init__)),
    ]


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.name == "trace":  # from the environment: the reference gives the value without it
        return False
    assert field.default_factory is not dataclasses.MISSING
    return field.default_factory()


def _literal(cell: str) -> tuple[bool, Any]:
    """The value of a default cell written as a Python literal (products allowed), if it is one."""
    match = re.fullmatch(r"`([^`]+)`", cell)
    if match is None:
        return False, None
    try:
        tree = ast.parse(match[1], mode="eval").body
    except SyntaxError:
        return False, None

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return value(node.left) * value(node.right)
        return ast.literal_eval(node)

    try:
        return True, value(tree)
    except ValueError:
        return False, None


def test_the_configuration_reference_lists_every_option_with_its_default() -> None:
    tables = _reference_tables()
    for heading_start, parameters in _documented():
        (heading,) = [h for h in tables if h.startswith(heading_start)]
        rows = tables[heading]
        missing, stale = set(parameters) - set(rows), set(rows) - set(parameters)
        assert not missing, f"README, Configuration reference, {heading}: add rows for {missing}"
        assert not stale, f"README, Configuration reference, {heading}: no such option {stale}"
        for name, default in parameters.items():
            cell = rows[name]
            if default is inspect.Parameter.empty:
                assert cell in ("(required)", "(none)"), (heading, name, cell)
                continue
            known, documented = _literal(cell)
            if known:
                if isinstance(default, frozenset):
                    documented = frozenset(documented)
                assert documented == default, f"README, {heading}: {name} defaults to {default!r}"
