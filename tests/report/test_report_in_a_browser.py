"""The report opened offline in a real browser (Debian's chromium, driven by Playwright):
the chart is drawn with one lane per worker, and hovering a bar names its file and bytes.
Every request the page makes is refused unless it is the file itself, and none is made.
The screenshot it takes is the README's picture (build/report.png)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from emulator.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "report.png"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="no chromium here (scripts/browser.sh installs it as root)")


def test_report_renders_offline_with_a_lane_per_worker_and_hover_details(echo_run, tmp_path):
    from playwright.sync_api import sync_playwright

    path, _ = write_report(echo_run.run_id, state=echo_run.state, out=tmp_path / "report.html")
    fetched: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})

        def refuse(route):  # offline: only the report file itself may load
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                fetched.append(route.request.url)
                route.abort()

        page.route("**/*", refuse)
        page.goto(path.as_uri())
        page.wait_for_selector("#timeline .bars path")
        lanes = set(page.locator("#timeline .ytick text").all_text_contents())
        assert lanes == {f"report-echo-{i} / worker {w}" for i in (1, 2) for w in range(4)}
        page.locator("#timeline .bars path").first.hover(force=True)
        page.wait_for_selector("#timeline .hoverlayer .hovertext")
        hover = page.locator("#timeline .hoverlayer .hovertext").text_content() or ""
        assert "part-" in hover and ".csv" in hover and "mini-batch" in hover
        assert "bytes " in hover and ".." in hover and "byte range unknown" not in hover
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.mouse.move(5, 5)
        page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 1300, "height": 900})
        browser.close()
    assert fetched == []
