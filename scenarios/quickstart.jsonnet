// Quickstart: the integration guide's six steps, end to end.
//
// Proves: with an OAuth client-credentials authorization (token as `access_token` request parameter), the
// source audience `FILTER AND (EXISTS email, NOT EXISTS ansira_uuid)`, the guide's template, the `ansira`
// stream mappings and a backfilling webhook_enrichment job, every existing user with an email is sent to
// Ansira exactly once, gets an `ansira_uuid` written back, and leaves the audience, which ends empty.
local ansira = import 'lib/ansira.libsonnet';

ansira.base {
  name: 'quickstart',
  description: 'The seed integration guide end to end: 200 Faker users backfilled, each enriched once.',
  profiles+: { generate: { count: 200, missing_email: 0.1 } },
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.one_call_per_user,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
    { kind: 'token_fetches', name: 'one token shared by all workers', count: { equals: 1 } },
    { kind: 'outcomes', name: 'nobody omitted', enriched: { min: 1 }, omitted: { equals: 0 } },
  ],
}
