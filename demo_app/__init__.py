"""The demo application (``python -m demo_app``): a small catalog API behind APIM caching
policies (``demo_app/policies``), on the memory cache or Redis."""
