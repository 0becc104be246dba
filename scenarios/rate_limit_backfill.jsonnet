// Rate limit with backfill: Ansira allows 50 calls a second with a burst of 20; the backfill is 120 users,
// six times the burst, sent by 10 workers (Ansira's Retry-After is whole seconds, so each 429 costs ~1 s).
//
// Proves: the job meets 429s (so the limit really bit), honours every Retry-After (no request inside a
// Retry-After window beyond the ones already in flight when the 429 went out), loses nobody, and never gets
// a successful answer twice for the same user: every user is enriched and the audience drains.
// The load-test helper reuses this file (its users, limit and checks); a `load` section will be added once
// the scenario model supports one.
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
}
