"""A headless Debian chromium driven by Playwright, for the report and console tests.

Skipped (with the reason) only when no chromium is installed and CI is not set: under CI a missing browser fails.
Never `playwright install`: the browser is Debian's (`apt-get install chromium`; .ci/run does it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import pictures_helpers` (no __init__.py here)

CHROMIUM = os.environ.get("ENRICHSIM_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but there is no chromium at {CHROMIUM}: .ci/run installs it (apt-get install "
                        "chromium)")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium); browser tests need it")
    try:
        from playwright import sync_api
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set but the playwright package (dev extra) is not installed")
        pytest.skip("the playwright package (dev extra) is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


class Page:
    """A page plus every console error and uncaught exception it produced."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        # any request that would leave the machine fails the test: pages must work offline
        self.external: list[str] = []
        page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "file://", "data:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1240, "height": 900})
    try:
        yield Page(ctx.new_page())
    finally:
        ctx.close()
