"""How one enrichment request is built and placed on the wire: template, token placement, URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from enrich_templates import BoundTemplate, build_entity, default_payload, encode_body, split_override
from harness.errors import ConfigError
from harness.hosts import is_loopback
from harness.runner.wire import Runtime

TOKEN_PLACEHOLDER = "{token}"
NEVER_RETRY = frozenset({400, 404, 413})


def require_secure_url(url: str, what: str, http_hosts: tuple[str, ...] = ()) -> str:
    """Lytics requires https; plain http is allowed only to a loopback host (the local mocks) or to a host named
    in `http_hosts` (the mocks as service containers: RunnerOptions.allow_http_hosts)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and (is_loopback(parts.hostname) or (parts.hostname or "").lower() in http_hosts):
        return url
    shown = f"{parts.scheme}://{parts.hostname or ''}"
    also = f" or to {', '.join(http_hosts)}" if http_hosts else ""
    raise ConfigError(f"{what} must be an https URL (http only to a loopback host{also}); got {shown}")


@dataclass(frozen=True)
class Placement:
    """Where the OAuth token goes: Lytics substitutes `{token}` in the auth's headers/params, else Bearer."""

    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_auth_config(cls, cfg: dict[str, Any]) -> Placement:
        headers: list[tuple[str, str]] = []
        for raw in str(cfg.get("webhook_request_headers") or "").splitlines():
            if not raw.strip():
                continue
            name, sep, value = raw.partition(":")
            if not sep or not name.strip():
                raise ConfigError(f"webhook_request_headers: line {raw!r} is not 'Name: value'")
            headers.append((name.strip(), value.strip()))
        params_text = str(cfg.get("webhook_request_params") or "").strip()
        params = parse_qsl(params_text, keep_blank_values=True, strict_parsing=False) if params_text else []
        return cls(tuple(headers), tuple(params))

    @property
    def token_placed(self) -> bool:
        return any(TOKEN_PLACEHOLDER in v for _, v in (*self.headers, *self.params))

    def apply(self, token: str | None) -> tuple[dict[str, str], dict[str, str]]:
        def sub(v: str) -> str:
            return v.replace(TOKEN_PLACEHOLDER, token) if token is not None else v

        headers = {k: sub(v) for k, v in self.headers}
        params = {k: sub(v) for k, v in self.params}
        if token is not None and not self.token_placed:
            headers.setdefault("Authorization", f"Bearer {token}")
        return headers, params


@dataclass(frozen=True)
class JobSpec:
    """The webhook_enrichment config keys the runner acts on, with Lytics' defaults."""

    job_id: str
    name: str
    segment_ids: tuple[str, ...]
    stream: str
    webhook_url: str
    http_method: str
    user_fields: tuple[str, ...]
    withbackfill: bool
    audience_events: str
    worker_count: int
    do_not_retry: frozenset[int]
    template_source: str | None
    template_name: str | None
    config: dict[str, Any]  # the job config as Lytics holds it: what jobConfGet() reads in templates

    @classmethod
    def from_runtime(cls, rt: Runtime, http_hosts: tuple[str, ...] = ()) -> JobSpec:
        job = rt["job"]
        cfg = job.get("config") or {}
        tpl = rt.get("template") or None
        wc = int(cfg.get("worker_count") or 5)
        if not 1 <= wc <= 20:
            raise ConfigError(f"job {job['id']}: worker_count must be 1..20, got {wc}")
        return cls(
            job_id=job["id"], name=job.get("name") or job["id"],
            segment_ids=tuple(cfg.get("segment_ids") or ()),
            stream=cfg.get("stream") or "webhook_enrichment",
            webhook_url=require_secure_url(str(cfg.get("webhook_url") or ""), "webhook_url", http_hosts),
            http_method=(cfg.get("http_method") or "POST").upper(),
            user_fields=tuple(cfg.get("user_fields") or ()),
            withbackfill=bool(cfg.get("withbackfill", True)),
            audience_events=cfg.get("audience_events", "enters_only") or "",
            worker_count=wc,
            do_not_retry=frozenset(int(c) for c in cfg.get("do_not_retry") or ()),
            template_source=tpl.get("source") if tpl else None,
            template_name=tpl.get("name") if tpl else None,
            config=dict(cfg),
        )

    def wants(self, event: str) -> bool:
        if self.audience_events == "enters_only":
            return event == "enter"
        if self.audience_events == "exits_only":
            return event == "exit"
        return event in ("enter", "exit")

    def never_retry(self, status: int) -> bool:
        return status in NEVER_RETRY or status in self.do_not_retry


def entity_of(spec: JobSpec, profile: Mapping[str, Any], segment_events: Sequence[Mapping[str, Any]]
              ) -> dict[str, Any]:
    return build_entity(profile, spec.user_fields, segment_events)


def render_request(spec: JobSpec, template: BoundTemplate | None, profile: Mapping[str, Any],
                   segment_events: Sequence[Mapping[str, Any]], http_hosts: tuple[str, ...] = (),
                   rendered: tuple[Any] | None = None) -> tuple[str, dict[str, str], bytes]:
    """URL, extra headers and body of a user's request as Lytics would send it. Raises TemplateAssertionFailed,
    TemplateError or ConfigError (a bad `ly_template_url`): the user is omitted, the job goes on (R8).
    `rendered`: the template's value for this user, rendered ahead in a batch."""
    if template is None:
        o_url, o_headers, body = None, None, default_payload(profile, spec.user_fields)
    else:
        value = rendered[0] if rendered is not None else template.value(entity_of(spec, profile, segment_events))
        o_url, o_headers, body = split_override(value)
    if o_url:
        require_secure_url(o_url, "ly_template_url", http_hosts)
    return o_url or spec.webhook_url, dict(o_headers or {}), encode_body(body)
