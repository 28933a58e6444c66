"""A PNG of the map (for social cards and posts), drawn by headless chromium.

Uses Debian's chromium through Playwright (``pip install 'geomap[png]'``); it never
downloads a browser. Base-map tiles are off by default so a snapshot needs no
network and always looks the same; ``tiles=True`` lets chromium fetch them.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .errors import GeomapError, OutputError
from .files import atomic_path
from .render import MapOptions, write_map

CHROMIUM = os.environ.get("GEOMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
READY = "html[data-geomap-ready=true]"


class BrowserMissing(GeomapError):
    """Playwright or chromium is not installed."""


@contextlib.contextmanager
def launch_chromium():
    """Start Debian's chromium headless through Playwright; yields the browser."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserMissing("snapshots need Playwright: pip install 'geomap[png]'") from None
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        raise BrowserMissing(f"{CHROMIUM} not found: apt-get install -y chromium, or set GEOMAP_CHROMIUM to a chromium binary")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            raise BrowserMissing(f"{CHROMIUM} did not start: {str(exc).splitlines()[0]}") from exc
        try:
            yield browser
        finally:
            browser.close()


def _offline(route):
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


def snapshot_html(html_path, output, width=1200, height=630, tiles=False):
    """Screenshot an existing map page to ``output`` (PNG, written atomically)."""
    with launch_chromium() as browser:
        from playwright.sync_api import Error as PlaywrightError  # importable: launch_chromium checked
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = context.new_page()
        if not tiles:
            page.route("**/*", _offline)
        page.goto(Path(html_path).resolve().as_uri())
        try:
            page.wait_for_selector(READY, state="attached", timeout=60000)
        except PlaywrightError as exc:
            raise GeomapError(f"{html_path}: the map did not finish drawing: {str(exc).splitlines()[0]}") from exc
        if tiles:
            with contextlib.suppress(Exception):  # draw what arrived; a slow tile server must not fail the PNG
                page.wait_for_load_state("networkidle", timeout=15000)
        try:
            with atomic_path(output, suffix=".png") as tmp:
                page.screenshot(path=str(tmp), type="png")
        except OSError as exc:
            raise OutputError(f"{output}: cannot write the PNG ({exc.strerror})") from exc
        context.close()
    return output


def snapshot(facilities, output, options=MapOptions(cluster=False, static=True), width=1200, height=630):
    """Render ``facilities`` and save a PNG of the map (1200×630 suits social cards).

    A picture cannot be clicked open, so the default draws every marker (no
    clusters) and leaves out the buttons.
    """
    with tempfile.TemporaryDirectory() as folder:
        page = write_map(facilities, Path(folder) / "map.html", options)
        return snapshot_html(page, output, width, height, tiles=options.tiles)
