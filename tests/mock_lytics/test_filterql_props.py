"""FilterQL properties over generated input: printing round-trips, bad text fails cleanly, evaluation is total."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_lytics.filterql import FilterQLError, evaluate, parse
from mock_lytics.filterql import ast as A

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
# Kept small so the suite stays quick; a 3000-example run per property found nothing more.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Parts may be anything: the printer must backtick what does not lex back as-is.
parts = st.one_of(
    st.sampled_from(["email", "ansira_uuid", "hits", "now", "match_all", "from", "a-b", "x@y", "in", "NOT"]),
    st.text(min_size=1, max_size=6),
)
fields = st.builds(A.Field, st.lists(parts, min_size=1, max_size=3).map(tuple))
scalars = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["now-1d", "now", "2015-12-18", "12/18/2015", "5", "true", "Yoda", "a*b%"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
literals = st.one_of(st.builds(A.Literal, scalars), st.just(A.Literal(None)))
operands = st.one_of(fields, literals, st.builds(lambda f: A.Func("tolower", (f,)), fields))
ops = st.sampled_from(sorted(A.COMPARE_OPS))
lit_lists = st.lists(literals, max_size=3).map(tuple)

predicates = st.one_of(
    st.builds(A.Exists, fields),
    st.builds(A.Compare, operands, ops, literals),
    st.builds(A.Compare, literals, ops, fields),
    st.builds(A.Compare, fields, ops, fields),
    st.builds(A.Contains, fields, literals, st.booleans()),
    st.builds(A.Like, fields, st.text(max_size=6), st.booleans()),
    st.builds(A.In, operands, st.one_of(lit_lists, fields), st.booleans()),
    st.builds(A.Intersects, fields, lit_lists, st.booleans()),
    st.builds(A.Between, fields, literals, literals, st.booleans()),
    st.builds(A.Include, st.text(min_size=1, max_size=8)),
    st.just(A.MatchAll()),
    fields,
    literals,
)
exprs = st.recursive(
    predicates,
    lambda inner: st.one_of(
        st.builds(A.Not, inner),
        st.builds(A.And, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(A.Or, st.lists(inner, min_size=1, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)
filters = st.builds(
    A.Filter,
    exprs,
    table=st.sampled_from(["user", "accounts", "user.changes"]),
    alias=st.one_of(st.none(), st.text(min_size=1, max_size=8).map(str.lower)),
    limit=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
    with_=st.dictionaries(parts, scalars, max_size=2),
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6,
)
profile_keys = st.sampled_from(["email", "ansira_uuid", "hits", "now", "a-b", "x"])
profiles = st.dictionaries(profile_keys, json_values, max_size=5)


@SETTINGS
@given(filters)
def test_printed_text_parses_back_to_the_same_tree(flt: A.Filter) -> None:
    text = flt.to_ql()
    again = parse(text)
    assert again == flt, text
    assert again.to_ql() == text


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("FILTER AND(OR,NOT)EXISTS x=\"'`-\n5.*;<>!ab")), max_size=40))
def test_arbitrary_text_parses_or_raises_filterql_error(text: str) -> None:
    try:
        parse(text)
    except FilterQLError as err:
        assert 0 <= err.pos <= len(text)
        assert err.line >= 1 and err.col >= 1


@SETTINGS
@given(filters, profiles)
def test_evaluation_is_total_and_printing_preserves_it(flt: A.Filter, profile: dict[str, Any]) -> None:
    resolve = {"seg": parse("FILTER EXISTS email")}.get
    result = evaluate(flt, profile, now=NOW, resolve=resolve)
    assert result in (True, False)
    assert evaluate(parse(flt.to_ql()), profile, now=NOW, resolve=resolve) is result


TOKENS = [
    "FILTER", "SELECT", "*", "WHERE", "AND", "OR", "NOT", "(", ")", ",", "\n", "INCLUDE", "EXISTS", "x", "a.b",
    "`q r`", '"s"', "''", '""', "5", "-1.5", "==", "!=", ">", "IN", "BETWEEN", "LIKE", "CONTAINS", "INTERSECTS",
    "match_all", "FROM", "LIMIT", "WITH", "ALIAS", "=", ";", "NULL", "true", "tolower(x)", "now-1d", "-- c\n",
]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join))
def test_token_soup_parses_and_round_trips_or_raises_filterql_error(text: str) -> None:
    try:
        flt = parse(text)
    except FilterQLError as err:
        assert 0 <= err.pos <= len(text)
        return
    assert parse(flt.to_ql()) == flt
