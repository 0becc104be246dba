"""What a finished run looked like, read back from the mocks and the runner, for the checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.scenario.model import Scenario


@dataclass
class RunState:
    profiles: list[dict[str, Any]]
    segment_sizes: dict[str, int]
    journal: list[dict[str, Any]]
    journal_summary: dict[str, Any]
    outcomes: list[dict[str, Any]]
    outcome_summary: dict[str, Any]
    duration_s: float
    runner_errors: list[str] = field(default_factory=list)
    job_status: dict[str, str] = field(default_factory=dict)
    max_workers: int = 1
    ansira_users: list[dict[str, Any]] = field(default_factory=list)  # what mock Ansira stored, by the end
    scenario: Scenario | None = None  # what ran: set-up checks read its jobs, templates and mappings
    source_codes: list[str] = field(default_factory=list)  # Ansira's known source codes
    # request_id -> the runner's record of that webhook request (sent_ts, received_ts, status, retry_after)
    runner_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    runner_counters: dict[str, int] = field(default_factory=dict)  # summed over the jobs (OutcomeLog counters)


# Remote failures the runner copes with, logged at INFO one by one (a scenario often injects them on purpose):
# the report prints their totals once per scenario instead.
HANDLED = (("job_errors", "job errors"), ("rate_limited", "429s"), ("http_5xx", "5xx answers"),
           ("transport_errors", "transport errors"), ("token_errors", "token errors"),
           ("writeback_failures", "failed write-backs"))


def handled_failures(counters: dict[str, int]) -> dict[str, int]:
    """The HANDLED totals from a runner's counters (5xx summed over the statuses), zeros left out."""
    c = dict(counters)
    c["http_5xx"] = sum(n for k, n in counters.items() if k.startswith("http_5"))
    return {label: int(c[key]) for key, label in HANDLED if c.get(key)}
