"""The runner's options: RunnerOptions (checked on construction) and the rules that check them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerOptions:
    request_timeout_s: float = 10.0
    rate_limit: float | None = None  # client-side requests/s shared by the job's workers
    rate_burst: int | None = None
    failures_before_job_error: int = 10
    job_errors_before_failed: int = 5
    job_backoff_s: float = 1.0
    max_attempts_per_user: int = 30
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 5.0
    scan_page_size: int = 500
    writeback_batch: int = 100
    max_calls: int | None = None  # hard cap on webhook requests (live mode safety)
    # users picked up whose write-back has not landed yet (None = 2 x worker_count): what a crash can cost a
    # second call; room above worker_count keeps workers sending while a batch lands (measured: +7 % with no
    # latency, +26 % at 50 ms, docs/performance.md); more buys throughput for a wider crash window
    max_unlanded: int | None = None
    # users rendered in one go-jsonnet evaluation when a worker renders: its own and the next ones queued (1 =
    # each alone); the others keep their body until a worker takes them (enrich_templates.batch, measured in
    # docs/performance.md). A batch one user's fault fails is rendered user by user, so nothing else changes.
    render_batch: int = 16
    dry_run: bool = False
    # TEST-ONLY FAULT: the runner logs a Retry-After but does not sleep it out, retrying at once. It exists to
    # prove the retry_after_respected check and the load report's retry_after_violations catch a runner that
    # ignores Retry-After (tests/reliability/test_retry_after.py); never set it against a real Ansira.
    ignore_retry_after: bool = False
    # The scenario expects its job to end `failed` (a job_status check or a wait on `failed`; the scenario engine
    # sets it): the failure is logged at INFO, since a CI reader takes an ERROR line for a broken run. The job's
    # Lytics log still records it as an error.
    job_failure_expected: bool = False
    # one runner per job: the job's lease in mock Lytics, renewed every report; a successor of a runner that
    # died takes the job over after at most this long
    lease_ttl_s: float = 5.0
    # hosts besides loopback where plain-http token, webhook and template URLs are accepted: the mocks as service
    # containers in CI (`harness serve --allow-http-host NAME`); everything else must be https
    allow_http_hosts: tuple[str, ...] = ()

    def unlanded_limit(self, worker_count: int) -> int:
        return max(1, self.max_unlanded or 2 * worker_count)

    def __post_init__(self) -> None:
        """A wrong type or range is an error here, not a crash inside a worker thread later."""
        hosts = self.allow_http_hosts
        if not isinstance(hosts, list | tuple) or not all(isinstance(h, str) and h.strip() for h in hosts):
            raise ValueError(f"allow_http_hosts: expected a list of host names, got {hosts!r}")
        object.__setattr__(self, "allow_http_hosts", tuple(h.strip().lower() for h in hosts))
        for name, (kind, lo, optional) in _OPTION_RULES.items():
            value = getattr(self, name)
            if value is None and optional:
                continue
            ok = isinstance(value, bool) if kind is bool else (
                isinstance(value, kind) and not isinstance(value, bool) and getattr(self, name) >= lo)
            if not ok:
                want = "true or false" if kind is bool else f"{'an integer' if kind is int else 'a number'} >= {lo:g}"
                raise ValueError(f"{name}: expected {want}{' or null' if optional else ''}, got {value!r}")


# options checked by __post_init__ itself rather than by a (type, minimum) rule
_LIST_OPTIONS = frozenset({"allow_http_hosts"})
# option -> (type, minimum, may be None); int options refuse floats, number options take ints
_OPTION_RULES: dict[str, tuple[type | tuple[type, ...], float, bool]] = {
    "request_timeout_s": ((int, float), 0.001, False), "rate_limit": ((int, float), 0.001, True),
    "rate_burst": (int, 1, True), "failures_before_job_error": (int, 1, False),
    "job_errors_before_failed": (int, 1, False), "job_backoff_s": ((int, float), 0, False),
    "max_attempts_per_user": (int, 1, False), "backoff_base_s": ((int, float), 0, False),
    "backoff_cap_s": ((int, float), 0, False), "scan_page_size": (int, 1, False), "writeback_batch": (int, 1, False),
    "max_calls": (int, 0, True), "max_unlanded": (int, 1, True), "dry_run": (bool, 0, False),
    "render_batch": (int, 1, False), "ignore_retry_after": (bool, 0, False), "lease_ttl_s": ((int, float), 0.1, False),
    "job_failure_expected": (bool, 0, False),
}
