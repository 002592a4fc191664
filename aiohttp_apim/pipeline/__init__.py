"""The policy pipeline: plans compiled from effective policies, and the runner.

``compiler`` turns the effective policy of a (product, API, operation) into a ``plan.Plan`` of
``steps`` (``values`` holds their attribute values); ``runner`` runs one ``exchange.Exchange``
through it, building the expression context (``exprcontext``) only if an expression runs.
``keys``, ``cacherules`` and ``headers`` hold the pure rules, ``cacheio`` the best-effort cache
I/O, ``responsecodec`` and ``valuecodec`` the formats of cached responses and values, and
``stats`` the gateway's counters. No
aiohttp.web here: the web layer plugs in through ``exchange.Adapter`` (responses, the backend)
and ``exchange.Sender`` (send-request's HTTP client).
"""
