"""The verify report as text (a table), JSON or JUnit XML; every format goes through the redactor last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from harness.redact import REDACTOR
from harness.verify.run import VerifyResult

FORMATS = ("text", "json", "junit")
FILES = {"text": "report.txt", "json": "report.json", "junit": "junit.xml"}


def _redacted(value: Any) -> Any:
    """Redact every string of the data, not the serialised text (a pattern could eat a JSON escape)."""
    if isinstance(value, str):
        return REDACTOR(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def to_dict(result: VerifyResult) -> dict[str, Any]:
    return _redacted({
        "service": "ansira",
        "base_url": REDACTOR.url(result.base_url),
        "tag": result.tag,
        "max_calls": result.max_calls,
        "calls": result.calls,
        "mock_calls": result.mock_calls,
        "ok": result.ok,
        "summary": {"probes": len(result.results), "same": sum(r.same for r in result.results),
                    "differ": len(result.differing), "not_run": len(result.not_run)},
        "probes": [{"name": r.probe.name, "description": r.probe.description, "same": r.same,
                    "real": r.real.to_dict(), "mock": r.mock.to_dict(),
                    "differences": [d.to_dict() for d in r.differences]} for r in result.results],
    })


def text(result: VerifyResult) -> str:
    rows = [("probe", "real", "mock", "same?")]
    for r in result.results:
        verdict = "yes" if r.same else "NO" if r.differences else "not run"
        rows.append((r.probe.name, r.real.summary(), r.mock.summary(), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"verify ansira: {REDACTOR.url(result.base_url)} (tag {result.tag}; {result.calls} calls sent, "
             f"cap {result.max_calls})", ""]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
              for row in rows]
    if result.differing:
        lines += ["", "differences:"]
        for r in result.differing:
            lines += [f"  {r.probe.name}: {d}" for d in r.differences]
            notes = [f"{side} said: {o.note}" for side, o in (("real", r.real), ("mock", r.mock)) if o.note]
            if r.real.note and r.real.note == r.mock.note:
                notes = [f"both said: {r.real.note}"]
            lines += [f"    ({n})" for n in notes]
    if result.not_run:
        lines += ["", f"not run: {', '.join(r.probe.name for r in result.not_run)} "
                      f"({result.not_run[0].real.skipped}); not verified, so the run does not pass"]
    same = sum(r.same for r in result.results)
    lines += ["", f"{same} of {len(result.results)} probes answer the same; {len(result.differing)} differ"]
    return REDACTOR("\n".join(lines)) + "\n"


def junit(result: VerifyResult) -> str:
    suite = ET.Element("testsuite", name="verify ansira", tests=str(len(result.results)),
                       failures=str(len(result.differing)), skipped=str(len(result.not_run)), errors="0")
    for r in result.results:
        case = ET.SubElement(suite, "testcase", classname="verify.ansira", name=r.probe.name)
        if r.differences:
            failure = ET.SubElement(case, "failure", message=f"{len(r.differences)} difference(s)")
            failure.text = REDACTOR("\n".join(str(d) for d in r.differences))
        elif r.real.skipped:
            ET.SubElement(case, "skipped", message=r.real.skipped)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def render(result: VerifyResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_dict(result), indent=2) + "\n"
    return junit(result) if fmt == "junit" else text(result)


def write_all(result: VerifyResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for fmt, name in FILES.items():
        (out / name).write_text(render(result, fmt), encoding="utf-8")
