"""``python -m aiohttp_apim check``, driven as CI and editors drive it: exit status, the text and
JSON outputs, warnings and --strict, named values, ignored policies, and ``--app``, which checks
what the app's own ``setup()`` sees."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiohttp_apim import cli
from tests.web.test_scenario_setup import write_policies as folder

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
STORE = '<cache-store duration="60" />'


def document(inbound: str = "", outbound: str = "", backend: str = "<forward-request />") -> str:
    return (
        "<policies>\n"
        f"  <inbound>{inbound}</inbound>\n"
        f"  <backend>{backend}</backend>\n"
        f"  <outbound>{outbound}</outbound>\n"
        "  <on-error />\n"
        "</policies>\n"
    )


def check(*argv: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(["check", *map(str, argv)], out=out)
    return status, out.getvalue()


# --- folders ----------------------------------------------------------------------------------


def test_a_good_folder_passes_with_a_summary_of_its_elements(tmp_path: Path) -> None:
    root = folder(tmp_path, {"policy.xml": document(LOOKUP, STORE)})
    status, out = check(root)
    assert status == 0
    assert out.splitlines() == [
        "elements supported: cache-lookup 1, cache-store 1, forward-request 1",
        "ok: 1 policy documents, 0 fragments",
    ]


def test_problems_are_located_and_the_summary_says_what_is_refused(tmp_path: Path) -> None:
    policy = document('<validate-jwt header-name="Authorization" /><cache-lokup />')
    root = folder(tmp_path, {"policy.xml": policy})
    status, out = check(root)
    assert status == 1
    where = tmp_path / "policy.xml"
    assert f"{where}:2:12: unsupported-policy: policy <validate-jwt> is not supported" in out
    assert "check --ignore-policy validate-jwt" in out
    assert (
        f"{where}:2:56: unsupported-policy: policy <cache-lokup> is not supported (did you " in out
    )
    assert "did you mean <cache-lookup>?" in out
    assert "elements refused: cache-lokup 1, validate-jwt 1" in out
    assert out.splitlines()[-1] == "2 problems (2 errors, 0 warnings)"


def test_ignore_policy_skips_an_element_with_one_warning(tmp_path: Path) -> None:
    policy = document('<validate-jwt header-name="Authorization" />' + LOOKUP, STORE)
    root = folder(tmp_path, {"policy.xml": policy})
    status, out = check(root, "--ignore-policy", "validate-jwt")
    assert status == 0, out
    assert "warning: <validate-jwt> is skipped as ignore_policies asks" in out
    assert "elements ignored: validate-jwt 1" in out
    assert "elements supported: cache-lookup 1, cache-store 1, forward-request 1" in out
    assert out.splitlines()[-1] == "ok: 1 policy documents, 0 fragments; 1 warning"


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    root = folder(tmp_path, {"policy.xml": document(outbound=STORE)})
    status, out = check(root)
    assert status == 0
    assert ":4:13: warning: <cache-store> never stores anything" in out
    status, out = check(root, "--strict")
    assert status == 1
    assert out.splitlines()[-1] == "1 problem (0 errors, 1 warning)"


def test_did_you_mean_for_attributes_and_sections(tmp_path: Path) -> None:
    policy = (
        "<policies><inbond />"
        '<inbound><cache-lookup vary-by-developper="false"><vary-by-heder>Accept</vary-by-heder>'
        "</cache-lookup></inbound></policies>"
    )
    status, out = check(folder(tmp_path, {"policy.xml": policy}))
    assert status == 1
    assert "unknown section <inbond> (did you mean <inbound>?)" in out
    assert "unknown attribute 'vary-by-developper' on <cache-lookup> (did you mean " in out
    assert "'vary-by-developer'?)" in out
    assert (
        "unexpected element <vary-by-heder> in <cache-lookup> (did you mean <vary-by-header>?)"
        in (out)
    )


def test_named_values_on_the_command_line(tmp_path: Path) -> None:
    policy = document(
        '<set-variable name="a" value="{{greeting}}" /><set-variable name="b" value="{{secret}}" />'
    )
    root = folder(tmp_path, {"policy.xml": policy})
    status, out = check(root)
    assert status == 1
    assert "named value 'greeting' is not defined" in out
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"greeting": "hello", "secret": "from file"}))
    assert check(root, "--named-values", values)[0] == 0
    status, out = check(root, "--named-value", "greeting=hi=there")
    assert status == 1
    assert "'greeting' is not defined" not in out
    assert "named value 'secret' is not defined" in out
    assert check(root, "--named-value", "greeting=hi", "--named-value", "secret=s")[0] == 0
    assert check(root, "--named-value", "greeting=hi", "--allow-missing-named-values")[0] == 0


def test_allowing_missing_named_values_still_checks_everything_else(tmp_path: Path) -> None:
    policy = document(
        '<cache-lookup-value key="{{prefix}}-x" variable-name="v" />'
        '<set-variable name="b" value="{{x}}" /><cache-store duration="{{ttl}}" />'
        '<set-header name="X" exists-action="sometimes" />'
    )
    status, out = check(folder(tmp_path, {"policy.xml": policy}), "--allow-missing-named-values")
    assert status == 1
    assert "not defined" not in out
    assert "<cache-lookup-value> with key" not in out  # an unknown key: no false alarm
    assert "invalid attribute 'exists-action'" in out
    assert "<cache-store> is not allowed in the inbound section" in out


def test_json_output_parses(tmp_path: Path) -> None:
    policy = document('<validate-jwt header-name="A" />', STORE)
    root = folder(tmp_path, {"policy.xml": policy})
    # As an editor or CI job runs it: a process of its own.
    done = subprocess.run(
        [sys.executable, "-m", "aiohttp_apim", "check", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    problems = json.loads(done.stdout)
    # (A folder with errors gets no warnings about how its policies combine: they are not all
    # there.)
    assert [(p["kind"], p["severity"]) for p in problems] == [("unsupported-policy", "error")]
    first = problems[0]
    assert set(first) == {"kind", "file", "line", "column", "message", "text", "severity"}
    assert (first["file"], first["line"], first["column"]) == (str(root / "policy.xml"), 2, 12)
    assert first["text"] == '<inbound><validate-jwt header-name="A" /></inbound>'
    status, out = check(root, "--format", "json", "--ignore-policy", "validate-jwt")
    assert status == 0
    assert [(p["kind"], p["severity"]) for p in json.loads(out)] == [("warning", "warning")] * 2
    status, out = check(root, "--format", "json", "--strict", "--ignore-policy", "validate-jwt")
    assert status == 1
    assert [(p["kind"], p["severity"]) for p in json.loads(out)] == [("warning", "error")] * 2
    assert check(folder(tmp_path / "ok", {"policy.xml": document()}), "--format", "json") == (
        0,
        "[]\n",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give a policy folder, or --app"),
        (("{root}", "--named-value", "novalue"), "--named-value takes NAME=VALUE"),
        (("{root}", "--ignore-policy", "cache-lookup"), "cache-lookup, which aiohttp_apim runs"),
        (("--app", "no_such_module_anywhere:make"), "cannot import no_such_module_anywhere:make"),
        (("--app", "json"), "--app takes MODULE:FACTORY"),
        (("--app", "json:loads"), "json:loads failed: TypeError"),
        (("--app", "json:JSONDecoder"), "returned JSONDecoder, not an aiohttp web.Application"),
        (("{root}", "--named-values", "{root}/missing.json"), "cannot read named values"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    folder(tmp_path, {"policy.xml": document()})
    status, out = check(*(arg.format(root=tmp_path) for arg in argv))
    assert status == 2
    assert out == ""
    assert message in capsys.readouterr().err


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    help_text = capsys.readouterr().out
    assert "exit status:" in help_text
    assert "0  no problem" in help_text
    assert "--app MODULE:FACTORY" in help_text
    for flag in ("--named-value", "--allow-missing-named-values", "--ignore-policy", "--strict"):
        assert flag in help_text
    assert ".md" not in help_text  # no documents outside the package


# --- --app ------------------------------------------------------------------------------------


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A fresh module name, importable from ``tmp_path`` (the current folder, as with -m)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"checked_app_{uuid.uuid4().hex[:8]}"
    yield name, tmp_path / f"{name}.py"
    sys.modules.pop(name, None)


def write_app(path: Path, body: str) -> None:
    path.write_text(
        textwrap.dedent(
            """\
            from pathlib import Path

            from aiohttp import web

            import aiohttp_apim

            POLICIES = Path(__file__).parent / "policies"


            async def handler(request):
                return web.Response(text="ok")
            """
        )
        + textwrap.dedent(body)
    )


def test_app_reports_a_misnamed_operation_folder(app_module: tuple[str, Path]) -> None:
    name, path = app_module
    folder(
        path.parent / "policies",
        {
            "policy.xml": document(),
            "apis/shop/operations/get-prodct/policy.xml": document("<base />", "<base />"),
        },
    )
    write_app(
        path,
        """
        def create_app(argv):
            app = web.Application()
            app.router.add_get("/products/{id}", handler, name="shop:get-product")
            aiohttp_apim.setup(app, POLICIES)
            return app
        """,
    )
    status, out = check("--app", f"{name}:create_app")
    assert status == 1
    assert "binding: the operation policy for 'shop:get-prodct' binds to no route" in out
    assert "(did you mean 'shop:get-product'?)" in out
    # The same folder checked alone cannot know the routes.
    assert check(path.parent / "policies")[0] == 0


def test_app_reads_named_values_given_in_code(app_module: tuple[str, Path]) -> None:
    name, path = app_module
    root = folder(
        path.parent / "policies",
        {"policy.xml": document(f'<set-variable name="g" value="{{{{greeting}}}}" />{LOOKUP}')},
    )
    write_app(
        path,
        """
        async def create_app():  # an async factory without argv, as aiohttp accepts
            app = web.Application()
            app.router.add_get("/", handler, name="home")
            aiohttp_apim.setup(app, POLICIES, named_values={"greeting": "hello"})
            return app
        """,
    )
    status, out = check(root)
    assert status == 1
    assert "named value 'greeting' is not defined" in out
    status, out = check("--app", f"{name}:create_app")
    assert status == 0, out
    assert out.splitlines()[-1] == "ok: 1 policy documents, 0 fragments"
    # A folder checked against the app gets the app's named values too.
    assert check(root, "--app", f"{name}:create_app") == (status, out)


def test_app_reports_setups_that_never_cache(app_module: tuple[str, Path]) -> None:
    name, path = app_module
    lookup = (
        '<cache-lookup vary-by-developer="true" vary-by-developer-groups="false" '
        'caching-type="external" />'
    )
    root = folder(path.parent / "policies", {"policy.xml": document(lookup, STORE)})
    write_app(
        path,
        """
        def create_app(argv):
            app = web.Application()
            aiohttp_apim.setup(app, POLICIES)
            return app
        """,
    )
    status, out = check("--app", f"{name}:create_app")
    assert status == 0
    assert 'warning: <cache-lookup caching-type="external"> never caches a response' in out
    assert "no external cache is configured" in out
    assert 'warning: <cache-lookup vary-by-developer="true"> varies by nothing' in out
    assert out.splitlines()[-1] == "ok: 1 policy documents, 0 fragments; 2 warnings"
    assert check("--app", f"{name}:create_app", "--strict")[0] == 1
    # The folder alone does not know the setup: it says nothing of it.
    assert "warning" not in check(root)[1]
    # Checked against the app, the folder gets the app's setup.
    assert check(root, "--app", f"{name}:create_app")[1] == out


def test_app_whose_policies_fail_reports_their_problems(app_module: tuple[str, Path]) -> None:
    name, path = app_module
    folder(path.parent / "policies", {"policy.xml": document('<cache-store duration="x" />')})
    write_app(
        path,
        """
        app = web.Application()
        aiohttp_apim.setup(app, POLICIES)
        """,
    )
    status, out = check("--app", f"{name}:app")
    assert status == 1
    assert "invalid attribute 'duration' of <cache-store>" in out


def test_app_without_a_gateway_is_a_usage_error(
    app_module: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    name, path = app_module
    write_app(path, "app = web.Application()\n")
    assert check("--app", f"{name}:app") == (2, "")
    assert "without aiohttp_apim.setup()" in capsys.readouterr().err
    assert check("--app", f"{name}:app", "--strict")[0] == 2
