"""Take docs/report.png and docs/console.png: `.venv/bin/python tests/pictures/screenshots.py [OUT_DIR]`.

The report is the rate_limit_backfill scenario's; the console watches the quickstart's 200 users flow through a
served stack whose Ansira allows 50 calls/s (burst 20), so its charts show the limit, 429s and Retry-After holds.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `tests.serving`

from pictures_helpers import ROOT, configure, serve, stop
from playwright.sync_api import sync_playwright

from harness.scenario.profiles import all_profiles


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1240, "height": 900})
        subprocess.run([sys.executable, "-m", "harness", "run", "scenarios/rate_limit_backfill.jsonnet", "--report",
                        "html", "--out", tmp], cwd=ROOT, check=True, capture_output=True)
        page.goto((Path(tmp) / "report.html").as_uri())
        page.wait_for_selector(".chart-histogram canvas")
        box = page.locator(".chart-requests .u-over").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] / 2)
        page.screenshot(path=str(out / "report.png"), full_page=True)

        proc, info = serve(Path(tmp))
        try:
            limit = {"clients": [{"client_id": info["ansira_client_id"],
                                  "rate_limit": {"kind": "token_bucket", "rate": 50, "burst": 20}}]}
            run, sc = configure(info, ansira=limit)
            page.goto(info["console_url"])
            page.wait_for_function("Number(document.body.dataset.polls || 0) >= 1")
            users = list(all_profiles(sc.profiles, sc.seed))
            for i in range(0, len(users), 20):  # a trickle, so the timelines have a shape
                run.lytics.post(f"/collect/json/{sc.profiles.stream}", json=users[i:i + 20]).raise_for_status()
                time.sleep(0.25)  # pacing the demo traffic, not waiting for a condition
            page.wait_for_function("EnrichsimCharts.plots.some(p => p.enrichsimKey === 'users' && "
                                   f"p.data[1][p.data[1].length - 1] >= {len(users) * 0.85})", timeout=60_000)
            page.fill("#email", users[0]["email"])
            page.click("#lookup button")
            page.wait_for_function("document.getElementById('profile').textContent.includes('ansira_uuid')")
            page.locator("#journal details").first.evaluate("d => { d.open = true; }")
            page.locator("#journal details").nth(1).evaluate("d => { d.open = true; }")
            page.wait_for_timeout(300)
            page.set_viewport_size({"width": 1240, "height": 1450})
            page.screenshot(path=str(out / "console.png"))  # the top: tables, timelines, the newest journal rows
            run.lytics.close()
        finally:
            stop(proc)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
