"""The shipped scenario library: every scenario passes, says what it proves, and the set-up checks flag what the
diagnosing scenarios only assert as a symptom.

Each library scenario runs once; checks it does not ship are added to that same run (PROBES), with the verdict
they must reach: `False` proves a check fails on that misconfiguration with a reason a person can act on,
`True` proves the check accepts a healthy set-up (so it is not a check that always fails).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from harness.scenario import engine
from harness.scenario import model as m

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "scenarios").glob("*.jsonnet"))
CHECK = TypeAdapter(m.Check)

Probe = tuple[dict[str, Any], bool, list[str]]
PROBES: dict[str, list[Probe]] = {
    "audience_never_drains": [
        ({"kind": "audience_drains"}, False,
         ["100 of 100 enriched users still in audience ansira_enrichment_source",
          "no mapping on the job's stream 'ansira' writes 'ansira_uuid'", "writes only ansira_id, email"]),
        ({"kind": "no_duplicate_calls"}, False, ["answered successfully more than once: expected 0, actual 100"]),
    ],
    "missing_user_field": [
        ({"kind": "template"}, False, ["reads 'first_name', which the job does not export (user_fields: email)",
                                       "reads 'last_name'"]),
        ({"kind": "ansira_received", "fields": {"firstName": "first_name"}}, False,
         ["expected all 100", "does not export 'first_name'", "add 'first_name' to user_fields"]),
    ],
    "unknown_source_code": [
        ({"kind": "template"}, False, ["unknown source code 'LYTICS2025'; known: LYTICS2024"]),
    ],
    "quickstart": [
        ({"kind": "audience_drains"}, True, ["0 of 185 enriched users still in audience"]),
        ({"kind": "template"}, True, ["0 error-level findings"]),
        ({"kind": "ansira_received", "fields": {"uuid": "ansira_uuid", "email": "email"}}, True,
         ["for 185; expected all 185"]),
    ],
}


def test_the_library_is_there() -> None:
    names = {p.stem for p in LIBRARY}
    assert {"quickstart", "dynamic_source_code", "token_expiry", "revoked_credentials", "wrong_secret",
            "rate_limit_backfill", "server_errors", "bad_emails", "unknown_source_code", "malformed_responses",
            "audience_never_drains", "missing_user_field", "realtime_arrivals", "missing_scope"} <= names


def test_probes_name_real_files() -> None:
    assert set(PROBES) <= {p.stem for p in LIBRARY}


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_says_what_it_proves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = [ln for ln in text.splitlines()[:40] if ln.startswith("//")]
    assert text.startswith("//") and len(header) >= 3, f"{path.name}: start with a comment saying what it proves"
    assert "Proves" in text.split("\n\n")[0] or any("Proves" in ln for ln in header), path.name
    assert engine.load(path).description, f"{path.name}: give a one-line description"


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_library_scenario_passes(path: Path) -> None:
    sc = engine.load(path)
    probes = PROBES.get(path.stem, [])
    extra = [CHECK.validate_python(doc) for doc, _, _ in probes]
    result = engine.ScenarioRun(sc.model_copy(update={"checks": [*sc.checks, *extra]}), file=str(path)).execute()
    shipped, probed = result.checks[:len(sc.checks)], result.checks[len(sc.checks):]
    assert result.error is None, result.error
    assert not [c.to_dict() for c in shipped if not c.ok]
    for (doc, verdict, needles), got in zip(probes, probed, strict=True):
        text = "\n".join([got.reason, *got.details])
        assert got.ok is verdict, (doc, text)
        for needle in needles:
            assert needle in text, (doc, needle, text)
    _specific(path.stem, result)


def _specific(name: str, result: engine.ScenarioResult) -> None:
    """What a scenario claims beyond its checks, read from the runner's counters."""
    counters = result.summary["outcomes"]["counters"]
    if name == "realtime_arrivals":  # most users came through enter events, not the backfill scan
        assert counters["backfill_seen"] <= result.summary["outcomes"]["enriched"] - 50
    if name == "revoked_credentials":
        assert counters["token_refresh_on_401"] >= 1 and counters["token_errors"] >= 1
    if name == "server_errors":
        assert counters["transport_errors"] >= 1 and counters["retried"] >= 10
