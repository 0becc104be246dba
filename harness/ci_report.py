"""JUnit XML and Markdown for CI systems, shared by `harness run` and `harness load`.

CI dashboards key test history on (classname, name), and GitLab keeps only the first of duplicate names, so every
testcase name here is unique within its suite. Counts and times are derived from the cases, never passed in, so a
suite's `tests`/`failures`/`errors`/`time` cannot disagree with what it holds.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness.redact import REDACTOR

# characters XML 1.0 cannot carry at all (control characters other than tab, newline, carriage return)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")
MESSAGE_MAX = 1000  # a failure's message attribute: the one line a dashboard shows; the body has everything


@dataclass
class Case:
    """One testcase: `failure` (a check did not hold) and `error` (it could not be run) start with the verdict."""

    name: str
    classname: str
    time_s: float = 0.0
    file: str | None = None
    failure: str | None = None
    error: str | None = None
    body: str = ""  # the full text under <failure>/<error>: message first, details after

    @property
    def ok(self) -> bool:
        return self.failure is None and self.error is None


@dataclass
class Suite:
    name: str
    cases: list[Case] = field(default_factory=list)
    started: float | None = None  # epoch seconds; the JUnit timestamp (UTC, no zone, as the Ant schema wants)

    @property
    def time_s(self) -> float:
        return sum(c.time_s for c in self.cases)

    @property
    def failures(self) -> int:
        return sum(c.failure is not None and c.error is None for c in self.cases)

    @property
    def errors(self) -> int:
        return sum(c.error is not None for c in self.cases)


def unique(names: Iterable[str]) -> list[str]:
    """Make names unique in order: the second `x` becomes `x #2`, so the first keeps its name (and its history)."""
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} #{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


def clean(text: object) -> str:
    """Redacted, without terminal colours or characters XML cannot hold."""
    return _NOT_XML.sub("?", _ANSI.sub("", REDACTOR(str(text))))


def _seconds(v: float) -> str:
    return f"{max(0.0, v):.3f}"


def timestamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def junit(suites: Sequence[Suite], name: str = "enrichsim") -> str:
    root = ET.Element("testsuites", name=name, tests=str(sum(len(s.cases) for s in suites)),
                      failures=str(sum(s.failures for s in suites)), errors=str(sum(s.errors for s in suites)),
                      time=_seconds(sum(s.time_s for s in suites)))
    for s in suites:
        attrs = {"name": clean(s.name), "tests": str(len(s.cases)), "failures": str(s.failures),
                 "errors": str(s.errors), "skipped": "0", "time": _seconds(s.time_s)}
        if s.started is not None:
            attrs["timestamp"] = timestamp(s.started)
        suite = ET.SubElement(root, "testsuite", attrs)
        for c in s.cases:
            case_attrs = {"name": clean(c.name), "classname": clean(c.classname), "time": _seconds(c.time_s)}
            if c.file:
                case_attrs["file"] = clean(c.file)
            case = ET.SubElement(suite, "testcase", case_attrs)
            verdict = ("error", c.error) if c.error is not None else ("failure", c.failure)
            if verdict[1] is not None:
                message = clean(verdict[1])
                short = message if len(message) <= MESSAGE_MAX else message[:MESSAGE_MAX - 1] + "…"
                ET.SubElement(case, verdict[0], message=short, type=verdict[0]).text = clean(c.body or message)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# -- Markdown ---------------------------------------------------------------------------------------------------
def cell(text: object) -> str:
    """One Markdown table cell: pipes escaped, line breaks as <br>, so a reason never breaks the table; a `<` that
    could open a tag and an `&` that could start an entity are escaped (Markdown passes HTML through), the rest of
    the text (`expected <= 5`) stays as written."""
    s = _HTML_START.sub(lambda mt: "&amp;" if mt.group(0) == "&" else "&lt;", clean(text))
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "")
    return "<br>".join(line.strip() for line in s.split("\n") if line.strip())


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


FAIL, ERROR, PASS = "❌ FAIL", "⚠️ ERROR", "✅ pass"
