"""The scenario's `load` section: validated here, when `harness load` reads the scenario."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from harness.errors import ScenarioError
from harness.load.catalogue import KNOWN
from harness.load.thresholds import Comparison, ThresholdSyntaxError, parse, unknown_metrics
from harness.scenario.model import Generate, Scenario, Strict, format_errors


class Stage(Strict):
    """k6 ramping-arrival-rate: the rate moves linearly to `rate` over `duration_s`."""

    duration_s: float = Field(gt=0, le=86_400)
    rate: float = Field(ge=0, le=100_000)


class Events(Strict):
    stream: str = "web"
    update_ratio: float = Field(0.0, ge=0, le=1, description="share of events that update an earlier load user")
    batch: int = Field(1, ge=1, le=500, description="events per collect request")
    email_domain: str = "load.example.com"
    extra: dict[str, Any] = Field(default_factory=dict, description="constant fields added to every new user")


class LoadSpec(Strict):
    arrival_rate: float = Field(0.0, ge=0, le=100_000, description="events/s; 0 = no client load")
    duration_s: float = Field(10.0, gt=0, le=86_400)
    stages: list[Stage] = Field(default_factory=list, description="ramping rate; replaces arrival_rate/duration_s")
    users: int | None = Field(None, ge=1, le=10_000, description="locust users sharing the arrivals")
    events: Events = Field(default_factory=Events)
    start_after_step: int | None = Field(None, ge=0, description="default: after the last create_jobs step")
    audience: str | None = Field(None, description="source audience slug; default the first job's first segment")
    backfill_users: int | None = Field(None, ge=0, le=1_000_000, description=(
        "generate this many profiles instead of profiles.generate.count: a heavy load run, a light plain scenario"))
    enrichment_field: str = "ansira_uuid"
    drain_timeout_s: float = Field(120.0, gt=0, le=86_400)
    thresholds: list[str] = Field(default_factory=list)
    server: Literal["werkzeug", "werkzeug-keepalive", "waitress", "lean"] = Field(
        "lean", description="HTTP server of both mocks (keep-alive unless plain werkzeug; lean costs least CPU)")
    seed: int | None = None

    @field_validator("thresholds")
    @classmethod
    def _parse(cls, value: list[str]) -> list[str]:
        problems = []
        for i, text in enumerate(value):
            try:
                ast = parse(text)
            except ThresholdSyntaxError as exc:
                problems.append(f"[{i}] {exc.message} at column {exc.pos + 1} of {text!r}")
                continue
            unknown = unknown_metrics(ast, set(KNOWN))
            if unknown:
                problems.append(f"[{i}] unknown metric {', '.join(unknown)} in {text!r} "
                                "(docs/load-testing.md lists the metrics)")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _plan(self) -> LoadSpec:
        if self.stages and "arrival_rate" in self.model_fields_set:
            raise ValueError("give arrival_rate + duration_s, or stages, not both")
        return self

    @property
    def parsed_thresholds(self) -> list[Comparison]:
        return [parse(t) for t in self.thresholds]

    @property
    def plan_stages(self) -> list[Stage]:
        """The arrival plan as stages: a constant rate is one stage starting at that rate."""
        return self.stages or [Stage(duration_s=self.duration_s, rate=self.arrival_rate)]

    @property
    def start_rate(self) -> float:
        return 0.0 if self.stages else self.arrival_rate

    @property
    def load_duration_s(self) -> float:
        return sum(s.duration_s for s in self.plan_stages)

    @property
    def peak_rate(self) -> float:
        return max([self.start_rate, *(s.rate for s in self.plan_stages)])

    @property
    def has_client_load(self) -> bool:
        return self.peak_rate > 0

    def locust_users(self) -> int:
        """Enough users that each has ~250 ms between its arrivals at the peak rate: a collect may take that long
        before arrivals are dropped."""
        if self.users is not None:
            return self.users
        return max(4, math.ceil(self.peak_rate / self.events.batch * 0.25))


def load_spec(sc: Scenario, *, file: str | None = None) -> LoadSpec:
    if sc.load is None:
        raise ScenarioError("the scenario has no `load` section: add one to run it with `harness load` "
                            "(docs/load-testing.md)", file=file, path="load")
    try:
        spec = LoadSpec.model_validate(sc.load)
    except ValidationError as exc:
        text = format_errors(exc, LoadSpec).replace("invalid scenario:\n  ", "", 1)
        raise ScenarioError("invalid load section:\n  " + "\n  ".join(
            f"load.{line.strip()}" if not line.strip().startswith("$") else f"load{line.strip()[1:]}"
            for line in text.splitlines()), file=file, path="load") from None
    if spec.start_after_step is not None and spec.start_after_step >= len(sc.steps):
        raise ScenarioError(f"load.start_after_step: {spec.start_after_step} is past the last step "
                            f"(the scenario has {len(sc.steps)})", file=file, path="load.start_after_step")
    return spec


def with_backfill(sc: Scenario, spec: LoadSpec) -> Scenario:
    """The scenario with `load.backfill_users` generated profiles (unchanged when the load section sets none)."""
    if spec.backfill_users is None:
        return sc
    gen = sc.profiles.generate or Generate(count=0)
    profiles = sc.profiles.model_copy(update={"generate": gen.model_copy(update={"count": spec.backfill_users})})
    return sc.model_copy(update={"profiles": profiles})
