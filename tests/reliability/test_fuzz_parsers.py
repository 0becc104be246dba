"""Gaps left by the parsers' own fuzz tests (tests/mock_lytics): full Unicode input, hostile nesting and huge
number literals. Every input parses, or fails with the package's positioned error; never RecursionError or
ValueError. What parses also prints, re-parses and evaluates without blowing the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_lytics import filterql, lql
from mock_lytics.filterql import FilterQLError
from mock_lytics.lql import LQLError

SETTINGS = settings(max_examples=150, deadline=None)
FILTERQL: list[Callable[[str], Any]] = [filterql.parse, filterql.parse_condition, filterql.parse_all]
LQL: list[Callable[[str], Any]] = [lql.parse, lql.parse_expr, lql.parse_condition]
OPENERS = ["NOT ", "(", "AND(", "OR(", "tolower(", "x == ("]


def positioned(err: FilterQLError | LQLError, text: str) -> None:
    assert 0 <= err.pos <= len(text) and err.line >= 1 and err.col >= 1, (err, text)


@SETTINGS
@given(st.text(max_size=80))
def test_filterql_any_unicode_text(text: str) -> None:
    for fn in FILTERQL:
        try:
            fn(text)
        except FilterQLError as err:
            positioned(err, text)


@SETTINGS
@given(st.text(max_size=80))
def test_lql_any_unicode_text(text: str) -> None:
    for fn in LQL:
        try:
            fn(text)
        except LQLError as err:
            positioned(err, text)


def _close(openers: list[str]) -> str:
    return "".join(")" for o in reversed(openers) if o.endswith("("))


@SETTINGS
@given(st.lists(st.sampled_from(OPENERS), max_size=200))
def test_filterql_nesting_is_bounded(openers: list[str]) -> None:
    inner = "x" if openers and openers[-1] in ("tolower(", "x == (") else "EXISTS x"
    text = "FILTER " + "".join(openers) + inner + _close(openers)
    try:
        flt = filterql.parse(text)
    except FilterQLError as err:
        positioned(err, text)
        return
    again = filterql.parse(flt.to_ql())
    assert again == flt
    assert filterql.evaluate(flt, {"x": "a"}) in (True, False)
    filterql.referenced_fields(flt)


@SETTINGS
@given(st.lists(st.sampled_from(["NOT ", "(", "- ", "EXISTS ", "lower("]), max_size=200))
def test_lql_nesting_is_bounded(openers: list[str]) -> None:
    text = "".join(openers) + "x" + _close(openers)
    for fn in LQL:
        try:
            fn(text)
        except LQLError as err:
            positioned(err, text)


@pytest.mark.parametrize(
    ("fn", "text", "needle"),
    [
        (filterql.parse, "FILTER x == " + "9" * 5000, "number literal of 5000 digits is too long"),
        (filterql.parse, "FILTER " + "NOT " * 65 + "EXISTS x", "nested more than 64 levels deep"),
        (filterql.parse, "FILTER " + "AND(" * 65 + "EXISTS x" + ")" * 65, "nested more than 64 levels deep"),
        (filterql.parse_condition, "(" * 65 + "EXISTS x" + ")" * 65, "nested more than 64 levels deep"),
        (lql.parse_expr, "9" * 5000, "number literal of 5000 digits is too long"),
    ],
    ids=["filterql-long-number", "filterql-not-chain", "filterql-and-lists", "filterql-parentheses",
         "lql-long-number"],
)
def test_found_by_fuzzing(fn: Callable[[str], Any], text: str, needle: str) -> None:
    """Inputs that once escaped as RecursionError or ValueError."""
    with pytest.raises((FilterQLError, LQLError)) as info:
        fn(text)
    assert needle in str(info.value)


def test_the_deepest_accepted_filter_still_prints_and_evaluates() -> None:
    text = "FILTER " + "NOT (" * 32 + "EXISTS x" + ")" * 32
    flt = filterql.parse(text)
    assert filterql.parse(flt.to_ql()) == flt
    assert filterql.evaluate(flt, {"x": 1}) is True
