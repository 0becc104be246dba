// Malformed responses: Ansira does the work but some 2xx answers arrive as broken JSON (a stray `,,`) or
// cut in half.
//
// Proves the Lytics semantics chosen here: a 2xx answer is a delivered request, so it is not retried (that
// would call Ansira twice for a request it already processed); a 2xx whose body is not JSON cannot be
// written back, so the user is omitted with the reason "non-JSON <status> body" and stays in the audience
// without a UUID (a later restart would send it again, an upsert). Ansira nonetheless holds every user.
// Every intact answer is written back and those users leave the audience.
// How: 120 users; malformed_json with probability 0.1 and truncated_json on every 9th call.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'malformed_responses',
  description: '2xx answers with broken or truncated JSON: omitted as "non-JSON", never retried, others enriched.',
  ansira+: {
    faults: [
      { kind: 'malformed_json', operation: 'create_user', probability: 0.1 },
      { kind: 'truncated_json', operation: 'create_user', every_nth: 9 },
    ],
  },
  profiles+: { generate: { count: 120 } },
  steps: v.steps.create_all + [v.steps.idle()],
  checks: [
    { kind: 'outcomes', name: 'unreadable answers omitted as non-JSON, the rest enriched',
      enriched: { min: 80 }, pending: { equals: 0 }, omitted_reasons: { 'non-JSON': { min: 13 } } },
    { kind: 'ansira_calls', name: 'a delivered request is never retried', per_user: { equals: 1 } },
    { kind: 'ansira_received', name: 'Ansira holds every user, parsed answer or not', fields: { email: 'email' } },
    { kind: 'audience_size', name: 'users whose answer was unreadable stay in the audience', segment: v.audience,
      size: { min: 13 } },
    v.checks.drains,
    v.checks.no_duplicates,
  ],
}
