"""The built map in headless chromium with the network blocked: it must work offline."""

import json

import pytest
from click.testing import CliRunner

from geomap import DEFAULT_FACILITIES
from geomap.cli import main

from conftest import REPO

# The curated dataset once it exists; the small fixture until then.
DEFAULT_INPUT = REPO / DEFAULT_FACILITIES if (REPO / DEFAULT_FACILITIES).exists() else REPO / "tests/fixtures/small.geojson"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def default_map(tmp_path_factory):
    """`geomap build` on the embedded default dataset, as a user runs it."""
    out = tmp_path_factory.mktemp("map") / "map.html"
    result = CliRunner().invoke(main, ["build", str(DEFAULT_INPUT), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _feature_count():
    return len(json.loads(DEFAULT_INPUT.read_text("utf-8"))["features"])


def test_map_draws_every_facility_offline(offline_page, default_map):
    page = offline_page.open(default_map)
    assert page.evaluate("L.version") == "1.9.4"  # the inlined, pinned copy
    items = offline_page.items()
    assert sum(item["count"] for item in items) == _feature_count()  # each facility alone, in a cluster or a stack
    # and the canvas really holds them: the pixel at each marker's centre is painted
    for item in items:
        painted = page.evaluate("""([x, y]) => {
            const canvas = document.querySelector('.leaflet-overlay-pane canvas'), box = canvas.getBoundingClientRect();
            const ratio = canvas.width / box.width;
            return canvas.getContext('2d').getImageData((x - box.left) * ratio, (y - box.top) * ratio, 1, 1).data[3];
        }""", [item["x"], item["y"]])
        assert painted > 0, item
    # nothing but base-map tiles was even attempted, and those were blocked
    assert all(url.startswith("https://tile.openstreetmap.org/") for url in offline_page.blocked)
    assert offline_page.errors == []


def test_clicking_el_helicoide_opens_its_popup(offline_page, default_map):
    page = offline_page.open(default_map)
    offline_page.reveal("helicoide", keep_closed=True)
    offline_page.click_marker("helicoide")
    popup = page.wait_for_selector(".leaflet-popup-content .gm-popup")
    text = popup.inner_text()
    assert "Helicoide" in text
    assert "Announced closure" in text and "2026-01-30" in text
    links = popup.eval_on_selector_all("a", "els => els.map(a => [a.href, a.rel])")
    assert links and all(href.startswith(("https://", "http://")) for href, _ in links)
    assert all(rel == "noopener noreferrer" for _, rel in links)
    assert offline_page.errors == []


def test_country_outline_drawn_without_tiles(offline_page, tmp_path):
    out = tmp_path / "map.html"
    CliRunner().invoke(main, ["build", str(REPO / "tests/fixtures/small.geojson"), "-o", str(out), "--no-tiles"],
                       catch_exceptions=False)
    page = offline_page.open(out)
    assert page.evaluate("document.querySelectorAll('.leaflet-gm-outline-pane path').length") > 0
    assert offline_page.blocked == []
    assert offline_page.errors == []
