// Rate limit with backfill: Ansira allows 50 calls a second with a burst of 20; the backfill is 120 users,
// six times the burst, sent by 10 workers (Ansira's Retry-After is whole seconds, so each 429 costs ~1 s).
//
// Proves: the job meets 429s (so the limit really bit), honours every Retry-After (nothing sent after the runner
// received a 429 until its Retry-After is over; requests already on the wire are fine), loses nobody, and never gets
// a successful answer twice for the same user: every user is enriched and the audience drains.
// `harness load scenarios/rate_limit_backfill.jsonnet` (the `load` section) grows the backfill to 1,000 users, so the
// job stays at the limit for the whole run, and adds 20 new users/s for 10 s while it runs, with thresholds on the
// joined report. Its rate threshold is 0.4 of the limit, not 0.95: Retry-After is whole seconds and the burst only
// 20, so after each 429 the job sleeps 1 s and then finds at most 20 tokens — about 0.44 of the limit (22 calls/s)
// is all a client that honours Retry-After can reach here (docs/performance.md measures ≥ 0.95 when the burst is a
// second's worth of calls).
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'rate_limit_backfill',
  description: 'A 120-user backfill against a 50/s token bucket (burst 20): 429s honoured, nobody lost or doubled.',
  ansira+: {
    clients: [{ client_id: 'lytics-sim', rate_limit: { kind: 'token_bucket', rate: 50, burst: 20 } }],
  },
  lytics+: { jobs: [v.job(workers=10)] },
  profiles+: { generate: { count: 120 } },
  steps: v.steps.create_all + [v.steps.drain()],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    { kind: 'ansira_calls', name: 'the rate limit bit (429s seen)', status: { '429': { min: 1 } } },
    { kind: 'retry_after_respected', name: 'every Retry-After honoured' },
    v.checks.no_duplicates,
    { kind: 'outcomes', name: 'every user enriched', enriched: { equals: 120 }, omitted: { equals: 0 } },
  ],
  load: {
    backfill_users: 1000,
    arrival_rate: 20,
    duration_s: 10,
    drain_timeout_s: 60,
    thresholds: [
      'lost_users == 0',
      'users_pending == 0',
      'duplicate_calls == 0',
      'retry_after_violations == 0',
      'ansira_429 > 0',
      'achieved_rate >= 0.4 * ansira_limit',
      'enrich_latency_p99_ms < 5000',
    ],
  },
}
