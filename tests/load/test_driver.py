"""RemoteDriver: the engine's set-up and steps against a stack it does not own, with the remote wait rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.http import ServiceSession, lytics_session
from harness.load.driver import RemoteDriver, StepTimeout
from harness.scenario import engine
from harness.scenario.model import Scenario
from harness.stack import Stack


@contextmanager
def _driver(sc: Scenario, f: Path) -> Iterator[RemoteDriver]:
    """A RemoteDriver attached to an in-process stack, as `harness load` attaches one to its processes."""
    with Stack(seed=sc.seed, ansira_behaviour=sc.ansira) as stack:
        info = stack.ready_info()
        with lytics_session(info["lytics_url"], stack.api_key, admin_key=stack.admin_key) as ly, \
                ServiceSession(info["ansira_url"], headers={"X-Admin-Key": stack.admin_key}) as an:
            yield RemoteDriver(sc, file=str(f), vars=info, lytics=ly, ansira=an, audience="ansira_enrichment_source")


def test_driver_sets_up_runs_steps_and_sees_the_drain(scenario_file: Callable[[str], Path]) -> None:
    f = scenario_file("a.base { name: 'd', allow_no_checks: true, profiles+: { generate: { count: 30 } }, steps: ["
                      "{ create_profiles: 'all' }, { create_jobs: 'all' },"
                      "{ wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 30 } }] }")
    sc = engine.load(f)
    with _driver(sc, f) as d:
        d.setup()
        assert set(d.ids["segment"]) == {"ansira_enrichment_source"}
        d.step(0, sc.steps[0])
        assert d.lytics_admin.audience_size(d.audience_id()) == 30
        assert not d.drained()
        d.step(1, sc.steps[1])
        d.step(2, sc.steps[2])  # the remote wait_until: returns once drained, or raises
        assert d.drained() and d.lytics_admin.audience_size(d.audience_id()) == 0
        rows = d.lytics_admin.field_times(["ansira_uuid"])
        assert sum(1 for r in rows if "ansira_uuid" in r["field_ts"]) == 30
        journal, summary = d.ansira_admin.journal(page=7), d.ansira_admin.journal_summary()  # paged: 30 > 7
        assert summary["by_operation"]["create_user"] == 30 and len(journal) == summary["total"]


def test_wait_for_times_out_with_a_message(scenario_file: Callable[[str], Path]) -> None:
    sc = engine.load(scenario_file("a.base { name: 'd', allow_no_checks: true }"))
    d = RemoteDriver(sc, file=None, vars={}, lytics=ServiceSession("http://127.0.0.1:9"),
                     ansira=ServiceSession("http://127.0.0.1:9"), audience="x")
    with pytest.raises(StepTimeout, match=r"the drain: not reached within 0\.1s"):
        d.wait_for(lambda: False, 0.1, "the drain")
    assert d.wait_for(lambda: True, 1.0, "always") >= 0


def test_a_pause_step_waits_for_the_runner_s_acknowledgement_through_the_driver(
        scenario_file: Callable[[str], Path]) -> None:
    """The driver composes a ScenarioRun attached to a stack it did not start; steps that read the run's runner
    options (pause waits up to request_timeout_s + 10 for `pausing` to end) work there too."""
    f = scenario_file("a.base { name: 'p', allow_no_checks: true, profiles+: { generate: { count: 5 } }, steps: ["
                      "{ create_profiles: 'all' }, { create_jobs: 'all' }, { pause_job: 'ansira_enrichment' },"
                      "{ resume_job: 'ansira_enrichment' },"
                      "{ wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 30 } }] }")
    sc = engine.load(f)
    with _driver(sc, f) as d:
        d.setup()
        for i, step in enumerate(sc.steps):
            d.step(i, step)
        assert d.drained() and d.lytics_admin.audience_size(d.audience_id()) == 0
