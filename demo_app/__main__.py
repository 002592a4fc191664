"""``python -m demo_app``: the demo catalog API behind APIM caching policies, on the in-process
memory cache, or on Redis with ``--redis redis://127.0.0.1:6379/0`` (or ``DEMO_REDIS_URL``).
Options: ``--host``, ``--port``, ``--backend-delay`` (seconds)."""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

from demo_app.app import POLICIES, create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--backend-delay", type=float, default=1.0, help="seconds the slow handler takes"
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("DEMO_REDIS_URL"),
        metavar="URL",
        help="use Redis as the external cache (default: $DEMO_REDIS_URL; none: memory only)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(backend_delay=args.backend_delay, redis_url=args.redis)
    where = f"Redis at {args.redis} (external) and memory" if args.redis else "memory"
    base = f"http://{args.host}:{args.port}"
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
Press Ctrl+C to stop.""",
        flush=True,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
