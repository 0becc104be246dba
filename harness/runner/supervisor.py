"""The runner's main loop: follow mock Lytics' feed, start jobs, route audience events to them.

The audience is the durable queue -- for as long as mock Lytics runs: it keeps its state in memory. On start-up
(or when the feed cursor is lost) every running job re-reads its audiences, so a runner that crashed mid-backfill
resumes without calling anyone whose enrichment had landed: those users already left the audience.

One runner per job: a job is worked only under its lease in mock Lytics, renewed with every report; a second
runner waits and takes over once the lease expires (its holder died) or is released (its holder stopped).
A restarted mock Lytics (a new instance id, or a feed behind our cursor) has forgotten every job: the runner
drops its jobs, resynchronises its cursor and picks up the jobs the new instance has.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from typing import Any

from enrich_templates import TemplateEngine
from harness.errors import ConfigError, RemoteError, TransportError
from harness.redact import REDACTOR
from harness.runner.job import EnrichmentJob
from harness.runner.lytics import FeedGone, FeedPage, LeaseRefused, LyticsClient
from harness.runner.options import RunnerOptions
from harness.runner.outcomes import OutcomeLog
from harness.runner.queue import WorkItem, feed_item
from harness.runner.wire import FeedEvent

log = logging.getLogger("harness.runner")

WORKFLOW = "webhook_enrichment"
_INACTIVE = {"paused", "pausing", "failed", "deleted", "completed", "killed"}


class Runner:
    def __init__(self, lytics_url: str, api_key: str, *, admin_key: str | None = None,
                 options: RunnerOptions | None = None, engine: TemplateEngine | None = None,
                 feed_wait_s: float = 1.0, report_interval_s: float = 0.5) -> None:
        self.lytics = LyticsClient(lytics_url, api_key, admin_key=admin_key)
        self.options = options or RunnerOptions()
        self.engine = engine or TemplateEngine(isolation="vetted")  # a runaway template dies in a child
        self.jobs: dict[str, EnrichmentJob] = {}
        self.dropped: dict[str, EnrichmentJob] = {}  # jobs a Lytics restart lost (kept for the summary)
        self.waiting: dict[str, str] = {}  # job id -> the other runner holding its lease
        self.outcomes: dict[str, OutcomeLog] = {}
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.instance: str | None = None
        self.cursor = 0
        self.last_seen_seq = 0
        self.errors: list[str] = []
        self.identifier_fields: list[str] = []  # the schema's identifier fields, read at bootstrap
        self._feed_wait = feed_wait_s
        self._report_interval = report_interval_s
        self._stop = threading.Event()
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._jobs_lock = threading.RLock()  # the feed thread and the reporter (lease take-overs) both start jobs
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
        """Stop within `timeout` as a whole (jobs, the last report, this runner's threads), not per step: a
        supervisor that waits `--stop-timeout` plus a margin for the process to end must not wait in vain."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        with self._jobs_lock:  # a lease take-over on the reporter thread cannot start a job after this
            jobs = list(self.jobs.values())
        for job in jobs:
            job.stop(max(0.0, deadline - time.monotonic()))
        self._report_all()
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        for job_id in list(self.jobs):  # a successor need not wait for the leases to expire
            try:
                self.lytics.release_lease(job_id, self.holder)
            except RemoteError as exc:
                log.debug("releasing the lease of job %s failed: %s", job_id[:8], REDACTOR(exc))
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
                page = self.lytics.feed(self.cursor, wait=self._feed_wait)
            except FeedGone as gone:
                self._error(f"feed cursor {self.cursor} lost; resynchronising jobs from their audiences")
                self.cursor = gone.last_seq
                for job in list(self.jobs.values()):
                    job.resync()
                continue
            except RemoteError as exc:
                self._error(f"feed: {REDACTOR(exc)}")
                self._stop.wait(0.2)
                continue
            if (self.instance and page.instance and page.instance != self.instance) or page.last_seq < self.cursor:
                self._lytics_restarted(page)
                continue
            self.last_seen_seq = max(self.last_seen_seq, page.last_seq)
            for ev in page.events:
                self._dispatch(ev)
                self.cursor = int(ev["seq"])

    def _bootstrap(self) -> None:
        try:
            page = self.lytics.feed(0, wait=0, limit=1)
            last_seq, self.instance = page.last_seq, page.instance
        except FeedGone as gone:
            last_seq, self.instance = gone.last_seq, self.lytics.instance
        self.cursor = last_seq
        self.last_seen_seq = last_seq
        self.identifier_fields = self.lytics.identifier_fields()
        for job in self.lytics.list_jobs():
            if job.get("workflow") == WORKFLOW and job.get("status") not in _INACTIVE:
                self._start_job(job["id"], recovering=True)
            elif job.get("status") == "pausing":  # paused or killed while no runner was there: nothing is sending
                self._acknowledge(job["id"], last_seq)

    def _lytics_restarted(self, page: FeedPage) -> None:
        """Mock Lytics came back empty: drop the jobs it forgot, resynchronise, take up what it has now."""
        with self._jobs_lock:
            lost, self.jobs = dict(self.jobs), {}
            self.waiting.clear()
        queued = sum(job.queued for job in lost.values())
        self._error(
            f"mock Lytics at {self.lytics.base_url} restarted (instance {self.instance} -> {page.instance}; its feed "
            f"is at seq {page.last_seq}, this runner's cursor was {self.cursor}) and, keeping its state in memory, "
            f"forgot every job: dropping {len(lost)} job(s) {[j[:8] for j in lost]} with {queued} queued user(s) "
            "left uncalled; answers not yet written back stay pending, never enriched. Picking up the jobs the "
            "new instance has.")
        for job_id, job in lost.items():
            job.stop(self.options.request_timeout_s + 1.0)
            job.mark_dropped("mock Lytics restarted and lost this job")
            self.dropped[job_id] = job
        while not self._stop.is_set():
            try:
                self._bootstrap()
                return
            except RemoteError as exc:
                self._error(f"resynchronising after the restart: {REDACTOR(exc)}")
                self._stop.wait(0.2)

    def _dispatch(self, ev: FeedEvent) -> None:
        kind = ev.get("kind")
        if kind == "job":
            self._job_event(ev)
        elif kind == "segment":
            for job in list(self.jobs.values()):
                if ev.get("segment_id") in job.spec.segment_ids and job.spec.wants(ev.get("event", "")):
                    job.submit(self._item(ev))

    def _item(self, ev: FeedEvent) -> WorkItem:
        return feed_item(ev, self.identifier_fields, time.time())

    def _job_event(self, ev: FeedEvent) -> None:
        with self._jobs_lock:
            self._job_event_locked(ev)

    def _job_event_locked(self, ev: FeedEvent) -> None:
        job_id, action = str(ev.get("job_id")), ev.get("action")
        if action in ("deleted", "killed"):
            self.waiting.pop(job_id, None)
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
                job.end("deleted" if action == "deleted" else "killed")
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
        with self._jobs_lock:
            if job_id not in self.jobs:
                self._start_job_locked(job_id, recovering=recovering)

    def _start_job_locked(self, job_id: str, *, recovering: bool) -> None:
        if self._stop.is_set():  # stopping: a job started now would never be stopped
            return
        try:
            rt = self.lytics.runtime(job_id)
            if rt["job"].get("workflow", WORKFLOW) != WORKFLOW:
                return
            if not self._lease(job_id):
                return
            outcomes = self.outcomes.setdefault(job_id, OutcomeLog())
            if not self.identifier_fields:
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

    def _lease(self, job_id: str) -> bool:
        """Take the job's lease; False (and wait for it, warning once) while another runner holds it."""
        try:
            self.lytics.take_lease(job_id, self.holder, self.options.lease_ttl_s)
        except LeaseRefused as exc:
            if self.waiting.get(job_id) != exc.holder:
                log.warning("job %s is already worked by runner %s (its lease runs another %.1fs): this runner (%s) "
                            "does not start it, one runner per job; it takes over if that runner stops or dies",
                            job_id[:8], exc.holder, exc.expires_in_s, self.holder)
            self.waiting[job_id] = exc.holder
            return False
        if self.waiting.pop(job_id, None) is not None:
            log.warning("job %s: the other runner's lease ended; this runner (%s) takes the job over", job_id[:8],
                        self.holder)
        return True

    def _keep_leases(self) -> None:
        """Renew our leases, give up jobs another runner took or Lytics forgot, take over released ones."""
        with self._jobs_lock:
            for job_id, job in list(self.jobs.items()):
                if job.status in ("deleted", "killed"):
                    continue
                try:
                    self.lytics.take_lease(job_id, self.holder, self.options.lease_ttl_s)
                except LeaseRefused as exc:
                    self._error(f"job {job_id[:8]}: runner {exc.holder} holds its lease now (ours expired before it "
                                "was renewed); stopping the job here so that one runner works it")
                    self._drop(job_id, "lease lost to another runner")
                except TransportError:
                    pass  # Lytics unreachable: the feed loop reports it, and notices a restart
                except RemoteError as exc:
                    if exc.status == 404 and self.lytics.instance == self.instance:
                        self._error(f"job {job_id[:8]} no longer exists in mock Lytics (reset?); dropping it")
                        self._drop(job_id, "job no longer exists in Lytics")
            for job_id in list(self.waiting):
                self._start_job_locked(job_id, recovering=True)

    def _drop(self, job_id: str, why: str) -> None:
        job = self.jobs.pop(job_id)
        job.mark_dropped(why)
        self.dropped[job_id] = job
        threading.Thread(target=job.stop, name=f"drop-{job_id[:8]}", daemon=True).start()

    # -- reporting ------------------------------------------------------------------------------------------
    def _reporter(self) -> None:
        # renew well inside the TTL: a runner that misses a couple of renewals keeps its jobs
        while not self._stop.wait(min(self._report_interval, self.options.lease_ttl_s / 3)):
            self._report_all()
            self._keep_leases()

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
                for job_id, job in {**self.dropped, **self.jobs}.items()}

