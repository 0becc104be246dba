"""The runner against both mocks over real loopback HTTP: Lytics' retry, omit, token and dedup rules.

Each case is a scenario variant of the quickstart; its checks read the server-side truth (mock Ansira's journal,
mock Lytics' profiles and audiences) and the runner's outcome log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from harness.scenario.engine import ScenarioResult

Run = Callable[[str], ScenarioResult]
DRAIN = "local drain = { wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 60 } };\n"


def assert_passed(result: ScenarioResult) -> None:
    failed = [c.to_dict() for c in result.checks if not c.ok]
    assert result.error is None, result.error
    assert not failed, failed


def statuses(result: ScenarioResult) -> Counter[str]:
    return Counter((result.summary["ansira"] or {}).get("by_status") or {})


def test_one_token_shared_by_all_workers(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'token_reuse',
      lytics+: { jobs: [a.job(workers=10)] },
      profiles+: { generate: { count: 120 } },
      checks: [a.checks.all_enriched, a.checks.one_call_per_user, a.checks.audience_drained,
               { kind: 'token_fetches', count: { equals: 1 } },
               { kind: 'outcomes', enriched: { equals: 120 }, omitted: { equals: 0 } }] }""")
    assert_passed(result)


def test_token_refreshed_before_expiry(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'token_expiry',
      ansira+: { clients: [{ client_id: 'lytics-sim', token_ttl_s: 1 }], latency: { kind: 'fixed', ms: 15 } },
      lytics+: { jobs: [a.job(workers=2)] },
      profiles+: { generate: { count: 150 } },
      checks: [a.checks.all_enriched, a.checks.audience_drained,
               { kind: 'token_fetches', count: { min: 2 } },
               { kind: 'outcomes', enriched: { equals: 150 }, omitted: { equals: 0 } }] }""")
    assert_passed(result)


def test_revoked_token_is_refetched_and_the_call_retried(run_variant: Run) -> None:
    result = run_variant(DRAIN + """a.base { name: 'revoked',
      ansira+: { latency: { kind: 'fixed', ms: 10 } },
      lytics+: { jobs: [a.job(workers=2)] },
      profiles+: { generate: { count: 150 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
              { wait_until: { idle: false, enriched_min: 5, timeout_s: 60 } }, { revoke_tokens: 'all' },
              drain],
      checks: [a.checks.all_enriched, a.checks.audience_drained, a.checks.nothing_pending,
               { kind: 'token_fetches', count: { min: 2 } },
               { kind: 'no_duplicate_calls' }] }""")
    assert_passed(result)
    assert statuses(result)["401"] >= 1
    counters = result.summary["outcomes"]["counters"]
    assert counters["token_refresh_on_401"] >= 1


def test_retry_after_from_token_bucket_is_honoured(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'rate_limited',
      ansira+: { clients: [{ client_id: 'lytics-sim', rate_limit: { kind: 'token_bucket', rate: 40, burst: 20 } }] },
      lytics+: { jobs: [a.job(workers=10)] },
      profiles+: { generate: { count: 80 } },
      checks: [a.checks.all_enriched, a.checks.audience_drained, a.checks.nothing_pending,
               { kind: 'retry_after_respected' }, { kind: 'no_duplicate_calls' },
               { kind: 'ansira_calls', status: { '429': { min: 1 } } }] }""")
    assert_passed(result)
    assert result.summary["outcomes"]["counters"]["retry_after_honoured"] >= 1


def test_5xx_retried_until_success(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'flaky',
      ansira+: { faults: [{ kind: 'status', status: 503, operation: 'create_user', probability: 0.3 }] },
      profiles+: { generate: { count: 80 } },
      checks: [a.checks.all_enriched, a.checks.audience_drained, a.checks.nothing_pending,
               { kind: 'no_duplicate_calls' },
               { kind: 'ansira_calls', status: { '503': { min: 5 } } },
               { kind: 'outcomes', enriched: { equals: 80 }, omitted: { equals: 0 } }] }""")
    assert_passed(result)
    assert result.summary["outcomes"]["counters"]["retried"] >= 5


def test_400_404_413_are_omitted_without_retry(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'omissions',
      ansira+: { faults: [{ kind: 'status', status: 404, operation: 'create_user', first_n: 3 },
                          { kind: 'status', status: 413, operation: 'create_user', every_nth: 10 }] },
      lytics+: { mappings: [if m.field == 'email' && m.stream == 'web' then m { expr: 'email' } else m
                            for m in a.mappings] },
      profiles+: { generate: { count: 60, bad_email: 0.2 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true, timeout_s: 60 } }],
      checks: [{ kind: 'ansira_calls', per_user: { equals: 1 } },
               { kind: 'outcomes', pending: { equals: 0 },
                 omitted_reasons: { 'HTTP 400': { min: 1 }, 'HTTP 404': { equals: 3 }, 'HTTP 413': { min: 1 } } }]
    }""")
    assert_passed(result)
    s = result.summary["outcomes"]
    assert s["users"] == s["enriched"] + s["omitted"] and s["users"] >= 40  # identical bad emails merge profiles
    assert s["counters"].get("retried", 0) == 0


def test_ten_consecutive_failures_fail_the_job_and_keep_users_pending(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'outage',
      ansira+: { faults: [{ kind: 'status', status: 500, operation: 'create_user' }] },
      runner: { job_backoff_s: 0.05, job_errors_before_failed: 2, backoff_base_s: 0.001, backoff_cap_s: 0.01 },
      profiles+: { generate: { count: 30 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
              { wait_until: { idle: false, job_status: { ansira_enrichment: 'failed' }, timeout_s: 30 } }],
      checks: [{ kind: 'job_status', job: 'ansira_enrichment', status: 'failed' },
               { kind: 'outcomes', enriched: { equals: 0 }, omitted: { equals: 0 }, pending: { min: 1 } },
               { kind: 'ansira_calls', total: { min: 20, max: 26 } }] }""")
    assert_passed(result)
    s = result.summary["outcomes"]
    assert s["pending"] + s["counters"].get("queued", 0) >= 1


def test_failed_assert_omits_the_user_with_its_message(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'assert',
      lytics+: { templates: [a.template(a.source_code) { source: |||
        local event = import "lytemplates.libsonnet";
        assert std.endsWith(event.get("email", ""), ".com") : "only .com addresses";
        { email: event.get("email", ""), sourceCode: { keyName: "%s" } }
      ||| % a.source_code }] },
      profiles+: { explicit: [{ email: 'one@example.org', user_id: 'x1' }, { email: 'two@example.com', user_id: 'x2' }],
                   generate: { count: 0 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true, timeout_s: 30 } }],
      checks: [{ kind: 'outcomes', enriched: { equals: 1 }, omitted: { equals: 1 },
                 omitted_reasons: { 'assert: only .com addresses': { equals: 1 } } },
               { kind: 'ansira_calls', total: { equals: 1 } }] }""")
    assert_passed(result)


def test_backfill_spans_several_scan_pages(run_variant: Run) -> None:
    result = run_variant("""a.base { name: 'paged_backfill',
      runner: { scan_page_size: 25 },
      profiles+: { generate: { count: 130 } },
      checks: [a.checks.all_enriched, a.checks.one_call_per_user, a.checks.audience_drained,
               { kind: 'outcomes', enriched: { equals: 130 } }] }""")
    assert_passed(result)
    assert result.summary["outcomes"]["counters"]["backfill_seen"] == 130


def test_no_duplicate_calls_with_twenty_workers_and_realtime_entries(run_variant: Run) -> None:
    result = run_variant(DRAIN + """a.base { name: 'twenty_workers',
      lytics+: { jobs: [a.job(workers=20)] },
      profiles+: { generate: { count: 300, duplicate_email: 0.1 } },
      steps: [{ create_jobs: 'all' }, { create_profiles: 'all' }, drain],
      checks: [a.checks.all_enriched, a.checks.one_call_per_user, a.checks.audience_drained,
               a.checks.nothing_pending, { kind: 'no_duplicate_calls' }] }""")
    assert_passed(result)


def test_every_401_drops_the_refused_token(run_variant: Run) -> None:
    # One worker, two 401s in a row for the first user: the first earns an immediate retry with a fresh token,
    # the second counts as a failure, and that token is dropped too (3 fetches, not a dead token reused).
    result = run_variant("""a.base { name: 'double_401',
      ansira+: { faults: [{ kind: 'status', status: 401, operation: 'create_user', first_n: 2 }] },
      lytics+: { jobs: [a.job(workers=1)] },
      runner: { backoff_base_s: 0.001, backoff_cap_s: 0.01 },
      profiles+: { generate: { count: 5 } },
      checks: [a.checks.all_enriched, a.checks.nothing_pending, { kind: 'token_fetches', count: { equals: 3 } },
               { kind: 'ansira_calls', status: { '401': { equals: 2 } } }] }""")
    assert_passed(result)
