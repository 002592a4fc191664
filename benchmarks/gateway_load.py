"""Load benchmark: the gateway against a bare aiohttp handler, measured with wrk in one run.

Each variant is served by its own process on a loopback port; wrk (a second process) loads it
for a few seconds; the script prints requests per second and each variant's ratio to the bare
handler measured in the same run (absolute numbers depend on the machine, ratios much less).

Variants:
  bare          the handler alone, no middleware
  passthrough   the gateway with a global policy that does nothing but forward
  cache-hit     response caching, every request a hit (the handler runs once)
  cache-miss    response caching on a POST route (lookup ineligible: pipeline + backend)
  expressions   a policy with set-variable / set-header expressions on every request

Usage: python benchmarks/gateway_load.py [--seconds 5] [--connections 32] [--threads 1]
Requires wrk on PATH (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GLOBAL_FORWARD = (
    "<policies><inbound /><backend><forward-request /></backend><outbound /></policies>"
)
CACHING = """<policies>
  <inbound>
    <base />
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
                  downstream-caching-type="public">
      <vary-by-header>Accept</vary-by-header>
      <vary-by-query-parameter>page</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><base /></backend>
  <outbound><cache-store duration="3600" /><base /></outbound>
</policies>"""
EXPRESSIONS = """<policies>
  <inbound>
    <set-variable name="user"
        value="@("user-" + context.Request.Headers.GetValueOrDefault("X-User", "anon"))" />
  </inbound>
  <backend><forward-request /></backend>
  <outbound>
    <set-header name="X-User" exists-action="override">
      <value>@((string)context.Variables["user"])</value>
    </set-header>
  </outbound>
</policies>"""

VARIANTS: dict[str, tuple[dict[str, str] | None, str, str]] = {
    # name: (policies or None for no gateway, method, path)
    "bare": (None, "GET", "/shop/items?page=1"),
    "passthrough": ({"policy.xml": GLOBAL_FORWARD}, "GET", "/shop/items?page=1"),
    "cache-hit": (
        {"apis/shop/operations/list/policy.xml": CACHING},
        "GET",
        "/shop/items?page=1",
    ),
    "cache-miss": (
        {"apis/shop/operations/list/policy.xml": CACHING},
        "POST",
        "/shop/items?page=1",
    ),
    "expressions": ({"policy.xml": EXPRESSIONS}, "GET", "/shop/items?page=1"),
}

SERVER = """
import json, sys
from aiohttp import web
import aiohttp_apim

policies = json.loads(sys.argv[2])
body = b'{"items": [' + b",".join(b'{"id": %d, "name": "item"}' % i for i in range(20)) + b"]}"

async def handler(request):
    return web.Response(body=body, content_type="application/json")

app = web.Application()
app.router.add_route("*", "/shop/items", handler, name="shop:list")
if policies is not None:
    aiohttp_apim.setup(app, policies=policies)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
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
    raise RuntimeError(f"server on port {port} did not start")


def run_wrk(url: str, method: str, seconds: float, connections: int, threads: int) -> float:
    script = Path(f"/tmp/aiohttp_apim_wrk_{os.getpid()}.lua")
    script.write_text(f'wrk.method = "{method}"\nwrk.headers["Accept"] = "application/json"\n')
    duration = f"-d{max(int(seconds), 1)}s"
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", duration, "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    finally:
        script.unlink(missing_ok=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses:\n{out}")
    return float(match.group(1))


def measure(name: str, seconds: float, connections: int, threads: int) -> float:
    policies, method, path = VARIANTS[name]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), json.dumps(policies)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, time.monotonic() + 20)
        url = f"http://127.0.0.1:{port}{path}"
        run_wrk(url, method, 1, connections, threads)  # warm-up (fills the cache, JIT-free)
        return run_wrk(url, method, seconds, connections, threads)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    results = {
        name: measure(name, args.seconds, args.connections, args.threads) for name in VARIANTS
    }
    bare = results["bare"]
    print(f"{'variant':<12} {'req/s':>10} {'vs bare':>8}")
    for name, rate in results.items():
        print(f"{name:<12} {rate:>10.0f} {rate / bare:>8.2f}")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
