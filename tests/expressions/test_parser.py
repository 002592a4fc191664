"""Parser: C# precedence, the cast/generic/lambda ambiguities, statements, exact error positions."""

from __future__ import annotations

import pytest

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError
from aiohttp_apim.expressions.parser import MAX_NESTING, parse


def sx(node: object) -> str:
    """A compact rendering of a tree: ``(+ 1 (* 2 3))``."""
    if isinstance(node, n.Literal):
        if node.kind == "string":
            return repr(node.value)
        if node.kind == "char":
            return f"'{node.value}'c"
        return "null" if node.value is None else str(node.value).lower() + node.suffix
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.TypeExpr):
        return str(node.type)
    if isinstance(node, n.Paren):
        return sx(node.inner)
    if isinstance(node, n.Member):
        targs = f"<{', '.join(map(str, node.type_args))}>" if node.type_args else ""
        return f"{sx(node.target)}{'?.' if node.conditional else '.'}{node.name}{targs}"
    if isinstance(node, n.Call):
        return f"{sx(node.target)}({', '.join(sx(a) for a in node.args)})"
    if isinstance(node, n.Index):
        return (
            f"{sx(node.target)}{'?[' if node.conditional else '['}"
            f"{', '.join(sx(a) for a in node.args)}]"
        )
    if isinstance(node, n.Argument):
        text = sx(node.value)
        if node.modifier:
            text = f"{node.modifier} {text}"
        return f"{node.name}: {text}" if node.name else text
    if isinstance(node, n.OutVar):
        return f"{node.type or 'var'} {node.name}"
    if isinstance(node, n.Binary | n.Logical):
        return f"({node.op} {sx(node.left)} {sx(node.right)})"
    if isinstance(node, n.Coalesce):
        return f"(?? {sx(node.left)} {sx(node.right)})"
    if isinstance(node, n.Conditional):
        return f"(?: {sx(node.cond)} {sx(node.then)} {sx(node.otherwise)})"
    if isinstance(node, n.Unary):
        return f"({node.op} {sx(node.operand)})"
    if isinstance(node, n.IncDec):
        return f"({node.op}{'pre' if node.prefix else 'post'} {sx(node.target)})"
    if isinstance(node, n.Cast):
        return f"(cast {node.type} {sx(node.operand)})"
    if isinstance(node, n.Is):
        return f"(is {sx(node.operand)} {node.type}{' ' + node.name if node.name else ''})"
    if isinstance(node, n.IsNull):
        return f"(is{' not' if node.negated else ''} {sx(node.operand)} null)"
    if isinstance(node, n.As):
        return f"(as {sx(node.operand)} {node.type})"
    if isinstance(node, n.Assign):
        return f"({node.op} {sx(node.target)} {sx(node.value)})"
    if isinstance(node, n.Lambda):
        params = ", ".join(f"{p.type} {p.name}" if p.type else p.name for p in node.params)
        return f"(lambda ({params}) {sx(node.body)})"
    if isinstance(node, n.New):
        init = ""
        if node.initializer is not None:
            init = " {" + ", ".join(sx(e) for e in node.initializer.entries) + "}"
        return f"(new {node.type}({', '.join(sx(a) for a in node.args)}){init})"
    if isinstance(node, n.InitEntry):
        values = ", ".join(sx(v) for v in node.values)
        if node.kind == "member":
            return f"{node.name} = {values}"
        if node.kind == "index":
            return f"[{', '.join(sx(a) for a in node.args)}] = {values}"
        return f"add({values})"
    if isinstance(node, n.NewArray):
        items = "" if node.items is None else "{" + ", ".join(sx(i) for i in node.items) + "}"
        size = "" if node.size is None else sx(node.size)
        return f"(new-array {node.element or '?'}[{size}]{items})"
    if isinstance(node, n.Default):
        return f"(default {node.type})"
    if isinstance(node, n.TupleLiteral):
        elements = [
            sx(item) if name is None else f"{name}: {sx(item)}"
            for name, item in zip(node.names, node.items, strict=True)
        ]
        return f"(tuple {' '.join(elements)})"
    if isinstance(node, n.Deconstruct):
        return f"(deconstruct {sx(node.target)} {sx(node.value)})"
    if isinstance(node, n.TupleTarget):
        return "[" + " ".join(sx(item) for item in node.items) + "]"
    if isinstance(node, n.VarTarget):
        return f"{node.type or 'var'} {node.name}"
    if isinstance(node, n.Checked):
        return f"({'checked' if node.checked else 'unchecked'} {sx(node.inner)})"
    if isinstance(node, n.CheckedBlock):
        return f"({'checked' if node.checked else 'unchecked'} {sx(node.body)})"
    if isinstance(node, n.ThrowExpr):
        return f"(throw {sx(node.value)})"
    if isinstance(node, n.Interpolated):
        parts = []
        for part in node.parts:
            if isinstance(part, str):
                parts.append(repr(part))
            else:
                text = sx(part.expr)
                if part.alignment is not None:
                    text += "," + sx(part.alignment)
                if part.format is not None:
                    text += ":" + part.format
                parts.append("{" + text + "}")
        return "$(" + " ".join(parts) + ")"
    if isinstance(node, n.Block):
        return "{" + " ".join(sx(s) for s in node.body) + "}"
    if isinstance(node, n.LocalDecl):
        decls = ", ".join(
            d.name + ("" if d.init is None else " = " + sx(d.init)) for d in node.declarators
        )
        return f"(decl {node.type or 'var'} {decls})"
    if isinstance(node, n.ExprStmt):
        return sx(node.expr) + ";"
    if isinstance(node, n.If):
        other = "" if node.otherwise is None else " else " + sx(node.otherwise)
        return f"(if {sx(node.cond)} {sx(node.then)}{other})"
    if isinstance(node, n.While):
        return f"(while {sx(node.cond)} {sx(node.body)})"
    if isinstance(node, n.DoWhile):
        return f"(do {sx(node.body)} {sx(node.cond)})"
    if isinstance(node, n.For):
        init = " ".join(sx(s) for s in node.init)
        cond = "" if node.cond is None else sx(node.cond)
        update = " ".join(sx(u) for u in node.update)
        return f"(for [{init}] [{cond}] [{update}] {sx(node.body)})"
    if isinstance(node, n.Foreach):
        variable = sx(node.target) if node.target else f"{node.type or 'var'} {node.name}"
        return f"(foreach {variable} {sx(node.iterable)} {sx(node.body)})"
    if isinstance(node, n.LocalFunction):
        return f"(function {node.name})"
    if isinstance(node, n.Return):
        return "(return" + ("" if node.value is None else " " + sx(node.value)) + ")"
    if isinstance(node, n.Throw):
        return "(throw" + ("" if node.value is None else " " + sx(node.value)) + ")"
    if isinstance(node, n.Break):
        return "(break)"
    if isinstance(node, n.Continue):
        return "(continue)"
    if isinstance(node, n.Empty):
        return "(;)"
    if isinstance(node, n.Switch):
        sections = []
        for section in node.sections:
            labels = []
            for label in section.labels:
                pattern = label.pattern
                if pattern is None:
                    labels.append("default")
                    continue
                if isinstance(pattern, n.ConstantPattern):
                    text = f"case {sx(pattern.value)}"
                else:
                    text = f"case {pattern.type or 'var'} {pattern.name}"
                labels.append(text + ("" if label.guard is None else f" when {sx(label.guard)}"))
            body = " ".join(sx(s) for s in section.body)
            sections.append(f"({', '.join(labels)}: {body})")
        return f"(switch {sx(node.subject)} {' '.join(sections)})"
    if isinstance(node, n.Try):
        catches = " ".join(
            f"(catch {c.type} {c.name}{'' if c.filter is None else ' when ' + sx(c.filter)} "
            f"{sx(c.body)})"
            for c in node.catches
        )
        final = "" if node.final is None else f" (finally {sx(node.final)})"
        return f"(try {sx(node.body)} {catches}{final})"
    raise AssertionError(f"no rendering for {node!r}")


def e(source: str) -> str:
    body = parse(f"@({source})").body
    return sx(body)


def b(source: str) -> str:
    body = parse(f"@{{{source}}}").body
    return sx(body)


def err(source: str) -> tuple[str, int, int]:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(source)
    return info.value.message, info.value.line, info.value.column


# --------------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 % 3", "(% (/ 8 4) 3)"),
        ("a << 1 + 2", "(<< a (+ 1 2))"),
        ("a >> 2 > b", "(> (>> a 2) b)"),
        ("a < b == c > d", "(== (< a b) (> c d))"),
        ("a == b != c", "(!= (== a b) c)"),
        ("a & b ^ c | d", "(| (^ (& a b) c) d)"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a && b || c && d", "(|| (&& a b) (&& c d))"),
        ("a | b || c", "(|| (| a b) c)"),
        ("a ?? b ?? c", "(?? a (?? b c))"),
        ("a || b ?? c", "(?? (|| a b) c)"),
        ("a ?? b ? c : d", "(?: (?? a b) c d)"),
        ("a ? b : c ? d : e", "(?: a b (?: c d e))"),
        ("a ? b ? c : d : e", "(?: a (?: b c d) e)"),
        ("-a.b", "(- a.b)"),
        ("!a.B()", "(! a.B())"),
        ("-x * -y", "(* (- x) (- y))"),
        ("~1 + +2", "(+ (~ 1) (+ 2))"),
        ("!!a", "(! (! a))"),
        ("a is string && b", "(&& (is a string) b)"),
        ('a as string ?? "d"', "(?? (as a string) 'd')"),
        ("x is JObject o", "(is x JObject o)"),
        ("x is null", "(is x null)"),
        ("x is not null", "(is not x null)"),
        ("a + b is int ? 1 : 2", "(?: (is (+ a b) int) 1 2)"),
        ("(a + b) * c", "(* (+ a b) c)"),
    ],
)
def test_precedence_and_associativity(source: str, tree: str) -> None:
    assert e(source) == tree


def test_literals() -> None:
    assert e("true") == "true"
    assert e("null") == "null"
    assert e("'x'") == "'x'c"
    assert e("10L") == "10l"
    assert e('@"a\\b"') == "'a\\\\b'"


def test_interpolated_holes_are_parsed() -> None:
    assert e('$"a{x + 1,-5:F2}b{d["k"]}"') == "$('a' {(+ x 1),(- 5):F2} 'b' {d['k']})"


# -------------------------------------------------------------------------- postfix chains


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ('context.Variables["id"]', "context.Variables['id']"),
        ("a?.b.c", "a?.b.c"),
        ("a?[0]?.b", "a?[0]?.b"),
        ('Regex.Match(x, "p").Groups["n"]?.Value', "Regex.Match(x, 'p').Groups['n']?.Value"),
        (
            'context.Variables.GetValueOrDefault<bool>("x")',
            "context.Variables.GetValueOrDefault<bool>('x')",
        ),
        ("body.As<JObject>(preserveContent: true)", "body.As<JObject>(preserveContent: true)"),
        ("x.M<List<string>>()", "x.M<List<string>>()"),
        ("x.M<Dictionary<string, List<int>>>()", "x.M<Dictionary<string, List<int>>>()"),
        ("a.b < c > (d)", "a.b<c>(d)"),  # C#'s rule: a generic invocation
        ("a.b < c", "(< a.b c)"),
        ("a.b < c && d > e", "(&& (< a.b c) (> d e))"),
        ("string.IsNullOrEmpty(s)", "string.IsNullOrEmpty(s)"),
        ("int.Parse(s)", "int.Parse(s)"),
        ("System.Net.WebUtility.UrlEncode(s)", "System.Net.WebUtility.UrlEncode(s)"),
        ("d.TryGetValue(k, out var v)", "d.TryGetValue(k, out var v)"),
        ("d.TryGetValue(k, out string[] v)", "d.TryGetValue(k, out string[] v)"),
        ("d.TryGetValue(k, out v)", "d.TryGetValue(k, out v)"),
        ("i++", "(++post i)"),
        ("--a.b", "(--pre a.b)"),
        ("f(x)(y)", "f(x)(y)"),
    ],
)
def test_postfix(source: str, tree: str) -> None:
    assert e(source) == tree


# ------------------------------------------------------------------------------------ casts


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("(string)x", "(cast string x)"),
        ("(int)x", "(cast int x)"),
        ("(int)-1", "(cast int (- 1))"),
        ('(IResponse)context.Variables["r"]', "(cast IResponse context.Variables['r'])"),
        ("((IResponse)r).Body", "(cast IResponse r).Body"),
        ("(JObject)x", "(cast JObject x)"),
        ("(string[])x", "(cast string[] x)"),
        ("(int?)x", "(cast int? x)"),
        ("(List<string>)x", "(cast List<string> x)"),
        ('(String)j["a"]', "(cast String j['a'])"),
        ("(T)(x)", "(cast T x)"),
        ("(T)!x", "(cast T (! x))"),
        ('(T)"s"', "(cast T 's')"),
        ("(object)null", "(cast object null)"),
        ("(x) - y", "(- x y)"),
        ("(x) + y", "(+ x y)"),
        ("(x).y", "x.y"),
        ("(a.b) * c", "(* a.b c)"),
        ("(string)x + y", "(+ (cast string x) y)"),
        ("(a < b)", "(< a b)"),
        ("(x) is int", "(is x int)"),
    ],
)
def test_cast_or_parenthesis(source: str, tree: str) -> None:
    assert e(source) == tree


# ---------------------------------------------------------------------------- new / lambdas


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ('new Uri(new Uri(b), "r").AbsoluteUri', "(new Uri((new Uri(b)), 'r')).AbsoluteUri"),
        ("new JObject(new JProperty(k, v))", "(new JObject((new JProperty(k, v))))"),
        ("new List<string>()", "(new List<string>())"),
        ('new List<string> { "a", "b" }', "(new List<string>() {add('a'), add('b')})"),
        (
            'new Dictionary<string, int> { { "a", 1 }, ["b"] = 2 }',
            "(new Dictionary<string, int>() {add('a', 1), ['b'] = 2})",
        ),
        ("new T(1) { A = 2, B = x }", "(new T(1) {A = 2, B = x})"),
        ('new[] { "a", "b" }', "(new-array ?[]{'a', 'b'})"),
        ("new string[] { }", "(new-array string[]{})"),
        ("new string[3]", "(new-array string[3])"),
        ("new int[2] { 1, 2 }", "(new-array int[2]{1, 2})"),
        ("new string[n][]", "(new-array string[][n])"),
        ("default(int)", "(default int)"),
        ("x => x.Id", "(lambda (x) x.Id)"),
        ("(x, y) => x + y", "(lambda (x, y) (+ x y))"),
        ("() => 1", "(lambda () 1)"),
        ("(string s) => s", "(lambda (string s) s)"),
        ("x => { return x; }", "(lambda (x) {(return x)})"),
        (
            "l.Where(x => x > 1).Select((x, i) => x * i)",
            "l.Where((lambda (x) (> x 1))).Select((lambda (x, i) (* x i)))",
        ),
        ('a ?? throw new Exception("m")', "(?? a (throw (new Exception('m'))))"),
    ],
)
def test_new_and_lambdas(source: str, tree: str) -> None:
    assert e(source) == tree


# -------------------------------------------------------------------------------- statements


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("var x = 1; return x;", "{(decl var x = 1) (return x)}"),
        ("string[] value; return 1;", "{(decl string[] value) (return 1)}"),
        ("int a = 1, b, c = a; return c;", "{(decl int a = 1, b, c = a) (return c)}"),
        (
            "List<string> l = new List<string>(); return l;",
            "{(decl List<string> l = (new List<string>())) (return l)}",
        ),
        ("int? n = null; return n;", "{(decl int? n = null) (return n)}"),
        (
            'string[] a = { "x" }; return a;',
            "{(decl string[] a = (new-array string[]{'x'})) (return a)}",
        ),
        ("JObject o = null; return o;", "{(decl JObject o = null) (return o)}"),
        ("x = 1; return x;", "{(= x 1); (return x)}"),
        (
            "x.y = 1; a[0] += 2; i++; --j; f(); new T(); return 0;",
            "{(= x.y 1); (+= a[0] 2); (++post i); (--pre j); f(); (new T()); (return 0)}",
        ),
        ("a >>= 1; b ??= c; return a;", "{(>>= a 1); (??= b c); (return a)}"),
        (
            "if (a) return 1; else if (b) return 2; else { return 3; }",
            "{(if a (return 1) else (if b (return 2) else {(return 3)}))}",
        ),
        (
            "foreach (var x in xs) { continue; } return 1;",
            "{(foreach var x xs {(continue)}) (return 1)}",
        ),
        (
            "foreach (JProperty p in o) break; return 1;",
            "{(foreach JProperty p o (break)) (return 1)}",
        ),
        (
            "for (int i = 0; i < 3; i++) { } return 1;",
            "{(for [(decl int i = 0)] [(< i 3)] [(++post i)] {}) (return 1)}",
        ),
        ("for (;;) break; return 1;", "{(for [] [] [] (break)) (return 1)}"),
        (
            "for (i = 0, j = 1; ; i++, j--) ; return 1;",
            "{(for [(= i 0); (= j 1);] [] [(++post i) (--post j)] (;)) (return 1)}",
        ),
        ("while (true) { } ", "{(while true {})}"),
        ("do x++; while (x < 3); return x;", "{(do (++post x); (< x 3)) (return x)}"),
        (
            "try { return 1; } catch (FormatException e) { return 2; } catch { throw; } "
            "finally { f(); }",
            "{(try {(return 1)} (catch FormatException e {(return 2)}) (catch None None {(throw)}) "
            "(finally {f();}))}",
        ),
        (
            "try { f(); } catch (Exception e) when (e.Message == m) { } catch when (x) { }",
            "{(try {f();} (catch Exception e when (== e.Message m) {}) (catch None None when x {}))}",
        ),
        (
            'switch (x) { case 1: case string s when s != "": return 1; case var v: '
            "case DayOfWeek.Monday: default: break; }",
            "{(switch x (case 1, case string s when (!= s ''): (return 1)) "
            "(case var v, case DayOfWeek.Monday, default: (break)))}",
        ),
        ('throw new Exception("x");', "{(throw (new Exception('x')))}"),
        ("{ ; } return 1;", "{{(;)} (return 1)}"),
        ("const int x = 1; return x;", "{(decl int x = 1) (return x)}"),
        (
            "using (var r = R.Create(s)) { f(r); } return 1;",
            "{{(decl var r = R.Create(s)) {f(r);}} (return 1)}",
        ),
        (
            "unchecked { x = (byte)(t >> 8); } return x;",
            "{(unchecked {(= x (cast byte (>> t 8)));}) (return x)}",
        ),
    ],
)
def test_statements(source: str, tree: str) -> None:
    assert b(source) == tree


def test_local_functions() -> None:
    body = parse(
        "@{ int Twice(int x) { return x * 2; } void Log(string m) => f(m); return Twice(2); }"
    ).body
    assert isinstance(body, n.Block)
    twice, log, _ = body.body
    assert isinstance(twice, n.LocalFunction)
    assert isinstance(log, n.LocalFunction)
    assert twice.name == "Twice"
    assert str(twice.returns) == "int"
    assert [(str(p.type), p.name) for p in twice.params] == [("int", "x")]
    assert log.returns is None
    assert isinstance(log.body, n.Call)


def test_anonymous_objects_and_unchecked_expressions() -> None:
    assert isinstance(parse('@(new { typ = "JWT", x.Name })').body, n.Anonymous)
    body = parse('@(new { typ = "JWT", x.Name })').body
    assert isinstance(body, n.Anonymous)
    assert [name for name, _ in body.members] == ["typ", "Name"]
    assert e("unchecked((int)x)") == "(unchecked (cast int x))"
    assert e("checked(a + b) * 2") == "(* (checked (+ a b)) 2)"


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("(a, b)", "(tuple a b)"),
        ('(x: 1, y: "s")', "(tuple x: 1 y: 's')"),
        ("(a, (b, c)).Item2", "(tuple a (tuple b c)).Item2"),
        ("(a, b) => a", "(lambda (a, b) a)"),
        ("((int, string))x", "(cast (int, string) x)"),
        ("((a, b)).Item1", "(tuple a b).Item1"),
        ("(a ? b : c, d)", "(tuple (?: a b c) d)"),
        ("(a, b) = (b, a)", "(deconstruct [a b] (tuple b a))"),
    ],
)
def test_tuples(source: str, tree: str) -> None:
    assert e(source) == tree


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("var (a, b) = t; return a;", "{(deconstruct [var a var b] t); (return a)}"),
        (
            "(var a, int b, c.D, _) = t; return a;",
            "{(deconstruct [var a int b c.D _] t); (return a)}",
        ),
        (
            "(int a, string b) t = (1, s); return t;",
            "{(decl (int a, string b) t = (tuple 1 s)) (return t)}",
        ),
        ("(int, string)[] ts = null; return ts;", "{(decl (int, string)[] ts = null) (return ts)}"),
        ("(int n, string s) F() => (1, x); return F();", "{(function F) (return F())}"),
        ("foreach (var (k, v) in d) { } return 1;", "{(foreach [var k var v] d {}) (return 1)}"),
        (
            "foreach ((string k, int v) in d) { } return 1;",
            "{(foreach [string k int v] d {}) (return 1)}",
        ),
        ("(a, b) = (b, a); return a;", "{(deconstruct [a b] (tuple b a)); (return a)}"),
    ],
)
def test_deconstruction_statements(source: str, tree: str) -> None:
    body = parse("@{" + source + "}").body
    assert sx(body) == tree


def test_block_records_its_closing_brace() -> None:
    body = parse("@{\n  return 1;\n}").body
    assert isinstance(body, n.Block)
    assert (body.end_line, body.end_column) == (3, 1)


# ------------------------------------------------------------------------------- positions


def test_nodes_carry_positions_of_their_first_token() -> None:
    body = parse('@(\n  context.Variables["x"] + 1)').body
    assert isinstance(body, n.Binary)
    assert (body.line, body.column) == (2, 3)
    assert isinstance(body.right, n.Literal)
    assert (body.right.line, body.right.column) == (2, 28)


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@(foo(1, 2;)", ("expected ')' to close '(' opened at 1:6, got ';'", 1, 11)),
        ("@(a[1)", ("expected ']' to close '[' opened at 1:4, got ')'", 1, 6)),
        ("@((1 + 2)", ("expected ')' to close '(' opened at 1:2, got end of input", 1, 10)),
        ("@(1 + )", ("expected an expression, got ')'", 1, 7)),
        ("@()", ("expected an expression, got ')'", 1, 3)),
        ("@(1) 2", ("unexpected literal 2 after the end of the expression", 1, 6)),
        ("x", ("a policy expression starts with '@(' or '@{', got identifier 'x'", 1, 1)),
        ("@x", ("a policy expression starts with '@(' or '@{', got identifier '@x'", 1, 1)),
        ("@[1]", ("expected '(' or '{' after '@', got '['", 1, 2)),
        ("@{ return 1 }", ("expected ';', got '}'", 1, 13)),
        ("@{ var x = 1;", ("expected '}' to close '{' opened at 1:2, got end of input", 1, 14)),
        (
            "@{\n  var x;\n}",
            ("expected '=' (an implicitly typed variable needs an initializer), got ';'", 2, 8),
        ),
        (
            "@{ x + 1; }",
            (
                "only assignment, call, increment, decrement and new object "
                "expressions can be used as a statement",
                1,
                4,
            ),
        ),
        (
            "@(1 = 2)",
            ("the left-hand side of an assignment must be a variable, property or indexer", 1, 5),
        ),
        ("@(a ? b)", ("expected ':' of the conditional operator '?' at 1:5, got ')'", 1, 8)),
        ("@{ if x return 1; }", ("expected '(' after 'if', got identifier 'x'", 1, 7)),
        ("@{ else return 1; }", ("unexpected 'else'", 1, 4)),
        ("@{ switch x { } }", ("expected '(' after 'switch', got identifier 'x'", 1, 11)),
        ("@{ try { } catch when x { } }", ("expected '(' after 'when', got identifier 'x'", 1, 23)),
        ("@(typeof string)", ("expected '(' after 'typeof', got 'string'", 1, 10)),
        ("@(typeof())", ("expected type, got ')'", 1, 10)),
        ("@(this.x)", ("'this' is not supported in policy expressions", 1, 3)),
        ("@(new { 1 })", ("invalid anonymous type member declarator", 1, 9)),
        ("@(checked 1)", ("expected '(' after 'checked', got literal 1", 1, 11)),
        ("@(a.)", ("expected member name, got ')'", 1, 5)),
        (
            "@(a.class)",
            ("expected member name, got keyword 'class' (write @class to use it as a name)", 1, 5),
        ),
        ("@(f(out 1))", ("a 'out' argument must be a variable, property or indexer", 1, 9)),
        ("@(int)", ("expected '.' after type 'int', got ')'", 1, 6)),
        ('@($"{}")', ("expected an expression in the interpolation hole, got '}'", 1, 6)),
        (
            '@($"{a b}")',
            ("unexpected identifier 'b' in the interpolation hole opened at 1:5", 1, 8),
        ),
        (
            "@{ if (a) var x = 1; return 1; }",
            ("a declaration is not allowed here (wrap it in braces)", 1, 11),
        ),
        ("@{ try { } return 1; }", ("expected 'catch' or 'finally', got 'return'", 1, 12)),
        ("@(a[])", ("expected an index value, got ']'", 1, 5)),
        (
            "@(x++ ++)",
            (
                "the operand of an increment or decrement operator must be a variable, "
                "property or indexer",
                1,
                7,
            ),
        ),
    ],
)
def test_syntax_errors_point_at_the_offending_token(
    source: str, expected: tuple[str, int, int]
) -> None:
    assert err(source) == expected


def test_multiline_error_position() -> None:
    source = '@{\n    var a = context.Variables["x"];\n    return (a b;\n}'
    assert err(source) == ("expected ')' to close '(' opened at 3:12, got identifier 'b'", 3, 15)


def test_nesting_limit_is_an_error_not_a_crash() -> None:
    deep = "@(" + "(" * (MAX_NESTING + 5) + "1" + ")" * (MAX_NESTING + 5) + ")"
    message, line, _ = err(deep)
    assert message.startswith("expression is nested too deeply")
    assert line == 1
    ok = "@(" + "(" * (MAX_NESTING - 5) + "1" + ")" * (MAX_NESTING - 5) + ")"
    parse(ok)


def test_unary_nesting_limit() -> None:
    assert err("@(" + "-" * 500 + "1)")[0].startswith("expression is nested too deeply")


def test_long_flat_chains_hit_the_tree_height_limit() -> None:
    message = err("@(" + " + ".join(["a"] * 1000) + ")")[0]
    assert message.startswith("expression is nested too deeply")
    parse("@(" + " + ".join(["a"] * 100) + ")")
    parse("@{" + "x = 1;" * 5000 + "return 1;}")  # many statements are not depth
