"""validate and build: good input passes, every kind of bad input is one line and exit 1."""

import json

import pytest
from click.testing import CliRunner

from geomap import schema
from geomap.cli import main
from geomap.errors import InputError
from geomap.files import atomic_write
from geomap.load import read_facilities
from geomap.render import MapOptions, block_text, render_html

from conftest import REPO, map_head

SMALL = REPO / "tests/fixtures/small.geojson"


def collection():
    return json.loads(SMALL.read_text("utf-8"))


def write(tmp_path, data, name="in.geojson"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


def broken(mutate):
    data = collection()
    mutate(data)
    return data


BAD_INPUTS = {
    "missing file": (None, "no such file"),
    "broken json": ('{"type": "FeatureCollection", "features": [', "not valid JSON: line 1"),
    "no geometry": (broken(lambda d: d["features"][0].update(geometry=None)), "feature 0 (id=helicoide): geometry: no geometry"),
    "duplicate id": (broken(lambda d: d["features"][1]["properties"].update(id="helicoide")), "feature 1 (id=helicoide): id: duplicate of feature 0"),
    "latitude 200": (broken(lambda d: d["features"][2]["geometry"].update(coordinates=[-67.5, 200])), "feature 2 (id=tocoron): geometry: latitude 200 is outside -90..90"),
    "unknown status": (broken(lambda d: d["features"][1]["properties"].update(status="reopened")), "feature 1 (id=la_tumba): status: 'reopened' is not one of"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("command", ["validate", "build"])
def test_bad_input_is_one_line_exit_1_and_no_output(tmp_path, case, command):
    data, expected = BAD_INPUTS[case]
    path = tmp_path / "missing.geojson" if data is None else write(tmp_path, data)
    out = tmp_path / "map.html"
    out.write_text("earlier map")
    args = [command, str(path)] + (["-o", str(out)] if command == "build" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # handled: not an uncaught error with a traceback
    lines = result.stderr.strip().splitlines()
    assert any(expected in line and line.startswith(f"error: {path}") for line in lines), lines
    assert out.read_text() == "earlier map"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_validate_accepts_good_file():
    result = CliRunner().invoke(main, ["validate", str(SMALL)])
    assert result.exit_code == 0
    assert "4 facilities, valid" in result.stderr


def test_validation_reports_every_problem_with_the_fix():
    data = collection()
    props = data["features"][0]["properties"]
    props.update(detainees=-1, detainees_as_of="30/01/2026", sources=["javascript:alert(1)"], country="Venezuela")
    messages = [str(p) for p in schema.validate_collection(data, "x.geojson")]
    assert any("detainees: -1 is negative" in m for m in messages)
    assert any("detainees_as_of: '30/01/2026' is not an ISO date: write YYYY-MM-DD" in m for m in messages)
    assert any("sources.0: 'javascript:alert(1)' is not an http(s) URL" in m for m in messages)
    assert any("country: 'Venezuela'" in m for m in messages)


@pytest.mark.parametrize("value,ok", [("2026-01-30", True), ("2026-01", True), ("2026-02-30", False),
                                      ("2026-13", False), ("26-01-30", False), ("2026-1-3", False)])
def test_dates_are_real_iso_dates(value, ok):
    data = collection()
    data["features"][0]["properties"]["status_date"] = value
    assert (schema.validate_collection(data) == []) is ok


def test_closure_needs_its_date_and_source():
    data = collection()
    del data["features"][0]["properties"]["status_source"]
    assert [p.field for p in schema.validate_collection(data)] == ["status_source"]


def test_swapped_coordinates_get_a_hint():
    data = collection()
    data["features"][0]["geometry"]["coordinates"] = [10.49, -166.9]
    assert "swapped" in str(schema.validate_collection(data)[0])


def test_read_facilities_returns_the_documented_frame():
    facilities = read_facilities(SMALL)
    assert list(facilities.columns[: len(schema.FIELDS)]) == list(schema.FIELDS)
    assert facilities.crs.to_epsg() == 4326
    helicoide = facilities.set_index("id").loc["helicoide"]
    assert helicoide["detainees"] == 65 and isinstance(helicoide["detainees"], int)
    assert facilities.set_index("id").loc["la_tumba", "aliases"] == []
    assert facilities.attrs["inputs"][0]["sha256"]


def test_read_facilities_raises_with_all_problems(tmp_path):
    data = collection()
    for feature in data["features"]:
        feature["properties"]["status"] = "x"
    with pytest.raises(InputError) as error:
        read_facilities(write(tmp_path, data))
    assert len(error.value.problems) == 4


def test_build_writes_self_contained_map(tmp_path):
    out = tmp_path / "deep" / "map.html"
    result = CliRunner().invoke(main, ["build", str(SMALL), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert "<script src=" not in page and 'rel="stylesheet"' not in page  # everything inline
    assert "cdn.jsdelivr" not in page and "bootstrap" not in page.lower() and "jquery" not in page.lower()


def test_cdn_links_the_same_pinned_versions_with_integrity(tmp_path):
    page = render_html(read_facilities(SMALL), MapOptions(cdn=True, cluster_above=0))
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" integrity="sha384-' in page
    assert "supercluster@9.1.0" in page


@pytest.mark.parametrize("cdn", [False, True], ids=["inline", "cdn"])
def test_only_a_map_that_clusters_carries_supercluster(cdn):
    facilities = read_facilities(SMALL)  # 4 facilities: clustered only when asked to from 0 on
    vendored = "supercluster@9.1.0/" if cdn else "<!-- supercluster 9.1.0 (ISC)"  # its link, or its packed copy
    assert vendored not in render_html(facilities, MapOptions(cdn=cdn))
    assert vendored in render_html(facilities, MapOptions(cdn=cdn, cluster_above=0))


def test_fixed_overhead_stays_well_under_500_kb(tmp_path):
    empty = read_facilities(SMALL).iloc[:0]
    assert len(render_html(empty).encode()) < 400_000


def test_data_cannot_break_out_of_the_payload():
    facilities = read_facilities(SMALL)
    facilities.loc[0, "name"] = "</script><script>alert(1)</script>"
    page = render_html(facilities)
    assert "</script><script>alert(1)" not in page
    assert "\\u003c/script\\u003e" in block_text(page, "gm-rows")


def test_data_is_never_evaluated_as_a_template():
    facilities = read_facilities(SMALL)
    facilities.loc[0, "name"] = "{{ 7*7 }} {{ cycler.__init__.__globals__.os.getcwd() }} {% broken"
    page = render_html(facilities)
    assert "{{ 7*7 }} {{ cycler.__init__.__globals__.os.getcwd() }} {% broken" in block_text(page, "gm-rows")


def test_a_write_that_fails_midway_keeps_the_earlier_file(tmp_path):
    out = tmp_path / "map.html"
    out.write_text("earlier map")
    with pytest.raises(RuntimeError):
        with atomic_write(out) as handle:
            handle.write("half a new map")
            raise RuntimeError("disk full")
    assert out.read_text() == "earlier map"
    assert list(tmp_path.iterdir()) == [out]


def test_every_command_has_help_with_an_example():
    for name in main.commands:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"{name} --help has no example"


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "geomap, version" in result.output


def _payload(page):
    """The page's data: its head, plus "rows" (one list per facility) from the block after the script."""
    rows = block_text(page, "gm-rows")
    return {**map_head(page), "rows": [json.loads(line) for line in rows.split("\n")] if rows else []}


def test_default_build_joins_the_shipped_counts_and_shows_the_national_total(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", "-o", str(out), "--as-of", "2025-01-15"])
    assert result.exit_code == 0, result.output
    payload = _payload(out.read_text("utf-8"))
    assert payload["as_of"] == "2025-01-15"
    assert payload["national"]["detainees"] == 1687 and payload["national"]["as_of"] == "2025-01-15"
    rows = {row[0]: dict(zip(payload["fields"], row)) for row in payload["rows"]}
    assert rows["yare_ii"]["detainees"] is None  # its figure is of 2026, its first status event of Aug 2025
    assert rows["yare_ii"]["status"] == "unknown"


def test_a_month_figure_is_not_shown_before_the_month_ends(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("facility,detainees,as_of,source\nhelicoide,65,2026-01,https://example.org/jep\n"
                      "national:VE,777,2026-01,https://example.org/n\n", "utf-8")
    out = tmp_path / "map.html"
    for as_of, expected in (("2026-01-10", None), ("2026-01-31", 65)):
        result = CliRunner().invoke(main, ["build", str(SMALL), "--counts", str(counts), "--as-of", as_of, "-o", str(out)])
        assert result.exit_code == 0, result.output
        payload = _payload(out.read_text("utf-8"))
        rows = {row[0]: dict(zip(payload["fields"], row)) for row in payload["rows"]}
        assert rows["helicoide"]["detainees"] == expected
        assert (payload["national"] or {}).get("detainees") == (777 if expected else None)


def test_build_geocode_maps_a_csv_without_coordinates(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    sites = tmp_path / "sites.csv"
    sites.write_text("name,city,state\nHelicoide,Caracas,Distrito Capital\nCárcel de Tocorón,,Aragua\n"
                     "Penal Imaginario,Nowhere Town,Atlantis\n", "utf-8")
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", str(sites), "--geocode", "--offline", "--cache", str(tmp_path / "c.sqlite"),
                                       "-o", str(out)])
    assert result.exit_code == 2, result.output  # one row could not be placed: said, and mapped without it
    assert "not on the map, no location found: Penal Imaginario" in result.stderr
    payload = _payload(out.read_text("utf-8"))
    assert sorted(row[payload["fields"].index("precision")] for row in payload["rows"]) == ["site", "site"]


def test_page_written_in_batches_holds_the_same_payload():
    from geomap.render import page_parts

    facilities = read_facilities(SMALL)
    in_batches = _payload("".join(page_parts(facilities, MapOptions(), batch=3)))  # 4 rows: two batches
    assert in_batches == _payload(render_html(facilities)) and len(in_batches["rows"]) == 4
    # the detail rows follow the drawing script, so a big map is drawn before they are parsed
    page = render_html(facilities)
    assert page.index("geomap.render(") < page.index('id="gm-rows"') < page.index("</html>")


def test_default_counts_are_joined_however_the_default_input_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "map.html"
    assert CliRunner().invoke(main, ["build", "./data/facilities.geojson", "-o", str(out)]).exit_code == 0
    assert _payload(out.read_text("utf-8"))["national"]["detainees"] > 0


def test_headline_date_and_total_include_the_national_figures(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("facility,detainees,qualifier,as_of,source,note\n"
                      "helicoide,65,,2026-02-10,https://example.org/b,JEP\n"
                      "helicoide,80,up_to,2026-02-10,https://example.org/a,seed report\n"
                      "national:VE,900,,2026-01-05,https://example.org/n1,\n"
                      "national:VE,700,,2026-03-01,https://example.org/n2,\n", "utf-8")
    out = tmp_path / "map.html"
    assert CliRunner().invoke(main, ["build", str(SMALL), "--counts", str(counts), "-o", str(out)]).exit_code == 0
    payload = _payload(out.read_text("utf-8"))
    assert payload["as_of"] == "2026-03-01" and payload["national"]["detainees"] == 700
    helicoide = dict(zip(payload["fields"], next(r for r in payload["rows"] if r[0] == "helicoide")))
    source = helicoide["count_source"]
    if isinstance(source, int):  # cited again: its position in the facility's own sources
        source = helicoide["sources"][source]
    assert (helicoide["detainees"], source, helicoide["note_count"]) == (65, "https://example.org/b", "JEP")


def test_an_output_path_that_is_a_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["build", str(SMALL), "-o", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "cannot write (Is a directory)" in result.stderr


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"detainees": 65.0}, "detainees", "65.0 is not a whole number written as an integer: write 65"),
    ({"detainees": 10_000_001}, "detainees", "10000001 is more than 10000000"),
    ({"detainees": 1e20}, "detainees", "1e+20 is not a whole number written as an integer"),
])
def test_counts_are_integers_within_bounds(tmp_path, change, field, message):
    data = collection()
    data["features"][0]["properties"].update(change)
    assert any(p.field == field and message in p.message for p in schema.validate_collection(data)), \
        schema.validate_collection(data)
    data = collection()
    data["features"][0]["properties"]["detainee_counts"] = [
        {"detainees": 65.0, "as_of": "2026-01", "source": "https://example.org/a"}]
    assert [(p.field, p.message) for p in schema.validate_collection(data)] == [
        ("detainee_counts.0.detainees", "65.0 is not a whole number written as an integer: write 65")]
    result = CliRunner().invoke(main, ["validate", str(write(tmp_path, data))])
    assert result.exit_code == 1 and "not a whole number" in result.stderr


@pytest.mark.parametrize("url", ["https://x.org/a\n", "https://x.org/a b", "https://x.org/\n\n"])
def test_urls_with_a_trailing_newline_fail_in_python_as_in_the_page(url):
    assert not schema.is_http_url(url)
    data = collection()
    data["features"][0]["properties"]["sources"] = [url]
    assert [p.field for p in schema.validate_collection(data)] == ["sources.0"]
    assert not schema._validator().is_valid({"sources": [url]})
    with pytest.raises(schema.fastjsonschema.JsonSchemaException):
        schema._fast_validator()({**data["features"][0]["properties"], "sources": [url]})
    assert schema.is_http_url(url.strip().split()[0])


def test_snapshot_without_playwright_says_how_to_install_it(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_playwright(name, *args, **kwargs):
        if name.startswith("playwright"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_playwright)
    result = CliRunner().invoke(main, ["snapshot", str(SMALL), "-o", str(tmp_path / "m.png")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "pip install 'geomap[png]'" in result.stderr


def test_building_from_an_export_keeps_its_national_totals(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    exported, out = tmp_path / "joined.geojson", tmp_path / "map.html"
    assert CliRunner().invoke(main, ["export", "--counts", "data/counts.csv", "-o", str(exported)]).exit_code == 0
    result = CliRunner().invoke(main, ["build", str(exported), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _payload(out.read_text("utf-8"))["national"]["detainees"] > 0
