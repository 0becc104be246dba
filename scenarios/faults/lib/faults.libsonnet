// The fault matrix: one scenario builder per failure production can throw at the runner.
//
// Every case ends with the same proof (`proof`): each user with an email is enriched (the profile has an
// ansira_uuid) or omitted with a reason, nobody is left pending or unaccounted for, and nobody is called again
// after their enrichment landed. Builders take the size of the case, so `make test` runs short versions
// (scenarios/faults/*.jsonnet) and `make reliability` the long ones (scenarios/faults/full/*.jsonnet).
local a = import '../../lib/ansira.libsonnet';

{
  local faults = self,

  drain(timeout_s=60):: { wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: timeout_s } },
  // Generous: a wait that runs out is a failed case, and a loaded 2-core machine runs long cases slowly.
  drain_for(users, extra_s=0):: faults.drain(60 + users / 10 + extra_s),
  settle(timeout_s=60):: { wait_until: { idle: true, timeout_s: timeout_s } },
  // Mid-run: wait until `n` users were enriched, so the next step's fault lands while the job is busy.
  mid_run(n):: { wait_until: { idle: false, enriched_min: n, timeout_s: 60 } },

  // The checks every fault case must pass.
  proof:: [
    { kind: 'accounted', name: 'every user enriched or omitted with a reason (zero unaccounted)' },
    { kind: 'no_call_after_enriched', name: 'no Ansira call after a user was enriched' },
    { kind: 'no_duplicate_calls', name: 'no user answered successfully twice' },
    a.checks.nothing_pending,
  ],
  // ...and, where nothing may be omitted, these as well.
  all_enriched:: [
    a.checks.all_enriched,
    a.checks.audience_drained,
    { kind: 'outcomes', name: 'nobody omitted', omitted: { equals: 0 }, pending: { equals: 0 } },
  ],

  // A quickstart-shaped case with `users` Faker users, a little latency so workers overlap, and fast retries.
  case(name, description, users, ansira={}, runner={}, workers=5, steps=null, checks=[]):: a.base {
    name: name,
    description: description,
    ansira+: { latency: { kind: 'fixed', ms: 5 } } + ansira,
    runner: { backoff_base_s: 0.02, backoff_cap_s: 0.5 } + runner,
    lytics+: { jobs: [a.job(workers=workers)] },
    profiles+: { generate: { count: users } },
    steps: if steps == null then [{ create_profiles: 'all' }, { create_jobs: 'all' }, faults.drain_for(users)]
           else steps,
    checks: faults.proof + checks,
  },

  // Ansira answers 5xx to a share of user calls (default 20 %): retried with backoff until they succeed.
  server_errors(users, share=0.2):: faults.case(
    'ansira_5xx', 'Ansira answers %d%% of user calls with 500/502/503; every user is retried until enriched.' % (share * 100),
    users,
    ansira={ faults: [
      { kind: 'status', status: 503, operation: 'create_user', probability: share / 2 },
      { kind: 'status', status: 500, operation: 'create_user', probability: share / 4 },
      { kind: 'status', status: 502, operation: 'create_user', probability: share / 3 },
    ] },
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: '5xx answers happened', status: { '503': { min: 1 }, '500': { min: 1 } } },
    ],
  ),

  // Requests hang past the runner's request_timeout_s; some are processed first and only the answer is lost.
  timeouts(users):: faults.case(
    'ansira_timeouts', 'A share of user calls hang 1.5 s, past the runner request timeout of 0.3 s; some hang after Ansira stored the user. Timed-out calls are retried; Ansira upserts, so a lost answer costs a second call, not a second user.',
    users,
    ansira={ faults: [
      { kind: 'timeout', operation: 'create_user', hang_s: 1.5, probability: 0.06, name: 'hang' },
      { kind: 'timeout', operation: 'create_user', hang_s: 1.5, 'then': 'drop', process: true, probability: 0.04,
        name: 'hang-after-store' },
    ] },
    runner={ request_timeout_s: 0.3 },
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'hangs happened', status: { '504': { min: 1 }, '0': { min: 1 } } },
    ],
  ),

  // The connection is reset with no answer; half the time after Ansira stored the user.
  resets(users):: faults.case(
    'connection_resets', 'A share of user calls get a TCP reset instead of an answer, some after Ansira stored the user; all are retried until enriched.',
    users,
    ansira={ faults: [
      { kind: 'connection_reset', operation: 'create_user', probability: 0.05 },
      { kind: 'connection_reset', operation: 'create_user', probability: 0.05, process: true, name: 'reset-after-store' },
    ] },
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'resets happened', status: { '0': { min: 2 } } },
    ],
  ),

  // A 200 whose body is not JSON: the enrichment happened but cannot be written back, so the user is omitted
  // with the reason and stays in the audience (the next backfill retries it). Nobody may be lost or re-called.
  malformed(users):: faults.case(
    'malformed_json', 'A share of user calls answer 200 with a corrupted or truncated JSON body; those users are omitted with the reason "non-JSON 200 body", every other user is enriched.',
    users,
    ansira={ faults: [
      { kind: 'malformed_json', operation: 'create_user', probability: 0.06 },
      { kind: 'truncated_json', operation: 'create_user', probability: 0.04 },
    ] },
    steps=[{ create_profiles: 'all' }, { create_jobs: 'all' }, faults.settle(60 + users / 10)],
    checks=[
      { kind: 'outcomes', name: 'corrupted answers omitted with their reason, nobody else',
        enriched: { min: 1 }, pending: { equals: 0 }, omitted_reasons: { 'non-JSON 200 body': { min: 1 } } },
      { kind: 'ansira_calls', name: 'one call per user (an omitted user is not retried)', per_user: { equals: 1 } },
    ],
  ),

  // Ansira is down (503) for `seconds` once a quarter of the users are enriched; the job backs off and resumes.
  outage(users, seconds, latency_ms=20):: faults.case(
    'ansira_outage_%ds' % seconds, 'Ansira answers every call with 503 for %g s from the moment a quarter of the backfill is enriched; the job backs off (job errors) and resumes; every user is enriched once the outage ends.' % seconds,
    users,
    ansira={ latency: { kind: 'fixed', ms: latency_ms } },
    steps=[
      { create_profiles: 'all' },
      { create_jobs: 'all' },
      faults.mid_run(std.floor(users / 4)),
      { ansira_behaviour: { faults: [{ kind: 'outage', duration_s: seconds }] } },  // the window opens now
      faults.drain_for(users, 3 * seconds),
    ],
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'the outage hit the backfill', status: { '503': { min: 5 }, '201': { min: 1 } } },
      { kind: 'job_status', name: 'the job survived the outage', job: 'ansira_enrichment', status: 'running' },
    ],
  ),

  // The token endpoint is down when the job starts, then comes back: for its first `failures` requests (more
  // than the 10 consecutive failures that put the job in error backoff), or for `seconds` from job creation.
  token_down(users, failures=12, seconds=null):: faults.case(
    'token_endpoint_down', 'The token endpoint answers 503 ' + (if seconds == null then 'to its first %d requests' % failures else 'for %g s from job creation' % seconds) + '; workers back off (a job error), fetch one token once it is back, and enrich everyone.',
    users,
    steps=[
      { create_profiles: 'all' },
      { ansira_behaviour: { faults: [
        if seconds == null then { kind: 'status', status: 503, operation: 'token', first_n: failures, name: 'token-down' }
        else { kind: 'outage', operation: 'token', duration_s: seconds, name: 'token-down' },
      ] } },
      { create_jobs: 'all' },
      faults.drain_for(users, if seconds == null then 10 else 3 * seconds),
    ],
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'token fetches failed first', operation: 'token', status: { '503': { min: 1 } } },
      { kind: 'token_fetches', name: 'one token once the endpoint was back', count: { equals: 1 } },
      { kind: 'ansira_calls', name: 'no user call before a token', status: { '401': { equals: 0 } } },
    ],
  ),

  // Every token is revoked mid-run; in the `token_down` variant the token endpoint is down when the runner
  // goes to fetch a new one.
  revoked(users, token_down_s=0):: faults.case(
    if token_down_s > 0 then 'token_revoked_endpoint_down' else 'token_revoked',
    'Every token is revoked mid-run' + (if token_down_s > 0 then ' while the token endpoint goes down for %g s' % token_down_s else '') + '; the runner gets 401, refetches a token once per revocation and retries the call.',
    users,
    ansira={ latency: { kind: 'fixed', ms: 10 } },
    steps=[{ create_profiles: 'all' }, { create_jobs: 'all' }, faults.mid_run(std.floor(users / 4))]
          + (if token_down_s > 0 then [{ ansira_behaviour: { faults: [
            { kind: 'outage', operation: 'token', duration_s: token_down_s }] } }] else [])
          + [{ revoke_tokens: 'all' }, faults.drain_for(users, 3 * token_down_s)],
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'revoked tokens were refused', status: { '401': { min: 1 } } },
      { kind: 'token_fetches', name: 'a new token after the revocation', count: { min: 2, max: 3 } },
    ] + (if token_down_s > 0 then [
      { kind: 'ansira_calls', name: 'the refetch met the outage', operation: 'token', status: { '503': { min: 1 } } },
    ] else []),
  ),

  // A 429 storm from Ansira's rate limiter, with Retry-After (the job sleeps) or without (plain retries).
  // The first calls are answered 429 by a seeded fault as well (as the limiter would answer them, with or without
  // Retry-After), so the storm the checks ask for happens on any machine: how many 429s the bucket alone gives
  // depends on how fast the runner sends, and a starved runner (the fault matrix runs three cases at once, CI
  // runners share cores) can stay under 40/s and meet none (measured: `make flake`, 1 suite run of 3).
  rate_limited(users, retry_after=true):: faults.case(
    if retry_after then 'rate_limit_retry_after' else 'rate_limit_no_retry_after',
    'Ten workers against a %d/s token bucket (burst %d), the first %d calls answered 429 whatever the pace; ' % [if retry_after then 15 else 40, 5, if retry_after then 2 else 5] + (if retry_after then '429s carry Retry-After and the whole job sleeps it out.' else '429s carry no Retry-After or X-RateLimit headers; the runner backs off with jitter.'),
    users,
    // With Retry-After every 429 costs the whole job a second, so a tight bucket still finishes quickly; without
    // it a tight bucket would turn the storm into job errors (10 straight 429s) and fail the job, by design.
    ansira={
      clients: [{ client_id: 'lytics-sim', rate_limit: if retry_after
        then { kind: 'token_bucket', rate: 15, burst: 5, headers: true }
        else { kind: 'token_bucket', rate: 40, burst: 5, headers: false } }],
      faults: [{ kind: 'status', status: 429, operation: 'create_user', first_n: if retry_after then 2 else 5 }
               + (if retry_after then { retry_after_s: 1 } else {})],
    },
    workers=10,
    checks=faults.all_enriched + [
      { kind: 'ansira_calls', name: 'a 429 storm happened', status: { '429': { min: if retry_after then 2 else 5 } } },
    ] + (if retry_after then [
      // judged by the runner's own send and receive times (docs/reliability.md, "Retry-After"): no grace needed
      { kind: 'retry_after_respected' },
    ] else []),
  ),

  // Mock Lytics refuses the write-back stream for a while, mid-run: the responses wait and retry; nothing is
  // lost, Ansira is not called again, and the job stops calling Ansira while its answers cannot land.
  collect_failing(users, seconds=1.5):: faults.case(
    'lytics_collect_failing', 'Mock Lytics answers 503 to every write-back on the ansira stream for %g s from the moment a quarter of the users are enriched; the write-back retries until it lands, nobody is lost and nobody is called twice.' % seconds,
    users,
    steps=[
      { create_profiles: 'all' },
      { create_jobs: 'all' },
      faults.mid_run(std.floor(users / 4)),
      { lytics_faults: { collect: { status: 503, duration_s: seconds, stream: 'ansira' } } },
      faults.drain_for(users, seconds),
    ],
    checks=faults.all_enriched + [a.checks.one_call_per_user],
  ),
}
