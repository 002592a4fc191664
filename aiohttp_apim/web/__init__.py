"""The aiohttp side: the only package that imports ``aiohttp.web``.

``app`` installs the gateway (setup, policy_middleware), ``gateway`` holds it, ``middleware``
runs a request, ``adapters`` moves responses between aiohttp and the pipeline, ``callers`` reads
subscription keys and ``binding`` ties routes to operations.
"""

from aiohttp_apim.web.app import policy_middleware, setup
from aiohttp_apim.web.gateway import GATEWAY, Gateway

__all__ = ["GATEWAY", "Gateway", "policy_middleware", "setup"]
