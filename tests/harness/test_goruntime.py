"""enrich_templates.goruntime: the GC percent reaches the Go runtime of a process we start, and only that way."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from enrich_templates.goruntime import GC_PERCENT, tuned_env

RENDER_MANY = "import _gojsonnet as g\nfor _ in range(3000): g.evaluate_snippet('t', 'std.range(1, 200)')\n"


def _heap_goals(env: dict[str, str], code: str = RENDER_MANY) -> set[int]:
    """The heap goals (MB) Go's GC trace reports while a child process renders."""
    out = subprocess.run([sys.executable, "-c", code], env={**env, "GODEBUG": "gctrace=1"}, capture_output=True,
                         text=True, timeout=120, check=True)
    return {int(m) for m in re.findall(r"(\d+) MB goal", out.stderr)}


def test_a_child_started_with_the_tuned_env_collects_at_the_larger_heap_goal() -> None:
    base = {k: v for k, v in os.environ.items() if k != "GOGC"}
    default, tuned = _heap_goals(base), _heap_goals(tuned_env(base))
    assert default and tuned, "no GC trace: the renders allocated too little to collect"
    # Go's heap goal is at least 4 MB x GOGC/100, and most cycles sit at that floor (the live heap is tiny);
    # a busy machine delays a collection now and then and its goal wanders up, so compare the floors
    assert min(default) < 8 and min(tuned) >= 4 * int(GC_PERCENT) // 100


def test_setting_it_in_a_running_process_does_nothing() -> None:
    """Why goruntime only tunes children: Go took its environment from the process start."""
    base = {k: v for k, v in os.environ.items() if k != "GOGC"}
    late = "import os\nos.environ['GOGC'] = '400'\n" + RENDER_MANY
    assert min(_heap_goals(base, late)) < 8


def test_the_users_own_gogc_wins() -> None:
    assert tuned_env({"GOGC": "100", "X": "1"}) == {"GOGC": "100", "X": "1"}
    assert tuned_env({"X": "1"}) == {"GOGC": GC_PERCENT, "X": "1"}
