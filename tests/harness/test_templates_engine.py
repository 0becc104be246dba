"""TemplateEngine: rendering, tracing, error classification with template positions, payload helpers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from enrich_templates import (
    Rendered,
    TemplateAssertionFailed,
    TemplateEngine,
    TemplateEvalError,
    TemplateInputError,
    build_entity,
    default_payload,
    encode_body,
    split_override,
)
from enrich_templates.payload import lookup_table

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "scenarios" / "templates" / "ansira_seed.jsonnet").read_text(encoding="utf-8")
LIB = "local event = import 'lytemplates.libsonnet';\n"


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def test_seed_template_renders_the_documented_body(engine: TemplateEngine) -> None:
    rendered = engine.render(SEED, {"email": "a@b.com", "segment_events": []})
    assert isinstance(rendered, Rendered)
    assert rendered.value == {"email": "a@b.com", "sourceCode": {"keyName": "XXXXXXXXXXXXX"}}
    # go-jsonnet's own formatting, as Lytics' template test endpoint returns it
    assert (
        rendered.text
        == '{\n   "email": "a@b.com",\n   "sourceCode": {\n      "keyName": "XXXXXXXXXXXXX"\n   }\n}\n'
    )
    assert rendered.fields_read == frozenset()


def test_both_quote_styles_import_the_library(engine: TemplateEngine) -> None:
    for imp in (
        'import "lytemplates.libsonnet"',
        "import 'lytemplates.libsonnet'",
        "(import 'lytemplates.libsonnet')",
    ):
        src = f"local event = {imp};\n{{e: event.get('email')}}"
        assert engine.render(src, {"email": "x@y.z"}).value == {"e": "x@y.z"}


@pytest.mark.parametrize(
    ("body", "entity", "job", "expected"),
    [
        ("{a: event.get('email')}", {"email": "a@b.com"}, {}, {"email"}),
        ("{a: event.has('first_name')}", {}, {}, {"first_name"}),
        ("{a: event.get('address.city')}", {"address": {"city": "X"}}, {}, {"address.city"}),
        ("{a: event.profileFieldFromConfig('f')}", {}, {"f": "work_email"}, {"work_email"}),
        ("{a: if event.has('a') then event.get('b') else event.get('c')}", {"a": 1}, {}, {"a", "b"}),
        ("{a: event.inSeg('x'), b: event.isEnter(), c: event.jobConfGet('k')}", {}, {}, set()),
        ("{a: event.sha256('x')}", {}, {}, set()),
    ],
    ids=[
        "get",
        "has",
        "dotted",
        "profileFieldFromConfig",
        "only-evaluated-branches",
        "segments-not-traced",
        "pure-helpers",
    ],
)
def test_trace_records_the_fields_read(
    engine: TemplateEngine, body: str, entity: dict, job: dict, expected: set[str]
) -> None:
    rendered = engine.render(LIB + body, entity, job, trace=True)
    assert rendered.fields_read == expected
    assert engine.render(LIB + body, entity, job).fields_read == frozenset()


def test_trace_keeps_reads_before_a_runtime_error(engine: TemplateEngine) -> None:
    outcome = engine.evaluate(LIB + "{a: std.length(event.get('zip'))}", {}, trace=True)
    assert outcome.kind == "eval" and outcome.fields_read == ("zip",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("assert event.has('email') : 'no email';\n{a: 1}", "no email"),
        ("{\n  assert event.has('email') : 'object assert',\n  a: 1,\n}", "object assert"),
        (
            "local check(x) = assert x != null : 'in a function'; x;\n{a: check(event.get('email'))}",
            "in a function",
        ),
        ("assert false;\n{}", "Assertion failed"),
    ],
    ids=["top-level", "object", "inside-function", "no-message"],
)
def test_failed_assert_is_an_omission(engine: TemplateEngine, body: str, message: str) -> None:
    with pytest.raises(TemplateAssertionFailed) as err:
        engine.render(LIB + body, {})
    assert err.value.message == message


@pytest.mark.parametrize(
    ("body", "line", "col", "message"),
    [
        ("{\n  a: error 'boom',\n}", 3, 6, "boom"),
        ("{\n  a: std.length(event.get('zip')),\n}", 3, 6, "Unexpected type null"),
        ("{\n  a:\n    event.nope(),\n}", 4, 5, "Field does not exist: nope"),
        ("{\n  a: event.get(1),\n}", 3, 6, "Unexpected type number"),  # fails inside the library
        ("{\n  a: 1 +,\n}", 3, 9, "Unexpected"),
        ("{\n  a: missing_var,\n}", 3, 6, "Unknown variable: missing_var"),
        ("local f(n) = f(n + 1);\nf(0)", 2, 14, "max stack frames exceeded"),
    ],
    ids=[
        "error-expr",
        "runtime-type",
        "unknown-member",
        "error-in-library-call",
        "syntax",
        "static",
        "recursion",
    ],
)
def test_errors_point_into_the_users_template(
    engine: TemplateEngine, body: str, line: int, col: int, message: str
) -> None:
    with pytest.raises(TemplateEvalError) as err:
        engine.render(LIB + body, {}, filename="my.jsonnet")
    assert not isinstance(err.value, TemplateAssertionFailed)
    assert (err.value.filename, err.value.line, err.value.col) == ("my.jsonnet", line, col)
    assert message in err.value.message
    assert str(err.value).startswith(f"my.jsonnet:{line}:{col}: ")


def test_render_text_has_lytics_test_endpoint_semantics(engine: TemplateEngine) -> None:
    assert engine.render_text(SEED, {"email": "a@b.com"}) == engine.render(SEED, {"email": "a@b.com"}).text
    text = engine.render_text(LIB + "assert event.has('email') : 'email required';\n{}", {})
    assert text.startswith("evaluating snippet: RUNTIME ERROR: email required\n\ttemplate.jsonnet:(2:1)")
    text = engine.render_text("local x = import '/etc/passwd';\n{}", {})
    assert text.startswith("evaluating snippet: RUNTIME ERROR: import '/etc/passwd' refused")
    assert engine.render_text("{a: }", {}).startswith("evaluating snippet: template.jsonnet:1:5")


@pytest.mark.parametrize(
    ("source", "line", "col", "message"),
    [
        ("{\n  a: ,\n}", 2, 6, "Unexpected"),
        ("{\n  a: nope,\n}", 2, 6, "Unknown variable: nope"),
        ("{\n  a: 1,\n  a: 2,\n}", 3, 3, "Duplicate field: a"),
        ("local x = 1;", 1, None, "unexpected end of template"),
    ],
    ids=["syntax", "unknown-variable", "duplicate-field", "truncated"],
)
def test_compile_check_reports_static_errors(
    engine: TemplateEngine, source: str, line: int, col: int | None, message: str
) -> None:
    with pytest.raises(TemplateEvalError) as err:
        engine.compile_check(source, filename="t.jsonnet")
    assert (err.value.line, err.value.col) == (line, col)
    assert message in err.value.message


def test_compile_check_does_not_evaluate(engine: TemplateEngine) -> None:
    engine.compile_check(SEED)
    engine.compile_check("local f(n) = f(n + 1);\nf(0)")  # would recurse forever if evaluated
    engine.compile_check(LIB + "assert false : 'never checked at compile time';\n{}")


def test_concurrent_renders_do_not_mix_entities(engine: TemplateEngine) -> None:
    def one(i: int) -> Any:
        return engine.render(SEED, {"email": f"u{i}@example.com"}, trace=True)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(200)))
    assert [r.value["email"] for r in results] == [f"u{i}@example.com" for i in range(200)]
    assert all(r.fields_read == {"email"} for r in results)


def test_entity_that_is_not_json_is_an_input_error(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateInputError, match="not JSON"):
        engine.render(SEED, {"email": datetime(2024, 1, 1)})
    with pytest.raises(TemplateInputError, match="entity must be a JSON object"):
        engine.render(SEED, ["email"])  # type: ignore[arg-type]


def test_only_the_inputs_a_template_uses_are_passed(engine: TemplateEngine) -> None:
    # The seed template never calls getOAuth2AccessToken, so an unserialisable auth config is never touched.
    assert engine.render(SEED, {"email": "a@b.com"}, auth_config={"x": object()}).value["email"] == "a@b.com"


PROFILE = {"email": "a@b.com", "first_name": "Ann", "segment_events": ["stale"], "score": 3}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (["email"], {"email": "a@b.com"}),
        (["email", "missing"], {"email": "a@b.com"}),
        ([], {"email": "a@b.com", "first_name": "Ann", "score": 3}),
        (None, {"email": "a@b.com", "first_name": "Ann", "score": 3}),
    ],
    ids=["selected", "missing-field-left-out", "empty-means-all", "none-means-all"],
)
def test_default_payload_and_entity(fields: list[str] | None, expected: dict) -> None:
    assert default_payload(PROFILE, fields) == expected
    events = [{"id": "x", "slug": "s", "event": "enter"}]
    assert build_entity(PROFILE, fields, events) == {**expected, "segment_events": events}


def test_entity_helpers_reject_bad_input() -> None:
    with pytest.raises(TemplateInputError, match="user_fields"):
        build_entity(PROFILE, "email", [])
    with pytest.raises(TemplateInputError, match="profile must be a JSON object"):
        default_payload(["email"], None)  # type: ignore[arg-type]


def test_lookup_table_adds_dotted_paths_without_overriding_literal_keys() -> None:
    table = lookup_table({"a": {"b": {"c": 1}}, "a.b": "literal", "x": 2})
    assert table["a.b"] == "literal" and table["a.b.c"] == 1 and table["x"] == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"email": "a@b.com"}, (None, None, {"email": "a@b.com"})),
        ("https://x/y", (None, None, "https://x/y")),
        ({"ly_template_url": "https://x", "ly_template_body": {"a": 1}}, ("https://x", None, {"a": 1})),
        ({"ly_template_headers": {"X-A": "1"}, "ly_template_body": [1]}, (None, {"X-A": "1"}, [1])),
        ({"ly_template_url": "https://x"}, ("https://x", None, None)),
    ],
    ids=["plain-body", "string-result", "url+body", "headers+body", "url-only-no-body"],
)
def test_split_override(value: Any, expected: tuple) -> None:
    assert split_override(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"ly_template_url": 3}, "ly_template_url must be a non-empty string"),
        ({"ly_template_headers": {"a": 1}}, "ly_template_headers must be an object of string values"),
        ({"ly_template_body": {}, "email": "x"}, "mixes ly_template_* keys with body fields email"),
        ({"ly_template_headers": {"X-A": "v\r\nX-Injected: 1"}}, 'ly_template_headers: "X-A" is not a valid header'),
        ({"ly_template_headers": {"X A": "v"}}, 'ly_template_headers: "X A" is not a valid header'),
    ],
    ids=["url-type", "header-values", "mixed-keys", "header-injection", "header-name"],
)
def test_split_override_rejects_malformed_overrides(value: Any, message: str) -> None:
    with pytest.raises(TemplateEvalError, match=message.replace("*", r"\*")):
        split_override(value)


def test_url_override_template_end_to_end(engine: TemplateEngine) -> None:
    source = (ROOT / "scenarios" / "templates" / "url_override.jsonnet").read_text(encoding="utf-8")
    entity = {"email": "a@b.com", "segment_events": [{"id": "i", "slug": "src", "event": "enter"}]}
    url, headers, body = split_override(engine.render(source, entity, {"brand": "PE"}).value)
    assert url == "https://profiles.example.com/service/api/v2/users?brand=PE"
    assert headers == {"X-Lytics-Segment": "src"}
    assert encode_body(body) == b'{"email":"a@b.com","sourceCode":{"keyName":"ITSP201511"}}'


def test_encode_body_is_compact_utf8() -> None:
    assert encode_body({"n": "Zoë"}) == '{"n":"Zoë"}'.encode()
    assert encode_body(None) == b""
    assert json.loads(encode_body([1, {"a": None}])) == [1, {"a": None}]


def test_engine_rejects_bad_settings() -> None:
    with pytest.raises(TemplateInputError, match="max_stack"):
        TemplateEngine(max_stack=0)
    with pytest.raises(TemplateInputError, match="isolation"):
        TemplateEngine(isolation="fork")  # type: ignore[arg-type]
