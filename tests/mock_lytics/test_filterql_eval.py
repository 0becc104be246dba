"""FilterQL evaluation: one row per operator and rule (SEMANTICS.md), on hand-written profiles.

Rows marked "qlbridge" are TestFilterQlVm cases (vm/filterqlvm_test.go) with the Go struct
turned into a dict. Time is fixed so date math is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mock_lytics.filterql import Filter, Semantics, evaluate, parse, parse_condition
from mock_lytics.filterql.ast import Compare, Field, Literal

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2015, 12, 18, tzinfo=UTC)

PROFILES: dict[str, Mapping[str, Any]] = {
    # qlbridge's User struct + context map, as a profile.
    "yoda": {
        "name": "Yoda",
        "Created": T1,
        "Updated": NOW - timedelta(hours=1),
        "Authenticated": True,
        "roles": ["admin", "api"],
        "BankAmount": 55.5,
        "Address": {"City": "Detroit", "Zip": 55},
        "hits": {"foo": 5},
        "FirstEvent": {"signedup": T1},
        "city": "Peoria, IL",
        "zip": 5,
        "lastevent": {"signedup": T1},
        "last.event": {"has.period": T1},
        "transactions": [T1 - timedelta(days=1), T1 + timedelta(days=1)],
        "transactionsnil": [],
    },
    # What a JSON profile looks like: everything is a string, number, list or object.
    "json": {
        "email": "Jo@Example.com",
        "zip": "5",
        "amount": "60",
        "money": "$1,200",
        "flag": "true",
        "flag_yes": "yes",
        "updated_iso": "2024-06-01T11:00:00Z",
        "last_seen_ms": int((NOW - timedelta(days=3)).timestamp() * 1000),
        "signup": "2024-03-15T00:00:00Z",
        "visits": ["2024-05-01T00:00:00Z", "2024-06-01T06:00:00Z"],
        "scores": [1, 5, 9],
        "url": "/a/blog/x",
        "site": "https://www.google.com/x",
        "hits.foo": 1,
        "hits": {"foo": 9},
        "seven": "7",
    },
    "emptyish": {"x": None, "s": "", "l": [], "d": {}, "zero": 0, "no": False},
    "audience-in": {"email": "a@example.com"},
    "audience-enriched": {"email": "a@example.com", "ansira_uuid": "0b9f6f5e"},
    "audience-no-email": {"first_name": "Ann"},
    "audience-email-none": {"email": None},
    "audience-email-empty": {"email": ""},
}

# (id, filter text (statement or bare expression), profile name, expected)
ROWS: list[tuple[str, str, str, bool]] = [
    # --- the project's audience
    ("audience-has-email-no-uuid", "AND (EXISTS email, NOT EXISTS ansira_uuid)", "audience-in", True),
    ("audience-enriched-exits", "AND (EXISTS email, NOT EXISTS ansira_uuid)", "audience-enriched", False),
    ("audience-no-email", "AND (EXISTS email, NOT EXISTS ansira_uuid)", "audience-no-email", False),
    ("audience-email-none-is-missing", "AND (EXISTS email, NOT EXISTS ansira_uuid)", "audience-email-none", False),
    ("audience-empty-email-exists", "AND (EXISTS email, NOT EXISTS ansira_uuid)", "audience-email-empty", True),
    # --- equality (qlbridge)
    ("eq-case-sensitive", 'name == "Yoda"', "yoda", True),
    ("eq-other-case-misses", 'name == "yoda"', "yoda", False),
    ("ne-case-sensitive", 'name != "yoda"', "yoda", True),
    ("single-eq-same-as-double", 'name = "Yoda"', "yoda", True),
    ("literal-on-left", '"Yoda" == name', "yoda", True),
    ("ne-other-value", 'name != "Anakin"', "yoda", True),
    ("literal-on-left-ordering-flips", "100 > zip", "yoda", True),
    ("nested-struct-path", 'Address.City == "Detroit"', "yoda", True),
    ("and-of-equalities", 'AND (name == "Yoda", city == "Peoria, IL", zip == 5, BankAmount > 50)', "yoda", True),
    ("and-one-false", 'AND (name == "Yoda", city == "xxx", zip == 5)', "yoda", False),
    ("nested-or-in", 'AND (zip == 5, "Yoda" == name, OR ( city IN ( "Portland, OR", "Peoria, IL" ) ) )', "yoda", True),
    ("deep-nesting", 'OR ( EXISTS q, AND ( zip > 0, OR ( zip > 10000, zip < 100 ) ), NOT ( name == "Yoda" ) )',
     "yoda", True),
    # --- missing fields
    ("missing-ne-is-true", 'first_name != "Anakin"', "yoda", True),
    ("missing-eq-is-false", 'first_name == "Anakin"', "yoda", False),
    ("missing-gt-is-false", 'FakeDate > "now-1d"', "yoda", False),
    ("not-missing-gt-is-true", 'NOT ( FakeDate > "now-1d")', "yoda", True),
    ("missing-not-in-is-true", 'not_a_field NOT IN ("Yoda")', "yoda", True),
    ("missing-in-is-false", 'not_a_field IN ("Yoda")', "yoda", False),
    ("missing-not-contains-is-true", 'not_a_field NOT CONTAINS "x"', "yoda", True),
    ("missing-not-like-is-true", 'not_a_field NOT LIKE "x*"', "yoda", True),
    ("missing-between-is-unknown", "not_a_field BETWEEN 1 AND 9", "yoda", False),
    ("missing-not-between-is-unknown-too", "not_a_field NOT BETWEEN 1 AND 9", "yoda", False),
    ("none-value-is-missing", "EXISTS x", "emptyish", False),
    ("none-value-ne-is-true", 'x != "a"', "emptyish", True),
    ("exists-empty-string", "EXISTS s", "emptyish", True),
    ("exists-empty-list", "EXISTS l", "emptyish", True),
    ("exists-empty-map", "EXISTS d", "emptyish", True),
    ("exists-zero-and-false", "AND (EXISTS zero, EXISTS no)", "emptyish", True),
    ("exists-list-of-times", "EXISTS transactions", "yoda", True),
    ("or-exists-with-comments", "OR (\n EXISTS name -- yes\n EXISTS not_a_key -- no\n)", "yoda", True),
    # --- NULL
    ("ne-null-present", "name != NULL", "yoda", True),
    ("eq-null-missing", "first_name == NULL", "yoda", True),
    ("eq-null-empty-string", "s == NULL", "emptyish", True),
    ("eq-null-present", "name == NULL", "yoda", False),
    # --- number coercion
    ("int-field-vs-numeric-string", 'zip == "5"', "yoda", True),
    ("numeric-string-field-vs-int", "zip == 5", "json", True),
    ("both-numeric-strings-ordering", 'amount > "50"', "json", True),
    ("float-field-vs-numeric-string", 'AND (zip == "5", BankAmount > "50")', "yoda", True),
    ("map-value-vs-float", "hits.foo > 1.5", "yoda", True),
    ("map-value-vs-float-string", 'hits.foo > "1.5"', "yoda", True),
    ("not-map-value-gt", "NOT ( hits.foo > 5.5 )", "yoda", True),
    ("money-string-coerced", "money > 1000", "json", True),
    ("text-vs-number-eq-false", "name == 5", "yoda", False),
    ("text-vs-number-ne-true", "name != 5", "yoda", True),
    ("number-vs-text-unknown", 'zip == "abc"', "yoda", False),
    ("not-of-unknown-is-unknown", 'NOT (zip == "abc")', "yoda", False),
    # --- booleans
    ("bool-eq-true", "Authenticated == true", "yoda", True),
    ("bool-eq-true-string", 'Authenticated == "true"', "yoda", True),
    ("true-string-field-vs-bool", "flag == true", "json", True),
    ("non-bool-string-vs-bool", "flag_yes == true", "json", False),
    ("bare-bool-field", "Authenticated", "yoda", True),
    ("bare-non-bool-field", "name", "yoda", False),
    ("bool-literals", "OR (false, false, AND (true, false))", "yoda", False),
    # --- dates
    ("datetime-lt-now-1d", 'Created < "now-1d"', "yoda", True),
    ("not-datetime-gt-now-1d", 'NOT ( Created > "now-1d")', "yoda", True),
    ("datetime-gt-now-2h", 'Updated > "now-2h"', "yoda", True),
    ("datetime-lt-now", 'Updated < "now"', "yoda", True),
    ("unquoted-date-math", "Updated > now-24h", "yoda", True),
    ("list-of-times-any", 'transactions < "now-1h"', "yoda", True),
    ("empty-list-of-times", 'transactionsnil < "now-1h"', "yoda", False),
    ("map-of-times-lt", 'FirstEvent.signedup < "now-2h"', "yoda", True),
    ("map-of-times-eq-us-date", 'FirstEvent.signedup == "12/18/2015"', "yoda", True),
    ("map-of-times-via-context-lt", 'lastevent.signedup < "now-2h"', "yoda", True),
    ("map-of-times-gt-misses", 'lastevent.signedup > "now-2h"', "yoda", False),
    ("map-of-times-ne-misses", 'lastevent.signedup != "12/18/2015"', "yoda", False),
    ("backtick-escaped-path", '`lastevent`.`signedup` == "12/18/2015"', "yoda", True),
    ("backtick-keys-with-dots", '`last.event`.`has.period` == "12/18/2015"', "yoda", True),
    ("datetime-vs-epoch-ms-literal", "Created > 1400000000000", "yoda", True),
    ("iso-string-gt-now-2h", 'updated_iso > "now-2h"', "json", True),
    ("iso-string-gt-now-30m-misses", 'updated_iso > "now-30m"', "json", False),
    ("iso-string-vs-epoch-ms-literal", "updated_iso > 1700000000000", "json", True),
    ("iso-string-eq-other-format", 'updated_iso == "2024-06-01 11:00:00+00:00"', "json", True),
    ("epoch-ms-field-vs-date-math", 'AND (last_seen_ms > "now-4d", last_seen_ms < "now-2d")', "json", True),
    ("now-3M", 'signup > "now-3M"', "json", True),
    ("now-4w", 'signup < "now-4w"', "json", True),
    ("now-1y", 'signup > "now-1y"', "json", True),
    ("list-of-iso-strings-any", 'visits > "now-1d"', "json", True),
    ("between-dates", 'Created BETWEEN "12/01/2015" AND "01/01/2016"', "yoda", True),
    ("not-between-dates", 'NOT Created BETWEEN "12/01/2012" AND "01/01/2013"', "yoda", True),
    ("between-dates-misses", 'Created BETWEEN "12/01/2012" AND "01/01/2013"', "yoda", False),
    ("not-between-dates-misses", 'NOT Created BETWEEN "12/01/2015" AND "01/01/2016"', "yoda", False),
    ("between-iso-string-and-date-math", 'signup BETWEEN "now-1y" AND "now-1M"', "json", True),
    # --- BETWEEN numbers (exclusive, as qlbridge)
    ("between-inside", "zip BETWEEN 1 AND 10", "yoda", True),
    ("between-lower-bound-excluded", "zip BETWEEN 5 AND 10", "yoda", False),
    ("between-upper-bound-excluded", "zip BETWEEN 1 AND 5", "yoda", False),
    ("not-between-outside", "zip NOT BETWEEN 6 AND 10", "yoda", True),
    ("between-numeric-string", "seven BETWEEN 5 AND 10", "json", True),
    ("between-text-is-unknown", "NOT (name BETWEEN 1 AND 10)", "yoda", False),
    # --- IN / INTERSECTS
    ("in-scalar", 'city IN ("Portland, OR", "Peoria, IL")', "yoda", True),
    ("in-cross-type", 'zip IN ("4", "5")', "yoda", True),
    ("in-numeric-string-field", "zip IN (4, 5)", "json", True),
    ("list-intersects", 'roles INTERSECTS ("user", "api")', "yoda", True),
    ("list-in-is-intersects", 'roles IN ("user", "api")', "yoda", True),
    ("list-not-intersects", 'roles NOT INTERSECTS ("user", "guest")', "yoda", True),
    ("map-intersects-keys", 'hits INTERSECTS ("bar", "foo")', "yoda", True),
    ("map-in-keys", 'hits IN ("bar", "foo")', "yoda", True),
    ("map-not-in-keys", 'hits NOT IN ("not-gonna-happen")', "yoda", True),
    ("map-of-times-in-keys", 'lastevent IN ("signedup")', "yoda", True),
    ("map-of-times-not-in-keys", 'lastevent NOT IN ("not-gonna-happen")', "yoda", True),
    ("literal-in-list-field", '"admin" IN roles', "yoda", True),
    ("literal-in-map-field", '"foo" IN hits', "yoda", True),
    ("literal-in-missing-field", '"x" IN nothing_here', "yoda", False),
    ("in-empty-list", "zip IN ()", "yoda", False),
    # --- CONTAINS / LIKE
    ("contains-substring", 'name CONTAINS "od"', "yoda", True),
    ("not-contains", 'name NOT CONTAINS "kin"', "yoda", True),
    ("contains-on-list-element-substring", 'roles CONTAINS "dmi"', "yoda", True),
    ("contains-int-on-int-list", "scores CONTAINS 5", "json", True),
    ("contains-on-number-unknown", 'NOT (zip CONTAINS "5")', "yoda", False),
    ("like-suffix", 'name LIKE "*da"', "yoda", True),
    ("not-like", 'name NOT LIKE "*kin"', "yoda", True),
    ("like-percent-wildcard", 'name LIKE "Yo%"', "yoda", True),
    ("like-is-anchored", 'name LIKE "od"', "yoda", False),
    ("like-is-case-sensitive", 'name LIKE "yoda"', "yoda", False),
    ("like-question-mark", 'name LIKE "Y?da"', "yoda", True),
    ("like-class", 'name LIKE "[XY]oda"', "yoda", True),
    ("like-star-stops-at-slash", 'url LIKE "*blog*"', "json", False),
    ("like-double-star-crosses-slash", 'url LIKE "**blog**"', "json", True),
    ("like-on-list", 'roles LIKE "ad*"', "yoda", True),
    ("like-malformed-is-unknown", 'NOT (name LIKE "[abc")', "yoda", False),
    # --- lists in plain comparisons are unknown (use IN/INTERSECTS)
    ("list-eq-unknown", 'roles == "admin"', "yoda", False),
    ("not-list-eq-unknown", 'NOT (roles == "admin")', "yoda", False),
    # --- field paths
    ("flat-key-wins-over-nested", "hits.foo == 1", "json", True),
    ("nested-when-no-flat-key", "hits.foo == 5", "yoda", True),
    ("field-names-case-sensitive", 'NAME == "Yoda"', "yoda", False),
    # --- functions
    ("tolower", 'tolower(name) == "yoda"', "yoda", True),
    ("toupper", 'toupper(name) == "YODA"', "yoda", True),
    ("daysago", "daysago(Created) > 3000", "yoda", True),
    ("daysago-of-iso-string", "daysago(signup) == 78", "json", True),
    ("len-of-list", "len(roles) == 2", "yoda", True),
    ("exists-function", "exists(email)", "json", True),
    ("hasprefix", 'hasprefix(email, "Jo")', "json", True),
    ("emaildomain-normalises", 'emaildomain(email) == "example.com"', "json", True),
    ("domain-of-url", 'domain(site) == "google.com"', "json", True),
    ("tonumber", "tonumber(amount) > 59.5", "json", True),
    ("function-of-missing", 'tolower(first_name) != "x"', "yoda", True),
    ("timewindow-never-matches", "timewindow(visits, 3, 7)", "json", False),
    # --- three-valued logic (qlbridge walkBoolean)
    ("and-unknown-first-is-unknown", 'NOT AND (zip == "abc", zip == 6)', "yoda", False),
    ("and-false-first-is-false", 'NOT AND (zip == 6, zip == "abc")', "yoda", True),
    ("or-skips-unknown", 'OR (zip == "abc", EXISTS name)', "yoda", True),
    ("or-of-only-unknown-is-false", 'NOT OR (zip == "abc")', "yoda", True),
    ("infix-and-or", 'name == "Yoda" AND zip > 1 OR EXISTS nothing', "yoda", True),
    ("match-all", "*", "emptyish", True),
    ("match-all-keyword", "FILTER match_all", "audience-no-email", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "profile", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_rule(text: str, profile: str, expected: bool) -> None:
    assert evaluate(parse_condition(text), PROFILES[profile], now=NOW) is expected


@pytest.mark.parametrize("text", sorted({r[1] for r in ROWS}))
def test_printed_filter_evaluates_the_same_on_every_profile(text: str) -> None:
    flt = parse_condition(text)
    printed = parse(flt.to_ql())
    for name, profile in PROFILES.items():
        assert evaluate(printed, profile, now=NOW) is evaluate(flt, profile, now=NOW), name


# ----------------------------------------------------------------------------------------- INCLUDE
SEGMENTS: dict[str, Filter] = {
    f.alias or "": f
    for f in (
        parse("FILTER * ALIAS match_all_include"),
        parse('FILTER name == "Yoda" ALIAS is_yoda_true'),
        parse("FILTER INCLUDE cycle_b ALIAS cycle_a"),
        parse("FILTER INCLUDE cycle_a ALIAS cycle_b"),
        parse("FILTER OR (INCLUDE selfish, EXISTS nothing) ALIAS selfish"),
        parse('FILTER zip == "abc" ALIAS unknowable'),
        parse("FILTER AND (x > 5) ALIAS test"),
    )
}


def _resolve(name: str) -> Filter | None:
    return SEGMENTS.get(name)


INCLUDE_ROWS = [
    ("include-match-all", 'OR ( name == "Rey"\n INCLUDE match_all_include )', "yoda", True),
    ("include-named-filter", 'OR ( name == "Rey"\n INCLUDE is_yoda_true )', "yoda", True),
    ("include-in-and", "AND (x < 9000, INCLUDE test)", "x6", True),
    ("include-in-and-misses", "AND (x < 9000, INCLUDE test)", "x4", False),
    ("unknown-target", "AND (x < 9000, INCLUDE shouldfail)", "x6", False),
    ("not-unknown-target", "NOT INCLUDE shouldfail", "x6", False),
    ("unknown-target-skipped-by-or", "OR (INCLUDE shouldfail, x > 5)", "x6", True),
    ("cycle-two-segments", "INCLUDE cycle_a", "x6", False),
    ("not-cycle", "NOT INCLUDE cycle_a", "x6", False),
    ("self-include", "INCLUDE selfish", "x6", False),
    ("not-include-of-unknown-result-is-true", "NOT INCLUDE unknowable", "yoda", True),
    ("include-of-unknown-result", "INCLUDE unknowable", "yoda", False),
]


@pytest.mark.parametrize(
    ("text", "profile", "expected"), [r[1:] for r in INCLUDE_ROWS], ids=[r[0] for r in INCLUDE_ROWS]
)
def test_include(text: str, profile: str, expected: bool) -> None:
    profiles = {**PROFILES, "x6": {"x": 6, "y": "1"}, "x4": {"x": 4, "y": "1"}}
    assert evaluate(parse_condition(text), profiles[profile], now=NOW, resolve=_resolve) is expected


def test_include_without_resolver_never_matches() -> None:
    assert evaluate(parse("FILTER INCLUDE match_all_include"), {}) is False


def test_include_of_the_root_filter_is_a_cycle() -> None:
    root = parse("FILTER OR (INCLUDE me, EXISTS nothing) ALIAS me")
    assert evaluate(root, {}, resolve=lambda name: root) is False


def test_include_chain_deeper_than_limit_is_unknown_not_recursion_error() -> None:
    chain = {f"s{i}": parse(f"FILTER INCLUDE s{i + 1}") for i in range(200)}
    chain["s200"] = parse("FILTER *")
    assert evaluate(parse("FILTER INCLUDE s0"), {}, resolve=chain.get) is False
    assert evaluate(parse("FILTER INCLUDE s190"), {}, resolve=chain.get) is True


def test_include_resolver_lookup_error_counts_as_unknown() -> None:
    assert evaluate(parse("FILTER INCLUDE x"), {}, resolve={}.__getitem__) is False


def test_include_resolver_returning_garbage_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"resolve\('x'\) returned str"):
        evaluate(parse("FILTER INCLUDE x"), {}, resolve=lambda name: "FILTER *")  # type: ignore[arg-type,return-value]


# ---------------------------------------------------------------------------------------- knobs
@pytest.mark.parametrize(
    ("text", "default", "inclusive"),
    [
        ("zip BETWEEN 5 AND 10", False, True),
        ("zip BETWEEN 1 AND 5", False, True),
        ("zip BETWEEN 6 AND 9", False, False),
    ],
    ids=["lower-bound", "upper-bound", "outside"],
)
def test_between_inclusive_knob(text: str, default: bool, inclusive: bool) -> None:
    flt = parse_condition(text)
    assert evaluate(flt, PROFILES["yoda"]) is default
    assert evaluate(flt, PROFILES["yoda"], semantics=Semantics(between_inclusive=True)) is inclusive


@pytest.mark.parametrize(
    ("text", "default", "empty_missing"),
    [("EXISTS s", True, False), ("EXISTS l", True, False), ('s != "a"', True, True), ("EXISTS zero", True, True)],
    ids=["empty-string", "empty-list", "ne-on-empty", "zero-still-exists"],
)
def test_empty_is_missing_knob(text: str, default: bool, empty_missing: bool) -> None:
    flt = parse_condition(text)
    assert evaluate(flt, PROFILES["emptyish"]) is default
    assert evaluate(flt, PROFILES["emptyish"], semantics=Semantics(empty_is_missing=True)) is empty_missing


# --------------------------------------------------------------------------------------- inputs
def test_evaluate_accepts_a_bare_node_and_naive_now() -> None:
    node = Compare(Field(("Updated",)), ">", Literal("now-2h"))
    assert evaluate(node, PROFILES["yoda"], now=NOW.replace(tzinfo=None)) is True
    assert evaluate(node, PROFILES["yoda"], now=NOW + timedelta(hours=2)) is False


def test_relative_dates_follow_now() -> None:
    flt = parse('FILTER updated_iso > "now-2h"')
    assert evaluate(flt, PROFILES["json"], now=NOW) is True
    assert evaluate(flt, PROFILES["json"], now=NOW + timedelta(days=1)) is False


@pytest.mark.parametrize(
    ("flt", "profile", "kwargs", "message"),
    [
        ("FILTER *", {}, {}, "needs a parsed Filter"),
        (None, ["not", "a", "mapping"], {}, "profile must be a mapping"),
        (None, {}, {"now": "2024-01-01"}, "now must be a datetime"),
    ],
    ids=["text-filter", "list-profile", "string-now"],
)
def test_bad_inputs_raise_type_error(flt: Any, profile: Any, kwargs: dict[str, Any], message: str) -> None:
    target = parse('FILTER x > "now-1d"') if flt is None else flt
    with pytest.raises(TypeError, match=message):
        evaluate(target, profile, **kwargs)


def test_profile_is_not_modified() -> None:
    profile = {"email": "a@example.com", "hits": {"foo": 5}, "roles": ["a"]}
    before = repr(profile)
    for _, text, _, _ in ROWS:
        evaluate(parse_condition(text), profile, now=NOW)
    assert repr(profile) == before
