"""A PNG of the map (for social cards and posts), drawn by headless chromium.

Uses Debian's chromium through Playwright (``pip install 'geomap[png]'``); it never
downloads a browser. Base-map tiles are off by default so a snapshot needs no
network and always looks the same; ``tiles=True`` lets chromium fetch them.
"""

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from .errors import GeomapError, InputError, OutputError
from .files import atomic_path
from .render import MapOptions, write_map

CHROMIUM = os.environ.get("GEOMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
READY = "html[data-geomap-ready=true]"
#: Set once the tiles in view have loaded or failed (the page adds them after its first paint).
TILES_LOADED = "html[data-geomap-tiles=loaded]"
#: How long a picture with tiles waits for them (ms) before it is taken with those that arrived.
TILES_WAIT = 15000
#: Picture sizes for the usual posts: a link card (Open Graph, X, LinkedIn), a square and a portrait post.
SIZES = {"og": (1200, 630), "square": (1080, 1080), "portrait": (1080, 1350)}
#: The smallest picture (width, height): the headline, legend, inset and caption need it, shown whole
#: (a picture has no compact layout: nothing in it can be opened); and the largest side chromium draws well.
SMALLEST, LARGEST = (800, 630), 8000


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


def parse_size(text, option="--size"):
    """``(width, height)`` from a preset name (:data:`SIZES`) or ``WIDTHxHEIGHT`` (``option``: what
    the error names)."""
    wanted = str(text).strip().lower()
    if wanted in SIZES:
        return SIZES[wanted]
    match = re.fullmatch(r"(\d+)x(\d+)", wanted)
    if match and all(least <= int(side) <= LARGEST for least, side in zip(SMALLEST, match.groups())):
        return int(match[1]), int(match[2])
    presets = ", ".join(f"{name} ({w}x{h})" for name, (w, h) in SIZES.items())
    raise InputError(f"{option} {text!r}: give WIDTHxHEIGHT ({SMALLEST[0]} to {LARGEST} pixels wide, {SMALLEST[1]} to "
                     f"{LARGEST} high: a picture shows its headline, legend and inset whole) or a preset: {presets}")


def picture_options(options):
    """``options`` for a picture: the static page (no controls), every marker drawn (none clustered)."""
    return replace(options, static=True, cluster=False)


def _offline(route):
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


@contextlib.contextmanager
def _browser(browser):
    """``browser`` when given (a caller taking many pictures starts chromium once), else a new one."""
    if browser is not None:
        yield browser
    else:
        with launch_chromium() as started:
            yield started


def snapshot_html(html_path, output, width=1200, height=630, tiles=False, browser=None):
    """Screenshot an existing map page to ``output`` (PNG, written atomically); exactly
    ``width`` x ``height`` pixels. ``browser``: a Playwright browser to use instead of starting one."""
    with _browser(browser) as chromium:
        from playwright.sync_api import Error as PlaywrightError  # importable: a browser exists
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        try:
            page = context.new_page()
            if not tiles:
                page.route("**/*", _offline)
            page.goto(Path(html_path).resolve().as_uri())
            try:
                page.wait_for_selector(READY, state="attached", timeout=60000)
            except PlaywrightError as exc:
                raise GeomapError(f"{html_path}: the map did not finish drawing: {str(exc).splitlines()[0]}") from exc
            if tiles and page.get_attribute("html", "data-geomap-tiles") == "pending":  # a page with tiles, some asked for
                with contextlib.suppress(PlaywrightError):  # draw what arrived; a slow tile server must not fail the PNG
                    page.wait_for_selector(TILES_LOADED, state="attached", timeout=TILES_WAIT)
            try:
                with atomic_path(output, suffix=".png") as tmp:
                    page.screenshot(path=str(tmp), type="png")
            except OSError as exc:
                raise OutputError(f"{output}: cannot write the PNG ({exc.strerror})") from exc
        finally:
            context.close()
    return output


def snapshot(facilities, output, options=MapOptions(tiles=False), width=1200, height=630, browser=None):
    """Render ``facilities`` as a picture and save it as a PNG (:data:`SIZES` for the usual posts).

    A picture cannot be clicked: the page is drawn in its static mode (:func:`picture_options`),
    with a legend that only explains, a caption with the data's date and who counted the figures,
    and an inset magnifying the most crowded spot.
    """
    with tempfile.TemporaryDirectory() as folder:
        page = write_map(facilities, Path(folder) / "map.html", picture_options(options))
        return snapshot_html(page, output, width, height, tiles=options.tiles, browser=browser)
