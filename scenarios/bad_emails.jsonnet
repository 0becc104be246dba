// Bad emails: the `web` mapping copies `email` as it arrives (no `email()` clean-up), so malformed addresses
// ("not-an-email", "ann.lee", "lee@", "@example.com") land on profiles, enter the audience and reach Ansira.
//
// Proves: Ansira answers each malformed address HTTP 400; Lytics omits those users (HTTP 400 is never
// retried: exactly one call each) without failing the job; every well-formed address is enriched; no
// malformed one gets a UUID. Profiles that share the same malformed address merge into one (email is an
// identifier), which is also what Lytics does.
// How: 120 Faker users, 20% with a malformed address.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'bad_emails',
  description: 'Malformed addresses reach Ansira through a raw mapping: 400, omitted once, the rest enriched.',
  lytics+: { mappings: v.raw_email_mappings },
  profiles+: { generate: { count: 120, bad_email: 0.2 } },
  steps: v.steps.create_all + [v.steps.idle()],
  checks: [
    { kind: 'profiles', name: 'every well-formed address is enriched',
      where: 'FILTER exists(email(email))', expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'profiles', name: 'no malformed address gets a UUID', quantifier: 'none',
      where: 'FILTER AND (EXISTS email, NOT exists(email(email)))', expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'ansira_calls', name: 'one call per user, 400s not retried', per_user: { equals: 1 },
      status: { '400': { min: 1 } } },
    { kind: 'outcomes', name: 'malformed addresses omitted with HTTP 400',
      enriched: { min: 80 }, pending: { equals: 0 }, omitted_reasons: { 'HTTP 400': { min: 1 } } },
    v.checks.drains,
    v.checks.job_running,
  ],
}
