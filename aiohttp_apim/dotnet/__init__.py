"""The .NET library that policy expressions see: types, their members and the sandbox's
budget. The C# language itself (lexer, parser, compiler) lives in ``aiohttp_apim.expressions``."""
