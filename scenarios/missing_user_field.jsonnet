// A field the template reads is not exported: the template sends `firstName`/`lastName` from the profile's
// `first_name`/`last_name`, but the job's user_fields list only `email`, so the template sees the defaults.
//
// Proves the symptom, so it can be recognised: every call succeeds and every user is enriched, yet Ansira
// stores no name for anyone although every profile has one. Nothing fails at run time: this mistake is
// silent. This scenario asserts the symptom and passes; the checks that flag the set-up are
// `{kind: 'template'}` (the template reads 'first_name', which the job does not export) and
// `{kind: 'ansira_received', fields: {firstName: 'first_name'}}` (names the missing user_fields entry);
// tests/scenarios/test_library.py proves both fail here.
local ansira = import 'lib/ansira.libsonnet';
local v = import 'lib/variants.libsonnet';

ansira.base {
  name: 'missing_user_field',
  description: 'The template reads first_name/last_name, the job exports only email: Ansira gets no names, silently.',
  lytics+: { templates: [v.names_template(ansira.source_code)] },  // the job keeps user_fields: ['email']
  profiles+: { generate: { count: 100 } },
  steps: v.steps.create_all + [v.steps.drain()],
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.audience_drained,
    { kind: 'ansira_received', name: 'Ansira never got the first name the profile has', quantifier: 'none',
      users: 'FILTER AND (EXISTS email, EXISTS first_name)', fields: { firstName: 'first_name' } },
    { kind: 'ansira_received', name: 'nor the last name', quantifier: 'none',
      users: 'FILTER AND (EXISTS email, EXISTS last_name)', fields: { lastName: 'last_name' } },
    { kind: 'outcomes', name: 'nothing failed at run time', enriched: { equals: 100 }, omitted: { equals: 0 } },
  ],
}
