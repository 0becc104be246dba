"""The vendored chart library and our chart script, read from package data and inlined into pages.

Pages carry their scripts inline (no CDN, no network): a report opens offline from a mail attachment or a CI
artifact, and the console works on a machine with no internet.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def asset(name: str) -> str:
    return resources.files("harness.pictures").joinpath("assets", name).read_text(encoding="utf-8")


def inline_scripts() -> str:
    """uPlot (MIT, vendored) and charts.js as inline <script> and <style> blocks."""
    return (f"<style>{asset('uPlot.min.css')}</style>\n<script>{asset('uPlot.iife.min.js')}</script>\n"
            f"<script>{asset('charts.js')}</script>")


def json_script(element_id: str, data: Any) -> str:
    """Data for a page as a JSON <script> block; `</` is escaped so no value can close the tag."""
    text = json.dumps(data, separators=(",", ":"), default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'
