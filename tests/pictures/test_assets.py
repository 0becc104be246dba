"""The vendored chart files ship in the wheel (pyproject package-data) and pages inline them."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from harness.pictures import assets

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "harness" / "pictures" / "assets"


def test_package_data_covers_every_asset() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["harness.pictures"]
    files = sorted(p.relative_to(ASSETS.parent).as_posix() for p in ASSETS.iterdir())
    assert {"assets/uPlot.iife.min.js", "assets/uPlot.min.css", "assets/charts.js", "assets/console.js"} <= set(files)
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert missing == [], f"not shipped by package-data {patterns}: {missing}"


def test_inline_scripts_carry_uplot_and_its_licence_notice() -> None:
    html = assets.inline_scripts()
    assert "uPlot" in html and "EnrichsimCharts" in html and ".u-legend" in html
    assert "<script src" not in html and "<link" not in html
    assert (ASSETS / "uPlot.LICENSE").read_text(encoding="utf-8").startswith("The MIT License")


def test_json_script_cannot_close_its_tag() -> None:
    block = assets.json_script("x", {"a": "</script><script>alert(1)</script>"})
    assert block.count("</script>") == 1 and "<\\/script>" in block
