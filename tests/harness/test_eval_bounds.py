"""Runaway templates and scenarios are bounded in memory and time: they run in a killable child process with a
memory cap, and outputs past the size limit are refused with a clear error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from enrich_templates import TemplateEngine
from harness.errors import ScenarioError
from harness.scenario import loader
from tests.serving import start_serve, stop_serve

LOOP = "std.foldl(function(a, b) a + b, std.range(1, 400000000), 0)"
# 2 MiB of output, built in milliseconds: it meets the 1 MiB output cap, never the time limit, however busy the machine
DOUBLING = "local d(s, n) = if n == 0 then s else d(s + s, n - 1); {x: d('ab', 20)}"
GIB = 1024 ** 3


def test_runaway_template_tests_leave_serve_bounded_and_rendering(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    proc, info = start_serve(ready)
    try:
        url = info["lytics_url"] + "/v2/template/test?desired_format=json"
        key = {"Authorization": info["lytics_api_key"]}
        serve = psutil.Process(proc.pid)
        for _ in range(2):
            started = time.monotonic()
            r = requests.post(url, headers=key, json={"template": LOOP, "entity": {}}, timeout=30)
            data = r.json()["data"]  # whichever bound it meets first: the memory cap or the time limit
            assert r.status_code == 200 and ("did not finish within 2s" in data or "out of memory" in data), data
            assert time.monotonic() - started < 2 + 5  # the time bound, plus a loaded machine's slack
            assert not [c for c in serve.children(recursive=True) if c.is_running()
                        and c.status() != psutil.STATUS_ZOMBIE and c.cpu_percent(0.2) > 50], "left running"
        big = requests.post(url, headers=key, json={"template": DOUBLING, "entity": {}}, timeout=30).json()["data"]
        assert "over the limit of 1,048,576 bytes" in big, big[:300]
        ok = requests.post(url, headers=key, json={"template": "{a: 1 + 1}", "entity": {}}, timeout=10)
        assert ok.json()["data"].strip().replace(" ", "").replace("\n", "") == '{"a":2}'
        assert serve.memory_info().rss < GIB
    finally:
        stop_serve(proc)


def test_output_past_the_cap_is_refused_with_a_clear_error() -> None:
    with TemplateEngine(isolation="process", timeout_s=10, max_output_bytes=1000) as eng:
        out = eng.evaluate("{x: std.repeat('a', 5000)}", {})
    assert out.kind == "eval" and "5,015 bytes, over the limit of 1,000 bytes" in out.message
    assert TemplateEngine(max_output_bytes=1000).evaluate("{x: 'small'}", {}).text is not None


@pytest.mark.parametrize(("body", "expected"), [
    (f"{{n: {LOOP}}}", ("did not finish within 2s", "out of memory (limit 1024 MB)")),  # whichever comes first
    # a doubling string meets the memory cap within a second on a quiet machine, the time limit first on a busy one
    ("local d(s, n) = if n == 0 then s else d(s + s, n - 1); {x: d('ab', 34)}",
     ("did not finish within 2s", "out of memory (limit 1024 MB)")),
])
def test_runaway_scenario_render_is_killed_with_a_clear_error(tmp_path: Path, body: str,
                                                             expected: tuple[str, ...]) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "runaway.jsonnet").write_text(body)
    me = psutil.Process()
    before = me.memory_info().rss
    with pytest.raises(ScenarioError) as err:
        loader.render(folder / "runaway.jsonnet", timeout_s=2)
    assert any(e in str(err.value) for e in expected) and "runaway.jsonnet" in str(err.value)
    assert me.memory_info().rss - before < 200 * 1024 ** 2  # evaluated elsewhere, and that process is gone
    good = folder / "good.jsonnet"
    good.write_text("{a: 1}")
    assert loader.render(good) == {"a": 1}  # a fresh child renders the next one


def test_a_vetted_engine_kills_a_runaway_in_its_child_and_renders_known_templates_here() -> None:
    """isolation="vetted" (the runner's): the first render of a template runs in the shared child under the memory
    cap; once one succeeded there, that template renders on this process' threads."""
    from enrich_templates import engine as engine_module

    eng = TemplateEngine(isolation="vetted")
    me = psutil.Process()
    before = me.memory_info().rss
    out = eng.evaluate(f"{{n: {LOOP}}}", {})
    assert out.kind is not None and ("did not finish" in out.message or "out of memory" in out.message), out
    assert eng.runaway == 0, "the runaway never ran on this process' threads"
    assert me.memory_info().rss - before < 200 * 1024 ** 2
    good = "local e = import 'lytemplates.libsonnet'; {email: e.get('email', '')}"
    assert eng.render(good, {"email": "a@b.co"}).value == {"email": "a@b.co"}  # vetted in a fresh child
    children = list(engine_module._SHARED_CHILDREN.values())
    assert len(children) == 1 and children[0].pid is not None
    children[0].close()  # from now on this template needs no child
    assert eng.render(good, {"email": "c@d.co"}).value == {"email": "c@d.co"}
    assert children[0].pid is None


def test_the_runner_omits_users_of_a_runaway_template_and_stays_bounded(run_variant: Any) -> None:
    """End to end: the job's template never finishes; every user is omitted with the reason, nothing was sent,
    and this process (runner and mocks) did not grow."""
    me = psutil.Process()
    before = me.memory_info().rss
    loop = LOOP.replace("'", "\\\\'")
    result = run_variant(
        "a.base { name: 'runaway', allow_no_checks: true, profiles+: { generate: { count: 2 } },"
        f" lytics+: {{ templates: [a.template(a.source_code) {{ source: '{{n: {loop}}}' }}] }},"
        " steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true, timeout_s: 60 } }],"
        " checks: [{ kind: 'outcomes', omitted: { equals: 2 }, enriched: { equals: 0 } },"
        " { kind: 'ansira_calls', status: { '201': { max: 0 } } }] }")
    assert result.error is None and result.ok, [c.to_dict() for c in result.checks if not c.ok]
    assert me.memory_info().rss - before < 300 * 1024 ** 2
