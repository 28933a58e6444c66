"""Status at first glance: every status colour on screen before any click, no clustering of few
facilities, clusters that show their status mix, and a date slider that visibly moves the map."""

import json

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.load import read_facilities
from geomap.render import CLUSTER_ABOVE, MapOptions, build_head, write_map
from geomap.style import STATUS_COLOURS

from conftest import MARKERS, REPO, map_head

SMALL = REPO / "tests/fixtures/small.geojson"
RGB = {status: [int(hex_[k:k + 2], 16) for k in (1, 3, 5)] for status, hex_ in STATUS_COLOURS.items()}

# Per status colour: canvas pixels of that colour (near-opaque) inside the viewport, and how many of
# them a reader sees (no control on top: elementFromPoint finds the markers' canvas there).
STATUS_PIXELS = """([colours, box]) => {
  const canvas = geomapMap.layer._container, rect = canvas.getBoundingClientRect(), ratio = canvas.width / rect.width;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, found = {};
  const [left, top, right, bottom] = box || [0, 0, innerWidth, innerHeight];
  for (const s in colours) found[s] = {pixels: 0, visible: 0};
  for (let py = 0; py < canvas.height; py++) for (let px = 0; px < canvas.width; px++) {
    const k = 4 * (py * canvas.width + px);
    if (data[k + 3] < 150) continue;
    const x = rect.left + (px + 0.5) / ratio, y = rect.top + (py + 0.5) / ratio;
    if (x < left || y < top || x >= right || y >= bottom) continue;
    for (const s in colours) {
      const c = colours[s];
      if (Math.abs(data[k] - c[0]) > 10 || Math.abs(data[k + 1] - c[1]) > 10 || Math.abs(data[k + 2] - c[2]) > 10) continue;
      found[s].pixels++;
      if (document.elementFromPoint(x, y) === canvas) found[s].visible++;
    }
  }
  return found;
}"""

# The statuses the drawn facilities have now (the page's own columns).
STATUSES_SHOWN = "[...new Set(geomapMap.facilities.status)].map(code => geomapMap.statuses[code])"


@pytest.fixture(scope="module")
def default_map(tmp_path_factory):
    """`geomap build` with the default dataset, as a reader gets it (date slider on)."""
    out = tmp_path_factory.mktemp("glance") / "map.html"
    result = CliRunner().invoke(main, ["build", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _open(browser, path, width, height):
    from conftest import OfflinePage

    context = browser.new_context(viewport={"width": width, "height": height})
    page = OfflinePage(context)
    page.open(path)
    return page


def _visible_pixels(page):
    return {s: found["visible"] for s, found in page.page.evaluate(STATUS_PIXELS, [RGB, None]).items()}


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_every_status_colour_is_visible_at_the_default_view(browser, default_map, width, height):
    page = _open(browser, default_map, width, height)
    try:
        statuses = page.page.evaluate(STATUSES_SHOWN)
        assert {"open", "announced_closure", "unknown"} <= set(statuses)  # the default data's statuses today
        visible = _visible_pixels(page)
        for status in statuses:
            assert visible[status] >= 12, (status, visible)  # a marker's worth of its colour, uncovered
        assert not [item for item in page.items() if item["kind"] == "cluster"]
        assert page.errors == []
    finally:
        page.context.close()


def test_few_facilities_are_not_clustered_unless_asked():
    facilities = read_facilities(SMALL)
    assert CLUSTER_ABOVE == 300
    assert build_head(facilities, MapOptions())["options"]["cluster"] is False  # 4 <= 300
    assert build_head(facilities, MapOptions(cluster_above=3))["options"]["cluster"] is True
    assert build_head(facilities, MapOptions(cluster=False, cluster_above=0))["options"]["cluster"] is False


def test_cluster_above_must_be_a_count():
    from geomap.errors import InputError

    with pytest.raises(InputError, match="--cluster-above"):
        MapOptions(cluster_above=-1)
    result = CliRunner().invoke(main, ["build", str(SMALL), "--cluster-above", "-1", "-o", "x.html"])
    assert result.exit_code != 0 and "-1" in result.output
    assert f"[default: {CLUSTER_ABOVE}]" in " ".join(CliRunner().invoke(main, ["build", "--help"]).output.split())


def _grid(tmp_path, n):
    """``n`` facilities on a grid in Venezuela, 0.05° apart (a few pixels at country zoom)."""
    data = json.loads(SMALL.read_text("utf-8"))
    template = data["features"][0]
    data["features"] = [json.loads(json.dumps(template)) for _ in range(n)]
    for k, feature in enumerate(data["features"]):
        feature["properties"]["id"] = f"site-{k}"
        feature["geometry"]["coordinates"] = [-66.5 + k % 20 * 0.05, 9 + k // 20 * 0.05]
    path = tmp_path / f"grid-{n}.geojson"
    path.write_text(json.dumps(data), "utf-8")
    return path


@pytest.mark.browser
def test_up_to_300_facilities_nothing_is_clustered(offline_page, tmp_path):
    for n, clustered in ((300, False), (301, True)):
        out = tmp_path / f"map-{n}.html"
        assert CliRunner().invoke(main, ["build", str(_grid(tmp_path, n)), "-o", str(out)]).exit_code == 0
        page = offline_page.open(out)
        page.evaluate("geomapMap.map.setZoom(4, {animate: false})")
        kinds = {item["kind"] for item in offline_page.items()}
        assert ("cluster" in kinds) is clustered, n
        assert sum(item["count"] for item in offline_page.items()) == n
    out = tmp_path / "asked.html"  # a lower threshold clusters a small map too
    assert CliRunner().invoke(main, ["build", str(SMALL), "--cluster-above", "0", "-o", str(out)]).exit_code == 0
    page = offline_page.open(out)
    page.evaluate("geomapMap.map.setZoom(3, {animate: false})")
    assert [item["kind"] for item in offline_page.items()] == ["cluster"]


@pytest.mark.browser
def test_a_cluster_shows_its_status_mix_around_its_number(offline_page, tmp_path):
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster_above=0))
    page = offline_page.open(out)
    page.evaluate("geomapMap.map.setZoom(3, {animate: false})")
    (cluster,) = offline_page.items()
    assert cluster["kind"] == "cluster" and cluster["count"] == 4
    label = page.get_attribute(f"{MARKERS}.gm-marker-cluster", "aria-label")
    assert label == "4 facilities here: 2 open, 1 announced closure, 1 status unknown. Zoom in"
    r = cluster["r"] + 2
    box = [cluster["x"] - r, cluster["y"] - r, cluster["x"] + r, cluster["y"] + r]
    found = page.evaluate(STATUS_PIXELS, [RGB, box])
    for status in ("open", "announced_closure", "unknown"):
        assert found[status]["visible"] >= 8, (status, found)  # each share of the ring, even a small one
    assert found["closed"]["pixels"] == 0  # none closed: no blue
    # the number: dark text on a light disc (contrast far above 4.5:1)
    centre = page.evaluate("""([x, y, r]) => {
        const canvas = geomapMap.layer._container, rect = canvas.getBoundingClientRect(), ratio = canvas.width / rect.width;
        const data = canvas.getContext('2d').getImageData((x - rect.left - r) * ratio, (y - rect.top - r) * ratio, 2 * r * ratio, 2 * r * ratio).data;
        let light = 0, dark = 0;
        for (let k = 0; k < data.length; k += 4) {
          if (data[k + 3] < 250) continue;
          const sum = data[k] + data[k + 1] + data[k + 2];
          if (sum > 3 * 245) light++; else if (sum < 3 * 60) dark++;
        }
        return {light, dark};
    }""", [cluster["x"], cluster["y"], 6])
    assert centre["light"] > 10 and centre["dark"] > 5, centre


def _colour_state(page):
    """Visible pixels per status colour and the drawn facilities' statuses."""
    return _visible_pixels(page), sorted(item["status"] for item in page.items() if item["kind"] == "facility")


@pytest.mark.browser
def test_moving_the_slider_visibly_changes_the_map(offline_page, default_map):
    page = offline_page.open(default_map)
    latest_pixels, latest_statuses = _colour_state(offline_page)
    dates = map_head(page)["timeline"]["dates"]
    page.fill("#gm-timeline-input", "0")  # the first date: before almost every source
    page.wait_for_function(f"() => document.querySelector('.gm-asof').textContent.endsWith('{dates[0]}')")
    first_pixels, first_statuses = _colour_state(offline_page)
    assert first_statuses != latest_statuses
    assert first_pixels["open"] < latest_pixels["open"] / 2, (first_pixels, latest_pixels)
    assert first_pixels["unknown"] > latest_pixels["unknown"], (first_pixels, latest_pixels)
    assert offline_page.errors == []


# Each label under the slider: its text, box, and whether it is shown.
SCALE_LABELS = """() => [...document.querySelectorAll('.gm-timeline-scale [data-label]')].map(e => {
  const r = e.getBoundingClientRect(), style = getComputedStyle(e);
  return {kind: e.dataset.label, text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          shown: style.display !== 'none' && style.visibility !== 'hidden' && r.width > 0};
})"""


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_the_slider_has_start_end_and_year_labels_that_never_collide(browser, default_map, width, height):
    page = _open(browser, default_map, width, height)
    try:
        p = page.page
        dates = map_head(p)["timeline"]["dates"]
        labels = p.evaluate(SCALE_LABELS)
        by_kind = {kind: [label for label in labels if label["kind"] == kind] for kind in ("start", "end", "year")}
        assert [label["text"] for label in by_kind["start"]] == [dates[0][:7]]
        assert [label["text"] for label in by_kind["end"]] == [dates[-1][:7]]
        years = sorted({date[:4] for date in dates})[1:]
        assert [label["text"] for label in by_kind["year"]] == years
        assert p.get_attribute(".gm-timeline-scale", "aria-hidden") == "true"  # the slider's value text says the date
        shown = [label for label in labels if label["shown"]]
        box = p.eval_on_selector(".gm-timeline", "e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; }")
        for k, a in enumerate(shown):
            assert box[0] <= a["left"] and a["right"] <= box[1] + 0.5, a  # inside the slider's panel
            for b in shown[k + 1:]:
                assert a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"], (a, b)
        if width >= 400:
            assert by_kind["start"][0]["shown"] and by_kind["end"][0]["shown"]
            assert any(label["shown"] for label in by_kind["year"])
        else:
            assert not any(label["shown"] for label in by_kind["year"])  # too narrow: the ends only
        assert page.errors == []
    finally:
        page.context.close()
