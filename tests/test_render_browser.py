"""The built map in headless chromium with the network blocked: it must work offline."""

import json

import pytest
from click.testing import CliRunner

from geomap import DEFAULT_FACILITIES
from geomap.cli import main

from conftest import REPO, FakeTiles

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


def _no_tiles(tmp_path, source, name="map.html"):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["build", str(source), "-o", str(out), "--no-tiles"])
    assert result.exit_code == 0, result.output
    return out


#: The city names drawn, with their boxes in page pixels.
_CITY_LABELS = """() => [...document.querySelectorAll('.leaflet-gm-labels-pane .gm-city-name')].map(e => {
  const r = e.getBoundingClientRect();
  return { name: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
})"""


def test_state_lines_and_city_names_drawn_without_tiles(offline_page, tmp_path):
    page = offline_page.open(_no_tiles(tmp_path, DEFAULT_INPUT))
    page.wait_for_selector("[data-geomap-ready=true]", state="attached")
    assert page.evaluate("document.querySelectorAll('.leaflet-gm-outline-pane path.gm-land').length") == 1
    lines = page.evaluate("document.querySelector('.leaflet-gm-outline-pane path.gm-state-lines').getAttribute('d')")
    assert lines.count("M") >= 20  # Venezuela's state lines, each drawn once
    labels = page.evaluate(_CITY_LABELS)
    box = page.evaluate("(() => { const r = document.querySelector('.folium-map').getBoundingClientRect(); return [r.right, r.bottom]; })()")
    shown = {label["name"]: label for label in labels}
    for name in ("Caracas", "Maracaibo", "Valencia"):
        assert name in shown, sorted(shown)
        assert 0 <= shown[name]["left"] and shown[name]["right"] <= box[0] and 0 <= shown[name]["top"] <= box[1]
    for k, a in enumerate(labels):  # no name over another
        for b in labels[k + 1:]:
            assert not (a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]), (a, b)
    # zoomed out to the continent, the names would clutter: none is drawn; zoomed in, more are
    page.evaluate("geomapMap.map.setZoom(4, { animate: false })")
    assert page.evaluate(_CITY_LABELS) == []
    page.evaluate("geomapMap.map.setView([10.3, -67.5], 8, { animate: false })")
    assert len(page.evaluate(_CITY_LABELS)) > len(labels) // 2
    assert offline_page.blocked == []
    assert offline_page.errors == []


# The land's SVG path as segments: the largest step across the page, in pixels, and the world's width.
_WIDEST_STEP = r"""() => {
  const map = geomapMap.map, world = 256 * Math.pow(2, map.getZoom());
  let widest = 0;
  for (const path of document.querySelectorAll('.leaflet-gm-outline-pane path')) {
    for (const ring of path.getAttribute('d').split(/[Mz]/).filter(s => s.trim())) {
      const xs = ring.trim().split(/L/).map(point => parseFloat(point.trim().split(/\s+/)[0]));
      for (let k = 1; k < xs.length; k++) widest = Math.max(widest, Math.abs(xs[k] - xs[k - 1]));
    }
  }
  return [widest, world];
}"""


def test_a_us_map_reaching_alaska_draws_no_band_across_the_antimeridian(offline_page, tmp_path):
    page = offline_page.open(_no_tiles(tmp_path, REPO / "tests/fixtures/us_pacific.geojson"))
    page.wait_for_selector("[data-geomap-ready=true]", state="attached")
    for view in ([64, -175], [40, -100]):  # the Bering Strait (Chukotka across from Nome), then the whole region
        page.evaluate("(centre) => geomapMap.map.setView(centre, 3, { animate: false })", view)
        widest, world = page.evaluate(_WIDEST_STEP)
        assert 0 < widest < world / 4, (view, widest, world)  # a band across the map would be ~ the world's width
    page.evaluate("geomapMap.map.setView([61.2, -149.9], 7, { animate: false })")
    assert "Anchorage" in {label["name"] for label in page.evaluate(_CITY_LABELS)}
    assert offline_page.errors == []


# The order in which the page's parts appear, recorded as they happen (set before any page script
# runs): geomap.render's return (the bootstrap script's task ends there), the markers, the rest.
_RECORD_SETUP = """
window.setupOrder = [];
function record(changes) {
  changes.forEach(function (change) {
    if (change.type === "attributes") window.setupOrder.push(change.attributeName);
    if (change.attributeName === "data-geomap-drawn") { // the credits as the first paint shows them
      window.creditsAtDrawn = document.querySelector(".leaflet-control-attribution").textContent;
    }
    change.addedNodes.forEach(function (added) {
      if (added.id === "gm-table") window.setupOrder.push("table");
      if (added.classList && added.classList.contains("gm-marker")) window.setupOrder.push("marker list");
      if (added.matches && (added.matches(".gm-land") || added.querySelector(".gm-land"))) window.setupOrder.push("basemap");
      if (added.matches && (added.matches(".leaflet-tile") || added.querySelector(".leaflet-tile"))) window.setupOrder.push("tiles");
    });
  });
}
var observer = new MutationObserver(record), api;
observer.observe(document, { subtree: true, childList: true, attributes: true,
                             attributeFilter: ["data-geomap-drawn", "data-geomap-ready"] });
Object.defineProperty(window, "geomap", {
  get: function () { return api; },
  set: function (value) {
    var render = value.render;
    value.render = function () {
      render.apply(this, arguments);
      record(observer.takeRecords()); // what render did before it returned
      window.setupOrder.push("render returned");
    };
    api = value;
  }
});
"""


def _setup_order(page):
    order = page.evaluate("window.setupOrder")
    return [step for k, step in enumerate(order) if step not in order[:k]]  # each step's first time


def test_setup_after_the_first_markers_is_split_from_them(offline_page, default_map):
    """The markers are drawn in a task after the bootstrap script's; what the first paint does not
    need (basemap, tiles, the keyboard's marker list, table) comes after them; and the page gets
    ready. No tile is even asked for before the headline, markers and basemap are drawn, but their
    credit is there."""
    offline_page.page.add_init_script(_RECORD_SETUP)
    page = offline_page.open(default_map)
    assert _setup_order(page) == ["render returned", "data-geomap-drawn", "basemap", "tiles", "marker list", "table",
                                  "data-geomap-ready"]
    assert page.evaluate("performance.getEntriesByName('geomap:drawn')[0].startTime"
                         " < performance.getEntriesByName('geomap:ready')[0].startTime")
    assert "OpenStreetMap" in page.evaluate("window.creditsAtDrawn")
    assert offline_page.errors == []


def test_without_tiles_no_tile_layer_and_no_tile_credit(offline_page, tmp_path):
    offline_page.page.add_init_script(_RECORD_SETUP)
    page = offline_page.open(_no_tiles(tmp_path, DEFAULT_INPUT))
    assert "tiles" not in _setup_order(page) and offline_page.blocked == []
    assert "OpenStreetMap" not in page.evaluate("window.creditsAtDrawn")
    assert "OpenStreetMap" not in page.inner_text(".leaflet-control-attribution")


def test_tiles_load_once_added_and_the_page_says_so(offline_page, default_map):
    """The tiles asked for are shown once they arrive, their credit once (not twice), and the page
    marks itself ``data-geomap-tiles="loaded"`` only then (a picture waits for it): held back, "pending"."""
    tiles = FakeTiles(offline_page.page, (255, 0, 255), hold=True)
    page = offline_page.open(default_map)
    page.wait_for_function("document.querySelectorAll('img.leaflet-tile').length > 0")
    assert tiles.held and page.get_attribute("html", "data-geomap-tiles") == "pending"
    tiles.release()
    page.wait_for_selector("html[data-geomap-tiles=loaded]", state="attached")
    assert page.evaluate("[...document.querySelectorAll('img.leaflet-tile-loaded')].every(i => i.naturalWidth === 256)")
    assert page.locator("img.leaflet-tile-loaded").count() > 0
    assert page.inner_text(".leaflet-control-attribution").count("OpenStreetMap") == 1
    assert offline_page.errors == []


def test_tiles_once_loaded_cover_the_offline_basemap(offline_page, default_map):
    """The basemap is what shows without tiles: loaded tiles lie over its land, lines and names."""
    FakeTiles(offline_page.page, (255, 0, 255))
    page = offline_page.open(default_map)
    page.wait_for_selector("html[data-geomap-tiles=loaded]", state="attached")
    page.wait_for_function("() => [...document.querySelectorAll('img.leaflet-tile-loaded')].every(i => getComputedStyle(i).opacity === '1')")  # faded in
    # inland Venezuela (Amazonas, the Bolívar border): land, no marker, no control on it
    point = page.evaluate("geomapMap.map.latLngToContainerPoint([4.5, -65.5])")
    box = page.locator("#" + page.evaluate("geomapMap.map.getContainer().id")).bounding_box()
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    assert page.evaluate("([x, y]) => !document.elementFromPoint(x, y).closest('.leaflet-control')", [x, y])
    from PIL import Image
    import io
    pixel = Image.open(io.BytesIO(page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}))).convert("RGB").getpixel((0, 0))
    assert pixel == (255, 0, 255)


@pytest.mark.parametrize("locale", ["en-US", "es-VE"])
def test_digits_grouped_as_the_locale_groups_them(offline_page, locale):
    """groupDigits (no Intl set-up before the first paint) writes what toLocaleString writes."""
    page = offline_page.page
    page.set_content("<!doctype html><title>t</title>")
    page.add_script_tag(content=(REPO / "geomap/assets/map/core.js").read_text("utf-8"))
    numbers = [0, 7, 999, 1000, 1234, 99999, 100000, 1234567, 987654321, -1234, -999, 12.5, 1e21]
    got = page.evaluate("([numbers, locale]) => numbers.map(n => [groupDigits(n, locale), n.toLocaleString(locale)])",
                        [numbers, locale])
    assert [mine for mine, _ in got] == [browser for _, browser in got]
