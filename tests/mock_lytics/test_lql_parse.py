"""LQL lexing and parsing: the documented queries, the Ansira mapping, syntax variants and exact errors."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_lytics.lql import LQLError, Query, parse, parse_condition, parse_expr
from mock_lytics.lql.ast import (
    Array,
    Binary,
    Call,
    Column,
    Contains,
    Exists,
    Ident,
    In,
    Like,
    Literal,
    Neg,
    Not,
)
from mock_lytics.lql.lexer import T, tokenize

# facts §3.5, verbatim (the "trimmed" doc example).
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


def _call(name: str, *args: object) -> Call:
    return Call(name, tuple(a if not isinstance(a, str) else Ident(a) for a in args))  # type: ignore[misc]


def test_doc_example_parses_to_the_expected_tree() -> None:
    expected = Query(
        columns=(
            Column(Ident("name"), "name"),
            Column(Ident("age"), "age", kind="int"),
            Column(_call("count", "_ref"), "ref_ct"),
            Column(_call("set", "event"), "all_events"),
            Column(
                Ident("amt"),
                "first_order_amount",
                condition=Binary("==", Ident("event"), Literal("cart checkout")),
                kind="int",
                mergeop="oldest",
            ),
            Column(_call("email", "EmailAddress"), "email"),
            Column(Ident("_uid"), "_uid"),
            Column(Ident("fbuid"), "fbuid"),
        ),
        stream="default",
        table="user",
        by=("_uid", "email", "fbuid"),
        where=Binary("OR", Binary("==", Ident("_bot"), Literal("f")), Not(Exists(Ident("_bot")))),
        alias="web_user",
    )
    assert parse(DOC_EXAMPLE) == expected
    assert parse(DOC_EXAMPLE).identity_fields() == ("_uid", "email", "fbuid")


def test_ansira_mapping_query() -> None:
    q = parse(ANSIRA_QUERY)
    assert q.columns == (
        Column(Call("email", (Ident("response.email"),)), "email"),
        Column(Ident("response.uuid"), "ansira_uuid"),
    )
    assert (q.stream, q.table, q.by, q.where, q.alias) == (
        "ansira",
        "user",
        ("email",),
        None,
        "ansira_enrich",
    )


def test_functions_are_resolved_at_parse_time() -> None:
    call = parse_expr("Hash.SHA256(email(x))")
    assert isinstance(call, Call) and call.fn is not None and call.fn.name == "hash.sha256"
    assert call.args[0].fn is not None  # type: ignore[attr-defined]


COMMENTED = """\
-- enrichment write-back
# a hash comment line, as in Lytics' own query files
SELECT
    email(`response.email`)  AS email        -- identity
  , `response.uuid`          AS ansira_uuid  SHORTDESC "Ansira UUID" LONGDESC 'from the -- enrichment'
  , set(`response.interests`) AS interests   KIND []string MERGEOP merge
  , valuect(`first name`)    AS names        KIND map[string]int
  , match("response.address.") AS address    KIND map[string]string
  , todate(`response.created`) AS created_ts KIND date MERGEOP OLDEST
FROM ansira   -- the job's stream
INTO user
BY email
WHERE EXISTS `response.uuid` -- only successful lookups
ALIAS ansira_enrich -- end"""


def test_comments_backticks_and_every_column_clause() -> None:
    q = parse(COMMENTED)
    assert [c.name for c in q.columns] == [
        "email",
        "ansira_uuid",
        "interests",
        "names",
        "address",
        "created_ts",
    ]
    uuid = q.columns[1]
    assert (uuid.shortdesc, uuid.longdesc) == ("Ansira UUID", "from the -- enrichment")
    assert (q.columns[2].kind, q.columns[2].mergeop) == ("[]string", "merge")
    assert q.columns[3].expr == Call("valuect", (Ident("first name"),))
    assert q.columns[4].kind == "map[string]string"
    assert (q.columns[5].kind, q.columns[5].mergeop) == ("date", "oldest")
    assert q.where == Exists(Ident("response.uuid"))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(ANSIRA_QUERY.lower().replace("`response.", "`response."), id="lower-case"),
        pytest.param(
            "SeLeCt email(`response.email`) As email, `response.uuid` aS ansira_uuid "
            "FrOm ansira InTo user bY email AlIaS ansira_enrich",
            id="mixed-case",
        ),
        pytest.param(ANSIRA_QUERY.replace(" ", "\n\t  "), id="newlines-and-tabs"),
        pytest.param(ANSIRA_QUERY + " ;", id="trailing-semicolon"),
    ],
)
def test_keywords_are_case_insensitive_and_whitespace_free(text: str) -> None:
    assert parse(text) == parse(ANSIRA_QUERY)


def test_kind_and_mergeop_values_are_case_insensitive() -> None:
    a = parse("SELECT x KIND MAP[STRING]INT MERGEOP Merge FROM s INTO user BY x ALIAS q").columns[0]
    assert (a.kind, a.mergeop) == ("map[string]int", "merge")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("response.uuid", Ident("response.uuid"), id="dotted-ident"),
        pytest.param("`response.uuid`", Ident("response.uuid"), id="backtick-ident"),
        pytest.param("`a``b`", Ident("a`b"), id="doubled-backtick"),
        pytest.param("`select`", Ident("select"), id="backtick-keyword"),
        pytest.param('"a\\"b\\n"', Literal('a"b\n'), id="string-escapes"),
        pytest.param("'single'", Literal("single"), id="single-quoted"),
        pytest.param("-2.5e3", Literal(-2500.0), id="negative-float"),
        pytest.param("true", Literal(True), id="true"),
        pytest.param("NULL", Literal(None), id="null"),
        pytest.param("-x", Neg(Ident("x")), id="unary-minus"),
        pytest.param("a = 1", Binary("==", Ident("a"), Literal(1)), id="single-equals"),
        pytest.param("a <> 1", Binary("!=", Ident("a"), Literal(1)), id="sql-not-equal"),
        pytest.param(
            "a OR b AND c",
            Binary("OR", Ident("a"), Binary("AND", Ident("b"), Ident("c"))),
            id="and-binds-tighter",
        ),
        pytest.param(
            "(a OR b) AND c",
            Binary("AND", Binary("OR", Ident("a"), Ident("b")), Ident("c")),
            id="parentheses",
        ),
        pytest.param("a && !b", Binary("AND", Ident("a"), Not(Ident("b"))), id="symbolic-logic"),
        pytest.param(
            "NOT a > 1",
            Not(Binary(">", Ident("a"), Literal(1))),
            id="not-binds-looser-than-comparison",
        ),
        pytest.param(
            "1 + 2 * x >= 7",
            Binary(">=", Binary("+", Literal(1), Binary("*", Literal(2), Ident("x"))), Literal(7)),
            id="arithmetic-precedence",
        ),
        pytest.param("x IN (1, 'a')", In(Ident("x"), (Literal(1), Literal("a"))), id="in"),
        pytest.param("x NOT IN [1]", In(Ident("x"), (Literal(1),), negated=True), id="not-in-brackets"),
        pytest.param('x CONTAINS "ab"', Contains(Ident("x"), Literal("ab")), id="contains"),
        pytest.param('x NOT LIKE "a*"', Like(Ident("x"), Literal("a*"), negated=True), id="not-like"),
        pytest.param('contains(x, "a")', _call("contains", "x", Literal("a")), id="contains-function"),
        pytest.param("EXISTS(x)", Exists(Ident("x")), id="exists-parenthesised"),
        pytest.param("[1, x]", Array((Literal(1), Ident("x"))), id="array"),
        pytest.param("now()", Call("now", ()), id="no-args"),
        pytest.param(
            'oneof(`a`, b, "c")',
            Call("oneof", (Ident("a"), Ident("b"), Literal("c"))),
            id="variadic",
        ),
    ],
)
def test_parse_expr(text: str, expected: object) -> None:
    assert parse_expr(text) == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("email(`response.email`)", "email(`response.email`)", id="ansira-email"),
        pytest.param("response.uuid", "`response.uuid`", id="dotted-gets-backticks"),
        pytest.param("a = 'x' or not exists b", 'a == "x" OR NOT EXISTS b', id="canonical-spelling"),
        pytest.param("(a OR b) AND c", "(a OR b) AND c", id="needed-parentheses"),
        pytest.param("a OR (b AND c)", "a OR b AND c", id="redundant-parentheses"),
        pytest.param("a - (b - c)", "a - (b - c)", id="right-nested-subtraction"),
        pytest.param("NOT (a AND b)", "NOT (a AND b)", id="not-of-and"),
        pytest.param('`first name` LIKE "J*"', '`first name` LIKE "J*"', id="space-in-name"),
        pytest.param("`from`", "`from`", id="keyword-name"),
        pytest.param("-(x + 1)", "-(x + 1)", id="negated-sum"),
    ],
)
def test_to_lql_is_canonical_and_round_trips(text: str, canonical: str) -> None:
    expr = parse_expr(text)
    assert expr.to_lql() == canonical
    assert parse_expr(canonical) == expr


@pytest.mark.parametrize("text", [DOC_EXAMPLE, ANSIRA_QUERY, COMMENTED], ids=["doc", "ansira", "commented"])
def test_query_to_lql_round_trips(text: str) -> None:
    q = parse(text)
    assert parse(q.to_lql()) == q


def test_parse_condition_reads_a_guard_expression() -> None:
    assert parse_condition('eq(activityTypeId, "9")') == _call("eq", "activityTypeId", Literal("9"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "SELECT a\nFROM s\n    FROM user BY a ALIAS q",
            "line 3, col 5: expected INTO but found 'FROM'",
            id="missing-into",
        ),
        pytest.param(
            "SELECT a\n  INTO user BY a ALIAS q",
            "line 2, col 3: expected FROM but found 'INTO'",
            id="missing-from",
        ),
        pytest.param("FROM s", "line 1, col 1: expected SELECT but found 'FROM'", id="no-select"),
        pytest.param("", "line 1, col 1: expected SELECT but found end of input", id="empty"),
        pytest.param(
            "SELECT a FROM s INTO user BY a",
            "line 1, col 31: expected ALIAS but found end of input",
            id="missing-alias",
        ),
        pytest.param(
            "SELECT a FROM s INTO user BY a ALIAS q extra",
            "line 1, col 40: expected end of input but found 'extra'",
            id="trailing-token",
        ),
        pytest.param(
            "SELECT email(x) FROM s INTO user BY x ALIAS q",
            "line 1, col 8: column needs AS: give email(x) a field name",
            id="function-without-as",
        ),
        pytest.param(
            "SELECT a AS FROM s INTO user BY a ALIAS q",
            "line 1, col 13: expected a field name after AS but found 'FROM'",
            id="as-without-name",
        ),
        pytest.param(
            "SELECT a FROM s INTO user BY b ALIAS q",
            "line 1, col 30: BY field 'b' is not a column of the SELECT",
            id="by-not-a-column",
        ),
        pytest.param(
            "SELECT a KIND INT KIND INT FROM s INTO user BY a ALIAS q",
            "line 1, col 19: duplicate KIND in one column",
            id="duplicate-clause",
        ),
        pytest.param(
            "SELECT a KIND float FROM s INTO user BY a ALIAS q",
            "line 1, col 15: unknown KIND 'float'; expected one of []int, []number, []string, []time, bool, "
            "date, int, map[string]bool, map[string]int, map[string]number, map[string]string, "
            "map[string]time, number, string, ts[]string",
            id="unknown-kind",
        ),
        pytest.param(
            "SELECT a MERGEOP newest FROM s INTO user BY a ALIAS q",
            "line 1, col 18: unknown MERGEOP 'newest'; expected one of count, latest, max, merge, min, "
            "oldest, sum",
            id="unknown-mergeop",
        ),
        pytest.param(
            "SELECT a SHORTDESC desc FROM s INTO user BY a ALIAS q",
            "line 1, col 20: expected a quoted string after SHORTDESC but found 'desc'",
            id="unquoted-shortdesc",
        ),
        pytest.param(
            "SELECT a\nFROM s INTO user BY a\nWHERE a ==\nALIAS q",
            "line 4, col 1: expected an expression but found 'ALIAS'",
            id="incomplete-where",
        ),
        pytest.param(
            "SELECT a FROM s INTO user BY a OR ALIAS q",
            "line 1, col 35: expected an identity field name but found 'ALIAS'",
            id="dangling-by-or",
        ),
    ],
)
def test_invalid_queries_name_line_col_and_expectation(text: str, message: str) -> None:
    with pytest.raises(LQLError) as info:
        parse(text)
    assert str(info.value) == message
    err = info.value
    assert f"line {err.line}, col {err.col}: {err.message}" == message
    assert text[: err.pos].count("\n") + 1 == err.line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("nosuch(x)", "line 1, col 1: unknown function 'nosuch'", id="unknown-function"),
        pytest.param("email(a, b)", "line 1, col 1: email() takes 1 argument but got 2", id="too-many-args"),
        pytest.param("oneof(a)", "line 1, col 1: oneof() takes at least 2 arguments but got 1", id="too-few"),
        pytest.param(
            "replace(a)", "line 1, col 1: replace() takes 2 to 3 arguments but got 1", id="range-arity"
        ),
        pytest.param(
            "a ==", "line 1, col 5: expected an expression but found end of input", id="dangling-op"
        ),
        pytest.param("(a", "line 1, col 3: expected ')' but found end of input", id="unclosed-paren"),
        pytest.param("a b", "line 1, col 3: expected end of input but found 'b'", id="two-operands"),
        pytest.param("x IN 1", "line 1, col 6: expected '(' after IN but found '1'", id="in-without-list"),
        pytest.param('"abc', 'line 1, col 1: unterminated string: no closing "', id="unterminated-string"),
        pytest.param("`abc", "line 1, col 1: unterminated identifier: no closing `", id="unterminated-tick"),
        pytest.param("``", "line 1, col 1: empty backtick identifier", id="empty-backticks"),
        pytest.param("a\n  @ b", "line 2, col 3: unexpected character '@'", id="bad-character"),
        pytest.param('"\\q"', "line 1, col 2: unknown escape \\q in string", id="bad-escape"),
        pytest.param(
            "(" * 64 + "a" + ")" * 64,
            "line 1, col 65: expression nested more than 64 levels deep",
            id="too-deep-parentheses",
        ),
        pytest.param(
            "NOT " * 70 + "a",
            "line 1, col 257: expression nested more than 64 levels deep",
            id="too-deep-not",
        ),
        pytest.param(
            "- " * 70 + "1",
            "line 1, col 129: expression nested more than 64 levels deep",
            id="too-deep-minus",
        ),
        pytest.param(
            "EXISTS " * 70 + "a",
            "line 1, col 449: expression nested more than 64 levels deep",
            id="too-deep-exists",
        ),
    ],
)
def test_invalid_expressions(text: str, message: str) -> None:
    with pytest.raises(LQLError) as info:
        parse_expr(text)
    assert str(info.value) == message


def test_lexer_tokens() -> None:
    toks = tokenize("SELECT hash.sha256(`a.b`) >= -- c\n 1.5")
    assert [(t.kind, t.value) for t in toks] == [
        (T.KEYWORD, "SELECT"),
        (T.IDENT, "hash.sha256"),
        (T.OP, "("),
        (T.IDENT, "a.b"),
        (T.OP, ")"),
        (T.OP, ">="),
        (T.NUMBER, 1.5),
        (T.EOF, None),
    ]
    assert toks[3].quoted and not toks[1].quoted
    assert toks[-2].pos == len("SELECT hash.sha256(`a.b`) >= -- c\n ")


def test_lql_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError, match="expected SELECT"):
        parse("oops")
    err = LQLError.at("ab\ncd", 4, "boom")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.message, clone.pos, clone.line, clone.col, str(clone)) == (
        "boom",
        4,
        2,
        2,
        "line 2, col 2: boom",
    )


_LQL_ALPHABET = st.sampled_from(
    ["SELECT ", "FROM ", "INTO ", "BY ", "OR ", "AND ", "NOT ", "WHERE ", "ALIAS ", "AS ", "IF ", "KIND ",
     "EXISTS ", "IN ", "LIKE ", "email(", "set(", "a", "b.c", "`d e`", "\"s\"", "1", "(", ")", ",", "==", ">",
     "-", "--", "\n", "[", "]", "'", "`", "@"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_LQL_ALPHABET, max_size=30).map("".join))
def test_any_input_parses_or_raises_lql_error(text: str) -> None:
    for fn in (parse, parse_expr):
        try:
            fn(text)
        except LQLError as e:
            assert 0 <= e.pos <= len(text) and e.line >= 1 and e.col >= 1
