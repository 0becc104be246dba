"""`harness load --report html`: the joined client/server table, the thresholds and the load run's timelines."""

from __future__ import annotations

import time
from typing import Any

from harness.pictures.assets import inline_scripts, json_script
from harness.pictures.report import PAGE_CSS, esc


def render(result: Any) -> str:
    from harness.load.report import rows

    verdict = '<span class="pass">PASS</span>' if result.ok else '<span class="fail">FAIL</span>'
    table = "".join(f"<tr><th>{esc(a)}</th><td>{esc(b)}</td><td>{esc(c)}</td></tr>" for a, b, c in rows(result))
    thresholds = "".join(
        f"<tr><td>{'<span class=pass>PASS</span>' if t.ok else '<span class=fail>FAIL</span>'}</td>"
        f"<td>{esc(t.threshold)}</td><td>{esc(t.reason)}</td></tr>" for t in result.thresholds)
    errors = "".join(f'<p class="error">error: {esc(e)}</p>' for e in result.errors)
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>load run {esc(result.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{PAGE_CSS}</style>
{inline_scripts()}
</head><body>
<h1>{verdict} load run {esc(result.name)}</h1>
<p class="meta">{esc(result.file or "")}; written {esc(when)}. Hover a chart to read every series at that time.</p>
{errors}
<table class="checks joined"><thead><tr><th></th><th>client side (locust)</th><th>server side (mocks, runner)</th>
</tr></thead><tbody>{table}</tbody></table>
<h2>Thresholds</h2>
<table class="checks thresholds"><tbody>{thresholds or '<tr><td>none</td></tr>'}</tbody></table>
<h2>Timelines</h2>
<div class="timelines" data-for="timeline-0"></div>
{json_script("timeline-0", result.charts or {"empty": True})}
<script>
for (const box of document.querySelectorAll(".timelines")) {{
  EnrichsimCharts.render(box, JSON.parse(document.getElementById(box.dataset.for).textContent));
}}
</script>
</body></html>
"""
