"""`harness run SCENARIO --target READY_FILE`: a scenario's set-up, steps and checks against a running stack.

A TargetStack stands where the engine's own Stack would: it reads URLs and keys from ready files (schema 1,
docs/service.md), installs the scenario's Ansira behaviour over mock Ansira's admin API (keeping the ready
file's client credentials valid), and reads the runner's state from `harness serve`'s /__runner/state. Nothing
is started or stopped. Apply a scenario to a fresh stack: what earlier runs left (profiles, audiences, jobs)
stays in the mocks, and jobs that existed before this run are left out of the runner's outcomes.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from harness.errors import ConfigError, RemoteError
from harness.http import ServiceSession, Timeouts
from harness.mockclients import AnsiraAdmin
from harness.ready import AnsiraEndpoint, LyticsEndpoint, ReadyInfo
from harness.redact import REDACTOR
from harness.runner import RunnerOptions
from harness.runner_state import MOUNT, RemoteRunner
from harness.stack import prepare_behaviour

log = logging.getLogger("harness.target")
NEEDED = ("lytics_url", "lytics_api_key", "ansira_url", "ansira_client_id", "ansira_client_secret")


def read_targets(paths: Sequence[str]) -> dict[str, Any]:
    """The ready files merged (serve's alone, or a mock pair's); an error names what is missing."""
    merged: dict[str, Any] = {}
    for raw in paths:
        try:
            doc = json.loads(Path(raw).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--target {raw}: not a readable ready file ({type(exc).__name__})") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"--target {raw}: expected a JSON object (a ready file of schema 1)")
        for value in (doc.get("lytics_api_key"), doc.get("ansira_client_secret"), doc.get("admin_key")):
            if isinstance(value, str) and value:
                REDACTOR.add(value)
        merged.update({k: v for k, v in doc.items() if k not in ("kind", "pid")})
    missing = [k for k in NEEDED if not merged.get(k)]
    if missing:
        raise ConfigError(f"--target: the ready file(s) lack {', '.join(missing)}; pass serve's ready file, or both "
                          "mocks' (harness mock lytics|ansira --ready-file)")
    return merged


class TargetStack:
    """The parts of Stack the scenario engine uses, for a stack that runs elsewhere."""

    def __init__(self, target: dict[str, Any], *, seed: int, ansira_behaviour: dict[str, Any] | None,
                 runner_options: RunnerOptions) -> None:
        self.target = target
        self.api_key = str(target["lytics_api_key"])
        self.admin_key = str(target.get("admin_key") or "")
        self.runner_options = runner_options
        if runner_options != RunnerOptions():
            log.warning("the scenario's runner options are not applied with --target: the running stack's runner "
                        "keeps its own (start it with them: harness runner --options JSON)")
        self.behaviour = prepare_behaviour(self._with_target_client(ansira_behaviour), seed)
        self.runner: RemoteRunner | None = None
        self._ansira = ServiceSession(str(target["ansira_url"]), timeouts=Timeouts(read=30.0),  # seeds users
                                      headers={"X-Admin-Key": self.admin_key} if self.admin_key else None)

    def _with_target_client(self, doc: dict[str, Any] | None) -> dict[str, Any]:
        """The scenario's behaviour, with the ready file's client (and secret) where the scenario names none."""
        beh = copy.deepcopy(doc or {})
        mine = {"client_id": self.target["ansira_client_id"], "client_secret": self.target["ansira_client_secret"]}
        clients = beh.get("clients")
        if not clients:
            beh["clients"] = [mine]
        elif isinstance(clients, list):
            for c in clients:
                if isinstance(c, dict) and c.get("client_id") == mine["client_id"]:
                    c.setdefault("client_secret", mine["client_secret"])
        return beh

    def start(self) -> TargetStack:
        try:
            AnsiraAdmin(self._ansira).put_behaviour(self.behaviour)
        except RemoteError as exc:
            raise ConfigError(f"the scenario's behaviour was refused: {exc}") from None
        state_url = self.target.get("runner_state_url") or self.target["lytics_url"] + MOUNT + "/state"
        runner = RemoteRunner(state_url, self.admin_key or None)
        try:
            before = set(runner.jobs)
        except (requests.RequestException, ValueError, KeyError):
            log.info("no runner state at %s: checks on runner outcomes will see none", state_url)
            runner.close()
            return self
        runner.exclude = before
        self.runner = runner
        return self

    def stop(self) -> None:
        self._ansira.close()
        if self.runner is not None:
            self.runner.close()

    @property
    def client(self) -> dict[str, Any]:
        return self.behaviour["clients"][0]

    def ready(self) -> ReadyInfo:
        """The target's URLs and keys, with the client and source code of the behaviour this run installed."""
        t = self.target
        return ReadyInfo(LyticsEndpoint(str(t["lytics_url"]), self.api_key),
                         AnsiraEndpoint.from_behaviour(str(t["ansira_url"]), self.behaviour), self.admin_key)

    def ready_info(self) -> dict[str, Any]:
        return self.ready().as_vars()
