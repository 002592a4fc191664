"""APIM policy XML -> a typed, validated model: files and folders (``sources``), one file
(``loader``, ``readers``, ``schema``, ``validate``, ``values``), scopes and ``<base/>``
(``scopes``), and the warnings about setups that never cache (``advice``)."""
