"""The enrichment runner: what Lytics' webhook_enrichment job workers do, against any Lytics-shaped API."""

from harness.runner.job import EnrichmentJob
from harness.runner.options import RunnerOptions
from harness.runner.outcomes import ENRICHED, OMITTED, PENDING, Outcome, OutcomeLog
from harness.runner.supervisor import Runner

__all__ = ["ENRICHED", "OMITTED", "PENDING", "EnrichmentJob", "Outcome", "OutcomeLog", "Runner", "RunnerOptions"]
