// Unknown source code: the template hard-codes keyName LYTICS2025, a code this Ansira instance does not know
// (it knows LYTICS2024): the classic copy-paste mistake from another environment.
//
// Proves: every call is answered HTTP 400 and every user is omitted after exactly one call (400 is never
// retried, so a wrong code costs one call per user, not a retry storm); omissions do not fail the job, so
// the job looks `running` while nobody is enriched: the symptom to look for is an audience that stays full
// and a job log of omissions. `harness template check --source-codes` or the scenario check
// `{kind: 'template'}` catches this before it runs (tests/scenarios prove that check fails here).
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'unknown_source_code',
  description: 'keyName unknown to Ansira: every user omitted after one 400, job still running, audience full.',
  lytics+: { templates: [ansira.template('LYTICS2025')] },
  profiles+: { generate: { count: 80 } },
  steps: v.steps.create_all + [v.steps.idle()],
  checks: [
    { kind: 'ansira_calls', name: 'every call answered 400, one per user', per_user: { equals: 1 },
      status: { '400': { equals: 80 } }, total: { equals: 80 } },
    { kind: 'outcomes', name: 'every user omitted with HTTP 400', enriched: { equals: 0 }, omitted: { equals: 80 },
      pending: { equals: 0 }, omitted_reasons: { 'HTTP 400': { equals: 80 } } },
    { kind: 'profiles', name: 'nobody enriched', quantifier: 'none', expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'audience_size', name: 'the audience stays full', segment: v.audience, size: { equals: 80 } },
    v.checks.job_running,
  ],
}
