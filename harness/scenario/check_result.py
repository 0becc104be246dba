"""What a check returns, and the small helpers every check module shares to show offenders.

Its own module so the run checks (checks.py) and the set-up diagnoses (checks_setup.py) share it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOW = 5


@dataclass
class CheckResult:
    name: str
    ok: bool
    reason: str
    details: list[str] = field(default_factory=list)
    kind: str = ""  # the check's `kind`; with `named`, what CI reports build a unique, stable testcase name from
    named: bool = False  # the scenario gave this check its name (else `name` is the kind's default)
    duration_s: float = 0.0  # evaluating the check, not the run it looks at

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason, "details": self.details,
                "kind": self.kind, "duration_s": round(self.duration_s, 6)}


def profile_email(profile: dict[str, Any]) -> str | None:
    """The profile's email as the checks compare it: the last of a list, trimmed and lower-case; None if none."""
    v = profile.get("email")
    if isinstance(v, list):
        v = v[-1] if v else None
    return v.strip().lower() if isinstance(v, str) and v.strip() else None


def brief(p: dict[str, Any]) -> str:
    """A profile in a line: just the fields that identify it."""
    keep = {k: p[k] for k in ("_id", "email", "ansira_uuid", "user_id") if k in p}
    return str(keep)
