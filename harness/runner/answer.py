"""What one webhook answer means for the user and the job: a pure decision, so each Lytics rule is unit-testable.

`classify` looks only at the answer (status, Retry-After, body) and the user's send so far; the job applies the
verdict (gate, counters, token cache, write-back, job state). Rules, by the facts (/work/shared/reference/
lytics-ansira-facts.md §2.5 "Errors, retries, limits", [DOC WH]) and docs/fidelity.md rows R1-R7, J14, J15:

| answer                                        | verdict | what the job does                              | source  |
|-----------------------------------------------|---------|------------------------------------------------|---------|
| 2xx with a JSON body                          | ENRICH  | streak of failures ends; write-back the body   | §2.4    |
| 2xx, body not JSON                            | OMIT    | streak ends (it was answered), user omitted    | INF     |
| 401, token sent, first 401 of this user       | REFRESH | drop the token, retry at once (no failure)     | §4 INF  |
| 401, token sent, a later 401                  | (below) | drop the token, then as any other answer       | §2.5    |
| 400, 404, 413 or a `do_not_retry` code        | OMIT    | user omitted, no retry, the job does not fail  | R2      |
| other status with a Retry-After               | SLEEP   | every worker held; job `sleeping`; no error    | R7, J15 |
| same, `ignore_retry_after` (test-only fault)  | RETRY   | retry at once, nothing held                    | -       |
| any other status                              | BACKOFF | one failed request; retry after jittered delay | R1, R5  |

A failed request (BACKOFF, a transport error, a token error) counts towards the job's streak: 10 in a row are a
job error (`fault-N`, job backoff R4), repeated job errors fail the job (J16); that is `JobState.failure`.
A 429 is counted as `rate_limited` on top of its verdict. No Retry-After is read from a 2xx, a first 401 or a
never-retry answer: those are not asked to be retried.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from harness.runner.pacing import parse_retry_after


class Verdict(enum.Enum):
    ENRICH = "enrich"  # write the body back; the user is enriched once it lands
    OMIT = "omit"  # give up on this user with a reason; not a job failure
    REFRESH = "refresh"  # fetch a fresh token and send again at once
    SLEEP = "sleep"  # hold the job's gate for `hold_s`, then send again
    RETRY = "retry"  # send again at once (a Retry-After the test-only fault ignores)
    BACKOFF = "backoff"  # a failed request: count it, wait a jittered delay, send again


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    reason: str | None = None  # why the user is omitted / why the request failed
    data: Any = None  # the parsed body of an ENRICH
    retry_after: float | None = None  # the Retry-After that applies (logged even when ignored)
    hold_s: float | None = None  # how long to hold every worker of the job (SLEEP only)
    success: bool = False  # a 2xx: ends the job's streak of failed requests
    drop_token: bool = False  # the token was refused: forget it before anyone reuses it
    rate_limited: bool = False  # a 429 (counted apart from the verdict)


def classify(status: int, retry_after_header: str | None, body: bytes, *, token_sent: bool, refreshed: bool,
             never_retry: bool, ignore_retry_after: bool, now: float | None = None) -> Answer:
    """The verdict on one answer. `refreshed`: this user already had its one immediate retry after a 401;
    `never_retry`: the job's do-not-retry rule for `status`; `now`: epoch seconds for an HTTP-date Retry-After."""
    if 200 <= status < 300:
        try:
            data = json.loads(body)
        except ValueError:
            return Answer(Verdict.OMIT, f"non-JSON {status} body", success=True)
        return Answer(Verdict.ENRICH, data=data, success=True)
    drop_token = status == 401 and token_sent
    if drop_token and not refreshed:
        return Answer(Verdict.REFRESH, drop_token=True)
    if never_retry:
        return Answer(Verdict.OMIT, f"HTTP {status}", drop_token=drop_token)
    retry_after = parse_retry_after(retry_after_header, now=now)
    limited = status == 429
    if retry_after is None:
        return Answer(Verdict.BACKOFF, f"HTTP {status}", drop_token=drop_token, rate_limited=limited)
    if ignore_retry_after:
        return Answer(Verdict.RETRY, retry_after=retry_after, drop_token=drop_token, rate_limited=limited)
    return Answer(Verdict.SLEEP, retry_after=retry_after, hold_s=retry_after, drop_token=drop_token,
                  rate_limited=limited)
