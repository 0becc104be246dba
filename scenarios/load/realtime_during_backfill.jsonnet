// Real-time users during a big backfill at Ansira's rate limit: how late are new users enriched, and is anyone lost?
//
// Proves (with `harness load`): while a 20,000-user backfill runs into a 150 calls/s token bucket (burst 150) with
// realistic Ansira latency (lognormal, p50 20 ms, p99 120 ms), locust sends 50 new users/s and 10 profile
// updates/s for 60 s. The runner's real-time lane goes ahead of the backfill, so new users are enriched within
// about a second (a 429's whole-second Retry-After is the worst wait) although the backfill takes over two
// minutes; every Retry-After is honoured, nobody is lost or answered twice, and the job keeps Ansira near its
// limit. As a plain scenario (`harness run`) it is a 200-user backfill.
local ansira = import '../lib/ansira.libsonnet';

ansira.base {
  name: 'realtime_during_backfill',
  description: 'Load: 50 new users/s + updates for 60 s during a 20,000-user backfill at a 150/s Ansira limit.',
  ansira+: {
    clients: [{ client_id: 'lytics-sim', rate_limit: { kind: 'token_bucket', rate: 150, burst: 150 } }],
    latency: { kind: 'lognormal', p50_ms: 20, p99_ms: 120 },
  },
  lytics+: { jobs: [ansira.job(true, 20)] },
  profiles+: { generate: { count: 200 } },
  steps: [
    { create_profiles: 'all' },
    { create_jobs: 'all' },
    { wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 600 } },
  ],
  checks: [ansira.checks.all_enriched, ansira.checks.nothing_pending, { kind: 'retry_after_respected' }],
  load: {
    backfill_users: 20000,
    arrival_rate: 60,
    duration_s: 60,
    events: { stream: 'web', update_ratio: 0.17 },
    drain_timeout_s: 600,
    thresholds: [
      'lost_users == 0',
      'users_pending == 0',
      'duplicate_calls == 0',
      'retry_after_violations == 0',
      'collect_failure_ratio < 0.001',
      'dropped_arrivals == 0',
      'ansira_429 > 0',
      'rate_ratio >= 0.9',
      'enrich_latency_p99_ms < 3000',
    ],
  },
}
