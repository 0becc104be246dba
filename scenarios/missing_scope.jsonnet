// The authorization asks Ansira for a read-only scope: tokens are issued, every upsert is refused.
//
// Proves: a scope mistake shows up as what it is. Ansira grants `users.read` (the auth's `scopes`) and answers
// each user call 403 insufficient_scope, naming the scope it wanted; 403 is not on Lytics' never-retry list,
// so the job retries, goes through its error backoffs and ends `failed`, and nobody is dropped or silently
// omitted: every user stays pending in the audience until the authorization is fixed.
// How: mock Ansira's `required_scopes` asks for `users.write` on create_user; the client may have both scopes,
// the Lytics auth requests only `users.read`. The runner's job backoffs are shortened.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'missing_scope',
  description: 'The auth requests users.read only: every upsert gets 403 insufficient_scope, the job fails, every user stays pending.',
  runner: { job_backoff_s: 0.05, job_errors_before_failed: 2, backoff_base_s: 0.001, backoff_cap_s: 0.01 },
  ansira+: {
    clients: [{ client_id: 'lytics-sim', scopes: ['users.read', 'users.write'] }],
    required_scopes: { create_user: 'users.write' },
  },
  lytics+: { auths: [ansira.auth { config+: { scopes: 'users.read' } }] },
  profiles+: { generate: { count: 60 } },
  steps: v.steps.create_all + [
    { wait_until: { idle: false, job_status: { ansira_enrichment: 'failed' }, timeout_s: 30 } },
  ],
  checks: [
    { kind: 'job_status', name: 'the job ends failed', job: 'ansira_enrichment', status: 'failed' },
    { kind: 'ansira_calls', name: 'every upsert refused for its scope',
      total: { min: 10 }, status: { '403': { min: 10 }, '201': { equals: 0 }, '200': { equals: 0 } } },
    { kind: 'token_fetches', name: 'tokens were issued (the credentials are right)', count: { min: 1 } },
    { kind: 'profiles', name: 'nobody enriched', quantifier: 'none', expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'audience_size', name: 'every user still waits in the audience', segment: v.audience,
      size: { equals: 60 } },
    { kind: 'outcomes', name: 'nobody dropped or omitted: the users in hand stay pending',
      enriched: { equals: 0 }, omitted: { equals: 0 }, pending: { min: 1 } },
  ],
}
