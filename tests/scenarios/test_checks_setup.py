"""The set-up checks (audience_drains, ansira_received, template) on hand-made run states: no stack needed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from harness.scenario import model as m
from harness.scenario.checks import run_check
from harness.scenario.state import RunState

AUDIENCE = "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS src"
TEMPLATE = """local event = (import "lytemplates.libsonnet");
{ email: event.get("email", ""), firstName: event.get("first_name", null), sourceCode: { keyName: "SC1" } }"""


def scenario(*, uuid_field: str = "ansira_uuid", user_fields: list[str] | None = None,
             template: str = TEMPLATE) -> m.Scenario:
    return m.validate({
        "name": "unit",
        "allow_no_checks": True,
        "lytics": {
            "fields": [{"id": "email", "is_identifier": True}, {"id": "first_name"}, {"id": uuid_field}],
            "mappings": [{"field": "email", "stream": "web", "expr": "email(email)"},
                         {"field": "email", "stream": "ansira", "expr": "email(origin.email)"},
                         {"field": uuid_field, "stream": "ansira", "expr": "response.uuid"}],
            "segments": [{"slug": "src", "ql": AUDIENCE}],
            "templates": [{"name": "tpl", "source": template}],
            "jobs": [{"name": "job", "config": {"segment_ids": ["src"], "stream": "ansira", "template_id": "tpl",
                                                "user_fields": user_fields or ["email", "first_name"]}}],
        },
    })


def state(sc: m.Scenario, profiles: list[dict[str, Any]], *, enriched: list[str] = (),  # type: ignore[assignment]
          ansira_users: list[dict[str, Any]] | None = None) -> RunState:
    return RunState(profiles=profiles, segment_sizes={}, journal=[], journal_summary={},
                    outcomes=[{"user": u, "status": "enriched"} for u in enriched], outcome_summary={},
                    duration_s=1.0, ansira_users=ansira_users or [], scenario=sc, source_codes=["SC1"])


def check(doc: dict[str, Any]) -> Any:
    return TypeAdapter(m.Check).validate_python(doc)  # alone: a whole scenario would refuse unknown jobs at load


# -- audience_drains ---------------------------------------------------------------------------------------
def test_audience_drains_passes_when_enriched_users_left() -> None:
    st = state(scenario(), [{"_id": "1", "email": "a@x.com", "ansira_uuid": "u1", "segments": ["all"]},
                            {"_id": "2", "email": "b@x.com", "segments": ["src", "all"]}], enriched=["1"])
    r = run_check(check({"kind": "audience_drains"}), st)
    assert r.ok, r.reason
    assert "0 of 1 enriched users still in audience src" in r.reason


def test_audience_drains_names_the_field_no_mapping_writes() -> None:
    sc = scenario(uuid_field="ansira_id")
    st = state(sc, [{"_id": str(i), "email": f"u{i}@x.com", "ansira_id": "u", "segments": ["src"]} for i in range(3)],
               enriched=["0", "1", "2"])
    r = run_check(check({"kind": "audience_drains"}), st)
    assert not r.ok
    assert "3 of 3 enriched users still in audience src" in r.reason and "sends them to Ansira again" in r.reason
    why = r.details[0]
    assert "reads 'ansira_uuid'" in why and "no mapping on the job's stream 'ansira' writes 'ansira_uuid'" in why
    assert "stream 'ansira' writes only ansira_id, email" in why


def test_audience_drains_points_at_a_mapping_that_exists_but_sets_nothing() -> None:
    st = state(scenario(), [{"_id": "1", "email": "a@x.com", "segments": ["src"]}], enriched=["1"])
    r = run_check(check({"kind": "audience_drains"}), st)
    assert not r.ok and "has a mapping for it: check that mapping's expression" in r.details[0]


@pytest.mark.parametrize(
    ("doc", "enriched", "needle"),
    [({"kind": "audience_drains"}, [], "no user was enriched"),
     ({"kind": "audience_drains", "segment": "nope"}, ["1"], "unknown audience nope; defined: src")],
    ids=["nothing-enriched", "unknown-segment"],
)
def test_audience_drains_refuses_to_pass_vacuously(doc: dict[str, Any], enriched: list[str], needle: str) -> None:
    r = run_check(check(doc), state(scenario(), [{"_id": "1", "email": "a@x.com", "segments": []}], enriched=enriched))
    assert not r.ok and needle in r.reason


# -- ansira_received ---------------------------------------------------------------------------------------
PROFILES = [{"_id": "1", "email": "A@x.com", "first_name": "Ann"}, {"_id": "2", "email": "b@x.com", "first_name": "Bo"}]


@pytest.mark.parametrize(
    ("stored", "quantifier", "ok"),
    [([{"email": "a@x.com", "firstName": "Ann"}, {"email": "b@x.com", "firstName": "Bo"}], "all", True),
     ([{"email": "a@x.com", "firstName": "Ann"}, {"email": "b@x.com", "firstName": None}], "all", False),
     ([{"email": "a@x.com", "firstName": "Ann"}, {"email": "b@x.com", "firstName": None}], "some", True),
     ([{"email": "a@x.com", "firstName": "Ann"}, {"email": "b@x.com", "firstName": None}], "none", False),
     ([{"email": "a@x.com", "firstName": None}, {"email": "b@x.com", "firstName": ""}], "none", True),
     ([{"email": "a@x.com", "firstName": None}], "some", False)],
    ids=["all-match", "one-default", "some", "none-but-one-matches", "none-match", "nobody-matches"],
)
def test_ansira_received_quantifiers(stored: list[dict[str, Any]], quantifier: str, ok: bool) -> None:
    c = check({"kind": "ansira_received", "fields": {"firstName": "first_name"}, "quantifier": quantifier})
    r = run_check(c, state(scenario(), PROFILES, ansira_users=stored))
    assert r.ok is ok, r.reason


def test_ansira_received_explains_a_missing_export() -> None:
    stored = [{"email": "a@x.com", "firstName": None}, {"email": "b@x.com", "firstName": None}]
    r = run_check(check({"kind": "ansira_received", "fields": {"firstName": "first_name"}}),
                  state(scenario(user_fields=["email"]), PROFILES, ansira_users=stored))
    assert not r.ok
    assert "job job does not export 'first_name' (user_fields: email)" in r.details[0]
    assert "a@x.com: Ansira firstName=None, profile first_name='Ann'" in r.details[1]


def test_ansira_received_reads_dotted_paths_and_reports_unknown_users() -> None:
    stored = [{"email": "a@x.com", "sourceCode": {"keyName": "SC1"}}]
    profiles = [{"_id": "1", "email": "a@x.com", "code": "SC1"}, {"_id": "2", "email": "c@x.com", "code": "SC1"}]
    r = run_check(check({"kind": "ansira_received", "fields": {"sourceCode.keyName": "code"}}),
                  state(scenario(), profiles, ansira_users=stored))
    assert not r.ok and "for 1; expected all 2" in r.reason
    assert r.details == ["c@x.com: Ansira has no such user"]


def test_ansira_received_with_no_subject_fails() -> None:
    r = run_check(check({"kind": "ansira_received", "fields": {"uuid": "ansira_uuid"}, "users": "FILTER x = 1"}),
                  state(scenario(), PROFILES))
    assert not r.ok and "nothing to compare" in r.reason


# -- template ----------------------------------------------------------------------------------------------
def test_template_check_passes_a_sound_template() -> None:
    r = run_check(check({"kind": "template", "samples": 10}), state(scenario(), []))
    assert r.ok, (r.reason, r.details)
    assert "job job, template tpl: 0 error-level findings" in r.reason


def test_template_check_flags_a_field_the_job_does_not_export() -> None:
    r = run_check(check({"kind": "template", "samples": 10}), state(scenario(user_fields=["email"]), []))
    assert not r.ok
    assert any("reads 'first_name', which the job does not export" in d for d in r.details)


def test_template_check_flags_an_unknown_source_code() -> None:
    sc = scenario(template=TEMPLATE.replace("SC1", "SC9"))
    r = run_check(check({"kind": "template", "samples": 10}), state(sc, []))
    assert not r.ok and any("unknown source code 'SC9'" in d for d in r.details)


@pytest.mark.parametrize(
    ("doc", "template", "needle"),
    [({"kind": "template", "job": "other"}, TEMPLATE, "no job named 'other'; jobs: job"),
     ({"kind": "template"}, "{ email: ", "does not compile")],
    ids=["unknown-job", "syntax-error"],
)
def test_template_check_failures_explain_themselves(doc: dict[str, Any], template: str, needle: str) -> None:
    r = run_check(check(doc), state(scenario(template=template), []))
    assert not r.ok and needle in r.reason
