// Wrong client secret for good: the authorization was saved with a secret Ansira never accepts.
//
// Proves: the job does not spin or call the user API without a token. Every token request is refused
// (401 invalid_client), the job goes through its error backoffs and ends `failed`, and no user is dropped or
// silently omitted: nobody gets a UUID and everyone stays in the source audience, to be enriched once the
// authorization is fixed and the job restarted.
// How: the auth's client_secret is a literal wrong value; the runner's job backoffs are shortened.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'wrong_secret',
  description: 'A secret Ansira never accepts: the job fails, no user API call, every user stays pending.',
  runner: { job_backoff_s: 0.05, job_errors_before_failed: 2, backoff_base_s: 0.001, backoff_cap_s: 0.01 },
  lytics+: { auths: [ansira.auth { config+: { client_secret: 'not-the-secret-ansira-issued' } }] },
  profiles+: { generate: { count: 60 } },
  steps: v.steps.create_all + [
    { wait_until: { idle: false, job_status: { ansira_enrichment: 'failed' }, timeout_s: 30 } },
  ],
  checks: [
    { kind: 'job_status', name: 'the job ends failed', job: 'ansira_enrichment', status: 'failed' },
    { kind: 'ansira_calls', name: 'every token request refused', operation: 'token',
      total: { min: 10 }, status: { '401': { min: 10 }, '200': { equals: 0 } } },
    { kind: 'ansira_calls', name: 'the user API is never called without a token', total: { equals: 0 } },
    { kind: 'profiles', name: 'nobody enriched', quantifier: 'none', expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'audience_size', name: 'every user still waits in the audience', segment: v.audience,
      size: { equals: 60 } },
    { kind: 'outcomes', name: 'nobody dropped or omitted: the users in hand stay pending',
      enriched: { equals: 0 }, omitted: { equals: 0 }, pending: { min: 1 } },
  ],
}
