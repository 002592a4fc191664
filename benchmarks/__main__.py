"""``python -m benchmarks``: the gateway against a bare aiohttp handler, a no-op middleware, a
hand-written cache and aiohttp-cache, each configuration served by its own process.

Every configuration (``benchmarks/configs.py``) gets a server process of its own, pinned to one
core where the machine has two or more, with ``wrk`` (and the private ``redis-server`` of the
Redis configurations) pinned to another. All servers are up at once; each round loads every
one of them in turn (``wrk -t1 -c50``), the order reversed every other round, so that a burst
of load on the machine hits the configurations of a round alike; every ratio is then taken
within a round and reported as the median (min-max) over the rounds. A ``-c1`` round follows
each round (the latency a configuration adds per request), the server's CPU time per request
comes from ``/proc/<pid>/stat``, and the memory check of ``benchmarks/memory.py`` closes the
run. The table goes to stdout and to ``benchmarks/RESULTS.md`` (with the date, the machine and
the command).

aiohttp-cache is installed on first use into ``benchmarks/.peer-venv`` (never a dependency of
the library); ``wrk`` comes from the Debian package of that name, ``redis-server`` from Redis.
``--quick`` is a smoke run of the plumbing: 1 KiB bodies only, one round of one second, no
``-c1`` round, a memory check at a quarter of the size.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks.configs import KIB, SIZES, Config, all_configs
from benchmarks.load import ROOT, RedisServer, Run, Server, cores, run_wrk
from benchmarks.peer import peer_python
from benchmarks.report import Results, render

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _selected(configs: list[Config], only: set[str] | None) -> list[Config]:
    """The configurations named (by kind or name) in ``only``, and those they are measured
    against; all of them without ``only``."""
    if only is None:
        return configs
    by_name = {config.name: config for config in configs}
    wanted = {c.name for c in configs if c.kind in only or c.name in only}
    for name in list(wanted):
        baseline = by_name[name].baseline
        while baseline is not None and baseline not in wanted:
            wanted.add(baseline)
            baseline = by_name[baseline].baseline
    return [config for config in configs if config.name in wanted]


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{model}, {os.cpu_count()} CPU(s), load average at start {load}"


def _hits(server: Server) -> tuple[int, int]:
    with urllib.request.urlopen(server.url + "/stats", timeout=10) as answer:
        counted = json.load(answer)
    return int(counted["hits"]), int(counted["misses"])


def _memory(scale: float) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--scale", str(scale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(completed.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3, help="per configuration and round")
    parser.add_argument(
        "--latency-seconds", type=int, default=1, help="of each -c1 run (0: no -c1 rounds)"
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--only",
        help="comma-separated configurations (kinds such as apim-hit, or names such as "
        "apim-hit@1MiB; 'memory' for the memory check); their references come along",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    sizes: tuple[int, ...] = SIZES
    rounds, seconds, latency_seconds, memory_scale = (
        args.rounds,
        args.seconds,
        args.latency_seconds,
        1.0,
    )
    if args.quick:
        sizes, rounds, seconds, latency_seconds, memory_scale = (KIB,), 1, 1, 0, 0.25
    only = None if args.only is None else {part.strip() for part in args.only.split(",")}
    configs = _selected(all_configs(sizes), only)
    with_memory = only is None or "memory" in only

    results = Results(configs)
    if configs:
        _measure(results, configs, rounds, seconds, latency_seconds, args.connections)
    if with_memory:
        print("memory check ...", file=sys.stderr)
        results.memory = _memory(memory_scale)
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    text = render(
        results,
        command=command,
        machine=f"{_machine()}; {cores().description}",
        seconds=seconds,
        connections=args.connections,
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _measure(
    results: Results,
    configs: list[Config],
    rounds: int,
    seconds: int,
    latency_seconds: int,
    connections: int,
) -> None:
    pinning = cores()
    redis = RedisServer(pinning.load) if any(c.redis for c in configs) else None
    python = peer_python() if any(c.peer_process for c in configs) else None
    servers: dict[str, Server] = {}
    try:
        for config in configs:
            interpreter = python if config.peer_process and python else sys.executable
            servers[config.name] = Server(
                config, interpreter, pinning.server, None if redis is None else redis.url
            )
        for server in servers.values():
            server.wait()
            run_wrk(server, 1, connections, pinning.load)  # warm-up: fills the caches
        for server in servers.values():
            server.check()
        for number in range(rounds):
            order = configs if number % 2 == 0 else configs[::-1]
            print(f"round {number + 1}/{rounds} ...", file=sys.stderr)
            results.rounds.append(
                {
                    c.name: run_wrk(servers[c.name], seconds, connections, pinning.load)
                    for c in order
                }
            )
            if latency_seconds:
                latency: dict[str, Run] = {
                    c.name: run_wrk(servers[c.name], latency_seconds, 1, pinning.load)
                    for c in order
                }
                results.latency_rounds.append(latency)
        for config in configs:
            servers[config.name].check()
            if config.ours and config.hit:
                results.hits[config.name] = _hits(servers[config.name])
    finally:
        for server in servers.values():
            server.stop()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
