"""More broken scenarios: bad FilterQL, unknown jobs, bad new steps. All caught at load time, before any server
starts, with the path of the bad value, what is wrong and where in the text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ScenarioError
from harness.scenario import engine
from harness.stack import Stack

Write = Callable[..., Path]


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("a.base { name: 'x', lytics+: { segments: [{ slug: 's', ql: 'FILTER AND (EXISTS email, NOT EXIST x)' }] } }",
         ["lytics.segments[0].ql: FilterQL: line 1, col 37", "expected an operator", "found 'x'"]),
        ("a.base { name: 'x', lytics+: { segments: [{ slug: 's', ql: 'FILTER EXISTS email FROM account' }] } }",
         ["lytics.segments[0].ql", "FROM 'account': only the 'user' table is simulated"]),
        ("a.base { name: 'x', checks: [{ kind: 'profiles', expect: 'FILTER EXISTS' }] }",
         ["checks[0].profiles.expect: FilterQL: line 1, col 14"]),
        ("a.base { name: 'x', checks: [{ kind: 'profiles', where: 'email = ', expect: '*' }] }",
         ["checks[0].profiles.where: FilterQL: line 1", "expected a value"]),
        ("a.base { name: 'x', checks: [{ kind: 'ansira_calls', per_user: { equals: 1 }, users: 'AND (' }] }",
         ["checks[0].ansira_calls.users: FilterQL"]),
        ("a.base { name: 'x', checks: [{ kind: 'ansira_received', fields: {}, users: 'FILTER EXISTS email' }] }",
         ["checks[0].ansira_received.fields"]),
        ("a.base { name: 'x', steps: [{ update_job: { job: 'ansira_enrichmnet' } }] }",
         ["steps[0].update_job.job: unknown job 'ansira_enrichmnet'",
          "jobs defined in lytics.jobs: ansira_enrichment"]),
        ("a.base { name: 'x', steps: [{ pause_job: 'nope' }], checks: [{ kind: 'job_status', job: 'j', status: '' }] }",
         ["steps[0].pause_job: unknown job 'nope'", "checks[0].job: unknown job 'j'"]),
        ("a.base { name: 'x', steps: [{ collect_rate: { count: 10, per_s: 0 } }] }",
         ["steps[0].collect_rate.per_s", "greater than 0"]),
        ("a.base { name: 'x', steps: [{ collect_rate: { per_s: 5, generate: { count: 3 } } }] }",
         ["steps[0].collect_rate.count: required key is missing", "steps[0].collect_rate.generate.count: unknown key"]),
        ("a.base { name: 'x', profiles+: { generate+: { pick: { source_code: [] } } } }",
         ["profiles.generate", "pick: give at least one value for source_code"]),
        ("a.base { name: 'x', checks: [{ kind: 'template', samples: 0 }] }",
         ["checks[0].template.samples", "greater than or equal to 1"]),
        ("a.base { name: 'x', checks: [{ kind: 'accounted', enriched: 'FILTER EXISTS ansira_uuid)' }] }",
         ["checks[0].accounted.enriched: FilterQL: line 1"]),
    ],
    ids=["segment-filterql", "segment-table", "check-expect", "check-where", "calls-users", "received-no-fields",
         "update-unknown-job", "pause-and-check-unknown-job", "rate-zero", "rate-count-misplaced", "pick-empty",
         "template-samples", "accounted-filterql"],
)
def test_broken_scenarios_fail_at_load(scenario_file: Write, body: str, needles: list[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Stack] = []
    monkeypatch.setattr(Stack, "start", lambda self: started.append(self) or self)
    f = scenario_file(body)
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    msg = str(info.value)
    assert str(f) in msg
    for n in needles:
        assert n in msg, msg
    assert not started


def test_cli_run_refuses_a_bad_filterql_check_before_running_anything(scenario_file: Write,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = scenario_file("a.base { name: 'good', checks: [a.checks.all_enriched] }", name="good")
    bad = scenario_file("a.base { name: 'bad', checks: [{ kind: 'profiles', expect: 'EXISTS email,' }] }", name="bad")
    assert main(["run", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "checks[0].profiles.expect: FilterQL" in captured.err and str(bad) in captured.err
    assert "PASS" not in captured.out  # the good one did not run first


def test_generated_pick_is_seeded_and_leaves_other_fields_alone() -> None:
    from harness.scenario.model import Generate
    from harness.scenario.profiles import generate

    plain = list(generate(Generate(count=30), 7))
    picked = list(generate(Generate(count=30, pick={"code": ["A", "B", None]}), 7))
    again = list(generate(Generate(count=30, pick={"code": ["A", "B", None]}), 7))
    assert picked == again
    assert [{k: v for k, v in p.items() if k != "code"} for p in picked] == plain
    assert {p["code"] for p in picked} == {"A", "B", None}


def test_generated_offset_continues_ids_and_emails() -> None:
    from harness.scenario.model import Generate
    from harness.scenario.profiles import generate

    first = list(generate(Generate(count=5), 1))
    later = list(generate(Generate(count=5), 2, offset=5))
    assert [p["user_id"] for p in later] == [f"u{i:07d}" for i in range(5, 10)]
    emails = [p["email"] for p in first + later]
    assert len(set(emails)) == 10
