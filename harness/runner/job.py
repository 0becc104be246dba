"""One webhook_enrichment job: workers that render, authorize, send, classify and write back, as Lytics does.

Rules (facts §2.5): 400/404/413 and `do_not_retry` codes omit the user; other failures are retried with
exponential backoff and jitter; `Retry-After` holds every worker of the job until it passes (a sleep, not an
error); 10 consecutive failed requests put the whole job into error backoff, and if that repeats the job is
`failed` with its remaining users still pending — never silently dropped. A first 401 with a token refreshes
the token and retries at once; a user gets at most `max_attempts_per_user` attempts, a job `max_calls` requests.

What one answer means is `answer.classify` (its docstring has the rule table); the job's status and failure
streak are `state.JobState`. Session, clock and token source can be injected (tests/harness/test_runner_rules.py
drives every rule with fakes, no sockets).
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any, cast

import requests

from enrich_templates import TemplateEngine
from harness.connpool import Reply, SendCancelled
from harness.errors import ConfigError, RemoteError, TemplateAssertionFailed, TemplateError
from harness.http import HttpSession, Timeouts, webhook_session
from harness.redact import REDACTOR
from harness.retry_after import HEADER as REQUEST_ID_HEADER
from harness.runner.answer import Answer, Verdict, classify
from harness.runner.delivery import JobSpec, Placement, entity_of, render_request
from harness.runner.joblog import JobLog
from harness.runner.lytics import LyticsClient
from harness.runner.oauth import token_manager_for
from harness.runner.options import RunnerOptions
from harness.runner.outcomes import ENRICHED, OMITTED, Outcome, OutcomeLog
from harness.runner.pacing import Gate, backoff_delay
from harness.runner.ports import SYSTEM_CLOCK, Clock, TokenSource, WebhookSession
from harness.runner.queue import WorkItem, WorkQueue, scan_item
from harness.runner.roster import Roster
from harness.runner.sends import SendSlots
from harness.runner.state import USER_STATES, JobState
from harness.runner.wire import JobReport, Runtime
from harness.runner.writeback import WriteBack

log = logging.getLogger("harness.runner.job")


class EnrichmentJob:
    def __init__(self, runtime: Runtime, lytics: LyticsClient, engine: TemplateEngine,
                 outcomes: OutcomeLog, identifier_fields: list[str], options: RunnerOptions, *,
                 session: WebhookSession | None = None, clock: Clock = SYSTEM_CLOCK,
                 tokens: TokenSource | None = None) -> None:
        """`session`, `clock`, `tokens`: defaults are a pooled session, the system clocks and a TokenManager
        from the job's auth config (none without a token_url); a given `tokens` replaces that manager."""
        self.spec = JobSpec.from_runtime(runtime, options.allow_http_hosts)
        self.lytics = lytics
        self.engine = engine
        self.template = None if self.spec.template_source is None else engine.bind(
            self.spec.template_source, self.spec.config, filename=f"{self.spec.template_name or 'template'}.jsonnet")
        self.outcomes = outcomes
        self.identifier_fields = identifier_fields
        self.options = options
        self.clock = clock
        self.state = JobState(failures_before_job_error=options.failures_before_job_error,
                              job_errors_before_failed=options.job_errors_before_failed,
                              job_backoff_s=options.job_backoff_s)
        self._stop = threading.Event()
        self._writeback_stop = threading.Event()  # set only after the workers are done: their answers still land
        # A slot is held from a user's pick-up until its write-back lands: at most max_unlanded (2 x worker_count)
        # users are ever answered-but-not-landed, the users a crash can cost a second call (docs/reliability.md).
        self._unlanded = threading.Semaphore(options.unlanded_limit(self.spec.worker_count))
        self._sends = SendSlots(self._stop)
        self._queue = WorkQueue()
        self._lock = threading.Lock()
        self._roster = Roster()
        self._in_flight = 0
        self._calls = 0
        self.joblog = JobLog(self.spec.job_id, clock.time)
        self._log = self.joblog.add
        self._backfills: list[threading.Thread] = []
        self.gate = Gate(rate=options.rate_limit, burst=options.rate_burst, clock=clock.monotonic, wall=clock.time,
                         waiter=clock.wait)
        self._request_prefix = uuid.uuid4().hex[:12]  # request ids stay unique across runner restarts
        self._request_seq = itertools.count(1)
        self.session: WebhookSession = session or webhook_session(
            timeouts=Timeouts(connect=3.0, read=options.request_timeout_s))
        self.auth_config: dict[str, Any] = {}
        self.placement = Placement()
        self.tokens: TokenSource | None = tokens
        auths = runtime.get("auths") or []
        if auths:
            self.auth_config = dict(auths[0].get("config") or {})
            self.placement = Placement.from_auth_config(self.auth_config)
            if tokens is None:
                self.tokens = token_manager_for(self.auth_config, cast(HttpSession, self.session),
                                                allow_http_hosts=options.allow_http_hosts, clock=clock.monotonic)
        self.writeback = WriteBack(lytics, self.spec.stream, self._landed, batch_size=options.writeback_batch,
                                   stop=self._writeback_stop,
                                   flush_at=options.unlanded_limit(self.spec.worker_count),
                                   instance=runtime.get("instance"), on_lost=self._lost)
        self._workers = [threading.Thread(target=self._work, name=f"job-{self.spec.job_id[:8]}-w{i}", daemon=True)
                         for i in range(self.spec.worker_count)]

    # -- lifecycle ------------------------------------------------------------------------------------------
    def simulator_choices(self) -> dict[str, Any]:
        """Timings and caps Lytics does not publish: shown in the job's logs and the runner summary so that
        nobody reads simulator timing as Lytics timing (docs/fidelity.md, rows R4-R6, J16, C9)."""
        o = self.options
        return {"job_backoff_s": [o.job_backoff_s * 2 ** i for i in range(o.job_errors_before_failed - 1)],
                "job_errors_before_failed": o.job_errors_before_failed,
                "max_attempts_per_user": o.max_attempts_per_user,
                "retry_backoff": f"full jitter, base {o.backoff_base_s:g}s doubling, cap {o.backoff_cap_s:g}s",
                "audience_events": self.spec.audience_events or "enters and exits"}

    def start(self, *, backfill: bool) -> None:
        c = self.simulator_choices()
        self._log("info", "simulator choices, no upstream source (runner options): job error backoff "
                  f"{', '.join(f'{s:g}' for s in c['job_backoff_s'])} s, failed after {c['job_errors_before_failed']} "
                  f"job errors, {c['max_attempts_per_user']} attempts per user, retry delay {c['retry_backoff']}; "
                  f"audience events acted on: {c['audience_events']} (enters_only by default: an inference)",
                  "simulator_choices", quiet=True)
        self.writeback.start()
        for w in self._workers:
            w.start()
        if backfill:
            for seg in self.spec.segment_ids:
                t = threading.Thread(target=self._backfill, args=(seg,), name=f"backfill-{seg[:8]}", daemon=True)
                self._backfills.append(t)
                t.start()

    def pause(self, timeout: float | None = None) -> bool:
        """Stop starting requests and wait for those in flight; True once none is (the pause may be acknowledged)."""
        self._sends.pause()
        self.state.pause()
        return self.quiesce(timeout)

    def resume(self) -> None:
        self.state.resume()
        self._sends.resume()

    def end(self, status: str, message: str | None = None) -> None:
        """Stop the job for good, as `deleted`/`killed` (the user) or `dropped` (the runner, saying why)."""
        self.stop()
        self.state.end(status, message)

    def mark_dropped(self, why: str) -> None:
        """Record why the runner gave the job up; the caller stops it (possibly on another thread)."""
        self.state.end("dropped", why)

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def message(self) -> str | None:
        return self.state.message

    def quiesce(self, timeout: float | None = None) -> bool:
        """Wait until no request of this job is in flight (bounded by the request timeout unless given)."""
        return self._sends.quiesce(self.options.request_timeout_s + 5.0 if timeout is None else timeout)

    def _request(self, url: str, params: dict[str, str], headers: dict[str, str], body: bytes,
                 before_send: Callable[[], bool]) -> Reply:
        try:
            return self.session.request(self.spec.http_method, url, params=params, headers=headers, data=body,
                                        before_send=before_send)
        finally:
            self._sends.end()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work, let in-flight requests finish, flush the write-back; queued users stay pending."""
        self._queue.close()
        deadline = self.clock.monotonic() + timeout
        self._stop.set()
        self._sends.wake()
        self.gate.close()
        for w in self._workers:
            if w.ident is not None:  # started (a job driven by work_one() in a test has no worker threads)
                w.join(max(0.0, deadline - self.clock.monotonic()))
        self._writeback_stop.set()
        self.writeback.join(max(0.0, deadline - self.clock.monotonic()))
        self.session.close()

    @property
    def idle(self) -> bool:
        with self._lock:
            busy = self._in_flight > 0 or self._roster.held > 0
        return (not busy and len(self._queue) == 0 and self.writeback.pending == 0
                and not any(t.is_alive() for t in self._backfills))

    # -- intake ---------------------------------------------------------------------------------------------
    def submit(self, item: WorkItem, *, backfill: bool = False) -> bool:
        """Queue a user unless it is already queued, in flight, or was enriched after this trigger happened."""
        if not self._roster.claim(item.profile_id, item.event_ts):
            self.outcomes.count("deduplicated")
            return False
        self.outcomes.count("triggered")
        if not self._queue.put(item, backfill=backfill, stop=self._stop):
            self._roster.release([item.profile_id])
            return False
        return True

    def resync(self) -> None:
        """Re-read every audience of the job (the feed cursor was lost): members not yet enriched are queued."""
        t = threading.Thread(target=self._backfill_all, name=f"resync-{self.spec.job_id[:8]}", daemon=True)
        self._backfills.append(t)
        t.start()

    def _backfill_all(self) -> None:
        for segment_id in self.spec.segment_ids:
            self._backfill(segment_id)

    def _backfill(self, segment_id: str) -> None:
        try:
            for page in self.lytics.scan(segment_id, page_size=self.options.scan_page_size):
                read_at = self.clock.time()
                for profile in page:
                    if self._stop.is_set():
                        return
                    self.outcomes.count("backfill_seen")
                    self.submit(scan_item(profile, segment_id, read_at, self.identifier_fields), backfill=True)
        except RemoteError as exc:
            self._log("error", f"backfill of segment {segment_id} stopped: {REDACTOR(exc)}", "backfill_failed")

    # -- workers --------------------------------------------------------------------------------------------
    def _work(self) -> None:
        while not self._stop.is_set():
            if self._sends.paused or self.state.failed:
                self._stop.wait(0.1)
                continue
            self.work_one(timeout=0.25)

    def work_one(self, timeout: float) -> bool:
        """Take one queued user (waiting up to `timeout`) and send it; False when there was none to take.
        The workers' loop body; unit tests call it on their own thread."""
        if not self._unlanded.acquire(timeout=timeout):
            return False
        item = self._queue.get(timeout=timeout)
        if item is None:
            self._unlanded.release()
            return False
        with self._lock:
            self._in_flight += 1
        try:
            handed_off = self._process(item)
        except Exception as exc:  # a bug must not silently eat the user: record it as pending with a reason
            log.exception("worker crashed on user %s", item.profile_id)
            self._log("error", f"internal error on user {item.profile_id}: {REDACTOR(exc)}", "internal")
            handed_off = False
        finally:
            with self._lock:
                self._in_flight -= 1
        if not handed_off:
            self._unlanded.release()
            self._roster.release([item.profile_id])
        return True

    def _render_ahead(self, item: WorkItem) -> None:
        """Render this user with the next ones queued in one evaluation; each keeps its value until taken."""
        if self.template is None or item.ahead is not None or self.options.render_batch < 2:
            return
        others = self._queue.claim_ahead(self.options.render_batch - 1)
        if not others:
            return  # alone: its render may still join other workers' (BoundTemplate.value)
        users = [item, *others]
        values = self.template.values([entity_of(self.spec, u.profile, u.segment_events) for u in users])
        if values is None:
            for u in others:
                u.ahead_claimed = False
            return
        for u, v in zip(users, values, strict=True):
            u.ahead = (v,)

    def _render(self, item: WorkItem, outcome: Outcome) -> tuple[str, dict[str, str], bytes] | None:
        """The request as Lytics would send it; None when the user is omitted (assert, template or URL error)."""
        try:
            self._render_ahead(item)
            return render_request(self.spec, self.template, item.profile, item.segment_events,
                                  self.options.allow_http_hosts, rendered=item.ahead)
        except TemplateAssertionFailed as exc:
            self._omit(outcome, f"assert: {exc.message}")
            return None
        except (TemplateError, ConfigError) as exc:
            self._omit(outcome, f"template error: {REDACTOR(exc)}")
            return None

    def _process(self, item: WorkItem) -> bool:
        """Send one user until its answer settles it; True when the answer went to the write-back (still active)."""
        outcome = Outcome(user=item.profile_id, identity=item.identity, trigger=item.trigger,
                          trigger_ts=item.trigger_ts)
        self.outcomes.start(outcome)
        rendered = self._render(item, outcome)
        if rendered is None or self._dry_run(outcome, rendered):
            return False
        url, extra_headers, body = rendered
        refreshed = False
        while True:
            if not self._may_send(outcome):
                return False
            outcome.attempts += 1
            fetched, token = self._token(outcome)
            if not fetched:
                continue
            request_id, headers, params = self._prepare(token, extra_headers)
            sent = self._send(item, outcome, request_id, url, params, headers, body)
            if sent is None:
                continue
            resp, sent_ts = sent
            answer = classify(resp.status_code, resp.headers.get("Retry-After"), resp.content,
                              token_sent=token is not None, refreshed=refreshed,
                              never_retry=self.spec.never_retry(resp.status_code),
                              ignore_retry_after=self.options.ignore_retry_after, now=self.clock.time())
            self._record(item, outcome, request_id, sent_ts, resp.status_code, answer)
            if answer.drop_token and token is not None and self.tokens is not None:
                self.tokens.invalidate(token)  # on every 401: a revoked token must not stay cached
            if answer.verdict is Verdict.REFRESH:
                refreshed = True
                self.outcomes.count("token_refresh_on_401")
            elif answer.verdict is Verdict.ENRICH:
                self.writeback.add({"origin": item.identity, "response": answer.data}, (item, outcome))
                return True
            elif answer.verdict is Verdict.OMIT:
                self._omit(outcome, str(answer.reason))
                return False
            else:
                self._retry(outcome, answer)

    def _dry_run(self, outcome: Outcome, rendered: tuple[str, dict[str, str], bytes]) -> bool:
        if not self.options.dry_run:
            return False
        url, _headers, body = rendered
        self._log("info", f"dry-run: would {self.spec.http_method} {REDACTOR.url(url)} "
                  f"body={body[:2000].decode('utf-8', 'replace')}", "dry_run")
        self._omit(outcome, "dry-run: not sent")
        return True

    def _may_send(self, outcome: Outcome) -> bool:
        """Gate, job failure, the user's attempt cap and the call cap, then a send slot (waits while paused)."""
        if not self.gate.wait(self._stop) or self.state.failed:
            outcome.reason = "job stopped" if self._stop.is_set() else "job failed"
            return False
        if outcome.attempts >= self.options.max_attempts_per_user:
            self._omit(outcome, f"retries exhausted after {outcome.attempts} attempts")
            return False
        with self._lock:
            if self.options.max_calls is not None and self._calls >= self.options.max_calls:
                outcome.reason = "max-calls cap reached"
                return False
            self._calls += 1
        if not self._sends.begin():  # paused: wait here, holding the user; stopped: the user stays pending
            outcome.reason = "job stopped"
            return False
        return True

    def _token(self, outcome: Outcome) -> tuple[bool, str | None]:
        """(True, the token to place: None when the job has no OAuth) or (False, None): the fetch failed, which
        counts as a failed request (the send slot is given back)."""
        if self.tokens is None:
            return True, None
        try:
            return True, self.tokens.get()
        except RemoteError as exc:
            self._sends.end()
            self.outcomes.count("token_errors")
            outcome.reason = f"token: {REDACTOR(exc)}"
            self._failed_request(outcome, str(outcome.reason))
            return False, None

    def _prepare(self, token: str | None, extra_headers: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
        """Request id, headers and params of one attempt: the token where the auth places it, then the template's
        headers; the request id joins the runner's request log to Ansira's journal."""
        headers, params = self.placement.apply(token)
        headers.update(extra_headers)
        headers.setdefault("Content-Type", "application/json")
        request_id = f"{self._request_prefix}-{next(self._request_seq)}"
        headers[REQUEST_ID_HEADER] = request_id
        return request_id, headers, params

    def _send(self, item: WorkItem, outcome: Outcome, request_id: str, url: str, params: dict[str, str],
              headers: dict[str, str], body: bytes) -> tuple[Reply, float] | None:
        """The answer and when it was sent; None when there is none: not sent (another worker's Retry-After
        closed the gate meanwhile) or a transport error (a failed request)."""
        sent: list[float] = []
        try:
            reply = self._request(url, params, headers, body, before_send=functools.partial(self._admit, sent))
            return reply, sent[0]
        except SendCancelled:  # another worker's 429 closed the gate after this one passed it: not sent
            outcome.attempts -= 1
            with self._lock:
                self._calls -= 1
            self.outcomes.count("send_deferred")
            return None
        except requests.RequestException as exc:
            if sent:
                self.outcomes.request(request_id, item.profile_id, sent[0], None, None, None)
            self.outcomes.count("transport_errors")
            outcome.unanswered += 1
            outcome.http_status = None
            outcome.reason = f"transport: {type(exc).__name__}"
            self._failed_request(outcome, outcome.reason)
            return None

    def _record(self, item: WorkItem, outcome: Outcome, request_id: str, sent_ts: float, status: int,
                answer: Answer) -> None:
        """Stamp the receipt, holding the gate first thing on a Retry-After: the receive time is taken under the
        gate's lock, so every send stamped after it was refused by `admit` (docs/reliability.md)."""
        received = self.gate.hold_for(answer.hold_s) if answer.hold_s is not None else self.gate.stamp()
        self.outcomes.request(request_id, item.profile_id, sent_ts, received, status, answer.retry_after)
        outcome.http_status = status
        self.outcomes.count(f"http_{status}")
        if answer.success:
            self.state.success()
        if answer.rate_limited:
            self.outcomes.count("rate_limited")

    def _retry(self, outcome: Outcome, answer: Answer) -> None:
        """SLEEP, RETRY or BACKOFF: the user is sent again after this."""
        if answer.verdict is Verdict.RETRY:  # the test-only fault: retry at once
            self.outcomes.count("retry_after_ignored")
        elif answer.verdict is Verdict.SLEEP:
            self.outcomes.count("retry_after_honoured")
            self.state.sleeping()
            self._log("info", f"Retry-After {answer.retry_after:.3f}s from webhook (HTTP {outcome.http_status})",
                      "retry_after")
        else:
            self.outcomes.count("retried")
            self._failed_request(outcome, str(answer.reason))

    def _admit(self, sent: list[float]) -> bool:
        """The gate's last word, immediately before the bytes go out; records the send time when it says yes."""
        ts = self.gate.admit()
        if ts is None:
            return False
        sent.append(ts)
        self.outcomes.count("sent")
        return True

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.options.backoff_base_s, cap=self.options.backoff_cap_s)

    # -- classification -------------------------------------------------------------------------------------
    def _omit(self, outcome: Outcome, reason: str) -> None:
        self.outcomes.finish(outcome, OMITTED, reason=reason, done_ts=self.clock.time())
        self._log("info", f"user {outcome.user} omitted: {reason}", "omitted", {"omitted": 1})

    def _failed_request(self, outcome: Outcome, why: str) -> None:
        """One failed request (answer, transport or token): the job's streak, then this user's backoff."""
        esc = self.state.failure(why)
        if esc is not None and esc.failed:
            self._log("error", f"job failed: {esc.message}", "job_failed",
                      console="info" if self.options.job_failure_expected else None)
        elif esc is not None:
            # Lytics logs a job error as an error; here it is the runner coping with a failing remote (a 5xx, 429
            # or token storm a scenario may inject on purpose): INFO, counted in job_errors. Failing it is ERROR.
            self._log("error", esc.message, "job_error", console="info")
            self.outcomes.count("job_errors")
            self.gate.hold_for(esc.backoff_s)
        self.clock.sleep(self._stop, self._backoff(outcome.attempts))

    def _landed(self, tags: list[Any], landed_at: float) -> None:
        for _item, outcome in tags:
            self.outcomes.finish(outcome, ENRICHED, done_ts=landed_at)
        self._roster.landed([item.profile_id for item, _ in tags], landed_at)
        for _ in tags:
            self._unlanded.release()
        self._log("info", f"{len(tags)} users enriched", "added", {"added": len(tags)}, quiet=True)

    def _lost(self, tags: list[Any], reason: str) -> None:
        """Answered but not written back where the job lives: the users stay pending, never enriched, and the
        job stops taking users (its Lytics is gone: calling more would only lose more answers)."""
        first = not self._stop.is_set()
        self._stop.set()
        self._queue.close()
        for _item, outcome in tags:
            outcome.reason = reason
        self.outcomes.count("writeback_lost", len(tags))
        self._roster.release([item.profile_id for item, _ in tags])
        for _ in tags:
            self._unlanded.release()
        self._log("warning", f"{len(tags)} users not written back: {reason}", "writeback_lost", quiet=not first)

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- reporting ------------------------------------------------------------------------------------------
    def take_report(self) -> JobReport:
        logs = self.joblog.take()
        counters = dict(self.outcomes.counters)
        counters["token_fetches"] = self.tokens.fetches if self.tokens else 0
        counters["writeback_failures"] = self.writeback.failures
        counters["queued"] = len(self._queue)
        # paused/killed/deleted belong to the user (Lytics shows them); the runner reports only its own states
        status, message = self.state.snapshot()
        return {"status": None if status in USER_STATES else status, "message": message, "counters": counters,
                "logs": logs}
