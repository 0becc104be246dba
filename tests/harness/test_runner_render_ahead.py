"""Render-ahead: a worker renders its user with the next ones queued in one evaluation; outcomes do not change."""

from __future__ import annotations

import json
from typing import Any, cast

from harness.runner.job import EnrichmentJob
from harness.runner.lytics import LyticsClient
from harness.runner.options import RunnerOptions
from harness.runner.outcomes import ENRICHED, OMITTED, OutcomeLog
from harness.runner.queue import feed_item
from harness.templates import TemplateEngine
from tests.harness.test_runner_rules import WALL0, FakeClock, FakeLytics, FakeSession, ok

GUARDED = """local event = import 'lytemplates.libsonnet';
local e = event.get('email');
assert e != null && std.length(std.findSubstr('@', e)) == 1 : 'no usable email';
{ email: e, source: event.jobConfGet('source_code', 'X') }"""


class TemplateRig:
    def __init__(self, users: int, *, render_batch: int = 16, template: str = GUARDED) -> None:
        self.clock = FakeClock()
        self.session = FakeSession(self.clock, *[ok({"uuid": f"id-{i}"}) for i in range(users)])
        self.lytics = FakeLytics()
        self.outcomes = OutcomeLog()
        self.engine = TemplateEngine()
        cfg = {"webhook_url": "http://127.0.0.1:9/enrich", "segment_ids": ["seg1"], "user_fields": ["email"],
               "worker_count": 1, "source_code": "SRC"}
        runtime: dict[str, Any] = {"job": {"id": "job-1", "name": "ahead", "config": cfg},
                                   "template": {"name": "guarded", "source": template}}
        options = RunnerOptions(render_batch=render_batch, max_unlanded=100)  # no wait for a write-back to land
        self.job = EnrichmentJob(runtime, cast(LyticsClient, self.lytics), self.engine, self.outcomes, ["email"],
                                 options, session=self.session, clock=self.clock)
        self.job.writeback.start()

    def submit(self, pid: str, email: str | None) -> None:
        profile = {} if email is None else {"email": email}
        ev = {"kind": "segment", "segment_id": "seg1", "event": "enter", "profile_id": pid, "ts": WALL0 - 5,
              "identity": {"pid": pid}, "profile": profile}
        assert self.job.submit(feed_item(ev, ["email"], WALL0))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(s["body"]) for s in self.session.sent]

    def queued_items(self) -> list[Any]:
        return list(self.job._queue._realtime)


def test_the_first_render_renders_the_next_users_queued_and_each_is_sent_its_own_body() -> None:
    rig = TemplateRig(6, render_batch=4)
    for i in range(6):
        rig.submit(f"u{i}", f"user{i}@x.io")
    assert rig.job.work_one(timeout=0)
    ahead = [item.ahead for item in rig.queued_items()]
    assert ahead == [({"email": "user1@x.io", "source": "SRC"},), ({"email": "user2@x.io", "source": "SRC"},),
                     ({"email": "user3@x.io", "source": "SRC"},), None, None]
    while rig.job.work_one(timeout=0):
        pass
    assert rig.bodies() == [{"email": f"user{i}@x.io", "source": "SRC"} for i in range(6)]
    assert rig.engine._coalescer.batched == 6  # u0-u3 together, then u4 with u5: two evaluations for six users
    rig.job.stop(5)
    assert all(rig.outcomes.by_user[f"u{i}"].status == ENRICHED for i in range(6))


def test_a_user_whose_render_fails_fails_only_itself_not_the_users_batched_with_it() -> None:
    rig = TemplateRig(3, render_batch=8)
    rig.submit("u0", "a@x.io")
    rig.submit("bad", "no-at-sign")
    rig.submit("u2", "c@x.io")
    rig.submit("none", None)
    assert rig.job.work_one(timeout=0)  # the batch of four fails on two of them: u0 is rendered alone
    assert [item.ahead for item in rig.queued_items()] == [None, None, None]
    assert not any(item.ahead_claimed for item in rig.queued_items())  # the claims were given back
    while rig.job.work_one(timeout=0):
        pass
    rig.job.stop(5)
    by = rig.outcomes.by_user
    assert (by["u0"].status, by["u2"].status) == (ENRICHED, ENRICHED)
    assert (by["bad"].status, by["bad"].reason) == (OMITTED, "assert: no usable email")
    assert (by["none"].status, by["none"].reason) == (OMITTED, "assert: no usable email")
    assert rig.bodies() == [{"email": "a@x.io", "source": "SRC"}, {"email": "c@x.io", "source": "SRC"}]


def test_render_batch_1_renders_each_user_alone() -> None:
    rig = TemplateRig(3, render_batch=1)
    for i in range(3):
        rig.submit(f"u{i}", f"user{i}@x.io")
    assert rig.job.work_one(timeout=0)
    assert [item.ahead for item in rig.queued_items()] == [None, None]
    while rig.job.work_one(timeout=0):
        pass
    assert rig.bodies() == [{"email": f"user{i}@x.io", "source": "SRC"} for i in range(3)]
    rig.job.stop(5)
