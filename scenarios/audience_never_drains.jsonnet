// Audience that never drains: the `ansira` stream maps Ansira's UUID into `ansira_id`, but the source
// audience tests `ansira_uuid`. The write-back lands, yet nobody ever leaves the audience.
//
// Proves the symptom, so it can be recognised: every user is "enriched" (the runner's write-back landed and
// profiles carry `ansira_id`), the audience stays full, and when the job restarts (here: it is saved again,
// as after any edit) it re-reads its audience and calls Ansira for every user a second time; each restart
// costs a full round of paid calls. This scenario asserts that symptom and passes; the check that flags
// the misconfiguration is `{kind: 'audience_drains'}` (it names the field no mapping writes), and
// tests/scenarios/test_library.py proves it fails on this set-up, as does `no_duplicate_calls`.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'audience_never_drains',
  description: 'The write-back sets ansira_id, the audience tests ansira_uuid: it never drains; a restart calls everyone again.',
  lytics+: {
    fields+: [{ id: 'ansira_id', type: 'string', mergeop: 'latest', shortdesc: 'Ansira UUID (wrong field)' }],
    mappings: v.replace_mapping('ansira_uuid', 'ansira', { field: 'ansira_id', stream: 'ansira', expr: 'response.uuid' }),
  },
  profiles+: { generate: { count: 100 } },
  steps: v.steps.create_all + [
    v.steps.idle(),
    { update_job: { job: 'ansira_enrichment' } },
    v.steps.idle(),
  ],
  checks: [
    { kind: 'profiles', name: 'the write-back landed (ansira_id set)', where: 'FILTER EXISTS email',
      expect: 'FILTER EXISTS ansira_id' },
    { kind: 'profiles', name: 'but ansira_uuid, which the audience tests, is never set', quantifier: 'none',
      expect: 'FILTER EXISTS ansira_uuid' },
    { kind: 'audience_size', name: 'the audience stays full', segment: v.audience, size: { equals: 100 } },
    { kind: 'ansira_calls', name: 'the restart called every user again', per_user: { equals: 2 },
      status: { '201': { equals: 100 }, '200': { equals: 100 } } },
    { kind: 'outcomes', name: 'the runner counts everyone enriched', enriched: { equals: 100 },
      omitted: { equals: 0 } },
  ],
}
