"""Every metric a load run measures, by name: what thresholds may read and what the reports show."""

from __future__ import annotations

# name -> (side, description). side: "client" (locust), "server" (mocks, runner outcome log), "run" (orchestrator)
METRICS: dict[str, tuple[str, str]] = {
    # client side: locust, driving mock Lytics' collect endpoint
    "target_rate": ("client", "target arrival rate, events/s (mean over the load phase)"),
    "achieved_arrival_rate": ("client", "events sent per second over the load phase"),
    "events_sent": ("client", "events in collect requests that succeeded"),
    "new_users_sent": ("client", "new-user events that succeeded"),
    "updates_sent": ("client", "profile-update events that succeeded"),
    "dropped_arrivals": ("client", "arrivals skipped because every locust user was busy (k6: dropped_iterations)"),
    "collect_requests": ("client", "collect requests sent by locust"),
    "collect_failures": ("client", "collect requests that failed (status, transport)"),
    "collect_failure_ratio": ("client", "collect_failures / collect_requests"),
    "collect_p50_ms": ("client", "collect response time, median"),
    "collect_p95_ms": ("client", "collect response time, 95th percentile"),
    "collect_p99_ms": ("client", "collect response time, 99th percentile"),
    # server side: end-to-end latency from mock Lytics' own timestamps
    "enrich_latency_p50_ms": ("server", "collect that made a user enter the audience -> profile carries the "
                                        "enrichment field; median over real-time users"),
    "enrich_latency_p95_ms": ("server", "the same, 95th percentile"),
    "enrich_latency_p99_ms": ("server", "the same, 99th percentile"),
    "enrich_latency_max_ms": ("server", "the same, maximum"),
    "realtime_users": ("server", "users who entered the audience after the job started"),
    "realtime_enriched": ("server", "real-time users enriched"),
    # server side: users
    "backfill_users": ("server", "audience members when the job started"),
    "users_total": ("server", "users the job had to handle (backfill + real-time)"),
    "users_enriched": ("server", "profiles carrying the enrichment field"),
    "users_omitted": ("server", "users the runner omitted (400, assert, ...) still without the field"),
    "users_pending": ("server", "users the runner still had queued or in flight at the end"),
    "lost_users": ("server", "users neither enriched, omitted nor pending, users the runner counted as enriched "
                             "whose profile lacks the field, and new users locust sent that mock Lytics lacks"),
    "missing_profiles": ("server", "new users locust sent successfully that mock Lytics does not hold"),
    # server side: Ansira
    "ansira_requests": ("server", "create_user requests Ansira received"),
    "ansira_2xx": ("server", "create_user requests answered 2xx"),
    "ansira_429": ("server", "429s Ansira served"),
    "ansira_429_seen": ("server", "429s the runner saw"),
    "ansira_429_ratio": ("server", "ansira_429 / ansira_requests"),
    "ansira_5xx": ("server", "5xx answers Ansira served"),
    "duplicate_calls": ("server", "users answered 2xx more than once"),
    "token_fetches": ("server", "tokens Ansira issued"),
    "retries": ("server", "requests the runner sent again (Retry-After, backoff)"),
    "retry_after_honoured": ("server", "Retry-After answers the runner slept on"),
    "retry_after_violations": ("server", "requests inside a Retry-After window beyond those already in flight"),
    "achieved_rate": ("server", "Ansira 2xx per second, first call to last 2xx"),
    "ansira_limit": ("server", "Ansira's configured rate limit, requests/s (no samples when unlimited)"),
    "rate_ratio": ("server", "achieved_rate / ansira_limit"),
    "enrichments_per_s": ("server", "users enriched per second, job start to last enrichment"),
    "enrich_span_s": ("server", "job start to last enrichment, seconds"),
    # the run itself
    "duration_s": ("run", "load phase (locust start to exit), seconds"),
    "drain_s": ("run", "end of the load phase until nothing was left to do, seconds"),
    "runner_peak_rss_mb": ("run", "runner process peak resident memory, MB"),
    "runner_cpu_s": ("run", "runner process CPU seconds from the job's start to the end"),
    "ansira_cpu_s": ("run", "mock Ansira process CPU seconds from the job's start to the end"),
    "lytics_cpu_s": ("run", "mock Lytics process CPU seconds from the job's start to the end"),
    "locust_cpu_s": ("run", "locust process(es) CPU seconds"),
    "cpu_ms_per_enrichment": ("run", "runner + both mocks CPU from the job's start, per user enriched, ms"),
}

KNOWN = frozenset(METRICS)
