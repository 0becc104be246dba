"""FilterQL lexing and parsing: qlbridge's parse-test statements, the project's audience, exact errors."""

from __future__ import annotations

import pickle

import pytest

from mock_lytics.filterql import Filter, FilterQLError, parse, parse_all, parse_condition
from mock_lytics.filterql.ast import (
    And,
    Between,
    Compare,
    Contains,
    Exists,
    Field,
    Func,
    In,
    Include,
    Intersects,
    Like,
    Literal,
    MatchAll,
    Not,
    Or,
)
from mock_lytics.filterql.lexer import EOF, IDENT, KW, NEWLINE, NUMBER, OP, STRING, tokenize

TARGET = "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source"


def test_target_audience_tree() -> None:
    assert parse(TARGET) == Filter(
        And((Exists(Field(("email",))), Not(Exists(Field(("ansira_uuid",)))))),
        table="user",
        alias="ansira_enrichment_source",
    )


# (id, text, canonical to_ql). The canonical text is what the segment API echoes back.
VALID = [
    ("target-audience", TARGET,
     "FILTER AND ( EXISTS email, NOT EXISTS ansira_uuid ) FROM user ALIAS ansira_enrichment_source"),
    ("lowercase-keywords", "filter and (exists email, not exists ansira_uuid) from user alias Src",
     "FILTER AND ( EXISTS email, NOT EXISTS ansira_uuid ) FROM user ALIAS src"),
    ("newline-separated-items", "FILTER AND (\n  EXISTS email\n  NOT EXISTS ansira_uuid\n)\nFROM user",
     "FILTER AND ( EXISTS email, NOT EXISTS ansira_uuid ) FROM user"),
    ("trailing-comma", "FILTER OR (\n EXISTS name,\n EXISTS not_a_key,\n)",
     "FILTER OR ( EXISTS name, EXISTS not_a_key ) FROM user"),
    ("comments-everywhere",
     "-- leading\nFILTER -- after keyword\n AND ( -- after paren\n  NAME != NULL -- item\n"
     "  , tostring(fieldname) == \"hello\" -- item 2\n ) -- close\n LIMIT 100 -- end",
     'FILTER AND ( NAME != NULL, tostring(fieldname) == "hello" ) FROM user LIMIT 100'),
    ("in-literal-list", 'FILTER "bob@gmail.com" IN ("hello","world")',
     'FILTER "bob@gmail.com" IN ("hello", "world") FROM user'),
    ("escaped-newline-in-string", r'FILTER "bob@gmail.com" IN ("hello\n","world")',
     r'FILTER "bob@gmail.com" IN ("hello\n", "world") FROM user'),
    ("not-in", 'FILTER "bob@gmail.com" NOT IN ("hello","world")',
     'FILTER "bob@gmail.com" NOT IN ("hello", "world") FROM user'),
    ("in-field", 'FILTER "bob@gmail.com" IN identityname', 'FILTER "bob@gmail.com" IN identityname FROM user'),
    ("escaped-quote", r'FILTER "\"Boost\"" == identityname', r'FILTER "\"Boost\"" == identityname FROM user'),
    ("doubled-quote", 'FILTER COMPANY IN ("Toys R"" Us", "Toys R\' Us, Inc.")',
     'FILTER COMPANY IN ("Toys R\\" Us", "Toys R\' Us, Inc.") FROM user'),
    ("contains", 'FILTER email CONTAINS "gmail.com"', 'FILTER email CONTAINS "gmail.com" FROM user'),
    ("not-include-hex-id", "FILTER NOT INCLUDE ffe5817811c2270aa5d4aff2d9eafed3",
     "FILTER NOT INCLUDE ffe5817811c2270aa5d4aff2d9eafed3 FROM user"),
    ("include-id-starting-with-digits", "FILTER AND ( visitct >= \"1\", INCLUDE 3d4240482815b9848caf2e6f )",
     'FILTER AND ( visitct >= "1", INCLUDE 3d4240482815b9848caf2e6f ) FROM user'),
    ("include-single-quoted", "FILTER OR ( x LIKE \"2. has spaces\", INCLUDE 'f9f0dc74234af7e86ddeb660c50350e1' )",
     'FILTER OR ( x LIKE "2. has spaces", INCLUDE f9f0dc74234af7e86ddeb660c50350e1 ) FROM user'),
    ("include-double-quoted-slug", 'FILTER INCLUDE "has spaces"', "FILTER INCLUDE `has spaces` FROM user"),
    ("not-before-intersects", 'FILTER AND ( NOT news INTERSECTS ("a"), domains intersects ("b"))',
     'FILTER AND ( NOT (news INTERSECTS ("a")), domains INTERSECTS ("b") ) FROM user'),
    ("not-intersects", 'FILTER email NOT INTERSECTS ("a", "b")', 'FILTER email NOT INTERSECTS ("a", "b") FROM user'),
    ("backtick-alias", "FILTER EXISTS email ALIAS `Has Spaces Alias`",
     "FILTER EXISTS email FROM user ALIAS `has spaces alias`"),
    ("paren-group-date-math", 'FILTER AND ( NOT INCLUDE abcd, (lastvisit_ts > "now-1M") ) FROM user',
     'FILTER AND ( NOT INCLUDE abcd, lastvisit_ts > "now-1M" ) FROM user'),
    ("star", "FILTER *", "FILTER * FROM user"),
    ("match-all", "FILTER match_all", "FILTER * FROM user"),
    ("from-and-alias-on-new-lines",
     'FILTER AND (\n a IN ("Analyst")\n b IN ("C-Level Other")\n c IN ("Management")\n)\nFROM x\nALIAS abc',
     'FILTER AND ( a IN ("Analyst"), b IN ("C-Level Other"), c IN ("Management") ) FROM x ALIAS abc'),
    ("with-clause", 'FILTER score > 0\nWITH\n name = "My Little Pony",\n public = false,\n kind = "aspect"\nALIAS w',
     'FILTER score > 0 FROM user WITH name = "My Little Pony", public = false, kind = "aspect" ALIAS w'),
    ("not-between-nested",
     'FILTER OR ( AND ( score NOT BETWEEN 5 and 10, email NOT IN ("abc") ), NOT date > "now-3d" )',
     'FILTER OR ( AND ( score NOT BETWEEN 5 AND 10, email NOT IN ("abc") ), NOT (date > "now-3d") ) FROM user'),
    ("not-or-of-likes", 'FILTER AND ( EXISTS user_id, NOT OR ( user_id like "a", user_id like "b" ) )',
     'FILTER AND ( EXISTS user_id, NOT OR ( user_id LIKE "a", user_id LIKE "b" ) ) FROM user'),
    ("from-limit-alias", "FILTER AND (created < \"now-24h\", deleted == false) FROM accounts LIMIT 100 ALIAS new",
     'FILTER AND ( created < "now-24h", deleted == false ) FROM accounts LIMIT 100 ALIAS new'),
    ("eq-single-is-double", 'FILTER name = "Yoda"', 'FILTER name == "Yoda" FROM user'),
    ("ne-sql-spelling", "FILTER x <> 5", "FILTER x != 5 FROM user"),
    ("literal-on-left", 'FILTER "Yoda" == name', 'FILTER "Yoda" == name FROM user'),
    ("single-quoted-string", "FILTER name == 'Yoda'", 'FILTER name == "Yoda" FROM user'),
    ("dotted-path", "FILTER hits.foo > 1.5", "FILTER hits.foo > 1.5 FROM user"),
    ("backtick-path", 'FILTER `last.event`.`has.period` == "12/18/2015"',
     'FILTER `last.event`.`has.period` == "12/18/2015" FROM user'),
    ("backtick-keyword-field", "FILTER `from` == 1", "FILTER `from` == 1 FROM user"),
    ("unquoted-date-math", "FILTER last_visit > now-24h", 'FILTER last_visit > "now-24h" FROM user'),
    ("functions", 'FILTER AND ( daysago(datefield) < 100, domain(url) == "google.com", tolower(n) == "x" )',
     'FILTER AND ( daysago(datefield) < 100, domain(url) == "google.com", tolower(n) == "x" ) FROM user'),
    ("keyword-named-function", "FILTER exists(email)", "FILTER exists(email) FROM user"),
    ("timewindow-parses", "FILTER timewindow(visits, 3, 7)", "FILTER timewindow(visits, 3, 7) FROM user"),
    ("infix-and-in-list", "FILTER AND ( channelsct > 1 AND scores.quantity > 20 ) ALIAS multi",
     "FILTER AND ( AND ( channelsct > 1, scores.quantity > 20 ) ) FROM user ALIAS multi"),
    ("infix-precedence", "FILTER a > 1 OR b > 2 AND NOT c > 3",
     "FILTER OR ( a > 1, AND ( b > 2, NOT (c > 3) ) ) FROM user"),
    ("nested-lists-newlines",
     "FILTER AND (\n OR (\n  foo == true\n  bar != 5\n )\n EXISTS signup_date\n OR (\n  NOT bar IN (1, 2, 4, 5)\n"
     "  INCLUDE SomeOtherFilter\n )\n -- IN for identity\n bar IN `user_interests`\n)",
     "FILTER AND ( OR ( foo == true, bar != 5 ), EXISTS signup_date, "
     "OR ( NOT (bar IN (1, 2, 4, 5)), INCLUDE SomeOtherFilter ), bar IN user_interests ) FROM user"),
    ("in-list-across-lines", 'FILTER AND (\n city IN ("Portland, OR",\n   "Seattle, WA")\n)',
     'FILTER AND ( city IN ("Portland, OR", "Seattle, WA") ) FROM user'),
    ("select-where", "SELECT * FROM users WHERE domain(url) == \"google.com\" OR momentum > 20 ALIAS my_filter",
     'FILTER OR ( domain(url) == "google.com", momentum > 20 ) FROM users ALIAS my_filter'),
    ("select-filter", 'SELECT * FROM users FILTER AND (momentum > 20) ALIAS x',
     "FILTER AND ( momentum > 20 ) FROM users ALIAS x"),
    ("trailing-semicolon", "FILTER EXISTS email;", "FILTER EXISTS email FROM user"),
    ("negative-and-float-numbers", "FILTER AND (x > -5, y < 2.5e3, z BETWEEN -1.5 AND .5)",
     "FILTER AND ( x > -5, y < 2500.0, z BETWEEN -1.5 AND 0.5 ) FROM user"),
    ("bool-literals-as-predicates", "FILTER OR (false, false, AND (true, false))",
     "FILTER OR ( false, false, AND ( true, false ) ) FROM user"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "canonical"), [v[1:] for v in VALID], ids=[v[0] for v in VALID])
def test_valid_statements_print_canonically_and_round_trip(text: str, canonical: str) -> None:
    flt = parse(text)
    assert flt.to_ql() == canonical
    again = parse(canonical)
    assert again == flt
    assert again.to_ql() == canonical


# (id, text, expected tree) for the node shapes the canonical text cannot tell apart.
TREES = [
    ("not-in-is-negated-in", 'FILTER x NOT IN ("a")', In(Field(("x",)), (Literal("a"),), negated=True)),
    ("not-x-in-is-not-of-in", 'FILTER NOT x IN ("a")', Not(In(Field(("x",)), (Literal("a"),)))),
    ("intersects", "FILTER t INTERSECTS (1, 2)", Intersects(Field(("t",)), (Literal(1), Literal(2)))),
    ("not-contains", 'FILTER n NOT CONTAINS "kin"', Contains(Field(("n",)), Literal("kin"), negated=True)),
    ("not-like", 'FILTER n NOT LIKE "*kin"', Like(Field(("n",)), "*kin", negated=True)),
    ("between", 'FILTER d BETWEEN "2015-07-01" AND "2016-08-01"',
     Between(Field(("d",)), Literal("2015-07-01"), Literal("2016-08-01"))),
    ("dotted-path-parts", "FILTER hits.foo > 1", Compare(Field(("hits", "foo")), ">", Literal(1))),
    ("backtick-parts-keep-dots", "FILTER `last.event`.`has.period` == 1",
     Compare(Field(("last.event", "has.period")), "==", Literal(1))),
    ("mixed-path", "FILTER a.`b c`.d == 1", Compare(Field(("a", "b c", "d")), "==", Literal(1))),
    ("func-lowercased", "FILTER ToLower(name) == 'x'",
     Compare(Func("tolower", (Field(("name",)),)), "==", Literal("x"))),
    ("null-literal", "FILTER NAME != NULL", Compare(Field(("NAME",)), "!=", Literal(None))),
    ("include-quoted", "FILTER INCLUDE 'abc'", Include("abc")),
    ("star", "FILTER *", MatchAll()),
    ("or-infix-flat", "FILTER a OR b OR c", Or((Field(("a",)), Field(("b",)), Field(("c",))))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tree"), [t[1:] for t in TREES], ids=[t[0] for t in TREES])
def test_tree_shapes(text: str, tree: object) -> None:
    assert parse(text).expr == tree


def test_clauses_are_read() -> None:
    flt = parse(
        '-- c\nFILTER AND (created < "now-24h", deleted == false)\nFROM accounts\nLIMIT 100\nALIAS new_accounts'
    )
    assert (flt.table, flt.limit, flt.alias, flt.with_) == ("accounts", 100, "new_accounts", {})
    flt = parse('FILTER score > 0 WITH name = "My Little Pony", public = false, n = 2 ALIAS w')
    assert flt.with_ == {"name": "My Little Pony", "public": False, "n": 2}
    assert parse("FILTER *").table == "user"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("AND (EXISTS email, NOT EXISTS ansira_uuid)", "FILTER AND ( EXISTS email, NOT EXISTS ansira_uuid ) FROM user"),
        ('email LIKE "*@example.com"', 'FILTER email LIKE "*@example.com" FROM user'),
        ("x > 1 AND y < 2", "FILTER AND ( x > 1, y < 2 ) FROM user"),
        (TARGET, "FILTER AND ( EXISTS email, NOT EXISTS ansira_uuid ) FROM user ALIAS ansira_enrichment_source"),
    ],
    ids=["bare-and-list", "bare-like", "bare-infix", "full-statement"],
)
def test_parse_condition_accepts_bare_expressions(text: str, canonical: str) -> None:
    assert parse_condition(text).to_ql() == canonical


def test_parse_all_splits_statements() -> None:
    flts = parse_all('\n-- all\nFILTER * ALIAS everyone;\n\nFILTER name == "Yoda" ALIAS yoda;\nFILTER EXISTS x\n')
    assert [f.alias for f in flts] == ["everyone", "yoda", None]
    assert parse_all("  \n") == []


# (id, text, line, col, message): the first offending token and what was expected there.
INVALID = [
    ("unclosed-and", "FILTER AND (EXISTS email FROM user", 1, 26, "expected ',' or ')' but found 'FROM'"),
    ("unclosed-and-at-eof", "FILTER AND (EXISTS email,", 1, 26, "expected an expression or ')' but found end of input"),
    ("double-alias", "FILTER * FROM user ALIAS ALIAS stuff", 1, 26, "expected a name after ALIAS but found 'ALIAS'"),
    ("extra-paren", 'FILTER OR (_uid == "bob", email IN ("steve@steve.com")))\n\tALIAS x', 1, 56,
     "expected FROM, LIMIT, WITH, ALIAS or end of input but found ')'"),
    ("no-keyword", "EXISTS email", 1, 1, "expected FILTER or SELECT but found 'EXISTS'"),
    ("empty", "", 1, 1, "expected FILTER or SELECT but found end of input"),
    ("missing-expression", "FILTER", 1, 7, "expected a field, function or literal but found end of input"),
    ("empty-and", "FILTER AND ()", 1, 13, "expected an expression but found ')'"),
    ("double-comma", "FILTER AND (a > 1,, b > 2)", 1, 19, "expected an expression but found ','"),
    ("and-without-paren", "FILTER AND EXISTS x", 1, 12, "expected '(' after AND but found 'EXISTS'"),
    ("missing-operator", "FILTER AND (x 5)", 1, 15,
     "expected an operator (==, !=, >, >=, <, <=, IN, INTERSECTS, CONTAINS, LIKE, BETWEEN) but found '5'"),
    ("dangling-operator-on-line-3", "FILTER AND (\n  a > 1\n  b ==\n)", 3, 7, "expected a value but found newline"),
    ("between-without-and", "FILTER x BETWEEN 1 OR 2", 1, 20, "expected AND but found 'OR'"),
    ("like-needs-string", "FILTER x LIKE foo", 1, 15, "expected a quoted pattern after LIKE but found 'foo'"),
    ("in-needs-list", "FILTER x IN 5", 1, 13, "expected '(' or a field after IN but found '5'"),
    ("in-list-literals-only", "FILTER x IN (a, b)", 1, 14, "IN lists take literals only"),
    ("in-list-unclosed", 'FILTER x IN ("a" "b")', 1, 18, "expected ',' or ')' but found '\"b\"'"),
    ("unknown-function", "FILTER foo(x) > 1", 1, 8, "unknown function 'foo' (known: contains, daysago, domain, email, "
     "emaildomain, exists, geodistance, hasprefix, hassuffix, len, string.lowercase, string.uppercase, timewindow, "
     "todate, toint, tolower, tonumber, tostring, toupper)"),
    ("function-arity", "FILTER tolower(a, b) == 'x'", 1, 20, "tolower() takes 1 argument(s), got 2"),
    ("arithmetic", 'FILTER not_a_field + "yoda"', 1, 20, "unexpected character '+'"),
    ("unterminated-string", 'FILTER name == "Yoda', 1, 16, 'unterminated string starting with "'),
    ("unterminated-backtick", "FILTER `abc == 1", 1, 8, "unterminated quoted identifier starting with `"),
    ("limit-not-integer", "FILTER * LIMIT 1.5", 1, 16, "LIMIT must be a non-negative integer"),
    ("clause-order", "FILTER * ALIAS a FROM user", 1, 18, "end of input but found 'FROM'"),
    ("select-columns", "SELECT a FROM user WHERE x > 1", 1, 8,
     "expected '*' (column projections are not supported) but found 'a'"),
    ("with-needs-literal", "FILTER * WITH k = v", 1, 19, "WITH k needs a literal value"),
    ("not-without-negatable", "FILTER x NOT 5", 1, 10,
     "expected an operator (==, !=, >, >=, <, <=, IN, INTERSECTS, CONTAINS, LIKE, BETWEEN) but found 'NOT'"),
    ("second-statement", "FILTER *; FILTER *", 1, 11, "expected end of input but found 'FILTER'"),
    ("unclosed-group", "FILTER (x > 1", 1, 14, "expected ')' but found end of input"),
    ("empty-include", 'FILTER INCLUDE ""', 1, 16, "INCLUDE needs a non-empty segment slug or id"),
    ("empty-alias", "FILTER * ALIAS ''", 1, 16, "ALIAS needs a non-empty name"),
    ("empty-backtick", "FILTER `` == 1", 1, 8, "empty quoted identifier ``"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "col", "message"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_statements_point_at_the_offending_token(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(FilterQLError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.col) == (line, col)
    assert err.message.endswith(message)
    assert str(err) == f"line {line}, col {col}: {err.message}"
    lines = text.split("\n")
    assert err.pos == sum(len(x) + 1 for x in lines[: line - 1]) + col - 1


@pytest.mark.parametrize(
    ("text", "hint"),
    [("FILTR EXISTS email", "('FILTR' is not a keyword: did you mean FILTER?)"),
     ("FILTER EXIST email", "('EXIST' is not a keyword: did you mean EXISTS?)"),  # lands on the token after it
     ("FILTER AND (a > 1) ADN (b > 2)", "did you mean AND?"),
     ("SELECT * FROM user WHRE x > 1", "did you mean WHERE?"),
     ("FILTER x > 1 LIMT 5", "did you mean LIMIT?")],
    ids=["filter", "exists", "and-transposed", "where", "limit"],
)
def test_a_misspelt_keyword_gets_a_hint(text: str, hint: str) -> None:
    with pytest.raises(FilterQLError) as info:
        parse(text)
    assert hint in info.value.message and info.value.message.endswith("?)")


def test_no_hint_for_a_field_far_from_any_keyword() -> None:
    with pytest.raises(FilterQLError) as info:
        parse("FILTER email 5")
    assert "did you mean" not in str(info.value)


def test_error_is_a_value_error_with_position() -> None:
    with pytest.raises(ValueError, match=r"^line 2, col 3: expected an expression or '\)' but found 'FROM'$"):
        parse("FILTER AND (EXISTS a\n, FROM user)")


def test_parse_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="must be str"):
        parse(b"FILTER *")  # type: ignore[arg-type]


def test_tokens_carry_positions_and_kinds() -> None:
    toks = tokenize("FILTER a.`b c` >= -1.5 -- note\n'x'")
    assert [(t.kind, t.value, t.pos, t.end) for t in toks] == [
        (KW, "FILTER", 0, 6),
        (IDENT, ("a", "b c"), 7, 14),
        (OP, ">=", 15, 17),
        (NUMBER, -1.5, 18, 22),
        (NEWLINE, "\n", 30, 31),
        (STRING, "x", 31, 34),
        (EOF, None, 34, 34),
    ]


def test_trees_pickle_after_evaluation() -> None:
    from mock_lytics.filterql import evaluate

    flt = parse(TARGET)
    assert evaluate(flt, {"email": "a@b.c"}) is True
    copy = pickle.loads(pickle.dumps(flt))
    assert copy == flt
    assert evaluate(copy, {"email": "a@b.c", "ansira_uuid": "u"}) is False
