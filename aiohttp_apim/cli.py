"""``python -m aiohttp_apim check <folder>``: report every problem of a policy folder.

Each problem is printed as ``file:line:col: kind: message`` (the form editors and CI annotators
understand), followed by the offending text indented; the exit status is 1 when there is a
problem, 2 on a usage error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from aiohttp_apim.errors import PolicyError
from aiohttp_apim.policy.sources import load_policies

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aiohttp_apim", description="Tools for APIM policy folders."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="load and validate a policy folder; print every problem"
    )
    check.add_argument("folder", type=Path, help="the policy folder (api.md section 2 layout)")
    check.add_argument(
        "--named-values",
        type=Path,
        metavar="FILE",
        help='a JSON object {"name": "text"} for {{name}} references',
    )
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    named_values: dict[str, str] = {}
    if args.named_values is not None:
        try:
            loaded = json.loads(args.named_values.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{args.named_values}: cannot read named values: {exc}", file=sys.stderr)
            return 2
        if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
        ):
            print(f"{args.named_values}: expected a JSON object of strings", file=sys.stderr)
            return 2
        named_values = loaded
    try:
        policy_set = load_policies(args.folder, named_values=named_values)
    except PolicyError as error:
        for problem in error.problems:
            print(problem, file=out)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''}", file=out)
        return 1
    documents = len(policy_set.documents)
    fragments = len(policy_set.fragments)
    print(f"ok: {documents} policy documents, {fragments} fragments", file=out)
    return 0
