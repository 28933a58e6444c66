"""The PNG is a picture, not a page: post sizes, a static legend, a caption saying when and who
counted, the page's own size scale, and Caracas legible in an inset (chromium, network blocked)."""

import io
import json
import re
import statistics
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from geomap.cli import main
from geomap.errors import InputError
from geomap.export import with_counts
from geomap.history import latest_date
from geomap.load import read_facilities
from geomap.organisations import organisation_name
from geomap.render import MapOptions, national_headline, write_map
from geomap.snapshot import SIZES, SMALLEST, TILES_LOADED, parse_size, picture_options, snapshot, snapshot_html
from geomap.style import STATUS_COLOURS

from conftest import REPO, FakeTiles, OfflinePage

SMALL = REPO / "tests/fixtures/small.geojson"
#: Every control a reader could click, type in or open: none belongs in a picture.
CONTROLS = "input, button, select, textarea, summary, [role=button], [role=slider], [contenteditable]"


@pytest.fixture(scope="module")
def curated():
    facilities = read_facilities(REPO / "data/facilities.geojson")
    return with_counts(facilities, [REPO / "data/counts.csv"], None, None)[0]


@pytest.fixture(scope="module")
def pictures(curated, tmp_path_factory):
    """The page `geomap snapshot` shoots, per language."""
    folder = tmp_path_factory.mktemp("pictures")
    return {lang: write_map(curated, folder / f"picture.{lang}.html", picture_options(MapOptions(lang=lang, tiles=False)))
            for lang in ("en", "es")}


@pytest.fixture
def open_at(browser):
    """open_at(path, (width, height)) -> an OfflinePage drawn at that viewport."""
    contexts = []

    def open_page(path, size):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1)
        contexts.append(context)
        offline = OfflinePage(context)
        offline.open(path)
        return offline

    yield open_page
    for context in contexts:
        context.close()


def test_sizes_are_the_usual_posts_or_width_by_height():
    assert SIZES == {"og": (1200, 630), "square": (1080, 1080), "portrait": (1080, 1350)}
    assert parse_size("og") == (1200, 630) and parse_size("Portrait") == (1080, 1350)
    assert parse_size("1080x1080") == (1080, 1080) and parse_size(" 800X700 ") == (800, 700)
    assert parse_size("800x630") == SMALLEST == (800, 630)
    for bad in ("huge", "1200x", "x630", "1200*630", "100x100", "9000x600", "799x630", "1200x629", "1200x420"):
        with pytest.raises(InputError, match="og .1200x630.*square.*portrait"):
            parse_size(bad)


def test_cli_refuses_a_bad_size_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "card.png"
    for args in (["--size", "poster"], ["--size", "og", "--width", "800"]):
        result = CliRunner().invoke(main, ["snapshot", str(SMALL), *args, "-o", str(out)])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("error: --size")
        assert not out.exists()


@pytest.mark.browser
def test_cli_size_preset_gives_its_exact_dimensions(tmp_path):
    # its own process: Playwright's sync API cannot start twice in the thread the browser fixture uses
    out = tmp_path / "portrait.png"
    subprocess.run([sys.executable, "-m", "geomap", "snapshot", str(SMALL), "--size", "portrait", "-o", str(out)],
                   check=True, timeout=120)
    assert Image.open(out).size == (1080, 1350)


@pytest.mark.browser
@pytest.mark.parametrize("preset", sorted(SIZES))
def test_png_has_the_exact_preset_dimensions(browser, curated, tmp_path, preset):
    out = snapshot(curated, tmp_path / f"{preset}.png", MapOptions(tiles=False), *SIZES[preset], browser=browser)
    image = Image.open(out)
    assert image.format == "PNG" and image.size == SIZES[preset]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_picture_has_no_control_and_no_click_to(open_at, pictures, curated, tmp_path, lang):
    page = open_at(pictures[lang], SIZES["og"]).page
    visible = [node.evaluate("n => n.outerHTML.slice(0, 80)") for node in page.locator(CONTROLS).all() if node.is_visible()]
    assert visible == []
    text = page.inner_text("body")
    assert not re.search(r"\bclic(k)?\b", text, re.I), text
    page_controls = ".gm-timeline, .gm-search, .leaflet-control-zoom, .leaflet-control-fullscreen, #gm-table, #gm-marker-list, .gm-marker"
    assert [node for node in page.locator(page_controls).all() if node.is_visible()] == []
    # the same check finds the page's own controls: the legend's checkboxes, search, slider, zoom
    page_path = write_map(curated, tmp_path / "page.html", MapOptions(lang=lang, tiles=False))
    interactive = open_at(page_path, SIZES["og"]).page
    assert sum(node.is_visible() for node in interactive.locator(CONTROLS).all()) >= 5
    assert re.search(r"\bclic(k)?\b", interactive.inner_text("body"), re.I)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_caption_says_the_data_date_and_who_counted(open_at, pictures, curated, lang):
    page = open_at(pictures[lang], SIZES["og"]).page
    caption = page.inner_text(".gm-caption")
    assert latest_date(curated) in caption
    shown = curated.loc[curated["detainees"].notna(), "detainees_counted_by"].tolist()
    _, lead, others = national_headline(curated, latest_date(curated))
    counted_by = set(shown) | {figure["counted_by"] for figure in [lead, *others] if figure}
    assert len(counted_by) >= 3
    for organisation in counted_by:
        assert organisation_name(organisation, lang) in caption
    assert page.inner_text(".gm-caption").count(organisation_name("foro_penal", lang)) == 1  # each named once


@pytest.mark.browser
def test_caption_date_follows_as_of(open_at, curated, tmp_path):
    out = write_map(curated, tmp_path / "then.html", picture_options(MapOptions(as_of="2025-01-31", tiles=False)))
    assert "2025-01-31" in open_at(out, SIZES["og"]).page.inner_text(".gm-caption")


def _sizes(page):
    """Each facility's marker radius, and the legend's size keys as (count, radius)."""
    radii = page.evaluate("Array.from(geomapMap.view.radius)")
    legend = page.eval_on_selector_all(
        ".gm-legend-size", "items => items.map(s => [s.dataset.count, s.querySelector('circle').getAttribute('r')])")
    return radii, legend


@pytest.mark.browser
def test_the_picture_sizes_markers_and_legend_as_the_page_does(open_at, pictures, curated, tmp_path):
    page_path = write_map(curated, tmp_path / "page.html", MapOptions(tiles=False))
    page_radii, page_legend = _sizes(open_at(page_path, SIZES["og"]).page)
    picture_radii, picture_legend = _sizes(open_at(pictures["en"], SIZES["og"]).page)
    assert len(page_legend) >= 2
    assert picture_legend == page_legend
    assert picture_radii == page_radii


def _hex(colour):
    return tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))


def _background(image, x, y, r):
    """The colour around a marker: the median of a ring of pixels just outside it."""
    import math

    ring = [image.getpixel((round(x + (r + 5) * math.cos(a)), round(y + (r + 5) * math.sin(a))))[:3]
            for a in (k * math.pi / 6 for k in range(12))]
    return tuple(statistics.median(p[c] for p in ring) for c in range(3))


def _expected(background, colour, alpha):
    return tuple((1 - alpha) * b + alpha * c for b, c in zip(background, _hex(colour)))


def _distance(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


@pytest.mark.browser
@pytest.mark.parametrize("preset", sorted(SIZES))
def test_the_inset_shows_each_caracas_facility_in_its_colour(browser, open_at, pictures, curated, tmp_path, preset):
    png = snapshot_html(pictures["en"], tmp_path / "card.png", *SIZES[preset], browser=browser)
    image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    page = open_at(pictures["en"], SIZES[preset]).page
    assert page.inner_text(".gm-inset figcaption") == "Caracas"
    drawn = {item["id"]: item for item in page.evaluate("geomapMap.inset.items()") if item["kind"] == "facility"}
    caracas = curated[curated["city"].str.startswith("Caracas")]
    assert len(caracas) == 8 and caracas.geometry.apply(lambda p: (p.x, p.y)).nunique() < 8  # some share a point
    for facility in caracas.itertuples():
        assert facility.id in drawn, f"{facility.id} is not drawn on its own in the inset"
        item = drawn[facility.id]
        background = _background(image, item["x"], item["y"], item["r"])
        # a marker with a count is filled with its colour; a hollow one (no count) shows it in a
        # solid band inside its outline: the best-matching pixel on the ray to its right edge
        if item["hollow"]:
            ray = [(round(item["x"]) + dx, round(item["y"])) for dx in range(1, round(item["r"]))]
        else:
            ray = [(round(item["x"]), round(item["y"]))]
        alpha = 1.0 if item["hollow"] else 0.75
        errors = [(pixel, {status: _distance(pixel, _expected(background, colour, alpha))
                           for status, colour in STATUS_COLOURS.items()}) for pixel in map(image.getpixel, ray)]
        pixel, error = min(errors, key=lambda found: found[1][facility.status])
        assert error[facility.status] <= 12, (facility.id, pixel, error)
        assert min(error, key=error.get) == facility.status, (facility.id, pixel, error)


def _box(page, selector):
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not shown"
    return box


def _overlap(a, b):
    return (min(a["x"] + a["width"], b["x"] + b["width"]) > max(a["x"], b["x"])
            and min(a["y"] + a["height"], b["y"] + b["height"]) > max(a["y"], b["y"]))


@pytest.mark.browser
@pytest.mark.parametrize("size", [*SIZES.values(), SMALLEST], ids=[*SIZES, "smallest"])
def test_headline_legend_inset_and_caption_never_cover_each_other_or_a_marker(open_at, pictures, size):
    """At every size a picture may have, down to the smallest (a page would be compact there)."""
    width, height = size
    page = open_at(pictures["en"], size).page
    assert page.locator(".gm-compact").count() == 0  # a picture never hides a part behind a button
    parts = {name: _box(page, name) for name in (".gm-headline", ".gm-legend", ".gm-inset", ".gm-caption")}
    for name, box in parts.items():
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, name
    names = sorted(parts)
    for k, first in enumerate(names):
        for second in names[k + 1:]:
            assert not _overlap(parts[first], parts[second]), (first, second)
    markers = page.evaluate("geomapMap.items()")
    assert len(markers) >= 20
    for item in markers:
        for name in (".gm-headline", ".gm-legend", ".gm-inset"):
            box = parts[name]
            inside = box["x"] <= item["x"] <= box["x"] + box["width"] and box["y"] <= item["y"] <= box["y"] + box["height"]
            assert not inside, (item["id"], name)


@pytest.mark.browser
def test_a_pile_too_big_for_the_page_to_fan_out_is_fanned_out_in_the_picture(open_at, tmp_path):
    """On the page a pile of over 16 at one point stays a stack that lists them on a click; a picture
    cannot be clicked, so it draws each of them, in its colour, on a leader line to the point."""
    data = json.loads(SMALL.read_text("utf-8"))
    point = data["features"][0]["geometry"]["coordinates"]
    for k in range(20):
        copy = json.loads(json.dumps(data["features"][1]))
        copy["properties"].update(id=f"copy_{k}", name=f"Copy {k}", name_en=None, location_precision="locality")
        copy["geometry"]["coordinates"] = list(point)
        data["features"].append(copy)
    source = tmp_path / "pile.geojson"
    source.write_text(json.dumps(data), "utf-8")
    facilities = read_facilities(source)
    page = write_map(facilities, tmp_path / "page.html", MapOptions(tiles=False, cluster=False))
    picture = write_map(facilities, tmp_path / "picture.html", picture_options(MapOptions(tiles=False)))
    on_page = open_at(page, SIZES["og"]).items()
    assert [item["count"] for item in on_page if item["kind"] == "stack"] == [21]  # the first one is there too
    drawn = open_at(picture, SIZES["og"]).items()
    assert not [item for item in drawn if item["kind"] != "facility"]
    fanned = {item["id"]: item for item in drawn if item["from"]}  # a neighbour the circle covers joins it
    assert {data["features"][0]["properties"]["id"], *(f"copy_{k}" for k in range(20))} <= set(fanned)
    assert {item["fan"] for item in fanned.values()} == {len(fanned)}


class _TilesOnceWaitedFor:
    """A browser whose pages get one-colour tiles (:class:`FakeTiles`, no network) only once the
    picture waits for them (``snapshot.TILES_LOADED``): one taken without waiting would show none."""

    def __init__(self, browser, colour):
        self.browser, self.colour = browser, colour

    def new_context(self, **options):
        return _Context(self.browser.new_context(**options), self.colour)


class _Context:
    def __init__(self, context, colour):
        self.context, self.tiles = context, FakeTiles(context, colour, hold=True)

    def new_page(self):
        return _Page(self.context.new_page(), self.tiles)

    def close(self):
        self.context.close()


class _Page:
    def __init__(self, page, tiles):
        self.page, self.tiles = page, tiles

    def __getattr__(self, name):
        return getattr(self.page, name)

    def wait_for_selector(self, selector, **options):
        if selector == TILES_LOADED:
            self.tiles.release()
        return self.page.wait_for_selector(selector, **options)


@pytest.mark.browser
def test_a_picture_with_tiles_is_taken_once_they_have_loaded(browser, curated, tmp_path):
    """The page adds its tiles after its first paint; the picture waits for them, not just for the
    page to be ready: the sea around the land is the tiles' colour, not the map's bare background.
    (They are held until the picture waits for them, so one that did not wait would show none.)"""
    magenta = (255, 0, 255)
    out = snapshot(curated, tmp_path / "tiles.png", MapOptions(tiles=True), *SIZES["og"], browser=_TilesOnceWaitedFor(browser, magenta))
    image = Image.open(out).convert("RGB")
    tiled = sum(count for count, colour in image.getcolors(image.width * image.height) if colour == magenta)
    assert tiled > 0.05 * image.width * image.height
