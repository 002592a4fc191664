"""``python -m aiohttp_apim``: see :mod:`aiohttp_apim.cli`."""

from aiohttp_apim.cli import main

raise SystemExit(main())
