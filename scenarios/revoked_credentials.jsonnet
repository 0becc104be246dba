// Revoked credentials mid-run: Ansira revokes every live token, and its token endpoint then refuses the
// client (`invalid_client`) for half a second, as during a credential rotation.
//
// Proves: the job recovers on its own. Each worker that meets the revoked token gets one 401, drops the
// token and fetches a new one; while the token endpoint refuses, workers back off instead of calling the
// user API without a token; once it answers again every remaining user is enriched, exactly once.
// (wrong_secret.jsonnet covers the other outcome: credentials that never work fail the job, users pending.)
// How: 150 users, 2 workers, 10 ms per call; once 5 users are enriched (the job holds a token), the fault is
// switched on and tokens are revoked.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'revoked_credentials',
  description: 'Tokens revoked and the token endpoint refusing for 0.5 s mid-run: the job recovers, nobody lost.',
  ansira+: { latency: { kind: 'fixed', ms: 10, operation: 'create_user' } },
  lytics+: { jobs: [v.job(workers=2)] },
  profiles+: { generate: { count: 150 } },
  steps: v.steps.create_all + [
    // an event, not a time: on a busy machine the job may not hold its first token yet after any fixed sleep
    { wait_until: { idle: false, enriched_min: 5, timeout_s: 60 } },
    { ansira_behaviour: { faults: [{ kind: 'invalid_client', operation: 'token', duration_s: 0.5,
                                     name: 'rotation' }] } },
    { revoke_tokens: 'all' },
    v.steps.drain(),
  ],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    v.checks.no_duplicates,
    { kind: 'ansira_calls', name: 'the token endpoint refused the client for a while', operation: 'token',
      status: { '401': { min: 1 }, '200': { min: 2 } } },
    { kind: 'ansira_calls', name: 'one 401 at most per worker from the revoked token', status: { '401': { max: 2 } } },
    { kind: 'outcomes', name: 'every user enriched', enriched: { equals: 150 }, omitted: { equals: 0 } },
    v.checks.job_running,
  ],
}
