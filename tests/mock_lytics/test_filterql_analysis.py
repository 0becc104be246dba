"""Static filter analysis used to skip re-evaluation: fields read, segments included, clock dependence."""

from __future__ import annotations

import pytest

from mock_lytics.filterql import included_segments, parse, parse_condition, referenced_fields, time_dependent

FIELDS = [
    ("target", "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid)", {"email", "ansira_uuid"}),
    ("dotted-path-gives-root-and-flat-key", "FILTER hits.foo > 1", {"hits", "hits.foo"}),
    ("backtick-parts", "FILTER `last.event`.`has.period` == 1", {"last.event", "last.event.has.period"}),
    ("function-args", 'FILTER tolower(name) == "x"', {"name"}),
    ("field-on-right", '"x" IN roles', {"roles"}),
    ("field-vs-field", "a > b", {"a", "b"}),
    ("between-and-like", 'AND (d BETWEEN 1 AND 2, e LIKE "x*")', {"d", "e"}),
    ("match-all-reads-nothing", "*", set()),
    ("include-not-followed-without-resolver", "OR (INCLUDE other, x > 1)", {"x"}),
]


@pytest.mark.parametrize(("text", "expected"), [f[1:] for f in FIELDS], ids=[f[0] for f in FIELDS])
def test_referenced_fields(text: str, expected: set[str]) -> None:
    assert referenced_fields(parse_condition(text)) == frozenset(expected)


def test_referenced_fields_follows_includes_with_a_resolver_and_survives_cycles() -> None:
    segs = {
        "a": parse("FILTER AND (EXISTS email, INCLUDE b)"),
        "b": parse("FILTER AND (score > 5, INCLUDE a, INCLUDE missing)"),
    }
    assert referenced_fields(parse("FILTER INCLUDE a"), resolve=segs.get) == {"email", "score"}


def test_included_segments_lists_direct_targets() -> None:
    flt = parse("FILTER AND ( NOT INCLUDE abcd, OR (INCLUDE 'f9f0dc74234af7e86ddeb660c50350e1', x > 1) )")
    assert included_segments(flt) == {"abcd", "f9f0dc74234af7e86ddeb660c50350e1"}
    assert included_segments(parse("FILTER EXISTS email")) == frozenset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('x > "now-1d"', True),
        ("x > now-24h", True),
        ("daysago(d) < 100", True),
        ("timewindow(v, 3, 7)", True),
        ('x > "2015-12-18"', False),
        ("AND (EXISTS email, NOT EXISTS ansira_uuid)", False),
    ],
    ids=["quoted-date-math", "bare-date-math", "daysago", "timewindow", "absolute-date", "target"],
)
def test_time_dependent(text: str, expected: bool) -> None:
    assert time_dependent(parse_condition(text)) is expected
