"""The peer, aiohttp-cache, in a virtualenv of its own (``benchmarks/.peer-venv``, not in git):
never a dependency of the library. It gets the same aiohttp version as ours, so that the
comparison is between the two middlewares, not two aiohttps."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

__all__ = ["PEER", "VENV", "peer_python"]

VENV = Path(__file__).resolve().parent / ".peer-venv"
PEER = "aiohttp-cache==4.0.1"


def _python() -> Path:
    return VENV / "bin" / "python"


def _ready(aiohttp_version: str) -> bool:
    if not _python().exists():
        return False
    probe = subprocess.run(
        [str(_python()), "-c", "import aiohttp, aiohttp_cache; print(aiohttp.__version__)"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0 and probe.stdout.strip() == aiohttp_version


def peer_python(log: bool = True) -> str:
    """The interpreter of the peer's virtualenv, made (or updated) on first use."""
    aiohttp_version = version("aiohttp")
    if not _ready(aiohttp_version):
        if log:
            print(f"installing {PEER} into {VENV} ...", file=sys.stderr)
        if not _python().exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [
                str(_python()),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                PEER,
                f"aiohttp=={aiohttp_version}",
            ],
            check=True,
        )
    return str(_python())
