// Dynamic keyName: the template reads the source code from the profile instead of hard-coding it.
//
// Proves: a multi-brand set-up where `sourceCode.keyName` comes from each profile's `source_code` (default
// LYTICS2024 when the profile has none) sends every user with the right code; Ansira stores exactly that code;
// users whose code Ansira does not know (a retired code, a lower-case typo) are answered HTTP 400 and
// omitted: called once, never retried, no UUID, and they do not fail the job.
// How: 150 Faker users pick one of five codes or none; Ansira knows three of them.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

local known = ['LYTICS2024', 'PURINA_WEB', 'PURINA_APP'];
local unknown = ['RETIRED_2019', 'lytics2024'];
local quoted(codes) = std.join(', ', ['"%s"' % c for c in codes]);

ansira.base {
  name: 'dynamic_source_code',
  description: 'keyName from the profile: known codes reach Ansira as sent, unknown ones are omitted (HTTP 400).',
  ansira+: { source_codes: known },
  lytics+: {
    fields+: [{ id: 'source_code', type: 'string', mergeop: 'latest' }],
    mappings+: [{ field: 'source_code', stream: 'web', expr: 'source_code' }],
    templates: [v.dynamic_source_template(ansira.source_code)],
    jobs: [v.job({ user_fields: ['email', 'source_code'] })],
  },
  profiles+: { generate: { count: 150, missing_email: 0.05, pick: { source_code: known + unknown + [null] } } },
  steps: v.steps.create_all + [v.steps.idle()],
  checks: [
    { kind: 'profiles', name: 'users with a known code (or none) are enriched',
      where: 'FILTER AND (EXISTS email, OR (NOT EXISTS source_code, source_code IN (%s)))' % quoted(known),
      expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'profiles', name: 'users with an unknown code get no UUID', quantifier: 'none',
      where: 'FILTER AND (EXISTS email, source_code IN (%s))' % quoted(unknown),
      expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'ansira_received', name: "Ansira stored each user's own source code",
      users: 'FILTER AND (EXISTS email, source_code IN (%s))' % quoted(known),
      fields: { 'sourceCode.keyName': 'source_code' } },
    { kind: 'ansira_calls', name: 'one call per user, 400s not retried', per_user: { equals: 1 },
      status: { '400': { min: 1 } } },
    { kind: 'outcomes', name: 'unknown codes omitted with HTTP 400, nobody pending',
      enriched: { min: 1 }, pending: { equals: 0 }, omitted_reasons: { 'HTTP 400': { min: 1 } } },
    v.checks.drains,
    v.checks.job_running,
  ],
}
