// Pieces the library's scenarios share on top of ansira.libsonnet: templates, mappings and steps that differ
// from the seed guide's set-up. Each is a small, named deviation, so a scenario reads as "base + this change".
local ansira = import 'ansira.libsonnet';

{
  // The audience the seed guide uses; every scenario's job watches it.
  audience:: ansira.source_audience.slug,

  // Template whose keyName comes from the profile (default: the seed's code), as multi-brand set-ups do.
  dynamic_source_template(default_code):: ansira.template(default_code) {
    source: |||
      local event = (import "lytemplates.libsonnet");
      {
        "email": event.get("email", ""),
        "sourceCode": {
          "keyName": event.get("source_code", "%s")
        }
      }
    ||| % default_code,
  },

  // Template that also sends the user's names (Ansira stores them as firstName / lastName).
  names_template(code):: ansira.template(code) {
    source: |||
      local event = (import "lytemplates.libsonnet");
      {
        "email": event.get("email", ""),
        "firstName": event.get("first_name", null),
        "lastName": event.get("last_name", null),
        "sourceCode": { "keyName": "%s" }
      }
    ||| % code,
  },

  // The guide's mappings with one mapping replaced (matched on field + stream).
  replace_mapping(field, stream, with):: [
    if m.field == field && m.stream == stream then with else m
    for m in ansira.mappings
  ],

  // `email` copied as it arrives (no `email()` clean-up), so malformed addresses reach Ansira.
  raw_email_mappings:: $.replace_mapping('email', 'web', { field: 'email', stream: 'web', expr: 'email' }),

  // The job, with config keys changed.
  job(config={}, withbackfill=true, workers=5):: ansira.job(withbackfill, workers) { config+: config },

  steps:: {
    create_all: [{ create_profiles: 'all' }, { create_jobs: 'all' }],
    // Wait until the runner is idle and the audience is empty (the healthy end state).
    drain(timeout_s=60):: { wait_until: { idle: true, audience_empty: $.audience, timeout_s: timeout_s } },
    // Wait until the runner is idle (users may legitimately stay in the audience).
    idle(timeout_s=60):: { wait_until: { idle: true, timeout_s: timeout_s } },
  },

  checks:: ansira.checks {
    no_duplicates: { kind: 'no_duplicate_calls', name: 'no user answered successfully twice' },
    drains: { kind: 'audience_drains', name: 'every enriched user left the source audience' },
    job_running: { kind: 'job_status', name: 'the job is still running', job: 'ansira_enrichment',
                   status: 'running' },
  },
}
