"""geomap in a notebook: make_map gives a real folium.Map that shows inline, takes other folium
layers and saves the same self-contained page write_map writes (README "In a notebook")."""

import html
import re

import folium
import pytest

from geomap.load import read_facilities
from geomap.render import MapOptions, block_text, make_map, render_html, write_map

from conftest import REPO, map_head
from test_security_page import WatchedPage, _read, _run_texts, _sha256

SMALL = REPO / "tests/fixtures/small.geojson"
#: folium names each element with a random suffix: equal pages up to those.
_NAMES = re.compile(r"\b(map|tile_layer|geo_json|marker)_[0-9a-f]{32}\b")
_POLICY = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")[^"]*"')
#: Markup that would fetch a file (links to pages, as in the attribution, are fine).
_FETCHES = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""", re.I)
AREA = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "study area"},
        "geometry": {"type": "Polygon", "coordinates": [[[-67.2, 10.2], [-66.6, 10.2], [-66.6, 10.7], [-67.2, 10.2]]]}}]}


def _same_up_to_names(page):
    return _NAMES.sub("NAME", _POLICY.sub(r"\1POLICY", page))


def _with_user_layers(facilities):
    fmap = make_map(facilities, MapOptions(cluster=False, tiles=False))
    folium.GeoJson(AREA, name="study area", tooltip="study area").add_to(fmap)
    folium.Marker([10.45, -66.85], tooltip="my office").add_to(fmap)
    return fmap


def test_make_map_is_a_folium_map_that_shows_inline_with_its_data():
    fmap = make_map(read_facilities(SMALL))
    assert isinstance(fmap, folium.Map)
    shown = fmap._repr_html_()
    assert shown.count("<iframe") == 1
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', shown)[1])
    assert page.startswith("<!DOCTYPE html>") and map_head(page)["columns"]["lon"]
    assert '"helicoide"' in block_text(page, "gm-rows") and block_text(page, "gm-basemap")
    assert not _FETCHES.search(page)  # self-contained: nothing to fetch but tiles
    assert _same_up_to_names(page) == _same_up_to_names(render_html(read_facilities(SMALL)))


def test_what_folium_writes_reaches_the_page_minified():
    page = render_html(read_facilities(SMALL))
    assert "<style>html,body{width:100%;height:100%;margin:0;padding:0}</style>" in page  # folium's head
    script = re.search(r"</main>\n<script>\n(.*?)</script>", page, re.S)[1]  # the map's: folium's and geomap's calls
    assert "L.map(" in script and "geomap.render(" in script and "\n " not in script


def test_saving_the_map_writes_the_page_write_map_writes(tmp_path):
    facilities = read_facilities(SMALL)
    make_map(facilities, MapOptions(lang="es")).save(str(tmp_path / "saved.html"))
    write_map(facilities, tmp_path / "written.html", MapOptions(lang="es"))
    saved, written = ((tmp_path / name).read_text("utf-8") for name in ("saved.html", "written.html"))
    assert _same_up_to_names(saved) == _same_up_to_names(written)
    assert '<html lang="es">' in saved


@pytest.mark.parametrize("save", ["folium", "write_map"])
def test_user_layers_are_in_the_page_and_every_inline_script_is_hashed(tmp_path, save):
    fmap = _with_user_layers(read_facilities(SMALL))
    out = tmp_path / "mine.html"
    fmap.save(str(out)) if save == "folium" else write_map(fmap, out)
    page = out.read_text("utf-8")
    assert "L.marker(" in page and "study area" in page and "L.Icon.Default.mergeOptions" in page
    parser, csp = _read(page)
    assert {_sha256(text) for text in _run_texts(page, parser)} == {h for h in csp["script-src"] if h.startswith("'sha256-")}
    assert not _FETCHES.search(page)


def test_the_default_pin_is_only_carried_by_maps_with_a_folium_marker():
    assert "L.Icon.Default.mergeOptions" not in render_html(read_facilities(SMALL))


def test_write_map_refuses_a_folium_map_geomap_did_not_make(tmp_path):
    with pytest.raises(ValueError, match="make_map"):
        write_map(folium.Map(), tmp_path / "other.html")


@pytest.mark.browser
def test_user_layers_draw_beside_geomaps_markers_offline_under_the_policy(browser, tmp_path):
    out = tmp_path / "mine.html"
    _with_user_layers(read_facilities(SMALL)).save(str(out))
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        watched = WatchedPage(context)
        page = watched.open(out)
        assert len(watched.items()) == 4  # geomap's facilities, each on its own (no clusters)
        pin = page.wait_for_selector("img.leaflet-marker-icon")
        page.wait_for_function("(img) => img.complete && img.naturalWidth === 25", arg=pin)
        assert page.locator("path.leaflet-interactive").count() >= 1  # the GeoJSON polygon
        assert watched.violations() == [] and watched.console == []
        assert watched.errors == [] and watched.blocked == []
    finally:
        context.close()


def test_the_readme_notebook_example_runs_as_written(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("### In a notebook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    monkeypatch.chdir(REPO)
    namespace = {}
    exec(compile(code.replace("output/notebook.html", str(tmp_path / "notebook.html")), "README.md", "exec"), namespace)
    assert isinstance(namespace["m"], folium.Map)
    page = (tmp_path / "notebook.html").read_text("utf-8")
    assert 'id="gm-rows"' in page and "L.marker(" in page
