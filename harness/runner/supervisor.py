"""The runner's main loop: follow mock Lytics' feed, start jobs, route audience events to them.

The audience is the durable queue. On start-up (or when the feed cursor is lost) every running job re-reads its
audiences, so a runner that crashed mid-backfill resumes without calling anyone whose enrichment had landed:
those users already left the audience.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from harness.errors import ConfigError, RemoteError
from harness.redact import REDACTOR
from harness.runner.job import EnrichmentJob, RunnerOptions
from harness.runner.lytics import FeedGone, LyticsClient
from harness.runner.outcomes import OutcomeLog
from harness.runner.queue import WorkItem
from harness.templates import TemplateEngine
from harness.timefmt import rfc3339

log = logging.getLogger("harness.runner")

WORKFLOW = "webhook_enrichment"
_INACTIVE = {"paused", "pausing", "failed", "deleted", "completed", "killed"}


class Runner:
    def __init__(self, lytics_url: str, api_key: str, *, admin_key: str | None = None,
                 options: RunnerOptions | None = None, engine: TemplateEngine | None = None,
                 feed_wait_s: float = 1.0, report_interval_s: float = 0.5) -> None:
        self.lytics = LyticsClient(lytics_url, api_key, admin_key=admin_key)
        self.options = options or RunnerOptions()
        self.engine = engine or TemplateEngine()
        self.jobs: dict[str, EnrichmentJob] = {}
        self.outcomes: dict[str, OutcomeLog] = {}
        self.cursor = 0
        self.last_seen_seq = 0
        self.errors: list[str] = []
        self._feed_wait = feed_wait_s
        self._report_interval = report_interval_s
        self._stop = threading.Event()
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._acks: dict[str, int] = {}  # job id -> feed seq of the last pause/kill acknowledged (resent each report)

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> Runner:
        t = threading.Thread(target=self._main, name="runner-feed", daemon=True)
        r = threading.Thread(target=self._reporter, name="runner-report", daemon=True)
        self._threads = [t, r]
        t.start()
        r.start()
        if not self._started.wait(15):
            raise RemoteError("runner could not reach mock Lytics within 15 s")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for job in list(self.jobs.values()):
            job.stop(timeout)
        self._report_all()
        for t in self._threads:
            t.join(timeout)
        self.lytics.close()

    def idle(self) -> bool:
        """True when every job has nothing queued, in flight or awaiting write-back, and the feed is caught up."""
        return self.cursor >= self.last_seen_seq and all(j.idle for j in self.jobs.values())

    def caught_up_to(self, seq: int) -> bool:
        return self.cursor >= seq

    # -- feed -----------------------------------------------------------------------------------------------
    def _main(self) -> None:
        while not self._stop.is_set():
            try:
                self._bootstrap()
                break
            except RemoteError as exc:
                self._error(f"bootstrap: {REDACTOR(exc)}")
                self._stop.wait(0.2)
        self._started.set()
        while not self._stop.is_set():
            try:
                events, last_seq = self.lytics.feed(self.cursor, wait=self._feed_wait)
            except FeedGone as gone:
                self._error(f"feed cursor {self.cursor} lost; resynchronising jobs from their audiences")
                self.cursor = gone.last_seq
                for job in list(self.jobs.values()):
                    self._resync(job)
                continue
            except RemoteError as exc:
                self._error(f"feed: {REDACTOR(exc)}")
                self._stop.wait(0.2)
                continue
            self.last_seen_seq = max(self.last_seen_seq, last_seq)
            for ev in events:
                self._dispatch(ev)
                self.cursor = int(ev["seq"])

    def _bootstrap(self) -> None:
        try:
            _, last_seq = self.lytics.feed(0, wait=0, limit=1)
        except FeedGone as gone:
            last_seq = gone.last_seq
        self.cursor = last_seq
        self.last_seen_seq = last_seq
        self.identifier_fields = self.lytics.identifier_fields()
        for job in self.lytics.list_jobs():
            if job.get("workflow") == WORKFLOW and job.get("status") not in _INACTIVE:
                self._start_job(job["id"], recovering=True)
            elif job.get("status") == "pausing":  # paused or killed while no runner was there: nothing is sending
                self._acknowledge(job["id"], last_seq)

    def _dispatch(self, ev: dict[str, Any]) -> None:
        kind = ev.get("kind")
        if kind == "job":
            self._job_event(ev)
        elif kind == "segment":
            for job in list(self.jobs.values()):
                if ev.get("segment_id") in job.spec.segment_ids and job.spec.wants(ev.get("event", "")):
                    job.submit(self._item(ev))

    @staticmethod
    def _item(ev: dict[str, Any]) -> WorkItem:
        seg_ev = {"id": ev.get("segment_id"), "slug": ev.get("slug"), "event": ev.get("event"),
                  ev.get("event", "enter"): rfc3339(float(ev.get("ts") or time.time()))}
        return WorkItem(
            profile_id=str(ev.get("profile_id")), identity=dict(ev.get("identity") or {}),
            profile=dict(ev.get("profile") or {}), segment_events=[seg_ev], trigger=str(ev.get("event")),
            trigger_ts=float(ev.get("cause_ts") or ev.get("ts") or time.time()),
            event_ts=float(ev.get("ts") or time.time()))

    def _job_event(self, ev: dict[str, Any]) -> None:
        job_id, action = str(ev.get("job_id")), ev.get("action")
        job = self.jobs.get(job_id)
        if action == "created" and job is None:
            self._start_job(job_id, recovering=False)
        elif action == "paused":
            if job is None or job.pause():
                self._acknowledge(job_id, int(ev["seq"]))
            else:
                self._error(f"job {job_id[:8]}: a request outlived the pause bound; pause not acknowledged yet")
        elif action == "resumed" and job:
            job.resume()
        elif action in ("resumed", "bounced") and job is None:  # paused/failed before this runner started
            self._start_job(job_id, recovering=True)
        elif action in ("deleted", "killed"):
            if job:
                job.stop()
                job.status = "deleted" if action == "deleted" else "killed"
            if action == "killed" and (job is None or job.quiesce()):
                self._acknowledge(job_id, int(ev["seq"]))
        elif action in ("updated", "bounced") and job:  # bounce = restart: fresh workers, audiences re-read
            job.stop()
            del self.jobs[job_id]
            self._start_job(job_id, recovering=True)

    def _acknowledge(self, job_id: str, seq: int) -> None:
        """Tell Lytics that no request of the job is in flight or can start: `pausing` becomes paused/failed."""
        with self._lock:
            self._acks[job_id] = max(seq, self._acks.get(job_id, 0))
        job = self.jobs.get(job_id)
        try:
            self.lytics.report(job_id, {**(job.take_report() if job else {}), "ack_seq": seq})
        except RemoteError as exc:  # the next periodic report carries the ack again
            log.info("job %s: acknowledgement not delivered yet: %s", job_id[:8], REDACTOR(exc))

    def _start_job(self, job_id: str, *, recovering: bool) -> None:
        try:
            rt = self.lytics.runtime(job_id)
            if rt["job"].get("workflow", WORKFLOW) != WORKFLOW:
                return
            outcomes = self.outcomes.setdefault(job_id, OutcomeLog())
            if not hasattr(self, "identifier_fields") or not self.identifier_fields:
                self.identifier_fields = self.lytics.identifier_fields()
            job = EnrichmentJob(rt, self.lytics, self.engine, outcomes, self.identifier_fields, self.options)
        except (RemoteError, ConfigError, KeyError) as exc:
            msg = f"job {job_id} could not start: {REDACTOR(exc)}"
            self._error(msg)
            try:  # make it visible where the user looks: the job's status and logs in Lytics
                self.lytics.report(job_id, {"status": "failed", "message": msg, "counters": {},
                                            "logs": [{"level": "error", "message": msg, "code": "config"}]})
            except RemoteError:
                pass
            return
        self.jobs[job_id] = job
        if rt["job"].get("status") in ("paused", "pausing"):
            job.pause()
        job.start(backfill=job.spec.withbackfill or recovering)
        log.info("job %s (%s) started%s", job_id[:8], job.spec.name, " (recovering)" if recovering else "")

    def _resync(self, job: EnrichmentJob) -> None:
        threading.Thread(target=lambda: [job._backfill(s) for s in job.spec.segment_ids], daemon=True).start()

    # -- reporting ------------------------------------------------------------------------------------------
    def _reporter(self) -> None:
        while not self._stop.wait(self._report_interval):
            self._report_all()

    def _report_all(self) -> None:
        with self._lock:
            acks = dict(self._acks)
        for job_id in set(self.jobs) | set(acks):
            job = self.jobs.get(job_id)
            report = job.take_report() if job else {}
            if job_id in acks:
                report["ack_seq"] = acks[job_id]
            try:
                self.lytics.report(job_id, report)
            except RemoteError as exc:
                log.debug("report for job %s failed: %s", job_id[:8], REDACTOR(exc))
            if job is None:  # a job this runner does not hold: one retry of the ack is enough
                with self._lock:
                    self._acks.pop(job_id, None)

    def _error(self, msg: str) -> None:
        log.warning(msg)
        with self._lock:
            self.errors.append(msg)
            del self.errors[:-200]

    def summary(self) -> dict[str, Any]:
        return {job_id: {"status": job.status, "message": job.message, **self.outcomes[job_id].summary(),
                         "simulator_choices": job.simulator_choices()}
                for job_id, job in self.jobs.items()}

