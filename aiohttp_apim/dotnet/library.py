"""The .NET library, loaded: every module's types registered, layer by layer, in one place.

Importing a module of ``aiohttp_apim.dotnet`` registers nothing. A module declares its types as
data (``TYPES``: each `TypeRef` with its members, signatures and implementations) and, when it
adds something to a lower layer (an ordering or equality rule, an extension method, a member of
``Convert``), says so in its ``register(registry)``. `load` runs them in `LAYERS` order, once.

The layers, each importing only from the layers before it (a test checks this with ``ast``)::

    signatures, budget, core,     member signatures (C# syntax, parsed), the budget, the type
    values                        model and registry, value classes
    numfmt, primitives,           numbers, Boolean, Char, enums, Guid; formatting and parsing;
    exceptions, arith, numerics,  exceptions; arithmetic; Math and Convert; System.Type (typeof)
    reflection, anonymous         and Enum's statics; anonymous types
    strings, conversions,         String, StringBuilder, StringComparer; casts; Random;
    randomness, textio            StringReader, StringWriter
    linq, collections, arrays,    IEnumerable and LINQ; arrays (and Array's statics), List,
    queues, lookups               Dictionary, HashSet, Tuple, Queue, Stack; Join, GroupJoin,
                                  ToLookup
    dates, offsets, encoding,     DateTime, TimeSpan, DateTimeOffset; Encoding, BitConverter,
    regexes, ciphers,             hashes and HMAC; Regex (its timeouts are TimeSpans);
    certificates, timezones,      symmetric ciphers, APIM's Encrypt/Decrypt, random bytes;
    network                       RSA and X.509 certificates; TimeZoneInfo; IPAddress
    uri, json_model, json_text,   Uri, WebUtility; Newtonsoft.Json; System.Xml.Linq; APIM's Jwt
    json_path, json, json_merge,
    xml, xml_nodes, jwt
    library                       this loader

The language (``aiohttp_apim.expressions``) sits above all of it: its runtime calls `load` and
takes in what the library offers it (user-defined operators, the APIM model's types).
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from aiohttp_apim.dotnet import (
    anonymous,
    arith,
    arrays,
    budget,
    certificates,
    ciphers,
    collections,
    conversions,
    core,
    dates,
    encoding,
    exceptions,
    json,
    json_merge,
    json_model,
    json_path,
    json_text,
    jwt,
    linq,
    lookups,
    network,
    numerics,
    numfmt,
    offsets,
    primitives,
    queues,
    randomness,
    reflection,
    regexes,
    signatures,
    strings,
    textio,
    timezones,
    uri,
    values,
    xml,
    xml_nodes,
)
from aiohttp_apim.dotnet.core import LIBRARY, Registry

__all__ = ["LAYERS", "load"]

LAYERS: Final[tuple[tuple[ModuleType, ...], ...]] = (
    (signatures, budget, core, values),
    (numfmt, primitives, exceptions, arith, numerics, reflection, anonymous),
    (strings, conversions, randomness, textio),
    (linq, collections, arrays, queues, lookups),
    (dates, offsets, encoding, regexes, ciphers, certificates, timezones, network),
    (uri, json_model, json_text, json_path, json, json_merge, xml, xml_nodes, jwt),
)
"""The library's modules by layer."""

_loaded: list[Registry] = []


def load(registry: Registry = LIBRARY) -> Registry:
    """Register every module's types (and run its ``register``) into ``registry``, layer by
    layer; loading the same registry again does nothing."""
    if registry in _loaded:
        return registry
    for layer in LAYERS:
        for module in layer:
            register = getattr(module, "register", None)
            if register is not None:
                register(registry)
            else:
                types = getattr(module, "TYPES", ())
                registry.add(*types)
    _loaded.append(registry)
    return registry
