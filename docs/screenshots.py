"""Retake README's screenshots of the default map: docs/screenshot.png (1280x800, El Helicoide's
popup open) and docs/screenshot-phone.png (390x844, the compact layout). Run by hand after a change
the reader would see:

    python docs/screenshots.py

Debian's chromium through Playwright, with every request but ``file:`` blocked: the pictures show
what a reader sees when the tiles cannot load (the offline basemap, no network)."""

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from geomap.cli import main

DOCS = Path(__file__).resolve().parent
SHOTS = {"screenshot.png": ((1280, 800), "helicoide"), "screenshot-phone.png": ((390, 844), None)}


def take(page_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for name, (size, popup) in SHOTS.items():
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-geomap-ready=true]", state="attached")
            if popup:
                page.evaluate("(id) => geomapMap.reveal(geomapMap.facilities.find(id))", popup)
                page.wait_for_selector(".leaflet-popup-content .gm-popup")
                page.wait_for_timeout(400)  # the popup's fade-in
            page.screenshot(path=str(DOCS / name))
            print(f"{DOCS / name}: {size[0]}x{size[1]}")
            context.close()
        browser.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "map.html"
        main(["build", "--no-tiles", "-o", str(out)], standalone_mode=False)
        take(out)
