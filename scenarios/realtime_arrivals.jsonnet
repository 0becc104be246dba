// Real-time arrivals during a backfill: 60 users exist when the job starts; 100 more arrive at 50 a second
// while the backfill runs (a `collect_rate` step), each entering the audience as it is collected.
//
// Proves: users who enter the audience in real time are picked up from the audience's enter events and
// enriched alongside the backfill; nobody is called twice although backfill and real-time paths overlap
// (a user can be both scanned and entering); every user ends with a UUID and the audience drains.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'realtime_arrivals',
  description: '60 backfilled users plus 100 arriving at 50/s while the job runs: all enriched once.',
  lytics+: { segments+: [{ slug: 'everyone', ql: 'FILTER EXISTS user_id' }] },
  ansira+: { latency: { kind: 'uniform', min_ms: 5, max_ms: 25, operation: 'create_user' } },
  profiles+: { generate: { count: 60 } },
  steps: v.steps.create_all + [
    { collect_rate: { stream: 'web', count: 100, per_s: 50, generate: { missing_email: 0.05 } } },
    v.steps.drain(),
  ],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.one_call_per_user,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    v.checks.no_duplicates,
    { kind: 'outcomes', name: 'backfilled and arriving users all enriched', enriched: { min: 150 },
      omitted: { equals: 0 } },
    { kind: 'audience_size', name: 'the arrivals are 100 new profiles, not merges', segment: 'everyone',
      size: { equals: 160 } },
  ],
}
