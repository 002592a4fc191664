"""aiohttp_apim: Azure API Management caching policies, as APIM users write them, in aiohttp."""

from aiohttp_apim.errors import PolicyError

__version__ = "0.1.0.dev0"

__all__ = ["PolicyError", "__version__"]
