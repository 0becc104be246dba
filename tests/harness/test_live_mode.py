"""Going-live safety: dry runs send nothing, --max-calls caps requests, credentials come from the environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import engine


def test_dry_run_renders_but_sends_nothing(scenario_file: Callable[[str], Path]) -> None:
    f = scenario_file("""a.base { name: 'dry', profiles+: { generate: { count: 20 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true, timeout_s: 30 } }],
      checks: [{ kind: 'ansira_calls', total: { equals: 0 } },
               { kind: 'outcomes', enriched: { equals: 0 }, omitted_reasons: { 'dry-run': { equals: 20 } } },
               { kind: 'audience_size', segment: 'ansira_enrichment_source', size: { equals: 20 } }] }""")
    result = engine.ScenarioRun(engine.load(f), file=str(f), runner_overrides={"dry_run": True}).execute()
    assert result.ok, [c.to_dict() for c in result.checks if not c.ok]


def test_max_calls_is_a_hard_cap_and_the_rest_stay_pending(scenario_file: Callable[[str], Path]) -> None:
    f = scenario_file("""a.base { name: 'capped', profiles+: { generate: { count: 40 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
              { wait_until: { idle: true, timeout_s: 30 } }],
      checks: [{ kind: 'ansira_calls', total: { equals: 7 } },
               { kind: 'outcomes', enriched: { equals: 7 }, pending: { equals: 33 } }] }""")
    result = engine.ScenarioRun(engine.load(f), file=str(f), runner_overrides={"max_calls": 7}).execute()
    assert result.ok, [c.to_dict() for c in result.checks if not c.ok]
    assert result.summary["outcomes"]["pending"] == 33


def test_env_placeholder_reads_the_secret_from_the_environment(
        scenario_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    f = scenario_file("""a.base { name: 'env', profiles+: { generate: { count: 5 } },
      lytics+: { auths: [a.auth { config+: { client_secret: '{{env:ANSIRA_TEST_SECRET}}' } }] },
      checks: [a.checks.all_enriched] }""")
    monkeypatch.delenv("ANSIRA_TEST_SECRET", raising=False)
    with pytest.raises(ScenarioError, match="environment variable ANSIRA_TEST_SECRET is not set"):
        engine.run_file(f)
