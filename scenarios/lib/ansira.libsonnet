// Shared pieces for Lytics -> Ansira enrichment scenarios: the seed's six set-up steps as data.
// A variant is `base + { ansira+: { ... } }` or `base + { profiles+: { ... } }`.
{
  source_code:: 'LYTICS2024',

  // Step 2 of the seed: the source audience, "all users with an email address and no UUID".
  source_audience:: {
    slug: 'ansira_enrichment_source',
    ql: 'FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source',
  },

  // Step 3: the seed's webhook template (keyName hard-coded, as in the guide).
  template(source_code):: {
    name: 'ansira_temp',
    type: 'jsonnet',
    source: |||
      local event = (import "lytemplates.libsonnet");
      {
        "email": event.get("email", ""),
        "sourceCode": {
          "keyName": "%s"
        }
      }
    ||| % source_code,
  },

  // Step 4: schema fields and mappings. `web` carries the users; `ansira` carries Ansira's answers.
  fields:: [
    { id: 'email', type: 'string', is_identifier: true, shortdesc: 'Email' },
    { id: 'user_id', type: 'string', is_identifier: true, shortdesc: 'User id' },
    { id: 'first_name', type: 'string', mergeop: 'latest' },
    { id: 'last_name', type: 'string', mergeop: 'latest' },
    { id: 'city', type: 'string', mergeop: 'latest' },
    { id: 'ansira_uuid', type: 'string', mergeop: 'latest', shortdesc: 'Ansira UUID' },
  ],
  mappings:: [
    { field: 'email', stream: 'web', expr: 'email(email)' },
    { field: 'user_id', stream: 'web', expr: 'user_id' },
    { field: 'first_name', stream: 'web', expr: 'first_name' },
    { field: 'last_name', stream: 'web', expr: 'last_name' },
    { field: 'city', stream: 'web', expr: 'city' },
    { field: 'email', stream: 'ansira', expr: 'email(origin.email)' },
    { field: 'ansira_uuid', stream: 'ansira', expr: 'response.uuid' },
  ],

  // Step 1: the OAuth 2.0 client-credentials authorization, token as the access_token request parameter.
  auth:: {
    label: 'ansira',
    type: 'webhook-oauth2-client-credentials',
    config: {
      token_url: '{{ansira_token_url}}',
      client_id: '{{ansira_client_id}}',
      client_secret: '{{ansira_client_secret}}',
      webhook_request_params: 'access_token={token}',
    },
  },

  // Step 5: the real-time enrichment job.
  job(withbackfill=true, workers=5):: {
    name: 'ansira_enrichment',
    auths: ['ansira'],
    config: {
      segment_ids: ['ansira_enrichment_source'],
      stream: 'ansira',
      template_id: 'ansira_temp',
      webhook_url: '{{ansira_user_url}}',
      http_method: 'POST',
      user_fields: ['email'],
      withbackfill: withbackfill,
      worker_count: workers,
    },
  },

  // A complete scenario to extend.
  base:: {
    seed: 42,
    ansira: { source_codes: [$.source_code] },
    lytics: {
      fields: $.fields,
      mappings: $.mappings,
      segments: [$.source_audience],
      templates: [$.template($.source_code)],
      auths: [$.auth],
      jobs: [$.job()],
    },
    profiles: { stream: 'web', generate: { count: 200 } },
    steps: [
      { create_profiles: 'all' },
      { create_jobs: 'all' },
      { wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 60 } },
    ],
  },

  // Step 6: validate that the flow works.
  checks:: {
    all_enriched: {
      kind: 'profiles', name: 'every user with an email has an Ansira UUID',
      where: 'FILTER EXISTS email', expect: 'FILTER EXISTS ansira_uuid',
    },
    one_call_per_user: {
      kind: 'ansira_calls', name: 'exactly one Ansira call per user with an email',
      per_user: { equals: 1 }, users: 'FILTER EXISTS email',
    },
    audience_drained: {
      kind: 'audience_size', name: 'the source audience ends empty',
      segment: 'ansira_enrichment_source', size: { equals: 0 },
    },
    nothing_pending: { kind: 'outcomes', name: 'no user left pending', pending: { equals: 0 } },
  },
}
