// 5xx storm: about a third of Ansira's answers are server errors, and some answers are lost after Ansira
// already stored the user (connection reset after processing).
//
// Proves: 5xx answers and lost connections are retried with backoff until they succeed; no user is omitted
// or left pending; a retry after a lost answer upserts the same user again instead of creating a second one
// (one successful answer per user, one UUID per email); and scattered errors never fail the job.
// How: 120 users; seeded faults: 503 with probability 0.25, 500 on every 7th call, reset after processing
// with probability 0.05.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'server_errors',
  description: 'About a third of calls fail with 5xx or a reset connection: all retried, nobody lost or doubled.',
  ansira+: {
    faults: [
      { kind: 'status', status: 503, operation: 'create_user', probability: 0.25 },
      { kind: 'status', status: 500, operation: 'create_user', every_nth: 7 },
      { kind: 'connection_reset', operation: 'create_user', process: true, probability: 0.05 },
    ],
  },
  profiles+: { generate: { count: 120 } },
  steps: v.steps.create_all + [v.steps.drain()],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    v.checks.no_duplicates,
    { kind: 'ansira_received', name: 'each profile holds the UUID Ansira stored for it', fields: { uuid: 'ansira_uuid' } },
    { kind: 'ansira_calls', name: 'the storm happened', status: { '503': { min: 10 }, '500': { min: 5 } } },
    { kind: 'ansira_calls', name: 'some answers were lost after processing', status: { '0': { min: 1 } } },
    { kind: 'outcomes', name: 'every user enriched, none omitted', enriched: { equals: 120 }, omitted: { equals: 0 } },
    v.checks.job_running,
  ],
}
