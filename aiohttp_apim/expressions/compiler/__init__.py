"""Compile a policy-expression syntax tree to one Python function, once.

The tree is translated to Python source and compiled with ``compile()``: one Python frame per
evaluation instead of one closure call per node, which is what keeps a cache-key expression within
a small factor of hand-written Python. The sandbox stays airtight because the generated source is
built only from this package's own templates:

* every C# identifier, member name, string or number goes into a constants table and appears in
  the source only as ``k<n>``; C# locals become ``v<n>``, temporaries ``t<n>``, lambdas ``f<n>``;
* the function runs in a namespace whose ``__builtins__`` is empty and which holds nothing but
  the runtime.py functions and the few helpers of helpers.py -- every value is touched through
  runtime.py.
  The only things generated code does to a value itself are identity tests (``x is None``,
  ``type(x) is str``: the fast paths of ``?.``, ``??``, ``(string)x`` and ToString, which
  runtime.py defines as the identity on strings) and ``+`` on values already known to be str;
* loops count down a per-evaluation budget (``MAX_ITERATIONS``) that ``catch`` cannot swallow, and
  string concatenation built here is length-checked like runtime.binary's;
* member reads, indexers and instance calls get per-call-site monomorphic inline caches: the
  runtime's implementation for the receiver's exact type is called directly while the type
  matches (see sites.py); implementations called that way may raise any Python exception,
  which the generated ``try``/``catch`` and the top-level handler convert with
  ``runtime.convert_exception``.

Names are resolved at compile time: locals (block scoped) and lambda parameters, ``context``,
then .NET types through ``runtime.resolve_type`` (longest dotted prefix, so
``System.Text.RegularExpressions.Regex.Match`` and ``Regex.Match`` both work). Anything else is an
``ExpressionSyntaxError`` at the name. Trivial constant expressions are folded (``@(1800)`` exposes
``CompiledExpression.constant``).

Modules: ``program`` (the driver: lex, parse, generate, ``exec`` in the sandbox namespace; it
dispatches on the node unions with ``match``), ``codegen`` (generator state, constants,
declarations, the overflow context), ``statements``, ``switches`` (``switch``), ``members``
(member chains, calls, method groups, ``nameof``), ``tuples`` (tuple literals, element names,
deconstruction), ``queries`` (LINQ query syntax), ``expressions`` (everything else, assignments
included), ``scopes`` (names, scopes, locals, jump targets, type names), ``folding``
(constants), ``flow`` (reachability and other syntactic analyses), ``helpers`` (what generated
code may call), ``sites`` (inline caches), ``result`` (`CompiledExpression`). A program the
generator accepts is then type-checked as C# checks it (``typecheck``: statements and
expressions, ``typemembers``: members, calls, indexers, constructors, ``statictypes``: the static
types read from the declared signatures); its problems are raised together.
"""

from __future__ import annotations

from aiohttp_apim.expressions.compiler.helpers import HELPERS, MAX_ITERATIONS
from aiohttp_apim.expressions.compiler.program import compile_program, names_in
from aiohttp_apim.expressions.compiler.result import CompiledExpression

__all__ = ["MAX_ITERATIONS", "CompiledExpression", "compile_program", "names_in"]

_HELPERS = HELPERS  # the sandbox namespace's helpers (tests check generated code against it)
