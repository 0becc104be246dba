"""The scenario schema. Unknown keys are errors: a typo must never be silently ignored."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ScenarioError
from harness.scenario.hints import format_errors
from mock_lytics import filterql


class Strict(BaseModel):
    """No unknown keys, and no coercion: `count: '500'` is a string, not a number (an integer is still a float)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Bound(Strict):
    """A numeric expectation: any of equals / min / max (inclusive)."""

    equals: float | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some(self) -> Bound:
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("give at least one of equals, min, max")
        return self

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        if self.equals is not None and value != self.equals:
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def describe(self) -> str:
        if self.equals is not None:
            return f"== {_num(self.equals)}"
        parts = []
        if self.min is not None:
            parts.append(f">= {_num(self.min)}")
        if self.max is not None:
            parts.append(f"<= {_num(self.max)}")
        return " and ".join(parts)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _filterql(text: str, *, segment: bool = False) -> str:
    """Parse FilterQL at load time, so a typo fails before the stack starts, not after a whole run."""
    try:
        flt = filterql.parse_condition(text)
    except filterql.FilterQLError as exc:
        raise ValueError(f"FilterQL: {exc}") from None
    if segment and (flt.table or "user").lower() != "user":
        raise ValueError(f"FilterQL: FROM {flt.table!r}: only the 'user' table is simulated")
    return text


FilterQL = Annotated[str, AfterValidator(_filterql)]
SegmentQL = Annotated[str, AfterValidator(lambda t: _filterql(t, segment=True))]


# -- Lytics set-up ------------------------------------------------------------------------------------------
class Field_(Strict):
    id: str
    type: str = "string"
    is_identifier: bool = False
    mergeop: str | None = None
    shortdesc: str | None = None
    is_pii: bool = False


class Mapping_(Strict):
    field: str
    stream: str
    expr: str
    guard_expr: str | None = None


class Segment(Strict):
    ql: SegmentQL
    name: str | None = None
    slug: str | None = None
    description: str | None = None


class Template(Strict):
    name: str
    type: Literal["jsonnet", "handlebars", "js1"] = "jsonnet"
    source: str
    description: str | None = None


class Auth(Strict):
    label: str
    type: Literal["webhook-oauth2-client-credentials"] = "webhook-oauth2-client-credentials"
    description: str | None = None
    config: dict[str, Any]


class Job(Strict):
    name: str
    workflow: Literal["webhook_enrichment"] = "webhook_enrichment"
    description: str | None = None
    auths: list[str] = Field(default_factory=list, description="auth labels, resolved to auth_ids")
    config: dict[str, Any]
    run_job: bool = True


class Lytics(Strict):
    fields: list[Field_] = Field(default_factory=list)
    mappings: list[Mapping_] = Field(default_factory=list)
    queries: list[str] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    templates: list[Template] = Field(default_factory=list)
    auths: list[Auth] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)


# -- profiles -----------------------------------------------------------------------------------------------
class Quirks(Strict):
    """How generated users look; `Generate` adds how many (a collect_rate step gives its own count)."""

    seed: int | None = None
    missing_email: float = Field(0.0, ge=0, le=1)
    bad_email: float = Field(0.0, ge=0, le=1)
    duplicate_email: float = Field(0.0, ge=0, le=1)
    uppercase_email: float = Field(0.0, ge=0, le=1)
    unicode_names: float = Field(0.0, ge=0, le=1)
    known_to_ansira: float = Field(0.0, ge=0, le=1, description="share of emails Ansira already knows")
    extra: dict[str, Any] = Field(default_factory=dict, description="constant fields added to every profile")
    pick: dict[str, list[Any]] = Field(default_factory=dict,
                                       description="fields set to a seeded random choice from the list, per profile")

    @model_validator(mode="after")
    def _non_empty_choices(self) -> Quirks:
        empty = [k for k, v in self.pick.items() if not v]
        if empty:
            raise ValueError(f"pick: give at least one value for {', '.join(empty)}")
        return self


class Generate(Quirks):
    count: int = Field(ge=0, le=1_000_000)


class Profiles(Strict):
    stream: str = "web"
    explicit: list[dict[str, Any]] = Field(default_factory=list)
    generate: Generate | None = None
    batch_size: int = Field(200, ge=1, le=5000)


# -- steps --------------------------------------------------------------------------------------------------
class WaitUntil(Strict):
    idle: bool = True
    audience_empty: str | None = None
    job_status: dict[str, str] = Field(default_factory=dict, description="job name -> runner status to reach")
    enriched_min: int | None = Field(None, ge=1, description="at least this many users enriched (mid-run events)")
    caught_up: bool = Field(False, description="the runner has read every feed event so far (even if not idle)")
    timeout_s: float = Field(30.0, gt=0, le=3600)


class UpdateJob(Strict):
    """Save the job again (PUT), optionally with config changes: Lytics restarts it and re-reads its audiences."""

    job: str
    config: dict[str, Any] = Field(default_factory=dict, description="keys merged over the job's config")


class CollectRate(Strict):
    """Send `count` generated users to a stream at about `per_s` users a second (real-time arrivals)."""

    stream: str = "web"
    count: int = Field(ge=1, le=1_000_000)
    per_s: float = Field(gt=0, le=100_000)
    generate: Quirks = Field(default_factory=Quirks)


class Step(Strict):
    """Exactly one action per step."""

    create_profiles: Literal["all"] | None = None
    collect: dict[str, Any] | None = None
    collect_rate: CollectRate | None = None
    create_jobs: Literal["all"] | list[str] | None = None
    update_job: UpdateJob | None = None
    pause_job: str | None = None
    resume_job: str | None = None
    kill_job: str | None = None
    bounce_job: str | None = None
    ansira_behaviour: dict[str, Any] | None = None
    revoke_tokens: str | None = None
    lytics_faults: dict[str, Any] | None = Field(
        None, description="PUT /__admin/faults on mock Lytics (replaces its fault rules)")
    wait_until: WaitUntil | None = None
    sleep_s: float | None = Field(None, gt=0, le=600)

    @model_validator(mode="after")
    def _one(self) -> Step:
        set_ = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_) != 1:
            raise ValueError(f"a step takes exactly one action, found {set_ or 'none'}")
        return self

    @property
    def action(self) -> str:
        return next(k for k, v in self.__dict__.items() if v is not None)


# -- checks -------------------------------------------------------------------------------------------------
class CheckBase(Strict):
    name: str | None = None


class ProfilesCheck(CheckBase):
    kind: Literal["profiles"]
    where: FilterQL = "*"
    expect: FilterQL
    quantifier: Literal["all", "none", "some"] = "all"


class AudienceSize(CheckBase):
    kind: Literal["audience_size"]
    segment: str
    size: Bound


class AnsiraCalls(CheckBase):
    kind: Literal["ansira_calls"]
    operation: str = "create_user"
    total: Bound | None = None
    per_user: Bound | None = None
    users: FilterQL = Field("FILTER EXISTS email", description="FilterQL: which profiles per_user applies to")
    status: dict[str, Bound] = Field(default_factory=dict)


class NoDuplicateCalls(CheckBase):
    kind: Literal["no_duplicate_calls"]
    operation: str = "create_user"


class TokenFetches(CheckBase):
    kind: Literal["token_fetches"]
    count: Bound


class Outcomes(CheckBase):
    kind: Literal["outcomes"]
    enriched: Bound | None = None
    omitted: Bound | None = None
    pending: Bound | None = Field(default_factory=lambda: Bound(equals=0))
    omitted_reasons: dict[str, Bound] = Field(default_factory=dict)


class RetryAfterRespected(CheckBase):
    """Nothing sent after the runner received a 429 until its Retry-After is over (harness.retry_after).

    `grace_s` and `in_flight` apply only to journal entries the runner has no send time for (a runner that does
    not log its requests): those count as in flight when they arrive within `grace_s` of the window opening, at
    most `in_flight` per window (default: the job's worker_count - 1). Kept for compatibility.
    """

    kind: Literal["retry_after_respected"]
    grace_s: float = Field(0.25, ge=0, le=5)
    in_flight: int | None = Field(None, ge=0)


class Latency(CheckBase):
    kind: Literal["enrich_latency"]
    p50_ms: Bound | None = None
    p95_ms: Bound | None = None
    p99_ms: Bound | None = None


class JobStatus(CheckBase):
    kind: Literal["job_status"]
    job: str
    status: str


class Duration(CheckBase):
    kind: Literal["duration"]
    seconds: Bound


class Accounted(CheckBase):
    """Zero users unaccounted for: each user ends enriched (the profile says so) or omitted with a reason."""

    kind: Literal["accounted"]
    users: FilterQL = Field("FILTER EXISTS email", description="FilterQL: the users the job was asked to enrich")
    enriched: FilterQL = Field("FILTER EXISTS ansira_uuid",
                               description="FilterQL: what an enriched profile looks like")


class NoCallAfterEnriched(CheckBase):
    """No Ansira call for a user after its write-back landed (the runner's done_ts): enriched means finished."""

    kind: Literal["no_call_after_enriched"]
    operation: str = "create_user"


class AudienceDrains(CheckBase):
    """Every user a job enriched has left the audience that triggered it; else every restart calls them again."""

    kind: Literal["audience_drains"]
    segment: str | None = Field(None, description="audience slug; default: every audience a job watches")


class AnsiraReceived(CheckBase):
    """What Ansira stored for each user equals the profile's field: proves the template sent the real value."""

    kind: Literal["ansira_received"]
    users: FilterQL = Field("FILTER EXISTS email", description="FilterQL: which profiles to compare")
    fields: dict[str, str] = Field(min_length=1, description="Ansira user path (dotted) -> Lytics profile field")
    quantifier: Literal["all", "none", "some"] = "all"


class TemplateCheck(CheckBase):
    """`harness template check` on a job's template with the job's user_fields and Ansira's source codes."""

    kind: Literal["template"]
    job: str | None = Field(None, description="job name; default: every job with a template")
    samples: int = Field(50, ge=1, le=5000)
    fail_on: Literal["error", "warning"] = "error"


Check = Annotated[
    ProfilesCheck | AudienceSize | AnsiraCalls | NoDuplicateCalls | TokenFetches | Outcomes | RetryAfterRespected
    | Latency | Duration | JobStatus | AudienceDrains | AnsiraReceived | TemplateCheck
    | Accounted | NoCallAfterEnriched,
    Field(discriminator="kind"),
]


class Scenario(Strict):
    name: str
    description: str = ""
    seed: int = 0
    ansira: dict[str, Any] = Field(default_factory=dict, description="mock Ansira behaviour document")
    runner: dict[str, Any] = Field(default_factory=dict, description="RunnerOptions overrides")
    lytics: Lytics = Field(default_factory=Lytics)
    profiles: Profiles = Field(default_factory=Profiles)
    steps: list[Step] = Field(default_factory=lambda: [
        Step(create_profiles="all"), Step(create_jobs="all"), Step(wait_until=WaitUntil())])
    checks: list[Check] = Field(default_factory=list)
    load: dict[str, Any] | None = Field(None, description="`harness load` section (harness.load.spec.LoadSpec)")
    allow_no_checks: bool = Field(False, description="a scenario that checks nothing must say so")

    @model_validator(mode="after")
    def _job_names(self) -> Scenario:
        """A step or check naming a job that the scenario never defines is a typo: say so before running."""
        jobs = {j.name for j in self.lytics.jobs}
        refs: list[tuple[str, str]] = []
        for i, st in enumerate(self.steps):
            for key in ("pause_job", "resume_job", "kill_job", "bounce_job"):
                if getattr(st, key) is not None:
                    refs.append((f"steps[{i}].{key}", getattr(st, key)))
            if st.update_job is not None:
                refs.append((f"steps[{i}].update_job.job", st.update_job.job))
            if isinstance(st.create_jobs, list):
                refs += [(f"steps[{i}].create_jobs[{k}]", n) for k, n in enumerate(st.create_jobs)]
            if st.wait_until is not None:
                refs += [(f"steps[{i}].wait_until.job_status", n) for n in st.wait_until.job_status]
        for i, c in enumerate(self.checks):
            if isinstance(c, JobStatus | TemplateCheck) and c.job is not None:
                refs.append((f"checks[{i}].job", c.job))
        bad = [f"{where}: unknown job {name!r}" for where, name in refs if name not in jobs]
        if bad:
            bad[-1] += f" (jobs defined in lytics.jobs: {', '.join(sorted(jobs)) or 'none'})"
        # No checks passes whatever happens; a load scenario is judged by its load thresholds instead.
        if not self.checks and not self.allow_no_checks and self.load is None:
            bad.append("checks: the scenario checks nothing, so it would pass whatever happens; add checks, "
                       "or say `allow_no_checks: true` if that is the point (docs/scenarios.md)")
        if bad:
            raise ValueError("; ".join(bad))
        return self


def validate(doc: dict[str, Any], *, file: str | None = None) -> Scenario:
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc, Scenario), file=file) from None
