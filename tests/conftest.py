"""Shared fixtures: one headless chromium for every browser test."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GEOMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never `playwright install`).

    Skips when chromium is missing, unless GEOMAP_REQUIRE_BROWSER=1 (set by .ci/run),
    in which case a missing browser fails the run instead of hiding it.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: apt-get install -y chromium"
        if os.environ.get("GEOMAP_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page whose every non-file: request is blocked and recorded, with JS errors and dialogs kept."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.blocked, self.errors, self.dialogs = [], [], []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _route(self, route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path):
        """Open a local HTML file and wait until geomap has drawn it."""
        self.page.goto(Path(path).resolve().as_uri())
        self.page.wait_for_selector("html[data-geomap-ready=true]", state="attached", timeout=20000)
        return self.page


@pytest.fixture
def offline_page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield OfflinePage(context)
    context.close()
