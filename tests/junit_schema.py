"""A JUnit XML validator for tests: the structure of the Jenkins/Ant JUnit schema (junit-10.xsd) plus what CI
dashboards rely on and the schema cannot say: counts that match the testcases, times that add up, and unique
(classname, name) pairs (GitLab keeps only the first of duplicates, so a failing twin vanishes).

Returns a list of problems, each naming the element; empty means valid.
"""

from __future__ import annotations

import re
from collections import Counter
from xml.etree import ElementTree as ET

SUITES_ATTRS = {"name", "time", "tests", "failures", "errors", "disabled", "skipped"}
SUITE_ATTRS = {"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id",
               "package", "file", "log", "url", "version"}
SUITE_REQUIRED = {"name", "tests"}
CASE_ATTRS = {"name", "classname", "time", "file", "line", "assertions", "status"}
CASE_REQUIRED = {"name", "classname"}
CASE_CHILDREN = {"skipped", "error", "failure", "system-out", "system-err", "properties"}
VERDICT_ATTRS = {"message", "type"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")
INTEGER = re.compile(r"^\d+$")


def validate(xml: str | bytes, *, times_add_up: bool = True, time_tolerance: float = 0.002) -> list[str]:
    """`times_add_up`: a suite's time is its testcases' sum (ours are; pytest's suite time is wall time)."""
    try:
        root = ET.fromstring(xml.encode() if isinstance(xml, str) else xml)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag == "testsuites":
        _attrs(root, "testsuites", SUITES_ATTRS, set(), problems)
        suites = list(root)
        for child in suites:
            if child.tag != "testsuite":
                problems.append(f"testsuites: unexpected child <{child.tag}>")
        suites = [s for s in suites if s.tag == "testsuite"]
        for key, tag in (("tests", "testcase"), ("failures", "testcase/failure"), ("errors", "testcase/error")):
            total = sum(len(s.findall(tag)) for s in suites)
            if root.get(key) is not None and root.get(key) != str(total):
                problems.append(f"testsuites: {key}={root.get(key)} but the suites hold {total}")
    elif root.tag == "testsuite":
        suites = [root]
    else:
        return [f"root element is <{root.tag}>, expected <testsuites> or <testsuite>"]
    for s in suites:
        _suite(s, problems, time_tolerance if times_add_up else None)
    suites_with: Counter[tuple[str | None, str | None]] = Counter()
    for s in suites:
        suites_with.update({(c.get("classname"), c.get("name")) for c in s.findall("testcase")})
    for (classname, name), n in suites_with.items():
        if n > 1:
            problems.append(f"testcase {name!r} (classname {classname!r}) appears in {n} suites")
    return problems


def _attrs(el: ET.Element, where: str, allowed: set[str], required: set[str], problems: list[str]) -> None:
    for a in sorted(set(el.attrib) - allowed):
        problems.append(f"{where}: attribute {a!r} is not in the JUnit schema")
    for a in sorted(required - set(el.attrib)):
        problems.append(f"{where}: required attribute {a!r} is missing")
    for a in ("tests", "failures", "errors", "skipped", "disabled"):
        if a in el.attrib and not INTEGER.match(el.attrib[a]):
            problems.append(f"{where}: {a}={el.attrib[a]!r} is not a non-negative integer")
    if "time" in el.attrib and not DECIMAL.match(el.attrib["time"]):
        problems.append(f"{where}: time={el.attrib['time']!r} is not a non-negative decimal")
    if "timestamp" in el.attrib and not TIMESTAMP.match(el.attrib["timestamp"]):
        problems.append(f"{where}: timestamp={el.attrib['timestamp']!r} is not an ISO 8601 date-time")


def _suite(s: ET.Element, problems: list[str], tolerance: float | None) -> None:
    where = f"testsuite {s.get('name')!r}"
    _attrs(s, where, SUITE_ATTRS, SUITE_REQUIRED, problems)
    cases = [c for c in s if c.tag == "testcase"]
    for child in s:
        if child.tag not in ("testcase", "properties", "system-out", "system-err"):
            problems.append(f"{where}: unexpected child <{child.tag}>")
    counts = {"tests": len(cases), "failures": sum(len(c.findall("failure")) for c in cases),
              "errors": sum(len(c.findall("error")) for c in cases),
              "skipped": sum(len(c.findall("skipped")) for c in cases)}
    for key, n in counts.items():
        if s.get(key) is not None and s.get(key) != str(n):
            problems.append(f"{where}: {key}={s.get(key)} but it holds {n}")
    dupes = [k for k, n in Counter((c.get("classname"), c.get("name")) for c in cases).items() if n > 1]
    for classname, name in dupes:
        problems.append(f"{where}: testcase name {name!r} (classname {classname!r}) is not unique")
    for c in cases:
        cwhere = f"{where} testcase {c.get('name')!r}"
        _attrs(c, cwhere, CASE_ATTRS, CASE_REQUIRED, problems)
        for child in c:
            if child.tag not in CASE_CHILDREN:
                problems.append(f"{cwhere}: unexpected child <{child.tag}>")
            elif child.tag in ("failure", "error"):
                for a in sorted(set(child.attrib) - VERDICT_ATTRS):
                    problems.append(f"{cwhere}: <{child.tag}> attribute {a!r} is not in the JUnit schema")
        if len(c.findall("failure")) + len(c.findall("error")) > 1:
            problems.append(f"{cwhere}: more than one failure/error")
    times = [float(c.get("time", "0")) for c in cases if DECIMAL.match(c.get("time", "0"))]
    suite_time = s.get("time", "")
    if tolerance is not None and DECIMAL.match(suite_time) and \
            abs(float(suite_time) - sum(times)) > tolerance * max(1, len(times)):
        problems.append(f"{where}: time={s.get('time')} but its testcases add up to {sum(times):.3f}")
