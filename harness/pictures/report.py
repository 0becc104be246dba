"""`--report html`: one self-contained page per run, the check tables and timelines of every scenario.

Everything (uPlot, our chart script, the data) is inline, so the file opens offline; every text from a run passes
the redactor first, like the text, JSON and JUnit reports.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

from harness.pictures.assets import inline_scripts, json_script
from harness.redact import REDACTOR

PAGE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:16px;
color:#1b1b1b}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.pass{color:#1e7b34;font-weight:600}.fail{color:#b00020;font-weight:600}
table.checks{border-collapse:collapse;margin:8px 0 12px}table.checks td,table.checks th{padding:3px 10px;
text-align:left;vertical-align:top;border-bottom:1px solid #eee}
.details{color:#555;font-size:12px;margin:0;padding-left:16px}.summary{color:#333}
.chart{margin:10px 0}.error{color:#b00020}.meta{color:#666;font-size:12px}
"""


def esc(value: object) -> str:
    return html.escape(REDACTOR(str(value)))


def _checks_table(checks: Sequence[Any]) -> str:
    rows = []
    for c in checks:
        verdict = '<span class="pass">ok</span>' if c.ok else '<span class="fail">FAIL</span>'
        details = "".join(f"<li>{esc(d)}</li>" for d in (c.details if not c.ok else []))
        rows.append(f"<tr><td>{verdict}</td><td>{esc(c.name)}</td><td>{esc(c.reason)}"
                    f"{f'<ul class=details>{details}</ul>' if details else ''}</td></tr>")
    return ('<table class="checks"><thead><tr><th></th><th>check</th><th>result</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _summary(r: Any) -> str:
    s = r.summary.get("outcomes") or {}
    lat = s.get("latency_ms") or {}
    ansira = r.summary.get("ansira") or {}
    parts = [f"{s.get('enriched', 0)} enriched", f"{s.get('omitted', 0)} omitted", f"{s.get('pending', 0)} pending",
             f"Ansira calls: {ansira.get('total', '?')}", f"tokens issued: {ansira.get('tokens_issued', '?')}",
             f"latency p50/p99: {_ms(lat.get('p50'))}/{_ms(lat.get('p99'))}"]
    return f'<p class="summary">users: {esc("; ".join(parts))}</p>'


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def scenario_section(i: int, r: Any) -> str:
    verdict = '<span class="pass">PASS</span>' if r.ok else '<span class="fail">FAIL</span>'
    parts = [f'<section class="scenario" id="scenario-{i}" data-ok="{str(r.ok).lower()}">',
             f"<h2>{verdict} {esc(r.name)}</h2>",
             f'<p class="meta">{esc(r.file or "")} in {r.duration_s:.2f}s</p>']
    if r.description:
        parts.append(f"<p>{esc(r.description)}</p>")
    if r.error:
        parts.append(f'<p class="error">error: {esc(r.error)}</p>')
    parts += [_checks_table(r.checks), _summary(r), f'<div class="timelines" data-for="timeline-{i}"></div>',
              json_script(f"timeline-{i}", getattr(r, "timeline", None) or {"empty": True}), "</section>"]
    return "\n".join(parts)


def render(results: Sequence[Any], *, title: str = "enrichsim run") -> str:
    passed = sum(1 for r in results if r.ok)
    body = "\n".join(scenario_section(i, r) for i, r in enumerate(results))
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{PAGE_CSS}</style>
{inline_scripts()}
</head><body>
<h1>{esc(title)}</h1>
<p class="meta">{passed} passed, {len(results) - passed} failed; written {esc(when)}.
Hover a chart to read every series at that time; the charts share one time axis.</p>
{body}
<script>
for (const box of document.querySelectorAll(".timelines")) {{
  const data = JSON.parse(document.getElementById(box.dataset.for).textContent);
  EnrichsimCharts.render(box, data);
}}
</script>
</body></html>
"""
