// Token expiry mid-run: Ansira's tokens live one second; the backfill takes several.
//
// Proves: the job refreshes its one shared token before it expires (more than one token fetched, but far
// fewer than one per call), every user is enriched exactly once, and expiry never turns into a 401 storm:
// at most a handful of requests carry a token that expired in flight, and each is retried after one refetch.
// How: 150 users, 2 workers, 15 ms per Ansira call (~1.2 s of calls), token_ttl_s 1.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'token_expiry',
  description: 'One-second tokens during a longer backfill: refreshed in time, no user lost, no 401 storm.',
  ansira+: {
    clients: [{ client_id: 'lytics-sim', token_ttl_s: 1 }],
    latency: { kind: 'fixed', ms: 15, operation: 'create_user' },
  },
  lytics+: { jobs: [v.job(workers=2)] },
  profiles+: { generate: { count: 150 } },
  steps: v.steps.create_all + [v.steps.drain()],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    v.checks.no_duplicates,
    { kind: 'token_fetches', name: 'tokens refreshed, not fetched per call', count: { min: 2, max: 10 } },
    { kind: 'ansira_calls', name: 'no 401 storm', status: { '401': { max: 4 } } },
    { kind: 'outcomes', name: 'every user enriched', enriched: { equals: 150 }, omitted: { equals: 0 } },
  ],
}
