"""lytemplates.libsonnet semantics, one table row per behaviour, for both the tailored and full library."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import _gojsonnet
import pytest

from enrich_templates import TemplateEngine, library
from enrich_templates.payload import lookup_table

ENTER = {"id": "a" * 32, "slug": "ansira_source", "event": "enter", "enter": "2024-01-01T00:00:00Z"}
EXIT = {"id": "b" * 32, "slug": "vip", "event": "exit", "exit": "2024-01-02T00:00:00Z"}
AUTH = {"oauth2_token": {"access_token": "tok-123"}}

# (id, expression over `e`, entity, job_config, expected)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], Any]] = [
    ("get-present", "e.get('email')", {"email": "a@b.com"}, {}, "a@b.com"),
    ("get-missing-null", "e.get('email')", {}, {}, None),
    ("get-missing-default", "e.get('email', 'none')", {}, {}, "none"),
    ("get-null-is-absent", "e.get('email', 'none')", {"email": None}, {}, "none"),
    ("get-empty-string-kept", "e.get('email', 'none')", {"email": ""}, {}, ""),
    ("get-zero-kept", "e.get('n', 5)", {"n": 0}, {}, 0),
    ("get-false-kept", "e.get('b', true)", {"b": False}, {}, False),
    ("get-list", "e.get('tags')", {"tags": ["a", "b"]}, {}, ["a", "b"]),
    ("get-dotted-nested", "e.get('address.city')", {"address": {"city": "Austin"}}, {}, "Austin"),
    ("get-dotted-deep", "e.get('a.b.c')", {"a": {"b": {"c": 3}}}, {}, 3),
    ("get-dotted-literal-wins", "e.get('a.b')", {"a.b": 1, "a": {"b": 2}}, {}, 1),
    ("get-dotted-missing", "e.get('address.zip', 'z')", {"address": {"city": "Austin"}}, {}, "z"),
    ("get-dotted-through-scalar", "e.get('email.x', 'z')", {"email": "a@b.com"}, {}, "z"),
    ("get-segment-events", "std.length(e.get('segment_events'))", {"segment_events": [ENTER]}, {}, 1),
    ("has-present", "e.has('email')", {"email": "a@b.com"}, {}, True),
    ("has-missing", "e.has('email')", {}, {}, False),
    ("has-null", "e.has('email')", {"email": None}, {}, False),
    ("has-empty-string", "e.has('email')", {"email": ""}, {}, True),
    ("has-dotted", "e.has('address.city')", {"address": {"city": "Austin"}}, {}, True),
    ("jobConfGet-present", "e.jobConfGet('stream')", {}, {"stream": "ansira"}, "ansira"),
    ("jobConfGet-missing", "e.jobConfGet('stream')", {}, {}, None),
    ("jobConfGet-default", "e.jobConfGet('stream', 'x')", {}, {}, "x"),
    ("jobConfGet-null-default", "e.jobConfGet('stream', 'x')", {}, {"stream": None}, "x"),
    (
        "pffc-reads-named-field",
        "e.profileFieldFromConfig('email_field')",
        {"work": "w@x.com"},
        {"email_field": "work"},
        "w@x.com",
    ),
    ("pffc-key-missing", "e.profileFieldFromConfig('email_field', 'd')", {"work": "w@x.com"}, {}, "d"),
    ("pffc-field-missing", "e.profileFieldFromConfig('email_field', 'd')", {}, {"email_field": "work"}, "d"),
    ("pffc-non-string-config", "e.profileFieldFromConfig('email_field', 'd')", {}, {"email_field": 3}, "d"),
    ("validatedEnum-ok", "e.validatedEnum('mode', ['a', 'b'], 'z')", {}, {"mode": "b"}, "b"),
    ("validatedEnum-not-allowed", "e.validatedEnum('mode', ['a', 'b'], 'z')", {}, {"mode": "q"}, "z"),
    ("validatedEnum-missing", "e.validatedEnum('mode', ['a', 'b'], 'z')", {}, {}, "z"),
    ("inSeg-by-id", f"e.inSeg('{'a' * 32}')", {"segment_events": [ENTER]}, {}, True),
    ("inSeg-by-slug", "e.inSeg('ansira_source')", {"segment_events": [ENTER]}, {}, True),
    ("inSeg-no", "e.inSeg('other')", {"segment_events": [ENTER]}, {}, False),
    ("inSeg-_segments", "e.inSeg('vip')", {"_segments": ["all", "vip"], "segment_events": []}, {}, True),
    ("inSeg-segments", "e.inSeg('vip')", {"segments": ["vip"]}, {}, True),
    ("inSeg-no-events", "e.inSeg('vip')", {}, {}, False),
    ("isEnter-yes", "[e.isEnter(), e.isExit()]", {"segment_events": [ENTER]}, {}, [True, False]),
    ("isExit-yes", "[e.isEnter(), e.isExit()]", {"segment_events": [EXIT]}, {}, [False, True]),
    ("isEnter-isExit-both", "[e.isEnter(), e.isExit()]", {"segment_events": [ENTER, EXIT]}, {}, [True, True]),
    ("isEnter-none", "[e.isEnter(), e.isExit()]", {}, {}, [False, False]),
    (
        "isEnter-change",
        "[e.isEnter(), e.isExit()]",
        {"segment_events": [{"event": "change"}]},
        {},
        [False, False],
    ),
    ("segSlug-one", "e.segSlug()", {"segment_events": [ENTER]}, {}, "ansira_source"),
    ("segSlug-concatenated", "e.segSlug()", {"segment_events": [ENTER, EXIT]}, {}, "ansira_sourcevip"),
    ("segSlug-none", "e.segSlug()", {}, {}, ""),
    (
        "segEvents",
        "[ev.slug for ev in e.segEvents()]",
        {"segment_events": [ENTER, EXIT]},
        {},
        ["ansira_source", "vip"],
    ),
    ("segEvents-skips-non-objects", "std.length(e.segEvents())", {"segment_events": [ENTER, 3]}, {}, 1),
    ("slugForEvent", "e.slugForEvent(e.segEvents()[0])", {"segment_events": [ENTER]}, {}, "ansira_source"),
    ("slugForEvent-missing", "e.slugForEvent({})", {}, {}, ""),
    ("idForEvent", "e.idForEvent(e.segEvents()[0])", {"segment_events": [EXIT]}, {}, "b" * 32),
    ("idForEvent-missing", "e.idForEvent({event: 'enter'})", {}, {}, ""),
    (
        "segEvIsEnter",
        "[e.segEvIsEnter(ev) for ev in e.segEvents()]",
        {"segment_events": [ENTER, EXIT]},
        {},
        [True, False],
    ),
    (
        "segEvIsExit",
        "[e.segEvIsExit(ev) for ev in e.segEvents()]",
        {"segment_events": [ENTER, EXIT]},
        {},
        [False, True],
    ),
    ("sha256-string", "e.sha256('abc')", {}, {}, hashlib.sha256(b"abc").hexdigest()),
    ("sha256-number-coerced", "e.sha256(123)", {}, {}, hashlib.sha256(b"123").hexdigest()),
    ("sha256-object-as-json", "e.sha256({a: 1})", {}, {}, hashlib.sha256(b'{"a": 1}').hexdigest()),
    ("sha256-null", "e.sha256(null)", {}, {}, hashlib.sha256(b"null").hexdigest()),
    (
        "sha256-field",
        "e.sha256(e.get('email'))",
        {"email": "a@b.com"},
        {},
        hashlib.sha256(b"a@b.com").hexdigest(),
    ),
    ("sha1-string", "e.sha1('abc')", {}, {}, hashlib.sha1(b"abc").hexdigest()),
    ("sha1-bool-coerced", "e.sha1(true)", {}, {}, hashlib.sha1(b"true").hexdigest()),
    ("isValidSha256-yes", f"e.isValidSha256('{hashlib.sha256(b'x').hexdigest()}')", {}, {}, True),
    ("isValidSha256-upper", f"e.isValidSha256('{hashlib.sha256(b'x').hexdigest().upper()}')", {}, {}, False),
    ("isValidSha256-short", "e.isValidSha256('abc')", {}, {}, False),
    ("isValidSha256-sha1", f"e.isValidSha256('{hashlib.sha1(b'x').hexdigest()}')", {}, {}, False),
    ("isValidSha256-number", "e.isValidSha256(12)", {}, {}, False),
    ("isValidSha1-yes", f"e.isValidSha1('{hashlib.sha1(b'x').hexdigest()}')", {}, {}, True),
    ("isValidSha1-non-hex", "e.isValidSha1('" + "g" * 40 + "')", {}, {}, False),
    ("notNull-null", "e.notNull(null, 'd')", {}, {}, "d"),
    ("notNull-value", "e.notNull(0, 'd')", {}, {}, 0),
    ("enum-in", "e.enum('b', ['a', 'b'], 'z')", {}, {}, "b"),
    ("enum-out", "e.enum('q', ['a', 'b'], 'z')", {}, {}, "z"),
    ("getOAuth2AccessToken", "e.getOAuth2AccessToken()", {}, {}, "tok-123"),
    ("library-renders-empty", "e", {}, {}, {}),
]


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine(timeout_s=0)


def _template(expr: str) -> str:
    return f"local e = import 'lytemplates.libsonnet';\n{expr}\n"


@pytest.mark.parametrize(
    ("expr", "entity", "job", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_library_member(engine: TemplateEngine, expr: str, entity: dict, job: dict, expected: Any) -> None:
    assert engine.render(_template(expr), entity, job, AUTH).value == expected


def _full_library_render(expr: str, entity: dict, job: dict) -> Any:
    full = library.full_source().encode()
    text = _gojsonnet.evaluate_snippet(
        "t.jsonnet",
        _template(expr),
        ext_vars={
            "ly_entity": json.dumps(lookup_table(entity)),
            "ly_job_config": json.dumps(job),
            "ly_auth_config": json.dumps(AUTH),
        },
        import_callback=lambda base, rel: ("lytemplates.libsonnet", full),
    )
    return json.loads(text)


@pytest.mark.parametrize(
    ("expr", "entity", "job", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_full_file_agrees_with_tailored(expr: str, entity: dict, job: dict, expected: Any) -> None:
    # The engine serves cut-down libraries; the file as written must mean the same thing.
    assert _full_library_render(expr, entity, job) == expected


def test_every_public_member_is_in_the_table() -> None:
    covered = {name for name in library.public_members() if any(f"e.{name}(" in c[1] for c in CASES)}
    assert covered == library.public_members()


def test_file_object_lists_exactly_the_public_members() -> None:
    fields = _full_library_render("std.objectFieldsAll(e)", {}, {})
    assert set(fields) == library.public_members()


@pytest.mark.parametrize("member", sorted(library.public_members()))
def test_each_member_served_alone_compiles(member: str) -> None:
    served = library.served_for({member})
    assert served.members == {member}
    for trace in (False, True):
        source = library.served_for({member}, trace=trace).source.decode()
        # Parse + static analysis only (unknown variables would fail here): bind to an unused local.
        _gojsonnet.evaluate_snippet("lib.jsonnet", f"local unused = (\n{source}\n); null")


def test_tailored_library_holds_only_what_the_template_names() -> None:
    served = library.served_for({"get", "email", "x"})
    assert served.members == {"get"}
    assert b"sha256" not in served.source and b"segSlug" not in served.source
    assert served.ext_vars == {"ly_entity"}
    assert library.served_for({"getOAuth2AccessToken"}).ext_vars == {"ly_auth_config"}


def test_non_string_field_name_is_a_template_error(engine: TemplateEngine) -> None:
    from enrich_templates import TemplateEvalError

    with pytest.raises(TemplateEvalError) as err:
        engine.render(_template("{a: e.get(1)}"), {"email": "a@b.com"})
    assert err.value.line == 2 and err.value.col is not None
