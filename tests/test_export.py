"""Exports: every format round-trips through geopandas and geomap's own reader."""

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner

from geomap import __version__
from geomap import frame as frames
from geomap.cli import main
from geomap.errors import InputError, OutputError
from geomap.export import (
    COUNT_COLUMNS,
    COUNTS_LAYER,
    FACILITIES_LAYER,
    FOLDER_FORMATS,
    FORMATS,
    KML_NS,
    decode_text,
    encode_text,
    export_facilities,
    read_export,
    to_geojson,
)
from geomap.schema import FIELDS, STATUSES, facility_schema, validate_collection

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "data" / "facilities.geojson"
JOIN_FIXTURES = REPO / "tests" / "fixtures" / "join"
GENERATED_AT = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
NAMES = ["El Helicoide", "Rodeo I — Guatire", "Cárcel de Tocorón 😀", "سجن المدينة", "כלא השרון", 'Zona "7" <b>&</b>']
INPUTS = [{"path": "data/facilities.geojson", "sha256": "0" * 64}]
NATIONAL_TOTALS = [{"country": "VE", "detainees": 1000, "qualifier": "about", "as_of": "2026-11-01", "source": "https://foropenal.com/reporte", "counted_by": "foro_penal", "note": None},
                   {"country": "VE", "detainees": 1100, "qualifier": "exact", "as_of": "2026-10-20", "source": "https://example.org/jep", "counted_by": "jep", "note": None}]


def synthetic_features(count):
    """Valid facilities exercising unicode, nulls, empty lists, nested JSON and awkward separators."""
    features = []
    for i in range(count):
        status = STATUSES[i % len(STATUSES)]
        closed = status in ("announced_closure", "closed")
        counted = i % 3 != 0
        props = {
            "id": f"f-{i:05d}",
            "name": f"{NAMES[i % len(NAMES)]} {i}",
            "name_en": None if i % 2 else f"Facility {i} ñ",
            "aliases": [[], ["Tumba", "La Tumba | 2"], ["[old] name"], ["al-سجن", "עִבְרִית"]][i % 4],
            "facility_type": ["prison", "pretrial_detention", "intelligence_hq", "military_prison", "police", "other"][i % 6],
            "operator": None if i % 5 == 0 else "SEBIN",
            "address": None,
            "city": "Caracas" if i % 2 else None,
            "state": "Distrito Capital",
            "country": "VE",
            "status": status,
            "status_date": f"2025-{i % 12 + 1:02d}" if closed else None,
            "status_source": f"https://example.org/status/{i}" if closed else None,
            "status_history": (
                [{"status": "open", "date": "2020-01-01", "source": "https://example.org/h", "note": None},
                 {"status": status, "date": f"2025-{i % 12 + 1:02d}", "source": f"https://example.org/status/{i}"}]
                if closed else []
            ),
            "detainees": i % 400 if counted else None,
            "detainees_qualifier": ["exact", "about", "at_least", "up_to", None][i % 5] if counted else None,
            "detainees_as_of": "2026-10-15" if counted else None,
            "detainees_source": "https://example.org/counts?a=1&b=2" if counted else None,
            "detainees_counted_by": ["foro_penal", None, "Comité local «Libertad» | 2"][i % 3] if counted else None,
            "detainee_counts": (
                [{"detainees": 5, "qualifier": None, "as_of": "2025-06", "source": "https://example.org/old", "counted_by": "jep", "note": "línea 1\nlínea 2, \"quoted\""},
                 {"detainees": i % 400, "as_of": "2026-10-15", "source": "https://example.org/counts?a=1&b=2"}]
                if counted else []
            ),
            "location_precision": ["site", "approximate", "locality", "region"][i % 4],
            "location_source": "nominatim: El Helicoide, Caracas" if i % 2 else "https://www.openstreetmap.org/way/1",
            "location_as_of": "2026-11-01",
            "geocoding": {"step": "nominatim", "osm_id": i, "place_rank": 30} if i % 2 else None,
            "sources": [] if i % 7 == 0 else ["https://example.org/a", f"https://example.org/b/{i % 9}"],
            "notes": None if i % 3 else "Note with, comma; \"quotes\" <tags> & ампер 🚨\nsecond line",
            "notes_es": None if i % 6 else "Nota con coma, «comillas» <etiquetas> & ампер 🚨\nsegunda línea",
        }
        if i % 10 == 0:
            props["extra_text"] = "kept ✓"
        lon = round(-67.5 + (i % 997) * 0.0045, 6)  # inland Venezuela: every point lies in its country
        lat = round(7.0 + (i % 991) * 0.0025, 6)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
    return features


def synthetic(count):
    facilities = frames.from_features(synthetic_features(count))
    facilities.attrs["inputs"] = list(INPUTS)
    facilities.attrs["national_totals"] = list(NATIONAL_TOTALS)
    return facilities


@pytest.fixture(scope="module")
def small():
    return synthetic(60)


@pytest.fixture(scope="module")
def large():
    return synthetic(10_000)


def same_facilities(expected, actual, precision=6):
    """Same rows, columns, values (types included) and points (to ``precision`` decimals)."""
    assert list(actual.columns) == list(expected.columns)
    # JSON text, so 1 and 1.0 or [] and None differ
    assert json.dumps(list(frames.to_features(actual))) == json.dumps(list(frames.to_features(expected, precision)))
    assert actual.crs == expected.crs


def geopandas_read(path, fmt):
    """What a researcher gets from geopandas.read_file, with the geomap columns renamed back."""
    if fmt == "csv":
        return gpd.read_file(path, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat", KEEP_GEOM_COLUMNS="NO")
    if fmt == "kml":  # GDAL's LIBKML reads our id and name into its own "id" and "Name" columns
        return gpd.read_file(path).drop(columns=["id2", "name2"]).rename(columns={"Name": "name"})
    return gpd.read_file(path, layer=FACILITIES_LAYER if fmt == "gpkg" else None)


def assert_geopandas_sees(expected, path, fmt):
    read = geopandas_read(path, fmt)
    assert len(read) == len(expected)
    assert set(FIELDS) <= set(read.columns)
    for field in ("id", "name", "status", "country", "facility_type", "location_precision"):
        assert read[field].tolist() == expected[field].tolist(), field
    assert read.geometry.x.round(6).tolist() == expected.geometry.x.round(6).tolist()
    assert read.geometry.y.round(6).tolist() == expected.geometry.y.round(6).tolist()
    counted = expected["detainees"].notna().to_numpy()
    assert [int(v) for v in read["detainees"][counted]] == expected["detainees"][counted].tolist()


def export_to(tmp_path, facilities, fmt, **options):
    return export_facilities(facilities, fmt, tmp_path / f"facilities{FORMATS[fmt]}", generated_at=GENERATED_AT, **options)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_geomap_and_geopandas(tmp_path, small, fmt):
    path = export_to(tmp_path, small, fmt)
    back = read_export(path)
    same_facilities(small, back)
    assert back.attrs["inputs"][0]["path"] == str(path)
    if fmt != "csv":  # CSV has nowhere to keep run-level metadata
        assert back.attrs["national_totals"] == NATIONAL_TOTALS
    assert_geopandas_sees(small, path, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_10000_rows(tmp_path, large, fmt):
    path = export_to(tmp_path, large, fmt)
    same_facilities(large, read_export(path))
    assert len(geopandas_read(path, fmt)) == 10_000


@pytest.mark.skipif(not CURATED.exists(), reason="data/facilities.geojson is not written yet")
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_curated_data(tmp_path, fmt):
    curated = read_export(CURATED)
    path = export_to(tmp_path, curated, fmt)
    same_facilities(curated, read_export(path))
    assert_geopandas_sees(curated, path, fmt)


def test_geojson_follows_rfc7946_and_the_schema(small):
    collection = json.loads(json.dumps(to_geojson(small, generated_at=GENERATED_AT)))
    assert validate_collection(collection) == []
    assert "crs" not in collection and collection["type"] == "FeatureCollection"
    for feature, expected in zip(collection["features"], synthetic_features(len(small))):
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert (lon, lat) == tuple(expected["geometry"]["coordinates"])  # lon first, not lat
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert isinstance(feature["properties"]["aliases"], list)  # kept as JSON, not stringified
        assert feature["properties"] == {**{f: None for f in small.columns if f != "geometry"}, **expected["properties"]}


def test_geojson_rounds_coordinates_to_precision():
    facilities = frames.from_features([{**synthetic_features(1)[0], "geometry": {"type": "Point", "coordinates": [-66.123456789, 10.987654321]}}])
    assert to_geojson(facilities)["features"][0]["geometry"]["coordinates"] == [-66.123457, 10.987654]
    assert to_geojson(facilities, precision=2)["features"][0]["geometry"]["coordinates"] == [-66.12, 10.99]


def test_provenance_names_inputs_date_and_every_source(small):
    record = to_geojson(small, generated_at=GENERATED_AT)["geomap"]
    assert record["generated_at"] == "2026-11-25T12:00:00Z"
    assert record["geomap_version"] == __version__
    assert record["inputs"] == INPUTS
    assert record["as_of"] == "2026-11-01"  # latest figure, status or national total when no --as-of was given
    assert record["national_totals"] == NATIONAL_TOTALS
    sources = record["sources"]
    assert len(sources) == len(set(sources))
    assert {"https://foropenal.com/reporte", "https://example.org/h", "https://example.org/old", "https://example.org/status/1"} <= set(sources)
    assert not any(url.startswith("nominatim") for url in sources)
    small_as_of = small.copy()
    small_as_of.attrs = {**small.attrs, "as_of": "2026-01"}
    assert to_geojson(small_as_of)["geomap"]["as_of"] == "2026-01"


@pytest.mark.parametrize(
    ("field", "value", "cell"),
    [
        ("aliases", ["Tumba", "Sótano 😀"], "Tumba | Sótano 😀"),
        ("aliases", ["a|b"], '["a|b"]'),
        ("aliases", ["[old] name"], '["[old] name"]'),
        ("aliases", [], ""),
        ("detainees", 0, "0"),
        ("detainees", None, ""),
        ("geocoding", {}, "{}"),
        ("geocoding", None, ""),
        ("detainee_counts", [{"detainees": 3, "as_of": "2026-01", "source": "https://x.org"}], '[{"detainees": 3, "as_of": "2026-01", "source": "https://x.org"}]'),
        ("notes", "line 1\nline 2 | שלום", "line 1\nline 2 | שלום"),
    ],
)
def test_text_cells_round_trip(field, value, cell):
    assert encode_text(field, value) == cell
    assert decode_text(field, cell) == value


def test_csv_excel_bom_and_lon_lat_columns(tmp_path, small):
    plain = export_to(tmp_path, small, "csv")
    excel = export_facilities(small, "csv", tmp_path / "excel.csv", excel=True)
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    same_facilities(small, read_export(excel))
    with open(plain, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(small)
    assert (rows[0]["lon"], rows[0]["lat"]) == ("-67.5", "7.0")
    assert rows[1]["sources"] == "https://example.org/a | https://example.org/b/1"


def test_counts_history_as_long_csv(tmp_path, small):
    counts_path = tmp_path / "counts.csv"
    export_to(tmp_path, small, "geojson", counts_output=counts_path)
    with open(counts_path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == COUNT_COLUMNS
        rows = list(reader)
    expected = [(fid, count) for fid, counts in zip(small["id"], small["detainee_counts"]) for count in counts]
    assert len(rows) == len(expected)
    for row, (fid, count) in zip(rows, expected):
        assert row["facility_id"] == fid
        assert int(row["detainees"]) == count["detainees"]
        assert (row["as_of"], row["source"]) == (count["as_of"], count["source"])
        assert row["qualifier"] == (count.get("qualifier") or "") and row["note"] == (count.get("note") or "")
        assert row["counted_by"] == (count.get("counted_by") or "")
    assert {row["counted_by"] for row in rows} == {"jep", ""}


def test_gpkg_has_facilities_and_counts_tables(tmp_path, small):
    path = export_to(tmp_path, small, "gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers == {FACILITIES_LAYER: "Point", COUNTS_LAYER: None}
    counts = pyogrio.read_dataframe(path, layer=COUNTS_LAYER)
    assert list(counts.columns) == list(COUNT_COLUMNS)
    assert len(counts) == sum(len(c) for c in small["detainee_counts"])
    info = pyogrio.read_info(path, layer=FACILITIES_LAYER)
    assert dict(zip(info["fields"], info["ogr_types"]))["detainees"] == "OFTInteger64"
    assert json.loads(info["dataset_metadata"]["geomap"])["inputs"] == INPUTS
    no_history = small.copy()
    no_history["detainee_counts"] = [[] for _ in range(len(small))]
    assert [name for name, _ in pyogrio.list_layers(export_to(tmp_path, no_history, "gpkg"))] == [FACILITIES_LAYER]


def test_kml_styles_by_status_and_escapes_the_popup(tmp_path, small):
    path = export_to(tmp_path, small, "kml")
    raw = path.read_text("utf-8")
    assert "<script" not in raw.lower() and "&lt;h3&gt;" in raw  # HTML travels as escaped text
    ns = {"k": KML_NS}
    root = ET.parse(path).getroot()
    styles = {style.get("id"): style.findtext("k:IconStyle/k:color", namespaces=ns) for style in root.iterfind(".//k:Style", ns)}
    assert set(styles) == {f"status-{status}" for status in STATUSES} and len(set(styles.values())) == len(STATUSES)
    placemarks = root.findall(".//k:Placemark", ns)
    assert len(placemarks) == len(small)
    for placemark, (_, row) in zip(placemarks, small.iterrows()):
        assert placemark.findtext("k:styleUrl", namespaces=ns) == f"#status-{row['status']}"
        assert placemark.findtext("k:name", namespaces=ns) == row["name"]
        description = placemark.findtext("k:description", namespaces=ns)
        assert all(re.match(r"https?://", href) for href in re.findall(r'href="([^"]*)"', description))
    tricky = placemarks[5].findtext("k:description", namespaces=ns)
    assert 'Zona "7" <b>&</b>' not in tricky and "Zona &quot;7&quot; &lt;b&gt;&amp;&lt;/b&gt; 5" in tricky
    assert 'href="nominatim' not in raw


def test_failed_export_leaves_the_old_file(tmp_path, small):
    path = tmp_path / "facilities.kml"
    path.write_text("old", "utf-8")
    broken = small.copy()
    broken.at[3, "notes"] = "bell \x07"
    with pytest.raises(OutputError, match=r"facility 3 \(id=f-00003\): notes: .*control character"):
        export_facilities(broken, "kml", path)
    assert path.read_text("utf-8") == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["facilities.kml"]
    with pytest.raises(OutputError, match="gpkg .* stdout"):
        export_facilities(small, "gpkg", "-")
    with pytest.raises(OutputError, match="unknown export format"):
        export_facilities(small, "shp", tmp_path / "x.shp")


def test_reader_errors_name_the_file_row_and_fix(tmp_path, small):
    path = export_to(tmp_path, small, "csv")
    text = path.read_text("utf-8").replace('[{""status"": ""open""', "[{oops", 1)
    path.write_text(text, "utf-8")
    with pytest.raises(InputError, match=r"facilities.csv: row 1: status_history: .* not valid JSON"):
        read_export(path)
    with pytest.raises(InputError, match="unknown export suffix"):
        read_export(tmp_path / "facilities.shp")
    with pytest.raises(InputError, match="no such file"):
        read_export(tmp_path / "missing.kml")
    (tmp_path / "broken.gpkg").write_bytes(b"not a database")
    with pytest.raises(InputError, match="broken.gpkg: cannot open as a GeoPackage"):
        read_export(tmp_path / "broken.gpkg")
    (tmp_path / "broken.kml").write_text("<kml><Document>", "utf-8")
    with pytest.raises(InputError, match="broken.kml: not valid KML/XML"):
        read_export(tmp_path / "broken.kml")


# ---------------------------------------------------------------- CLI


def test_cli_schema_prints_the_shipped_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    shipped = json.loads((REPO / "geomap" / "facility.schema.json").read_text("utf-8"))
    assert json.loads(result.output) == shipped == facility_schema()


def test_cli_format_choices_match_the_api():
    command = main.commands["export"]
    choices = next(p for p in command.params if p.name == "fmt").type.choices
    assert tuple(choices) == (*FORMATS, *FOLDER_FORMATS)


def test_cli_export_default_output_and_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = REPO / "tests" / "fixtures" / "small.geojson"
    result = CliRunner().invoke(main, ["export", str(source), "--format", "csv", "--excel"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "small.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = CliRunner().invoke(main, ["export", str(source), "-o", "out/small.kml"])
    assert result.exit_code == 0, result.output
    assert len(read_export(tmp_path / "out" / "small.kml")) == len(read_export(source))


def test_cli_export_streams_to_stdout():
    source = REPO / "tests" / "fixtures" / "small.geojson"
    result = CliRunner().invoke(main, ["export", str(source), "-o", "-"])
    assert result.exit_code == 0
    collection = json.loads(result.stdout)
    assert validate_collection(collection) == [] and collection["geomap"]["inputs"][0]["path"] == str(source)
    result = CliRunner().invoke(main, ["export", str(source), "-f", "gpkg", "-o", "-"])
    assert result.exit_code == 1 and "cannot stream to stdout" in result.output


def test_cli_export_joins_counts_as_of(tmp_path):
    output = tmp_path / "joined.geojson"
    counts = JOIN_FIXTURES / "counts.json"
    args = ["export", str(JOIN_FIXTURES / "facilities.geojson"), "--counts", str(counts), "--as-of", "2026-03", "-o", str(output)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(output.read_text("utf-8"))["geomap"]
    assert [i["path"] for i in record["inputs"]] == [str(JOIN_FIXTURES / "facilities.geojson"), str(counts)]
    assert record["as_of"] == "2026-03"
    assert "https://example.org/excarcelaciones" in record["sources"]


OGRINFO_MISSING = shutil.which("ogrinfo") is None and not os.environ.get("CI")


@pytest.mark.skipif(OGRINFO_MISSING, reason="ogrinfo not installed (apt-get install gdal-bin)")
@pytest.mark.parametrize("source", [CURATED, REPO / "tests" / "fixtures" / "small.geojson"], ids=["curated", "fixture"])
def test_gpkg_opens_in_ogrinfo_and_geopandas(tmp_path, source):
    if not source.exists():
        pytest.skip("data/facilities.geojson is not written yet")
    output = tmp_path / "out.gpkg"
    result = CliRunner().invoke(main, ["export", str(source), "--format", "gpkg", "-o", str(output)])
    assert result.exit_code == 0, result.output
    info = subprocess.run(["ogrinfo", "-so", str(output), FACILITIES_LAYER], capture_output=True, text=True, check=True).stdout
    expected = read_export(source)
    assert f"Feature Count: {len(expected)}" in info
    ogr_fields = re.findall(r"^(\w+): \w+", info.split("Geometry Column", 1)[1], re.M)
    read = gpd.read_file(output, layer=FACILITIES_LAYER)
    assert ogr_fields == [c for c in read.columns if c != "geometry"] == [c for c in expected.columns if c != "geometry"]
    assert len(read) == len(expected)


# ---------------------------------------------------------------- review fixes


def rewrite_csv_rows(path, change):
    """Rewrite a CSV export after ``change(rows)`` edits its list of rows (header first)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows[3].pop(), r"facilities.csv: row 2: \d+ cells but the header has \d+ columns: .*re-export"),
    (lambda rows: rows[3].append("extra"), r"facilities.csv: row 2: \d+ cells but the header has \d+ columns"),
], ids=["short row", "extra cell"])
def test_csv_rows_must_have_one_cell_per_column(tmp_path, small, change, message):
    path = export_to(tmp_path, small, "csv")
    rewrite_csv_rows(path, change)
    with pytest.raises(InputError, match=message):
        read_export(path)


def test_csv_that_is_not_utf8_is_one_line_naming_the_fix(tmp_path, small):
    path = export_to(tmp_path, small, "csv")
    path.write_bytes(path.read_bytes().replace(b"Caracas", "Caracas\xe9".encode("cp1252"), 1))
    with pytest.raises(InputError, match=r"facilities.csv: not UTF-8 \(byte \d+\): .*re-save it as UTF-8"):
        read_export(path)
    result = CliRunner().invoke(main, ["export", str(path), "-o", str(tmp_path / "out.geojson")])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {path}: not UTF-8")
    assert not (tmp_path / "out.geojson").exists()


def test_broken_json_in_kml_and_gpkg_names_the_file_feature_and_field(tmp_path, small):
    kml = export_to(tmp_path, small, "kml")
    kml.write_text(kml.read_text("utf-8").replace('{"generated_at"', '{oops', 1), "utf-8")
    with pytest.raises(InputError, match=r"facilities.kml: document: geomap: .* not valid JSON"):
        read_export(kml)
    gpkg = export_to(tmp_path, small, "gpkg")
    table = pyogrio.read_dataframe(gpkg, layer=FACILITIES_LAYER)
    table.loc[1, "status_history"] = "[oops"
    pyogrio.write_dataframe(table, gpkg, layer=FACILITIES_LAYER, dataset_metadata={"geomap": "{}"})
    with pytest.raises(InputError, match=r"facilities.gpkg: feature 1: status_history: '\[oops' is not valid JSON"):
        read_export(gpkg)
    table.loc[1, "status_history"] = "[]"
    pyogrio.write_dataframe(table, gpkg, layer=FACILITIES_LAYER, dataset_metadata={"geomap": "{oops"})
    with pytest.raises(InputError, match=r"facilities.gpkg: document: geomap: .* not valid JSON"):
        read_export(gpkg)


def test_kml_shows_a_text_location_source_and_links_only_urls(small):
    from geomap.export import placemark_description, records

    text_source, url_source = records(small)[1], records(small)[2]
    text_source["location_source"] = "nominatim: <b>Helicoide</b>, Caracas"
    description = placemark_description(text_source)
    assert "nominatim: &lt;b&gt;Helicoide&lt;/b&gt;, Caracas" in description
    assert '<a href="https://www.openstreetmap.org/way/1">' in placemark_description(url_source)


@pytest.mark.parametrize(("fmt", "name"), [("csv", "x.geojson"), ("geojson", "x.csv"), ("kml", "x.gpkg"), ("gpkg", "x.json")])
def test_a_format_that_contradicts_the_output_suffix_is_an_error(tmp_path, small, fmt, name):
    expected = f"-o {tmp_path / name} is a {Path(name).suffix} name but --format {fmt}: use -o {tmp_path}/x{FORMATS[fmt]} or drop --format"
    with pytest.raises(InputError, match=re.escape(expected)):
        export_facilities(small, fmt, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_cli_export_format_contradicting_the_suffix_writes_nothing(tmp_path):
    source = REPO / "tests" / "fixtures" / "small.geojson"
    result = CliRunner().invoke(main, ["export", str(source), "-f", "csv", "-o", str(tmp_path / "x.geojson")])
    assert result.exit_code == 1 and "is a .geojson name but --format csv: use -o" in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(main, ["export", str(source), "-f", "csv", "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 0, result.output  # an unknown suffix is the user's choice
