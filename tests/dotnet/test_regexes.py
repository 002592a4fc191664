"""System.Text.RegularExpressions on the `regex` engine."""

from __future__ import annotations

import pytest

from aiohttp_apim.dotnet import regexes as dotnet_regex
from aiohttp_apim.dotnet.budget import Budget, BudgetExceeded, BudgetLimits, using
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, idx, new, raises, static


def group(m: object, key: object) -> object:
    return idx(get(m, "Groups"), key)


def test_named_group_match() -> None:
    m = static("Regex", "Match", "public, max-age=10", r"max-age=(?<maxAge>\d+)")
    assert get(m, "Success") is True
    assert get(group(m, "maxAge"), "Value") == "10"
    assert (get(m, "Index"), get(m, "Length"), get(m, "Value")) == (8, 10, "max-age=10")


def test_doc_bug_regex_never_matches() -> None:
    # the regular C# string "@(max-age=(?<maxAge>\\d+))" is the regex
    # @(max-age=(?<maxAge>\d+)), which needs a literal '@'
    m = static("Regex", "Match", "max-age=10", "@(max-age=(?<maxAge>\\d+))")
    assert get(m, "Success") is False
    g = group(m, "maxAge")
    assert g is not None
    assert get(g, "Success") is False
    assert get(g, "Value") == ""  # never null: ?.Value yields ""
    assert get(group(m, "nonexistent"), "Value") == ""
    assert get(group(m, 7), "Success") is False


def test_unicode_digits_and_options() -> None:
    assert static("Regex", "IsMatch", "٣", r"^\d$") is True
    ignore = rt.get_static(T("RegexOptions"), "IgnoreCase")
    assert static("Regex", "IsMatch", "ABC", "^abc$", ignore) is True
    assert static("Regex", "IsMatch", "ABC", "^abc$") is False


def test_dotnet_group_numbering_and_syntax() -> None:
    m = static("Regex", "Match", "xy", "(?<n>x)(y)")
    assert get(group(m, 1), "Value") == "y"  # unnamed groups are numbered first
    assert get(group(m, 2), "Value") == "x"
    assert get(group(m, "n"), "Value") == "x"
    m2 = static("Regex", "Match", "abab", r"(?'p'ab)\k<p>")
    assert get(m2, "Success") is True
    assert static("Regex", "IsMatch", "a\n", r"a\z") is False
    assert static("Regex", "IsMatch", "a\n", r"a\Z") is True
    raises("NotSupportedException", lambda: static("Regex", "IsMatch", "x", "(?<a-b>x)"))
    raises("ArgumentException", lambda: static("Regex", "IsMatch", "x", "(unclosed"))


def test_matches_replace_split_escape() -> None:
    ms = static("Regex", "Matches", "a1b22c333", r"\d+")
    assert get(ms, "Count") == 3
    assert [get(x, "Value") for x in rt.iterate(ms)] == ["1", "22", "333"]
    values = call(call(ms, "Cast", targs=("Match",)), "Select", lambda x: get(x, "Value"))
    assert static("String", "Join", ",", values) == "1,22,333"
    assert static("Regex", "Replace", "a1b2", r"\d", "#") == "a#b#"
    assert static("Regex", "Replace", "john smith", r"(?<f>\w+) (?<l>\w+)", "${l}, $1 $$ $0") == (
        "smith, john $ john smith"
    )
    assert static("Regex", "Replace", "ab", "(x)?b", "[$1]") == "a[]"
    assert (
        static("Regex", "Replace", "a1b2", r"\d", lambda m: rt.binary("+", get(m, "Value"), "!"))
        == "a1!b2!"
    )
    assert static("Regex", "Split", "a1b22c", r"\d+") == ["a", "b", "c"]
    assert static("Regex", "Split", "a-b", "(-)") == ["a", "-", "b"]
    assert static("Regex", "Escape", "a.b*c (d) e#") == "a\\.b\\*c\\ \\(d\\)\\ e\\#"
    assert static("Regex", "Unescape", "a\\.b\\n") == "a.b\n"


def test_instance_api_and_next_match() -> None:
    rx = new("Regex", r"\d")
    m = call(rx, "Match", "a1b2")
    assert get(m, "Value") == "1"
    m2 = call(m, "NextMatch")
    assert get(m2, "Value") == "2"
    assert get(call(m2, "NextMatch"), "Success") is False
    assert call(rx, "IsMatch", "zz") is False
    assert call(rx, "Replace", "1234", "x", 2) == "xx34"
    assert call(m, "Result", "[$0]") == "[1]"
    assert rt.to_string(rx) == r"\d"
    caps = get(group(static("Regex", "Match", "abc", "(?:(.))+"), 1), "Captures")
    assert [get(c, "Value") for c in rt.iterate(caps)] == ["a", "b", "c"]
    raises("ArgumentNullException", lambda: static("Regex", "Match", None, "x"))


def test_catastrophic_pattern_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dotnet_regex, "MATCH_TIMEOUT", 0.05)
    text = "a" * 60 + "b"
    with using(Budget(BudgetLimits(seconds=60.0))):  # the regex's own timeout comes first
        raises("RegexMatchTimeoutException", lambda: static("Regex", "IsMatch", text, "^(a|aa)+$"))
        raises(
            "RegexMatchTimeoutException", lambda: static("Regex", "Replace", text, "^(a|aa)+$", "")
        )


def test_a_match_runs_no_longer_than_the_budget_has_time_left() -> None:
    text = "a" * 60 + "b"
    budget = Budget(BudgetLimits(seconds=0.05))
    with using(budget), pytest.raises(BudgetExceeded) as caught:
        static("Regex", "IsMatch", text, "^(a|aa)+$")
    assert "50 ms of CPU time" in caught.value.message
    with using(budget), pytest.raises(BudgetExceeded):  # spent: later work fails at once
        static("Regex", "IsMatch", "a", "a")
