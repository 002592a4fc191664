"""The numbers of a benchmark run, and ``benchmarks/RESULTS.md``."""

from __future__ import annotations

import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.configs import Config, size_label
from benchmarks.load import Run

__all__ = ["TARGETS", "Results", "Target", "render"]


@dataclass
class Results:
    """Every run of every configuration, by round."""

    configs: list[Config]
    rounds: list[dict[str, Run]] = field(default_factory=list)
    """Per round: the ``-c<connections>`` run of each configuration."""
    latency_rounds: list[dict[str, Run]] = field(default_factory=list)
    """Per round: the ``-c1`` run of each configuration."""
    hits: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Ours: (hits, misses) the gateway counted."""
    memory: dict[str, float] | None = None

    def by_name(self) -> dict[str, Config]:
        return {config.name: config for config in self.configs}

    def ratios(self, name: str, other: str) -> list[float]:
        """req/s of ``name`` over ``other``, paired per round."""
        return [
            runs[name].rate / runs[other].rate
            for runs in self.rounds
            if name in runs and other in runs and runs[other].rate > 0
        ]

    def added_latency(self, name: str, other: str) -> list[float]:
        """``-c1`` microseconds per request of ``name`` minus those of ``other``, per round."""
        return [
            1e6 / runs[name].rate - 1e6 / runs[other].rate
            for runs in self.latency_rounds
            if name in runs and other in runs and runs[name].rate > 0 and runs[other].rate > 0
        ]

    def rate(self, name: str) -> float | None:
        rates = [runs[name].rate for runs in self.rounds if name in runs]
        return statistics.median(rates) if rates else None

    def cpu_per_request(self, name: str) -> float | None:
        runs = [round_[name] for round_ in self.rounds if name in round_]
        requests = sum(run.requests for run in runs)
        return sum(run.cpu for run in runs) / requests * 1e6 if requests else None

    def errors(self, name: str) -> int:
        return sum(runs[name].errors for runs in self.rounds + self.latency_rounds if name in runs)


@dataclass(frozen=True)
class Target:
    """A line of the issue's "done when" table: the median ratio of ``name`` to ``other``."""

    what: str
    name: str
    other: str
    at_least: float
    goal: float


TARGETS = [
    Target("forward-only policy / bare", "apim-forward@1KiB", "bare@1KiB", 0.85, 0.89),
    Target("memory hit / bare, 1 KiB", "apim-hit@1KiB", "bare@1KiB", 0.85, 0.90),
    Target("memory hit / bare, 1 MiB", "apim-hit@1MiB", "bare@1MiB", 0.95, 0.98),
    Target("memory hit / aiohttp-cache hit, 1 KiB", "apim-hit@1KiB", "peer-hit@1KiB", 1.5, 1.7),
    Target(
        "hit with typical expressions / plain hit",
        "apim-hit-expr@1KiB",
        "apim-hit@1KiB",
        0.85,
        0.95,
    ),
    Target("Redis hit / bare, 1 KiB", "apim-redis-hit@1KiB", "bare@1KiB", 0.35, 0.45),
    Target(
        "Redis hit with near cache / bare, 1 KiB",
        "apim-redis-near-hit@1KiB",
        "bare@1KiB",
        0.80,
        0.88,
    ),
    Target("miss + store / handler without delay", "apim-miss@1KiB", "bare@1KiB", 0.70, 0.80),
]


def _spread(values: Sequence[float], digits: int = 2) -> str:
    if not values:
        return "-"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def render(results: Results, *, command: str, machine: str, seconds: int, connections: int) -> str:
    """RESULTS.md: date, machine, command, the table, the targets and the memory check."""
    names = results.by_name()
    lines = [
        "# Benchmark results",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine}",
        f"- python {platform.python_version()}, {platform.platform()}",
        f"- command: `{command}`",
        f"- {len(results.rounds)} alternating round(s) of {seconds} s per configuration, "
        f"`wrk -t1 -c{connections}`; `-c1` latency runs: {len(results.latency_rounds)} round(s)",
        "",
        "Ratios are paired per round (each against its reference measured in the same round) and "
        "given as median (min-max). CPU is the server's user+system time per request over all "
        "rounds; latency added is `-c1` microseconds per request over the reference's.",
        "",
        "| configuration | body | req/s | ratio to reference | reference | ratio to "
        "aiohttp-cache | server CPU µs/req | -c1 µs added | hits |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for config in results.configs:
        name = config.name
        rate = results.rate(name)
        reference = "-" if config.baseline is None else names[config.baseline].label
        ratio = "-" if config.baseline is None else _spread(results.ratios(name, config.baseline))
        peer = "-" if config.peer is None else _spread(results.ratios(name, config.peer))
        cpu = results.cpu_per_request(name)
        added = (
            "-"
            if config.baseline is None
            else _spread(results.added_latency(name, config.baseline), 1)
        )
        hits = "-"
        if name in results.hits:
            hit, miss = results.hits[name]
            hits = f"{hit / (hit + miss):.1%}" if hit + miss else "-"
        errors = results.errors(name)
        label = config.label + (f" ({errors} errors)" if errors else "")
        lines.append(
            f"| {label} | {size_label(config.size)} | "
            f"{'-' if rate is None else f'{rate:,.0f}'} | {ratio} | {reference} | {peer} | "
            f"{'-' if cpu is None else f'{cpu:.0f}'} | {added} | {hits} |"
        )
    lines += ["", "## Targets (issue 8)", "", "| ratio | median (min-max) | at least | goal |"]
    lines.append("|---|---|---|---|")
    for target in TARGETS:
        ratios = results.ratios(target.name, target.other)
        if not ratios:
            continue
        met = "met" if statistics.median(ratios) >= target.at_least else "**not met**"
        lines.append(
            f"| {target.what} | {_spread(ratios)} {met} | {target.at_least} | {target.goal} |"
        )
    if results.memory is not None:
        memory = results.memory
        lines += [
            "",
            "## Memory (issue 8 item 7)",
            "",
            f"A `MemoryCache(max_bytes={int(memory['max_bytes']) // (1024 * 1024)} MiB)` filled "
            "with distinct 1 KiB entries, then with distinct 256 KiB entries that replace them "
            "(`python -m benchmarks.memory`): resident memory growth over the empty cache, as a "
            "multiple of `max_bytes` (at most 1.25 wanted).",
            "",
            "| after the 1 KiB entries | after the 256 KiB entries |",
            "|---|---|",
            f"| {memory['after_small']:.2f}x | {memory['after_large']:.2f}x |",
        ]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
