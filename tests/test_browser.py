"""The demo in a real browser: `neuroboard serve` shows its runs and tags in headless Chromium.

Chromium comes from the system (`.ci/run` installs Debian's package when it is
missing); Playwright drives it. The scalars screenshot is saved as
docs/screenshot.png, which the README shows.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from neuroboard import collect_events
from tests.conftest import SERVER_START_TIMEOUT, TensorBoardServer
from tests.net import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[1]
# Flags for a sandboxed machine with no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")


def _neuroboard(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "neuroboard.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Run the demo, start `neuroboard serve` on a free loopback port, yield (url, logdir)."""
    logdir = tmp_path_factory.mktemp("browser") / "demo"
    demo = _neuroboard(
        "demo", "--logdir", str(logdir), "--neurons", "60", "--steps", "400", "--runs", "2", timeout=300
    )
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "neuroboard.cli.main", "serve", str(logdir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = TensorBoardServer(str(logdir), port, process)
    url = server.url("")
    try:
        server.wait_for(
            lambda: server.get("/data/runs"), lambda runs: isinstance(runs, list), SERVER_START_TIMEOUT
        )
        yield url, logdir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(served_demo) -> Iterator:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser) -> Iterator:
    """A fresh page per test, so that one dashboard's hidden elements never answer for another's."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _demo_names(logdir: Path) -> tuple[set[str], set[str], set[str]]:
    """Return the demo's run names, scalar tags and image tags, as our reader sees them."""
    frame = collect_events(logdir, type="summary")
    runs = set(frame.run)
    return runs, set(frame.tag[frame.plugin == "scalars"]), set(frame.tag[frame.plugin == "images"])


def _shown(page, texts: set[str]) -> None:
    """Wait until every text is on the page (Playwright's text search pierces the shadow DOM)."""
    for text in sorted(texts):
        page.get_by_text(text, exact=True).first.wait_for(timeout=TIMEOUT_MS)


def _groups(tags: set[str]) -> set[str]:
    # TensorBoard files tags in collapsible groups named by their first part, and opens the first group.
    return {tag.split("/")[0] for tag in tags}


def _first_group(tags: set[str]) -> set[str]:
    first = min(_groups(tags))
    return {tag for tag in tags if tag.split("/")[0] == first}


def test_the_scalars_dashboard_shows_the_demo(served_demo, page) -> None:
    url, logdir = served_demo
    runs, scalar_tags, _ = _demo_names(logdir)
    assert len(runs) == 2 and {"lif/v_mean", "lif/spikes/rate", "out"} <= scalar_tags
    page.goto(f"{url}/#scalars")
    _shown(page, runs | _groups(scalar_tags) | _first_group(scalar_tags))
    page.wait_for_load_state("networkidle")
    # A drawn chart: an SVG line per run in the open group's charts.
    page.locator("svg path.line").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))


def test_the_images_dashboard_shows_the_raster_and_heatmap(served_demo, page) -> None:
    url, logdir = served_demo
    runs, _, image_tags = _demo_names(logdir)
    assert {"lif/v", "lif/spikes/raster"} <= image_tags
    page.goto(f"{url}/#images")
    _shown(page, runs | _groups(image_tags) | _first_group(image_tags))
    page.wait_for_load_state("networkidle")
    page.locator("img").first.wait_for(timeout=TIMEOUT_MS)
