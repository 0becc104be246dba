"""The scenario engine's own set-up and steps, pointed at mocks and a runner that live in other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.errors import ConfigError
from harness.http import ServiceSession
from harness.mockclients import AnsiraAdmin, LyticsAdmin
from harness.runner import RunnerOptions
from harness.scenario import engine
from harness.scenario import model as m


class StepTimeout(ConfigError):
    """A wait_until step (or the final drain) ran out of time: a failed load run, not a bad scenario."""


class RemoteDriver:
    """A ScenarioRun attached to mocks in other processes: its Lytics set-up and step actions through its public
    methods; only waiting differs (the runner is remote and seen only through Lytics).

    `wait_until: {idle: true}` means *drained* here: every audience member is a user the runner omitted, and the
    runner reports nothing queued — what can be seen of a runner through Lytics' job reports.
    """

    def __init__(self, scenario: m.Scenario, *, file: str | None, vars: dict[str, Any], lytics: ServiceSession,
                 ansira: ServiceSession, audience: str, runner_options: RunnerOptions | None = None) -> None:
        self.run = engine.ScenarioRun(scenario, file=file, waiter=self._wait)
        self.run.attach(vars=vars, lytics=lytics, ansira=ansira, runner_options=runner_options)
        self.vars = vars
        self.audience = audience

    @property
    def ids(self) -> dict[str, dict[str, str]]:
        return self.run.ids

    @property
    def lytics_admin(self) -> LyticsAdmin:
        return self.run.lytics_admin

    @property
    def ansira_admin(self) -> AnsiraAdmin:
        return self.run.ansira_admin

    def setup(self) -> None:
        self.run.configure()

    def step(self, index: int, step: m.Step) -> None:
        self.run.run_step(index, step)

    def audience_id(self) -> str:
        return self.ids["segment"].get(self.audience, self.audience)

    def drained(self) -> bool:
        size = self.lytics_admin.audience_size(self.audience_id())
        mine = set(self.ids["job"].values())
        counters = [j.get("counters") or {} for j in self.lytics_admin.jobs() if j.get("id") in mine]
        omitted = sum(float(c.get("omitted", 0)) for c in counters)
        queued = sum(float(c.get("queued", 0)) for c in counters)
        return size - omitted <= 0 and queued == 0

    def wait_for(self, condition: Callable[[], bool], timeout_s: float, what: str) -> float:
        """Poll until `condition` holds three times in a row; the seconds it took. StepTimeout after `timeout_s`."""
        started = time.monotonic()
        deadline = started + timeout_s
        stable = 0
        while True:
            stable = stable + 1 if condition() else 0
            if stable >= 3:
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise StepTimeout(f"{what}: not reached within {timeout_s:g}s")
            time.sleep(0.05)

    def _wait(self, w: m.WaitUntil, where: str) -> None:  # the run's waiter: the remote form of wait_until
        def done() -> bool:
            if w.idle and not self.drained():
                return False
            if w.audience_empty and self.run.segment_size(w.audience_empty) != 0:
                return False
            if w.job_status:
                names = {v: k for k, v in self.ids["job"].items()}
                status = {names.get(j["id"], j["id"]): j.get("status") for j in self.lytics_admin.jobs()}
                return all(status.get(k) == v for k, v in w.job_status.items())
            return True

        self.wait_for(done, w.timeout_s, f"{where}: wait_until (idle={w.idle}, audience_empty={w.audience_empty})")
