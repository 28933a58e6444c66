"""Shared fixtures: one headless chromium for every browser test."""

import json
import os
from pathlib import Path

import pytest

from geomap.render import block_text
from geomap.snapshot import READY, BrowserMissing, launch_chromium

REPO = Path(__file__).resolve().parent.parent

#: The keyboard's one list of the markers in view (keyboard.js) and its options, one over each marker.
MARKER_LIST = "#gm-marker-list"
MARKERS = "#gm-marker-list [role=option]"
#: Give the list the focus with one facility's marker active, as the arrow keys would (tests only).
FOCUS_MARKER = "(id) => geomapMap.focusMarker(document.querySelector(`#gm-marker-list [data-id='${id}']`).dataset.key)"
#: The option the list has active (its facility's id, else its key), or null unless the list has the focus.
ACTIVE_MARKER = """() => { const list = document.querySelector('#gm-marker-list');
  const option = document.activeElement === list && document.getElementById(list.getAttribute('aria-activedescendant'));
  return option ? option.dataset.id || option.dataset.key : null; }"""


def map_head(page):
    """The head of a map's payload (``#gm-data``, unpacked as the page reads it), from the page's
    HTML or from an open Playwright page."""
    return json.loads(block_text(page if isinstance(page, str) else page.content(), "gm-data"))


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never `playwright install`).

    Skips when chromium is missing, unless GEOMAP_REQUIRE_BROWSER=1 (set by .ci/run),
    in which case a missing browser fails the run instead of hiding it.
    """
    launcher = launch_chromium()
    try:
        chromium = launcher.__enter__()
    except BrowserMissing as missing:
        if os.environ.get("GEOMAP_REQUIRE_BROWSER") == "1":
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield chromium
    launcher.__exit__(None, None, None)


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
        self.page.wait_for_selector(READY, state="attached", timeout=20000)
        return self.page

    def open_embedded(self, snippet, folder, width):
        """Open an article page in ``folder`` holding the iframe ``snippet`` in a column ``width`` px
        wide; returns the iframe's frame once geomap has drawn in it."""
        host = Path(folder) / "article.html"
        host.write_text(f"<!doctype html><html><body><p>Article</p><div style='width:{width}px'>{snippet}</div></body></html>")
        self.page.goto(host.as_uri())
        frame = self.page.frame_locator("iframe")
        frame.locator(READY).wait_for(state="attached")
        return frame

    # Markers are drawn on a canvas: these find them through the page's own list of what it drew.
    def items(self):
        """What the map has drawn: facilities, clusters and stacks, with page coordinates."""
        return self.page.evaluate("geomapMap.items()")

    def marker(self, facility_id):
        """The drawn marker of one facility (it must be on screen and not clustered)."""
        found = [item for item in self.items() if item["id"] == facility_id]
        assert found, f"{facility_id} is not drawn on its own"
        return found[0]

    def reveal(self, facility_id, keep_closed=False):
        """Bring a facility on screen out of any cluster (and open its popup), as the search does."""
        self.page.evaluate("([id, keep]) => geomapMap.reveal(geomapMap.facilities.find(id), keep)",
                           [facility_id, keep_closed])

    def click_marker(self, facility_id):
        """Click a facility's marker where a reader would: on the canvas, at its centre."""
        marker = self.marker(facility_id)
        self.page.mouse.click(marker["x"], marker["y"])

    def hover_marker(self, facility_id):
        marker = self.marker(facility_id)
        self.page.mouse.move(marker["x"], marker["y"])

    def focus_marker(self, facility_id):
        """Give the keyboard's marker list the focus on one facility's marker."""
        self.page.evaluate(FOCUS_MARKER, facility_id)

    def active_marker(self):
        return self.page.evaluate(ACTIVE_MARKER)


class FakeTiles:
    """OpenStreetMap's tile requests from ``target`` (a page or a browser context) answered with
    256 px tiles of one colour: at once, or (``hold``) only once released, held until then."""

    def __init__(self, target, colour, hold=False):
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (256, 256), colour).save(out, "PNG")
        self.png, self.held, self.released = out.getvalue(), [], not hold
        target.route("https://tile.openstreetmap.org/**", self._route)  # ahead of routes set before it

    def _route(self, route):
        if self.released:
            self._answer(route)
        else:
            self.held.append(route)

    def _answer(self, route):
        route.fulfill(status=200, content_type="image/png", body=self.png)

    def release(self):
        self.released = True
        for route in self.held:
            self._answer(route)


@pytest.fixture
def offline_page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield OfflinePage(context)
    context.close()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver listens on the IPv4 loopback only (tests never leave the machine)."""
    return ("127.0.0.1", 0)


class FakeNominatim:
    """A loopback server answering ``/search`` like Nominatim (``format=json``).

    ``places`` maps a word of the query (folded, e.g. "rodeo") to the results to
    return; ``script`` holds responses served first, one per request (a
    ``werkzeug.Response`` or a callable taking the request). Every request is
    recorded with its arrival time, query arguments and User-Agent. On a threaded
    server, ``most_in_flight`` is the most requests it was answering at once, and
    ``hold`` (a ``threading.Barrier``) keeps each request until that many are in.
    """

    def __init__(self, httpserver):
        import threading

        from werkzeug import Response

        self.Response = Response
        self.places, self.script, self.requests = {}, [], []
        self.in_flight = self.most_in_flight = 0
        self.hold, self._lock = None, threading.Lock()
        self.url = httpserver.url_for("/").rstrip("/")
        httpserver.expect_request("/search").respond_with_handler(self._counted)

    def _counted(self, request):
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hold:
                self.hold.wait()
            return self._answer(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, request):
        import json
        import time

        self.requests.append({"time": time.monotonic(), "args": request.args.to_dict(),
                              "user_agent": request.headers.get("User-Agent")})
        if self.script:
            response = self.script.pop(0)
            return response if isinstance(response, self.Response) else response(request)
        query = request.args.get("q", "").casefold()
        results = next((found for word, found in self.places.items() if word in query), [])
        return self.Response(json.dumps(results), content_type="application/json")

    @property
    def queries(self):
        return [entry["args"].get("q") for entry in self.requests]

    @staticmethod
    def place(name, lat, lon, country="ve", state="Miranda", osm_class="amenity", osm_type_tag="prison",
              rank=30, addresstype="amenity", osm_type="way", osm_id=123):
        """One result as Nominatim's /search?format=json&addressdetails=1 writes it."""
        return {"place_id": 1, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
                "osm_type": osm_type, "osm_id": osm_id, "lat": str(lat), "lon": str(lon), "class": osm_class,
                "type": osm_type_tag, "place_rank": rank, "importance": 0.3, "addresstype": addresstype,
                "name": name, "display_name": f"{name}, {state}", "boundingbox": [str(lat), str(lat), str(lon), str(lon)],
                "address": {"state": state, "country_code": country}}


@pytest.fixture
def nominatim(httpserver):
    """The one shared fake Nominatim on 127.0.0.1 (see :class:`FakeNominatim`)."""
    return FakeNominatim(httpserver)


@pytest.fixture
def threaded_nominatim():
    """A fake Nominatim on 127.0.0.1 that answers requests in parallel, as a real server does."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield FakeNominatim(server)
    server.clear()
    server.stop()


# Property-based tests (Hypothesis): a bounded run by default, so CI stays quick; more by hand with
# HYPOTHESIS_PROFILE=thorough (see docs/security.md).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
