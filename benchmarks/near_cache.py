"""The near cache's hit against a memory hit, a Redis hit and a bare handler, measured with wrk.

Each configuration is served by its own process (pinned to CPU 0 where there are two or more, wrk
to CPU 1), on a private redis-server this script starts; every request is a hit of one 1 KiB
entry (``GET /shop/items?page=1`` through an operation policy with ``cache-lookup`` and
``cache-store``, stored by a warm-up). Rounds alternate the configurations; the script prints
requests per second (median of the rounds) and their ratio to the bare handler, the server's CPU
time per request (µs: user + system time of its process over the requests wrk counted), and what
one ``cache.get`` of the entry costs in process.

  bare    the handler alone
  memory  the gateway on a MemoryCache
  redis   the gateway on a RedisCache (valkey-glide when installed)
  near    the gateway on a NearCache in front of that RedisCache

Usage: python benchmarks/near_cache.py [--seconds 2] [--rounds 3] [--connections 50]
Requires wrk and redis-server on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ("bare", "memory", "redis", "near")

POLICY = """<policies>
  <inbound><base />
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false">
      <vary-by-query-parameter>page</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><base /></backend>
  <outbound><cache-store duration="300" /><base /></outbound>
</policies>"""

SERVER = """
import json, sys
from aiohttp import web
import aiohttp_apim

config, port, redis_url, policy = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
body = b'{"items": "' + b"x" * 1009 + b'"}'

async def handler(request):
    return web.Response(body=body, content_type="application/json")

app = web.Application()
app.router.add_get("/shop/items", handler, name="shop:list")
near = None
if config != "bare":
    external = None
    if config in ("redis", "near"):
        external = aiohttp_apim.RedisCache.from_url(redis_url, prefix=f"bench:{config}:")
        if config == "near":
            external = near = aiohttp_apim.NearCache(external)
    gateway = aiohttp_apim.setup(
        app,
        policies={"apis/shop/operations/list/policy.xml": policy},
        external_cache=external,
    )

    async def stats(request):
        counted = gateway.stats()
        found = {"hits": counted.response_hits, "misses": counted.response_misses}
        if near is not None:
            found["near_hits"] = near.local.stats().hits
        return web.json_response(found)

    app.router.add_get("/_stats", stats)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def pinned(cpu: int) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, seconds: float, connections: int) -> tuple[float, int]:
    out = subprocess.run(
        [*pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{max(int(seconds), 1)}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if rate is None or count is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    if "Non-2xx" in out:
        raise RuntimeError(f"error responses:\n{out}")
    return float(rate.group(1)), int(count.group(1))


def stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=5) as answer:
        found: dict[str, int] = json.loads(answer.read())
        return found


def measure(
    config: str, redis_url: str, seconds: float, connections: int
) -> tuple[float, float, dict[str, int]]:
    port = free_port()
    server = subprocess.Popen(
        [*pinned(0), sys.executable, "-c", SERVER, config, str(port), redis_url, POLICY],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, time.monotonic() + 20)
        url = f"http://127.0.0.1:{port}/shop/items?page=1"
        run_wrk(url, 1, connections)  # warm-up: stores the entry, fills the near tier
        before = {} if config == "bare" else stats(port)
        cpu = cpu_seconds(server.pid)
        rate, count = run_wrk(url, seconds, connections)
        used = cpu_seconds(server.pid) - cpu
        after = {} if config == "bare" else stats(port)
        counted = {name: after[name] - before.get(name, 0) for name in after}
        return rate, used / count * 1e6, counted
    finally:
        server.terminate()
        server.wait(timeout=10)


async def get_cost(redis_url: str) -> dict[str, float]:
    """µs per ``cache.get`` of a 1 KiB entry, in process (best of 3 runs)."""
    sys.path.insert(0, str(ROOT))
    import aiohttp_apim

    memory = aiohttp_apim.MemoryCache()
    redis = aiohttp_apim.RedisCache.from_url(redis_url, prefix="bench:get:")
    near = aiohttp_apim.NearCache(aiohttp_apim.RedisCache.from_url(redis_url, prefix="bench:get:"))
    value = b"x" * 1024
    await memory.set("k", value, 300)
    await redis.set("k", value, 300)
    while await near.local.get("k") is None:  # kept once the feed of changes is live
        await near.get("k")
        await asyncio.sleep(0.01)
    costs = {}
    for name, cache, count in (("memory", memory, 50_000), ("near", near, 50_000)):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(count):
                await cache.get("k")
            best = min(best, (time.perf_counter() - started) / count * 1e6)
        costs[name] = best
    started = time.perf_counter()
    for _ in range(2000):
        await redis.get("k")
    costs["redis"] = (time.perf_counter() - started) / 2000 * 1e6
    await near.close()
    await redis.close()
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="which, comma-separated")
    args = parser.parse_args()
    configs = [config for config in CONFIGS if config in args.configs.split(",")]
    if "bare" not in configs:
        configs.insert(0, "bare")  # the ratios' reference
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as directory:
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_listening(redis_port, time.monotonic() + 10)
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            rates: dict[str, list[float]] = {config: [] for config in configs}
            cpu: dict[str, list[float]] = {config: [] for config in configs}
            counted: dict[str, dict[str, int]] = {}
            for _ in range(args.rounds):
                for config in configs:
                    rate, micros, seen = measure(config, redis_url, args.seconds, args.connections)
                    rates[config].append(rate)
                    cpu[config].append(micros)
                    counted[config] = seen
            costs = asyncio.run(get_cost(redis_url))
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    bare = statistics.median(rates["bare"])
    print(
        f"{'config':<8} {'req/s':>8} {'vs bare':>8} {'CPU µs/req':>11} {'cache.get µs':>13}  hits"
    )
    for config in configs:
        rate = statistics.median(rates[config])
        get = f"{costs[config]:.1f}" if config in costs else "-"
        print(
            f"{config:<8} {rate:>8.0f} {rate / bare:>8.2f} {statistics.median(cpu[config]):>11.1f}"
            f" {get:>13}  {counted.get(config) or ''}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
