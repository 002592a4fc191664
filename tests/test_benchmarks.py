"""The benchmark command's plumbing (``python -m benchmarks``), on one tiny configuration.

Nothing here looks at a number: timing never decides a test. It checks that the command starts
its servers, loads them with wrk, and writes its table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_quick_run_of_one_configuration_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "apim-forward", "--out", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    text = out.read_text()
    assert "--quick --only apim-forward" in text  # the command
    assert "| bare aiohttp handler | 1 KiB |" in text  # the reference comes along
    assert "| ours: global forward-only policy | 1 KiB |" in text
    assert "| forward-only policy / bare |" in text
    assert text in completed.stdout


def test_the_hit_path_measurement_measures_hits() -> None:
    # benchmarks/hit_path.py asserts that every timed call was a cache hit; here, that it runs
    # each setup (the numbers are not looked at).
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.hit_path", "--rounds", "1", "--hits", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = [line.split("  ")[0] for line in done.stdout.splitlines()]
    assert names == ["plain", "stale windows on", "after a purge"]
    assert all(line.endswith("µs per hit") for line in done.stdout.splitlines())
