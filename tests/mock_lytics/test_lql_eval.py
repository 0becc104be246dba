"""LQL evaluation: one row per function and operator, missing inputs, coercions, and mapping metadata."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_lytics.lql import (
    aggregate_of,
    default_mergeop,
    evaluate,
    evaluate_column,
    evaluate_query,
    parse,
    parse_expr,
    query_fields,
    query_mappings,
    referenced_fields,
    truthy,
)
from mock_lytics.lql.ast import Column, Ident
from mock_lytics.lql.functions import FUNCTIONS

NOW = datetime(2024, 5, 17, 12, 0, 0, tzinfo=UTC)

EVENT: dict[str, Any] = {
    "origin.email": "alice@example.com",
    "response.email": "Alice Smith <Alice.Smith@Example.COM>",
    "response.uuid": "3f2a-uuid",
    "response.interests": ["shopping", "travel", "shopping"],
    "response.address.city": "Portland",
    "response.address.country": "US",
    "response.age": "42",
    "response.score": 7.5,
    "response.active": "true",
    "response.created": "2024-01-02T03:04:05Z",
    "response.us_date": "05/17/2024",
    "response.epoch_ms": 1715947200000,
    "url": "https://www.Shop.Example.co.uk/p/item?utm_source=Mail&id=7#top",
    "name": "  Bob  ",
    "blank": "",
    "empty_list": [],
    "nested": {"deep": {"key": "found"}},
}


def ev(text: str, event: dict[str, Any] | None = None) -> Any:
    return evaluate(parse_expr(text), EVENT if event is None else event, now=NOW)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # identifiers and literals
        pytest.param("`response.uuid`", "3f2a-uuid", id="backtick-ident"),
        pytest.param("response.uuid", "3f2a-uuid", id="dotted-ident"),
        pytest.param("nested.deep.key", "found", id="nested-fallback"),
        pytest.param("missing", None, id="missing-ident"),
        pytest.param("blank", None, id="empty-string-is-no-value"),
        pytest.param("empty_list", None, id="empty-list-is-no-value"),
        pytest.param('"lit"', "lit", id="string-literal"),
        pytest.param("[1, `response.uuid`]", [1, "3f2a-uuid"], id="array"),
        # email family
        pytest.param("email(`response.email`)", "alice.smith@example.com", id="email-named"),
        pytest.param('email("BOB@X.COM")', "bob@x.com", id="email-lowercases"),
        pytest.param('email("<bob@x.com>")', "bob@x.com", id="email-angle-only"),
        pytest.param("email('\"Smith, Bob\" <b.s@x.org>')", "b.s@x.org", id="email-quoted-name"),
        pytest.param('email("not an email")', None, id="email-invalid"),
        pytest.param('email("a@@b.com")', None, id="email-double-at"),
        pytest.param('email(".a@b.com")', None, id="email-leading-dot"),
        pytest.param("email(missing)", None, id="email-missing"),
        pytest.param("email(`response.interests`)", None, id="email-list-first-not-email"),
        pytest.param("emailname(`response.email`)", "Alice Smith", id="emailname"),
        pytest.param('emailname("a@b.com")', None, id="emailname-none"),
        pytest.param("emaildomain(`response.email`)", "example.com", id="emaildomain"),
        # selection
        pytest.param("oneof(missing, blank, `response.uuid`)", "3f2a-uuid", id="oneof-first-non-empty"),
        pytest.param("oneof(missing, blank)", None, id="oneof-none"),
        pytest.param("exists(`response.uuid`)", True, id="exists-fn"),
        pytest.param("exists(blank)", False, id="exists-fn-empty"),
        pytest.param("len(`response.interests`)", 3, id="len-list"),
        pytest.param("len(`response.uuid`)", 9, id="len-string"),
        pytest.param("len(`response.score`)", None, id="len-number"),
        # aggregates
        pytest.param("count(`response.uuid`)", 1, id="count"),
        pytest.param("count(missing)", None, id="count-missing"),
        pytest.param("set(`response.interests`)", ["shopping", "travel"], id="set-dedupes"),
        pytest.param('set(`response.uuid`, "x", missing)', ["3f2a-uuid", "x"], id="set-variadic"),
        pytest.param("valuect(`response.interests`)", {"shopping": 2, "travel": 1}, id="valuect"),
        pytest.param('map("city", `response.address.city`)', {"city": "Portland"}, id="map"),
        pytest.param('map("city", missing)', None, id="map-missing-value"),
        pytest.param('match("response.address.")', {"city": "Portland", "country": "US"}, id="match-flat"),
        pytest.param('match("nested.")', {"deep.key": "found"}, id="match-nested"),
        pytest.param('match("nope.")', None, id="match-none"),
        # casts
        pytest.param("toint(`response.age`)", 42, id="toint"),
        pytest.param('toint("12.9")', 12, id="toint-truncates"),
        pytest.param('toint("x")', None, id="toint-bad"),
        pytest.param("tonumber(`response.age`)", 42.0, id="tonumber"),
        pytest.param('tonumber("1e3")', 1000.0, id="tonumber-exponent"),
        pytest.param('tonumber("nan")', None, id="tonumber-nan"),
        pytest.param("tobool(`response.active`)", True, id="tobool"),
        pytest.param('tobool("F")', False, id="tobool-false"),
        pytest.param('tobool("maybe")', None, id="tobool-bad"),
        pytest.param("tostring(`response.score`)", "7.5", id="tostring"),
        # dates
        pytest.param(
            "todate(`response.created`)", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), id="todate-iso"
        ),
        pytest.param(
            'todate("01/02/2006", `response.us_date`)',
            datetime(2024, 5, 17, tzinfo=UTC),
            id="todate-go-layout",
        ),
        pytest.param(
            'todate(`response.us_date`, "01/02/2006")',
            datetime(2024, 5, 17, tzinfo=UTC),
            id="todate-value-first",
        ),
        pytest.param("todate(`response.us_date`)", datetime(2024, 5, 17, tzinfo=UTC), id="todate-us-guess"),
        pytest.param(
            "todate(`response.epoch_ms`)", datetime(2024, 5, 17, 12, 0, tzinfo=UTC), id="todate-epoch-ms"
        ),
        pytest.param('todate("1715947200")', datetime(2024, 5, 17, 12, 0, tzinfo=UTC), id="todate-epoch-s"),
        pytest.param('todate("now-3d")', datetime(2024, 5, 14, 12, 0, tzinfo=UTC), id="todate-datemath"),
        pytest.param('todate("now-1M/d")', datetime(2024, 4, 17, tzinfo=UTC), id="todate-datemath-round"),
        pytest.param(
            'todate("Fri, 17 May 2024 12:00:00 +0000")',
            datetime(2024, 5, 17, 12, tzinfo=UTC),
            id="todate-rfc2822",
        ),
        pytest.param('todate("yesterday-ish")', None, id="todate-bad"),
        pytest.param("now()", NOW, id="now"),
        # strings
        pytest.param("string.lowercase(`response.uuid`)", "3f2a-uuid", id="lowercase"),
        pytest.param('string.uppercase("abc")', "ABC", id="uppercase"),
        pytest.param('string.titlecase("bob smith")', "Bob Smith", id="titlecase"),
        pytest.param("strip(name)", "Bob", id="strip"),
        pytest.param('replace("a-b-c", "-")', "abc", id="replace-delete"),
        pytest.param('replace("a-b-c", "-", "+")', "a+b+c", id="replace"),
        pytest.param('contains(`response.uuid`, "uuid")', True, id="contains-fn"),
        pytest.param('contains(`response.uuid`, "zzz")', False, id="contains-fn-false"),
        pytest.param('contains(missing, "a")', None, id="contains-fn-missing"),
        pytest.param('hasprefix(`response.uuid`, "3f")', True, id="hasprefix"),
        pytest.param('hassuffix(`response.uuid`, "3f")', False, id="hassuffix"),
        pytest.param('split("a,b", ",")', ["a", "b"], id="split"),
        pytest.param('join(`response.interests`, "x", "|")', "shopping|travel|shopping|x", id="join"),
        # urls
        pytest.param("url(url)", "www.shop.example.co.uk/p/item", id="url"),
        pytest.param("host(url)", "www.shop.example.co.uk", id="host"),
        pytest.param("path(url)", "/p/item", id="path"),
        pytest.param("domain(url)", "example.co.uk", id="domain-two-label-suffix"),
        pytest.param('domain("http://a.b.example.com/x")', "example.com", id="domain"),
        pytest.param('domain("localhost")', None, id="domain-single-label"),
        pytest.param('qs(url, "utm_source")', "mail", id="qs-lowercases-like-lytics"),
        pytest.param('qs2(url, "utm_source")', "Mail", id="qs2-keeps-case"),
        pytest.param('qs(url, "nope")', None, id="qs-missing-param"),
        pytest.param('urldecode("a%20b+c")', "a b c", id="urldecode"),
        # hashes and encodings
        pytest.param('hash.sha256("a@b.com")', hashlib.sha256(b"a@b.com").hexdigest(), id="sha256"),
        pytest.param('hash.sha1("a@b.com")', hashlib.sha1(b"a@b.com").hexdigest(), id="sha1"),
        pytest.param('hash.md5("a@b.com")', hashlib.md5(b"a@b.com").hexdigest(), id="md5"),
        pytest.param('hash.sha512("x")', hashlib.sha512(b"x").hexdigest(), id="sha512"),
        pytest.param(
            "hash.sha256(email(`response.email`))",
            hashlib.sha256(b"alice.smith@example.com").hexdigest(),
            id="sha256-of-email",
        ),
        pytest.param("hash.sha256(missing)", None, id="hash-missing"),
        pytest.param('encoding.b64encode("hi")', "aGk=", id="b64encode"),
        pytest.param('encoding.b64decode("aGk=")', "hi", id="b64decode"),
        pytest.param('encoding.b64decode("!!")', None, id="b64decode-bad"),
        # arithmetic
        pytest.param("`response.age` + 1", 43, id="add-numeric-string"),
        pytest.param("`response.score` * 2", 15.0, id="multiply"),
        pytest.param("10 / 4", 2.5, id="divide"),
        pytest.param("10 % 4", 2, id="modulo"),
        pytest.param("1 / 0", None, id="divide-by-zero"),
        pytest.param('"a" + 1', None, id="add-non-numeric"),
        pytest.param("-`response.age`", -42, id="negate"),
    ],
)
def test_functions_and_values(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        pytest.param("`response.age` > 40", True, id="gt-numeric-string-vs-int"),
        pytest.param('`response.age` > "40"', True, id="gt-both-numeric-strings"),
        pytest.param('`response.age` == "42.0"', False, id="eq-strings-compare-as-strings"),
        pytest.param("`response.age` == 42", True, id="eq-coerces-to-number"),
        pytest.param("`response.age` >= 42 AND `response.age` <= 42", True, id="ge-le"),
        pytest.param("`response.score` < 7", False, id="lt-float"),
        pytest.param('`response.uuid` = "3f2a-uuid"', True, id="single-equals"),
        pytest.param('`response.uuid` == "3F2A-UUID"', False, id="eq-case-sensitive"),
        pytest.param('`response.uuid` != "x"', True, id="ne"),
        pytest.param('missing != "x"', True, id="ne-missing-is-true"),
        pytest.param('missing == "x"', False, id="eq-missing-is-false"),
        pytest.param("missing > 1", False, id="gt-missing-is-false"),
        pytest.param("NOT missing > 1", True, id="not-gt-missing-is-true"),
        pytest.param("`response.active` == true", True, id="eq-bool-string"),
        pytest.param("`response.active`", True, id="bare-bool-string"),
        pytest.param('`response.created` > "2023-12-31"', True, id="date-string-vs-date-string"),
        pytest.param('todate(`response.created`) > "now-1y"', True, id="date-vs-datemath"),
        pytest.param('`response.created` > "now-1M"', False, id="datemath-uses-now"),
        pytest.param('`response.interests` == "travel"', True, id="list-eq-any"),
        pytest.param('`response.interests` != "travel"', False, id="list-ne-none"),
        pytest.param("EXISTS `response.uuid`", True, id="exists"),
        pytest.param("EXISTS blank", False, id="exists-empty-string"),
        pytest.param("NOT EXISTS missing", True, id="not-exists"),
        pytest.param('`response.uuid` IN ("a", "3f2a-uuid")', True, id="in"),
        pytest.param("`response.age` IN (1, 42)", True, id="in-coerces"),
        pytest.param('`response.interests` IN ("travel", "food")', True, id="in-list-intersects"),
        pytest.param('nested IN ("deep")', True, id="in-map-tests-keys"),
        pytest.param('missing IN ("a")', False, id="in-missing"),
        pytest.param('missing NOT IN ("a")', True, id="not-in-missing"),
        pytest.param('"travel" IN (`response.interests`)', True, id="in-list-field"),
        pytest.param('`response.uuid` CONTAINS "uuid"', True, id="contains"),
        pytest.param('`response.interests` CONTAINS "trav"', True, id="contains-list-element"),
        pytest.param('`response.uuid` NOT CONTAINS "uuid"', False, id="not-contains"),
        pytest.param('missing CONTAINS "a"', False, id="contains-missing"),
        pytest.param('`origin.email` LIKE "alice*"', True, id="like-prefix"),
        pytest.param('`origin.email` LIKE "*.com"', True, id="like-suffix-across-dots"),
        pytest.param('`origin.email` LIKE "alice%"', True, id="like-percent"),
        pytest.param('`origin.email` LIKE "ALICE*"', False, id="like-case-sensitive"),
        pytest.param('`origin.email` LIKE "alic?@example.com"', True, id="like-question-mark"),
        pytest.param('"a*b" LIKE "a\\\\*b"', True, id="like-escaped-star"),
        pytest.param('`response.interests` LIKE "tr*"', True, id="like-list"),
        pytest.param('`origin.email` NOT LIKE "bob*"', True, id="not-like"),
        pytest.param("EXISTS `response.uuid` AND NOT EXISTS missing", True, id="and"),
        pytest.param("EXISTS missing OR `response.age` > 1", True, id="or"),
        pytest.param("(EXISTS missing OR true) AND false", False, id="parentheses"),
        pytest.param('eq(`response.age`, "42")', True, id="eq-fn"),
        pytest.param("gt(`response.age`, 50)", False, id="gt-fn"),
        pytest.param("any(missing, blank, `response.uuid`)", True, id="any-fn"),
        pytest.param("all(`response.uuid`, missing)", False, id="all-fn"),
        pytest.param("missing", False, id="missing-is-false"),
        pytest.param("`response.uuid`", False, id="non-bool-string-is-false"),
    ],
)
def test_conditions(cond: str, expected: bool) -> None:
    assert truthy(parse_expr(cond), EVENT, now=NOW) is expected


def test_no_condition_always_holds() -> None:
    assert truthy(None, {}) is True


# Every builtin, called with only missing inputs, gives "no value" (or False for predicates), never raises.
@pytest.mark.parametrize("name", sorted(n for n, s in FUNCTIONS.items() if s.min_args > 0))
def test_every_function_tolerates_missing_inputs(name: str) -> None:
    spec = FUNCTIONS[name]
    args = ", ".join(f"missing{i}" for i in range(spec.min_args))
    assert ev(f"{name}({args})") in (None, False)


@pytest.mark.parametrize("name", sorted(n for n, s in FUNCTIONS.items() if s.min_args > 0))
def test_every_function_tolerates_odd_types(name: str) -> None:
    spec = FUNCTIONS[name]
    event = {"m": {"k": {"x": 1}}, "l": [[1], {"a": 2}, None], "n": float("inf"), "b": True}
    for arg in ("m", "l", "n", "b"):
        evaluate(parse_expr(f"{name}({', '.join([arg] * spec.min_args)})"), event, now=NOW)  # must not raise


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A def, not a lambda: hypothesis checks that `extend` uses its argument by re-reading its source, and for a
    # lambda that is one line cut out of a longer statement; it once reported "doesn't use its argument" (an error
    # under filterwarnings=error) in a run where the source on disk may have changed mid-run. A def reads whole.
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.datetimes(),
    _containers,
    max_leaves=6,
)
_FUZZ_EXPRS = [
    parse_expr(t)
    for t in (
        "email(a)", "emaildomain(a)", "todate(a)", 'todate("2006-01-02", a)', "a > b", "a == b",
        "a IN (b, 1)", "a LIKE b", "a CONTAINS b", "set(a, b)", "valuect(a)", "toint(a) + tonumber(b)",
        "url(a)", "domain(a)",
        'qs(a, "x")', "hash.sha256(a)", "oneof(a, b)", "len(a)", "split(a, b)", "join(a, b)", "match(a)",
        "-a", "a % b", "strip(a)", "replace(a, b, a)", "map(a, b)", "encoding.b64decode(a)", "emailname(a)",
    )
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(a=_VALUES, b=_VALUES)
def test_evaluation_never_raises_on_arbitrary_values(a: Any, b: Any) -> None:
    event = {"a": a, "b": b}
    for expr in _FUZZ_EXPRS:
        evaluate(expr, event, now=NOW)
        truthy(expr, event, now=NOW)


# ---- queries, columns and mapping metadata ----------------------------------------------------------

DOC_EXAMPLE = """\
SELECT name, age KIND INT, count(_ref) AS ref_ct, set(event) AS all_events,
       amt AS first_order_amount IF event == "cart checkout" KIND INT MERGEOP OLDEST,
       email(EmailAddress) AS email, _uid, fbuid
FROM default INTO user BY _uid OR email OR fbuid
WHERE _bot = "f" OR NOT EXISTS _bot
ALIAS web_user
"""
ANSIRA_QUERY = (
    "SELECT email(`response.email`) AS email, `response.uuid` AS ansira_uuid "
    "FROM ansira INTO user BY email ALIAS ansira_enrich"
)


def test_doc_example_to_mappings() -> None:
    where = '_bot == "f" OR NOT EXISTS _bot'

    def m(field: str, expr: str, kind: str, mergeop: str, guard: str = where) -> dict[str, Any]:
        return {"field": field, "stream": "default", "expr": expr, "guard_expr": guard, "kind": kind,
                "mergeop": mergeop}  # fmt: skip

    assert query_mappings(parse(DOC_EXAMPLE)) == [
        m("name", "name", "string", "latest"),
        m("age", "age", "int", "latest"),
        m("ref_ct", "count(_ref)", "int", "sum"),
        m("all_events", "set(event)", "[]string", "merge"),
        m("first_order_amount", "amt", "int", "oldest", f'({where}) AND event == "cart checkout"'),
        m("email", "email(EmailAddress)", "string", "latest"),
        m("_uid", "_uid", "string", "latest"),
        m("fbuid", "fbuid", "string", "latest"),
    ]


def test_ansira_query_mappings_fields_and_evaluation() -> None:
    q = parse(ANSIRA_QUERY)
    assert query_mappings(q) == [
        {"field": "email", "stream": "ansira", "expr": "email(`response.email`)", "guard_expr": None,
         "kind": "string", "mergeop": "latest"},
        {"field": "ansira_uuid", "stream": "ansira", "expr": "`response.uuid`", "guard_expr": None,
         "kind": "string", "mergeop": "latest"},
    ]  # fmt: skip
    assert query_fields(q) == [
        {"id": "email", "type": "string", "is_identifier": True, "is_pii": False},
        {"id": "ansira_uuid", "type": "string", "is_identifier": False, "is_pii": False, "mergeop": "latest"},
    ]
    assert q.identity_fields() == ("email",)
    assert evaluate_query(q, EVENT) == {"email": "alice.smith@example.com", "ansira_uuid": "3f2a-uuid"}
    nested = {"origin": {"email": "a@b.com"}, "response": {"email": "A@B.com", "uuid": "u-9"}}
    assert evaluate_query(q, nested) == {"email": "a@b.com", "ansira_uuid": "u-9"}
    assert evaluate_query(q, {"response.email": "nope"}) == {}


def test_doc_example_evaluation_applies_where_if_and_kind() -> None:
    q = parse(DOC_EXAMPLE)
    row = {"name": "Ann", "age": "33", "_ref": "r", "event": "cart checkout", "amt": "19.99",
           "EmailAddress": "Ann <ANN@X.COM>", "_uid": "u1"}  # fmt: skip
    assert evaluate_query(q, row) == {
        "name": "Ann",
        "age": 33,
        "ref_ct": 1,
        "all_events": ["cart checkout"],
        "first_order_amount": 19,
        "email": "ann@x.com",
        "_uid": "u1",
    }
    assert evaluate_query(q, {**row, "event": "page view"}).get("first_order_amount") is None
    assert evaluate_query(q, {**row, "_bot": "t"}) == {}
    assert evaluate_query(q, {**row, "_bot": "f"})["name"] == "Ann"
    assert evaluate_query(q, {**row, "age": "old"}).get("age") is None  # KIND INT cast fails -> no value


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        pytest.param("int", "7", 7, id="int"),
        pytest.param("number", "7", 7.0, id="number"),
        pytest.param("bool", "t", True, id="bool"),
        pytest.param("string", 7, "7", id="string"),
        pytest.param("date", "2024-05-17", datetime(2024, 5, 17, tzinfo=UTC), id="date"),
        pytest.param("[]string", "x", ["x"], id="list-from-scalar"),
        pytest.param("[]int", ["1", "x", 2], [1, 2], id="list-int-drops-bad"),
        pytest.param("map[string]int", {"a": "1", "b": "x"}, {"a": 1}, id="map-int"),
        pytest.param("map[string]int", "x", None, id="map-from-scalar"),
        pytest.param("string", ["a", "b"], "a", id="scalar-from-list"),
    ],
)
def test_kind_casts(kind: str, value: Any, expected: Any) -> None:
    assert evaluate_column(Column(Ident("v"), "v", kind=kind), {"v": value}, now=NOW) == expected


@pytest.mark.parametrize(
    ("expr", "aggregate"),
    [
        pytest.param("count(x)", "count", id="count"),
        pytest.param("set(x)", "set", id="set"),
        pytest.param("valuect(x)", "valuect", id="valuect"),
        pytest.param('map("k", x)', "map", id="map"),
        pytest.param('match("p.")', "map", id="match"),
        pytest.param("email(x)", None, id="scalar-function"),
        pytest.param("x", None, id="ident"),
        pytest.param("hash.md5(set(x))", None, id="only-the-outer-call-counts"),
    ],
)
def test_aggregate_of(expr: str, aggregate: str | None) -> None:
    assert aggregate_of(parse_expr(expr)) == aggregate


@pytest.mark.parametrize(
    ("column", "mergeop"),
    [
        pytest.param("count(x) AS c", "sum", id="count-sums"),
        pytest.param("set(x) AS s", "merge", id="set-merges"),
        pytest.param("valuect(x) AS v", "merge", id="valuect-merges"),
        pytest.param('map("k", x) AS m', "merge", id="map-merges"),
        pytest.param("x KIND []string", "merge", id="list-kind-merges"),
        pytest.param("x", "latest", id="scalar-latest"),
        pytest.param("count(x) AS c MERGEOP max", "max", id="explicit-wins"),
    ],
)
def test_default_mergeop(column: str, mergeop: str) -> None:
    q = parse(f"SELECT {column}, id FROM s INTO user BY id ALIAS q")
    assert default_mergeop(q.columns[0]) == mergeop


def test_referenced_fields() -> None:
    assert referenced_fields(parse_expr("email(`response.email`)")) == {"response.email"}
    assert referenced_fields(parse_expr('oneof(a, b.c) IN (d, "lit") AND match("user.")')) == {
        "a", "b.c", "d", "user.*"
    }  # fmt: skip
    assert referenced_fields(parse(DOC_EXAMPLE)) == {
        "name", "age", "_ref", "event", "amt", "EmailAddress", "_uid", "fbuid", "_bot"
    }  # fmt: skip


def test_compiled_code_is_cached_and_not_part_of_equality() -> None:
    a, b = parse_expr("email(x)"), parse_expr("email(x)")
    evaluate(a, {"x": "a@b.c"})
    assert a == b and hash(a) == hash(b) and "_code" not in repr(a)


def test_evaluate_rejects_non_expressions() -> None:
    with pytest.raises(TypeError, match="expected an LQL expression node"):
        evaluate("email(x)", {})  # type: ignore[arg-type]
