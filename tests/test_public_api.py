"""The public names of aiohttp_apim are pinned: adding one is a decision, removing one breaks users."""

import aiohttp_apim


def test_public_names_are_pinned() -> None:
    assert sorted(aiohttp_apim.__all__) == sorted(["PolicyError", "__version__"])
