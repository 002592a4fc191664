"""``python -m demo_app``: the demo catalog API behind APIM caching policies, on the in-process
memory cache, or on Redis with ``--redis redis://127.0.0.1:6379/0`` (or ``DEMO_REDIS_URL``).

Sharing a Redis: the demo writes only keys that start with ``--prefix`` (``demo:`` by default),
in the database the URL names (``/0`` if it names none). On a Redis that other applications use,
give the demo a database of its own (``redis://127.0.0.1:6379/15``) or a prefix of its own;
``redis-cli --scan --pattern 'demo:*'`` lists what it wrote. Two demos on two ``--port`` numbers
with the same URL and prefix share their cache entries.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from demo_app.app import POLICIES, create_app, metrics_available

DEFAULT_PREFIX = "demo:"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m demo_app",
        description=(__doc__ or "").replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on (8080; another for a 2nd demo)"
    )
    parser.add_argument(
        "--backend-delay", type=float, default=1.0, help="seconds the slow handlers take (1.0)"
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("DEMO_REDIS_URL"),
        metavar="URL",
        help="use Redis as the external cache, e.g. redis://127.0.0.1:6379/0 (default: "
        "$DEMO_REDIS_URL; none: memory only); needs the redis extra",
    )
    parser.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help=f"the prefix of every Redis key the demo writes ({DEFAULT_PREFIX})",
    )
    return parser


def redis_install_hint(extra: str = "redis") -> str:
    """The command that installs ``extra`` (the redis one by default) for the code that runs
    now: from this checkout when the demo runs from one, else from the package index."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "setup.cfg").is_file():
        return f"python -m pip install 'aiohttp_apim[{extra}]'"
    target = "." if Path.cwd().resolve() == root else str(root)
    return f"python -m pip install -e '{target}[{extra}]'"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.redis:
        try:
            importlib.import_module("redis")
        except ImportError:
            print(
                f"demo_app: --redis needs the redis package, which is not installed; run: "
                f"{redis_install_hint()}",
                file=sys.stderr,
            )
            return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(
        backend_delay=args.backend_delay, redis_url=args.redis, redis_prefix=args.prefix
    )
    where = (
        f"Redis at {args.redis} (external, keys {args.prefix}*) and memory"
        if args.redis
        else "memory"
    )
    base = f"http://{args.host}:{args.port}"
    metrics = (
        f"  curl '{base}/metrics'    # hits, misses, bypasses, stores... for Prometheus"
        if metrics_available()
        else "(/metrics needs the prometheus extra: " + redis_install_hint("prometheus") + ")"
    )
    print(
        f"""aiohttp_apim demo: the catalog API on {base}, policies from {POLICIES}
Caches: {where}

Try (run each twice: the second answer comes from the cache, same backend_call number):
  curl -i '{base}/catalog/products/1'   # slow backend ({args.backend_delay:g} s), cached 45 s
  curl -i '{base}/catalog/products?page=2&size=2' # cached per page;size and Accept, public
  curl -i '{base}/catalog/products?page=2&size=2&utm=x'   # unlisted parameter: same entry
  curl -i '{base}/catalog/search?q=tea'           # cached per q
  curl -i '{base}/catalog/search?q='              # answered by the gateway (choose)
  curl -i '{base}/catalog/featured'               # a cached value (X-Featured-Source)
  curl -i -X POST '{base}/catalog/products' -d '{{"name": "cup"}}'   # POST: never cached
Every answer of a cached operation says what the cache did: Cache-Status: aiohttp-apim; hit; ttl=42
{metrics}
Press Ctrl+C to stop.""",
        flush=True,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
