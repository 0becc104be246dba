// A ramping arrival rate into an idle job (k6's ramping-arrival-rate): 0 -> 120 new users/s over 20 s, held for
// 20 s, back to 0 over 10 s (120/s keeps a 2-core machine below saturation: docs/performance.md).
//
// Proves (with `harness load`): locust's users keep to an open-model schedule (the arrivals do not slow down when
// the system does; arrivals a busy user cannot send are counted as dropped, not hidden), and end-to-end latency
// measured on mock Lytics' clock stays low as the rate climbs. As a plain scenario it is the quickstart's backfill.
local ansira = import '../lib/ansira.libsonnet';

ansira.base {
  name: 'ramp',
  description: 'Load: ramp 0 -> 120 new users/s, hold, ramp down; latency and drops measured.',
  lytics+: { jobs: [ansira.job(true, 10)] },
  profiles+: { generate: { count: 100 } },
  checks: [ansira.checks.all_enriched, ansira.checks.nothing_pending],
  load: {
    backfill_users: 0,
    stages: [{ duration_s: 20, rate: 120 }, { duration_s: 20, rate: 120 }, { duration_s: 10, rate: 0 }],
    drain_timeout_s: 120,
    thresholds: ['lost_users == 0', 'dropped_arrivals == 0', 'achieved_arrival_rate >= 0.95 * target_rate',
                 'enrich_latency_p99_ms < 500'],
  },
}
