"""Job leases: at most one runner works a job at a time.

A runner takes (and renews) a job's lease with `POST /__admin/jobs/{id}/lease {"holder", "ttl_s"}`; another
holder is refused (409, naming the holder and when the lease runs out) until the lease expires. A runner that
dies stops renewing, so its successor takes over after at most `ttl_s`. Leases live in memory like everything
else here: a restart or a reset forgets them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_lytics.errors import BadRequest, Conflict

MAX_TTL_S = 300.0
MAX_HOLDER_CHARS = 200


@dataclass
class Lease:
    holder: str
    expires: float


def _holder(body: Mapping[str, Any]) -> str:
    holder = body.get("holder")
    if not isinstance(holder, str) or not holder.strip() or len(holder) > MAX_HOLDER_CHARS:
        raise BadRequest(f"lease 'holder' must be a non-empty string of at most {MAX_HOLDER_CHARS} characters "
                         f"naming the runner, got {holder!r}")
    return holder


def parse_take(body: Any) -> tuple[str, float]:
    """(holder, ttl_s) from a lease request, or a 400 naming the bad key."""
    if not isinstance(body, Mapping):
        raise BadRequest('lease body must be a JSON object like {"holder": "runner-1", "ttl_s": 5}')
    unknown = sorted(set(body) - {"holder", "ttl_s"})
    if unknown:
        raise BadRequest(f"unknown lease attribute(s) {unknown}; expected holder, ttl_s")
    ttl = body.get("ttl_s")
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= MAX_TTL_S:
        raise BadRequest(f"lease 'ttl_s' must be a number of seconds in (0, {MAX_TTL_S:g}], got {ttl!r}")
    return _holder(body), float(ttl)


def parse_release(body: Any) -> str:
    if not isinstance(body, Mapping) or set(body) != {"holder"}:
        raise BadRequest('lease release body must be {"holder": "<the holder that took it>"}')
    return _holder(body)


class Leases:
    """Lease per job id; the caller holds the backend lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.by_job: dict[str, Lease] = {}

    def take(self, job_id: str, holder: str, ttl_s: float) -> dict[str, Any]:
        """Take or renew; 409 while another holder's lease runs."""
        now = self._clock()
        current = self.by_job.get(job_id)
        if current is not None and current.holder != holder and current.expires > now:
            left = current.expires - now
            raise Conflict(f"job {job_id} is leased to runner {current.holder!r} for another {left:.1f}s; "
                           "one runner per job (it expires unless that runner renews it)",
                           data={"holder": current.holder, "expires_in_s": round(left, 3)})
        self.by_job[job_id] = Lease(holder, now + ttl_s)
        return {"job_id": job_id, "holder": holder, "expires_in_s": ttl_s}

    def release(self, job_id: str, holder: str) -> dict[str, Any]:
        current = self.by_job.get(job_id)
        released = current is not None and current.holder == holder
        if released:
            del self.by_job[job_id]
        return {"job_id": job_id, "released": released}

    def drop(self, job_id: str) -> None:
        self.by_job.pop(job_id, None)
