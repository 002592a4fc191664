"""``python -m aiohttp_apim check``: report every problem of a policy folder, as startup would.

Each problem is printed as ``file:line:col: kind: message`` (the form editors and CI annotators
understand), followed by the offending text indented; ``--format json`` prints them as a JSON list
instead. Warnings (kind ``warning``: setups that load but never cache) are reported beside the
errors; ``--strict`` makes them fail the check too. ``--app module:factory`` checks what the app's
own ``setup()`` call sees: its named values, caches, subscriptions and routes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.policy.advice import setup_warnings
from aiohttp_apim.policy.loader import Census
from aiohttp_apim.policy.scopes import PolicySet
from aiohttp_apim.policy.sources import ignore_set, read_policies
from aiohttp_apim.web.binding import applications, binding_problems, route_names
from aiohttp_apim.web.gateway import GATEWAY, Gateway

__all__ = ["main"]

OK, PROBLEMS, USAGE = 0, 1, 2

_EPILOG = """\
exit status:
  0  no problem (warnings are allowed, unless --strict)
  1  a problem: an error, or with --strict a warning
  2  a usage error: bad arguments, an unreadable --named-values file, an --app that cannot be
     imported, fails to start for another reason than its policies, or has no aiohttp_apim.setup()

examples:
  python -m aiohttp_apim check policies/
  python -m aiohttp_apim check policies/ --named-value backend=https://api.example.com --strict
  python -m aiohttp_apim check --app myapp.main:create_app --format json
  python -m aiohttp_apim check policies/ --ignore-policy set-backend-service
"""


class _Usage(Exception):
    """A usage error (exit status 2), with the message for stderr."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aiohttp_apim", description="Tools for APIM policy folders."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="load and validate a policy folder; print every problem",
        description="Load and validate APIM policies as setup() does, and print every problem "
        "(errors and warnings) with its file, line and column, then a summary of which policy "
        "elements run, are skipped or are refused.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "folder",
        type=Path,
        nargs="?",
        help="the policy folder: policy.xml, products/<id>/policy.xml, apis/<api>/policy.xml, "
        "apis/<api>/operations/<operation>/policy.xml, fragments/<id>.xml (optional with --app: "
        "the app's own policies)",
    )
    check.add_argument(
        "--app",
        metavar="MODULE:FACTORY",
        help="import MODULE and call FACTORY (as python -m aiohttp.web does) for the aiohttp app "
        "whose setup() to check: its named values, external cache, subscriptions, "
        "ignore_policies and route names (an operation policy must bind to a route)",
    )
    check.add_argument(
        "--named-value",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a named value for {{NAME}} references (repeatable; over --named-values and the "
        "app's)",
    )
    check.add_argument(
        "--named-values",
        type=Path,
        metavar="FILE",
        help='a JSON object {"name": "text"} of named values',
    )
    check.add_argument(
        "--allow-missing-named-values",
        action="store_true",
        help="an undefined {{name}} is no problem (e.g. secrets CI does not have); the value "
        "using it is checked as far as it can be without it",
    )
    check.add_argument(
        "--ignore-policy",
        action="append",
        default=[],
        metavar="NAME",
        help="skip every <NAME> element, as setup(ignore_policies={NAME}) does (repeatable); "
        "only policies aiohttp_apim does not run",
    )
    check.add_argument(
        "--strict", action="store_true", help="warnings fail the check too (exit status 1)"
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: file:line:col: kind: message lines and a summary (default); json: a list of "
        "problems, each with kind, file, line, column, message, text and severity",
    )
    return parser


@dataclass(slots=True)
class _Report:
    problems: list[Problem] = field(default_factory=list)
    census: Census | None = None
    documents: int = 0
    fragments: int = 0
    policies: PolicySet | None = None
    """The policy set checked, when it loaded."""


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        report = _check(args)
    except _Usage as error:
        print(f"python -m aiohttp_apim check: {error}", file=sys.stderr)
        return USAGE
    failing = [p for p in report.problems if p.severity == "error" or args.strict]
    if args.format == "json":
        json.dump([_as_json(p, args.strict) for p in report.problems], out, indent=2)
        print(file=out)
    else:
        _print_text(report, len(failing), out)
    return PROBLEMS if failing else OK


def _check(args: argparse.Namespace) -> _Report:
    if args.folder is None and args.app is None:
        raise _Usage("give a policy folder, or --app MODULE:FACTORY (or both)")
    named = _named_values(args)
    try:
        ignored = ignore_set(args.ignore_policy)
    except (TypeError, ValueError) as error:
        raise _Usage(str(error)) from error
    if args.app is None:
        return _check_folder(args.folder, named, ignored, args.allow_missing_named_values)
    app = _make_app(args.app)
    if isinstance(app, PolicyError):  # the app cannot start: that is the report
        return _Report(list(app.problems))
    gateways = [(each, each[GATEWAY]) for each in applications(app) if GATEWAY in each]
    if not gateways:
        raise _Usage(
            f"{args.app} made an app without aiohttp_apim.setup() (app[aiohttp_apim.GATEWAY] "
            "is not set)"
        )
    if args.folder is None:
        if named or ignored or args.allow_missing_named_values:
            raise _Usage(
                "--named-value(s), --ignore-policy and --allow-missing-named-values need a "
                "folder: with --app alone the app's own setup() decides them"
            )
        report = _Report()
        for each, gateway in gateways:
            policies = gateway.policies
            report.problems += [*gateway.warnings, *binding_problems(policies, route_names(each))]
            report.census = _merged(report.census, policies.census)
            report.documents += len(policies.documents)
            report.fragments += len(policies.fragments)
        return report
    if len(gateways) > 1:
        raise _Usage(f"{args.app} has {len(gateways)} gateways: check it without a folder")
    [(each, gateway)] = gateways
    report = _check_folder(
        args.folder,
        {**gateway.named_values, **named},
        gateway.settings.ignore_policies | ignored,
        args.allow_missing_named_values,
    )
    if report.policies is not None:  # the folder loaded: check it in the app's setup
        report.problems += _setup_problems(gateway, each, report.policies)
    return report


def _check_folder(
    folder: Path, named: dict[str, str], ignored: frozenset[str], allow_missing: bool
) -> _Report:
    try:
        result = read_policies(
            folder,
            named_values=named,
            ignore_policies=ignored,
            allow_missing_named_values=allow_missing,
        )
    except PolicyError as error:  # the folder itself is missing
        return _Report(list(error.problems))
    report = _Report(list(result.problems), result.census)
    if result.policies is not None:
        report.documents = len(result.policies.documents)
        report.fragments = len(result.policies.fragments)
        report.policies = result.policies
    return report


def _setup_problems(gateway: Gateway, app: web.Application, policies: PolicySet) -> list[Problem]:
    subscriptions = gateway.subscriptions
    return [
        *setup_warnings(
            policies,
            external_cache=gateway.external_cache is not None,
            subscriptions=subscriptions is not None and bool(subscriptions.by_key),
        ),
        *binding_problems(policies, route_names(app)),
    ]


def _named_values(args: argparse.Namespace) -> dict[str, str]:
    named: dict[str, str] = {}
    if args.named_values is not None:
        try:
            loaded = json.loads(args.named_values.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Usage(f"{args.named_values}: cannot read named values: {exc}") from exc
        if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
        ):
            raise _Usage(f"{args.named_values}: expected a JSON object of strings")
        named.update(loaded)
    for pair in args.named_value:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise _Usage(f"--named-value takes NAME=VALUE, got {pair!r}")
        named[name.strip()] = value
    return named


# --- --app ------------------------------------------------------------------------------------


def _make_app(spec: str) -> web.Application | PolicyError:
    """The app ``module:factory`` makes, or the PolicyError its setup() raised."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise _Usage(f"--app takes MODULE:FACTORY, got {spec!r}")
    if os.getcwd() not in sys.path:  # as python -m does: the current folder's modules
        sys.path.insert(0, os.getcwd())
    try:
        with _startup_log_muted():  # an app made at import time starts here
            target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except PolicyError as error:
        return error
    except Exception as error:
        raise _Usage(f"cannot import {spec}: {type(error).__name__}: {error}") from error
    try:
        with _startup_log_muted():
            app = target if isinstance(target, web.Application) else _call_factory(target)
    except PolicyError as error:
        return error
    except Exception as error:
        raise _Usage(f"{spec} failed: {type(error).__name__}: {error}") from error
    if not isinstance(app, web.Application):
        raise _Usage(f"{spec} returned {type(app).__name__}, not an aiohttp web.Application")
    return app


def _call_factory(factory: Any) -> object:
    """Call ``factory`` as ``python -m aiohttp.web`` does: with the extra arguments (none here)
    when it takes a positional argument; await what it returns if it is awaitable."""
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        for p in parameters
    )
    made = factory([]) if positional else factory()
    if inspect.isawaitable(made):
        return asyncio.run(_awaited(made))
    return made


async def _awaited(awaitable: Any) -> object:
    return await awaitable


@contextlib.contextmanager
def _startup_log_muted() -> Iterator[None]:
    """The gateway logs its warnings at startup; check reports them itself."""
    package = logging.getLogger("aiohttp_apim")
    muted = logging.NullHandler()
    propagate = package.propagate
    package.addHandler(muted)
    package.propagate = False
    try:
        yield
    finally:
        package.removeHandler(muted)
        package.propagate = propagate


# --- output -----------------------------------------------------------------------------------


def _as_json(problem: Problem, strict: bool) -> dict[str, object]:
    return {
        "kind": problem.kind,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
        "text": problem.text,
        "severity": "error" if strict else problem.severity,
    }


def _print_text(report: _Report, failing: int, out: TextIO) -> None:
    for problem in report.problems:
        print(problem, file=out)
    census = report.census
    if census is not None:
        for what, counts in (
            ("supported", census.supported),
            ("ignored", census.ignored),
            ("refused", census.refused),
        ):
            if counts or what == "supported":
                print(f"elements {what}: {_counted(counts)}", file=out)
    warnings = sum(1 for p in report.problems if p.severity == "warning")
    errors = len(report.problems) - warnings
    if failing:
        print(
            f"{_plural(len(report.problems), 'problem')} "
            f"({_plural(errors, 'error')}, {_plural(warnings, 'warning')})",
            file=out,
        )
        return
    tail = f"; {_plural(warnings, 'warning')}" if warnings else ""
    print(f"ok: {report.documents} policy documents, {report.fragments} fragments{tail}", file=out)


def _counted(counts: Counter[str]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _merged(first: Census | None, second: Census) -> Census:
    if first is None:
        return second
    return Census(
        supported=first.supported + second.supported,
        ignored=first.ignored + second.ignored,
        refused=first.refused + second.refused,
        first_ignored={**second.first_ignored, **first.first_ignored},
    )
