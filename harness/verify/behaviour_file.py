"""Turn verify's differences into a mock Ansira behaviour document (`--write-behaviour FILE`).

Only what the behaviour document can express is written: a status for an error code per operation
(`error_status`) and case-sensitive emails. Every other difference comes back as a note, so nobody believes the
mock now matches in a way it does not. The file never holds a client or a secret.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.verify.compare import Difference
from harness.verify.run import ProbeResult, VerifyResult

_CASE_FACTS = {"status", "email", "same id as user.create", "same uuid as user.create"}


def derive(result: VerifyResult, base: Mapping[str, Any] | None, source_code: str) -> tuple[dict[str, Any], list[str]]:
    """(behaviour document, notes on differences it cannot express)."""
    doc: dict[str, Any] = {k: copy.deepcopy(v) for k, v in (base or {}).items() if k != "clients"}
    doc["source_codes"] = [source_code, *(c for c in doc.get("source_codes") or [] if c != source_code)]
    statuses = dict(doc.get("error_status") or {})
    explained: set[tuple[str, str]] = set()
    notes: list[str] = []

    case = _by_name(result, "user.case")
    if case is not None and case.differences and {d.what for d in case.differences} <= _CASE_FACTS:
        real_same = case.real.facts.get("same id as user.create")
        if isinstance(real_same, bool) and real_same != case.mock.facts.get("same id as user.create"):
            doc["emails_case_sensitive"] = not real_same
            explained |= {("user.case", d.what) for d in case.differences}

    wanted: dict[str, set[int]] = {}
    for r in result.results:  # every probe where the mock answers this error, differing or not
        if r.mock.error and r.real.status is not None and not r.real.skipped and r.real.error == r.mock.error:
            wanted.setdefault(f"{r.probe.operation}:{r.mock.error}", set()).add(r.real.status)
    for r in result.differing:
        status = _only_status(r)
        if status is None or (r.probe.name, "status") in explained:
            continue
        key = f"{r.probe.operation}:{r.mock.error}"
        if len(wanted.get(key, ())) == 1:
            statuses[key] = status.real
            explained.add((r.probe.name, "status"))
        else:
            found = ", ".join(str(s) for s in sorted(wanted.get(key, ())))
            notes.append(f"{r.probe.name}: the service answers {key} with different statuses ({found}); "
                         "error_status can give one status per operation and error code")
    if statuses:
        doc["error_status"] = statuses
    for r in result.differing:
        for d in r.differences:
            if (r.probe.name, d.what) not in explained and not (d.what == "status" and _only_status(r)):
                notes.append(f"{r.probe.name}: {d} (not expressible in a behaviour document)")
    return doc, notes


def _by_name(result: VerifyResult, name: str) -> ProbeResult | None:
    return next((r for r in result.results if r.probe.name == name), None)


def _only_status(r: ProbeResult) -> Difference | None:
    """The status difference of a probe whose answers differ only in status and carry the same error code."""
    if r.mock.error is None or r.real.error != r.mock.error or len(r.differences) != 1:
        return None
    d = r.differences[0]
    return d if d.what == "status" and isinstance(d.real, int) else None


def write(path: Path, doc: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
