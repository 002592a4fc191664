"""What the type checker finds is a located ``expression`` problem wherever policies load:
``setup()`` refuses the folder, ``load_policies()`` raises, and ``python -m aiohttp_apim check``
reports it and exits non-zero -- every problem of every expression at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

import aiohttp_apim

POLICY = (
    "<policies>\n"
    "    <inbound>\n"
    '        <set-variable name="id" value="@(context.Request.Headers.GetValueOrDefalt(&quot;id&quot;, &quot;&quot;))" />\n'
    '        <set-header name="x-len" exists-action="override">\n'
    "            <value>@{\n"
    '                var name = (string)context.Variables["name"];\n'
    "                return name.Lenght.ToString() + context.Request.Url.Hots;\n"
    "            }</value>\n"
    "        </set-header>\n"
    "    </inbound>\n"
    "    <backend><forward-request /></backend>\n"
    "</policies>\n"
)
EXPECTED = [
    (
        3,
        66,
        "'IReadOnlyDictionary' does not contain a definition for 'GetValueOrDefalt'; "
        "did you mean 'GetValueOrDefault'?",
    ),
    (7, 29, "'string' does not contain a definition for 'Lenght'; did you mean 'Length'?"),
    (7, 69, "'IUrl' does not contain a definition for 'Hots'; did you mean 'Host'?"),
]


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "policy.xml").write_text(POLICY, encoding="utf-8")
    return root


def _located(error: aiohttp_apim.PolicyError) -> list[tuple[str, str, int, int, str]]:
    return [(p.kind, Path(p.file).name, p.line, p.column, p.message) for p in error.problems]


def test_setup_refuses_a_typo_with_file_line_and_column(policies: Path) -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.setup(web.Application(), policies=policies)
    assert _located(caught.value) == [
        ("expression", "policy.xml", line, column, message) for line, column, message in EXPECTED
    ]
    assert "name.Lenght.ToString()" in caught.value.problems[1].text


def test_load_policies_reports_the_same_problems(policies: Path) -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.load_policies(policies)
    assert [(p.line, p.column, p.message) for p in caught.value.problems] == EXPECTED


def test_check_reports_every_problem_and_fails(policies: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aiohttp_apim", "check", str(policies)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    where = policies / "policy.xml"
    for line, column, message in EXPECTED:
        assert f"{where}:{line}:{column}: expression: {message}" in done.stdout


def test_a_folder_without_typos_loads(tmp_path: Path) -> None:
    fixed = (
        POLICY.replace("GetValueOrDefalt", "GetValueOrDefault")
        .replace("Lenght", "Length")
        .replace("Hots", "Host")
    )
    assert aiohttp_apim.load_policies({"policy.xml": fixed}).warnings == ()
