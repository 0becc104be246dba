// Load smoke: a small backfill and a few seconds of new users at 50 events/s, through `harness load`.
//
// Proves: the load pipeline end to end in seconds — locust drives mock Lytics' collect endpoint while the runner
// backfills 100 users; every user (backfill and real-time) ends enriched, none lost, latency measured server-side.
// As a plain scenario (`harness run`) it is the backfill alone, with its checks.
local ansira = import '../lib/ansira.libsonnet';

ansira.base {
  name: 'load_smoke',
  description: 'Load smoke: 100 users backfilled while locust sends 50 new users/s for 3 s.',
  profiles+: { generate: { count: 100 } },
  checks: [ansira.checks.all_enriched, ansira.checks.nothing_pending],
  load: {
    arrival_rate: 50,
    duration_s: 3,
    events: { stream: 'web', update_ratio: 0.1 },
    drain_timeout_s: 30,
    thresholds: [
      'lost_users == 0',
      'users_pending == 0',
      'realtime_enriched >= 0.9 * new_users_sent',
      'enrich_latency_p99_ms < 2000',
      'collect_failure_ratio < 0.01',
    ],
  },
}
