"""Pipes and encodings: `-` as every input (read as bytes), `-o -`, UTF-16 and BOMs, title rows above
the header, column synonyms, NA cells, and geocode's rows it could not place (issue 13 item 6)."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.counts import read_counts, read_table
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions, geocode_file
from geomap.load import read_facilities, read_locations

from conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
SMALL = FIXTURES / "small.geojson"
JOIN_FACILITIES = FIXTURES / "join" / "facilities.geojson"
COUNTS_CP1252 = FIXTURES / "join" / "counts_es_cp1252.csv"
UCLA = REPO.parent / "shared/reference/peers/ucla_fac_data.csv"  # ../shared beside the clone, as test_places
COUNTS_TEXT = ("facility\tdetainees\tas_of\tsource\tnote\r\n"
               "helicoide\t65\t2026-01-09\thttps://example.org/a\tSótano «uno»\r\n"
               "Tocorón\tmás de 800\t2024-11\thttps://example.org/b\t\r\n")
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 BOM": lambda text: text.encode("utf-8-sig"),
    "utf-16 LE BOM": lambda text: text.encode("utf-16"),  # Python writes the BOM and little-endian
    "utf-16 BE BOM": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
}


def geomap_process(args, stdin=b"", cwd=None, **env):
    """``python -m geomap ARGS`` in its own process with ``env`` added (LC_ALL=C, say), bytes in and out."""
    return subprocess.run([sys.executable, "-m", "geomap", *map(str, args)], input=stdin, capture_output=True,
                          cwd=cwd, timeout=300, env=os.environ | {"PYTHONPATH": str(REPO)} | env)


def invoke(*args, stdin=None):
    return CliRunner().invoke(main, [str(arg) for arg in args], input=stdin)


# --- `-`: stdin read as bytes, whatever the locale ---

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_stdin_geojson_in_utf8_bom_and_utf16_validates_under_the_c_locale(encoding):
    data = ENCODINGS[encoding](SMALL.read_text("utf-8"))
    done = geomap_process(["validate", "-"], data, LC_ALL="C")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().strip().endswith("-: 4 facilities, valid")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_stdin_counts_in_every_encoding_join(encoding):
    result = invoke("join", JOIN_FACILITIES, "-", "-o", "-", stdin=ENCODINGS[encoding](COUNTS_TEXT.replace("\t", ",")))
    assert result.exit_code == 0, result.output
    helicoide = next(f["properties"] for f in json.loads(result.stdout)["features"] if f["properties"]["id"] == "helicoide")
    assert helicoide["detainees"] == 65 and helicoide["detainee_counts"][-1]["note"] == "Sótano «uno»"


def test_a_cp1252_pipe_is_decoded_as_cp1252_not_as_the_locale(tmp_path):
    # a cp1252 report piped in, and Python told stdin is cp1252 while the bytes of a GeoJSON are UTF-8
    done = geomap_process(["join", JOIN_FACILITIES, "-", "-o", "-"], COUNTS_CP1252.read_bytes(), cwd=tmp_path,
                          LC_ALL="C")
    assert done.returncode == 0, done.stderr.decode()
    tocoron = next(f["properties"] for f in json.loads(done.stdout)["features"] if f["properties"]["id"] == "tocoron")
    assert tocoron["detainee_counts"][-1]["note"] == "Foro Penal – tras 86 excarcelaciones"
    text = SMALL.read_text("utf-8").replace("El Helicoide", "El Helicoide — Cárcel")
    done = geomap_process(["export", "-", "-o", "-"], text.encode("utf-8"), cwd=tmp_path, PYTHONIOENCODING="cp1252")
    assert done.returncode == 0, done.stderr.decode()
    names = [feature["properties"]["name"] for feature in json.loads(done.stdout.decode("utf-8"))["features"]]
    assert "El Helicoide — Cárcel" in names  # read as UTF-8 and written as UTF-8, whatever stdin/stdout claim


def test_a_csv_neither_utf8_nor_cp1252_on_stdin_names_the_encoding_option():
    result = invoke("join", JOIN_FACILITIES, "-", stdin=b"facility,detainees\nhelicoide\x81,65\n")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: -: neither UTF-8 nor cp1252 (byte 28): pass --encoding (e.g. latin-1) "
                                     "or re-save it as UTF-8")


def test_non_utf8_geojson_on_stdin_is_one_line():
    result = invoke("validate", "-", stdin=SMALL.read_text("utf-8").replace("Helicoide", "Helicoïde").encode("cp1252"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: -: not UTF-8 (byte ") and "Traceback" not in result.output


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_build_export_and_diff_read_stdin(here):
    geojson = SMALL.read_bytes()
    result = invoke("build", "-", "-o", "map.html", "--no-tiles", stdin=geojson)
    assert result.exit_code == 0, result.output
    assert "map.html: 4 facilities" in result.stderr and (here / "map.html").stat().st_size > 10_000
    for fmt in ("csv", "kml", "geojson"):
        invoke("export", SMALL, "-o", f"small.{fmt}")
        result = invoke("export", "-", "-o", f"again.{fmt}", stdin=(here / f"small.{fmt}").read_bytes())
        assert result.exit_code == 0, result.output
        assert "again." + fmt + ": 4 facilities" in result.stderr
    for args in (["diff", "-", SMALL, "--json"], ["diff", SMALL, "-", "--json"]):
        result = invoke(*args, stdin=geojson)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == []
    result = invoke("diff", "-", "-", stdin=geojson)
    assert (result.exit_code, result.stderr.strip()) == (
        1, "error: geomap diff: OLD and NEW cannot both be - (stdin): save one to a file")


def test_join_reads_either_input_from_stdin_but_not_both(here):
    result = invoke("join", "-", FIXTURES / "join" / "counts.json", "-o", "joined.geojson",
                    stdin=JOIN_FACILITIES.read_bytes())
    assert result.exit_code == 0, result.output
    assert (here / "joined.matches.csv").exists()
    result = invoke("join", JOIN_FACILITIES, "-", "-o", "joined.geojson", stdin=(FIXTURES / "join" / "counts.xlsx").read_bytes())
    assert result.exit_code == 0, result.output
    result = invoke("join", "-", "-", stdin=b"")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: geomap join: FACILITIES and COUNTS cannot both be - (stdin): save one to a file"


def test_geocode_reads_a_csv_from_stdin(here):
    result = invoke("geocode", "-", "-o", "-", "--offline", "--gazetteer", FIXTURES / "gazetteer.geojson",
                    stdin="Nombre;Ciudad;Estado;País\r\nRetén de Caraballeda;Caraballeda;La Guaira;VE\r\n".encode("cp1252"))
    assert result.exit_code == 0, result.output
    (feature,) = json.loads(result.stdout)["features"]
    assert feature["properties"]["name"] == "Retén de Caraballeda" and feature["geometry"]
    assert feature["properties"]["location_source"].startswith("GeoNames")


def test_stdin_sniffing_reads_a_facilities_geojson_and_an_xlsx(here):
    assert len(read_locations_from_stdin(SMALL.read_bytes())) == 4
    header, records = read_table_from_stdin((FIXTURES / "join" / "counts.xlsx").read_bytes())
    assert records and header


def read_locations_from_stdin(data):
    runner = CliRunner()
    with runner.isolation(input=data):
        return read_locations("-")


def read_table_from_stdin(data):
    with CliRunner().isolation(input=data):
        return read_table("-")


# --- `-o -`: every text output to stdout, the PNG too ---

def test_build_writes_the_page_to_stdout_and_no_file_named_dash(here):
    result = invoke("build", SMALL, "-o", "-", "--no-tiles")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.lstrip().lower().startswith(b"<!doctype html>")
    assert not (here / "-").exists()


def test_text_outputs_to_stdout_are_utf8_whatever_stdout_claims(here):
    done = geomap_process(["export", SMALL, "-f", "csv", "-o", "-"], cwd=here, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr.decode()
    assert list(csv.DictReader(done.stdout.decode("utf-8").splitlines()))[0]["name"] == "El Helicoide"
    done = geomap_process(["diff", FIXTURES / "diff" / "old.geojson", FIXTURES / "diff" / "new.geojson", "-o", "-"],
                          cwd=here, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr.decode()
    done.stdout.decode("utf-8")
    assert not (here / "-").exists()


@pytest.mark.browser
def test_snapshot_reads_stdin_and_writes_the_png_to_stdout(here, browser):
    done = geomap_process(["snapshot", "-", "-o", "-", "--width", "800", "--height", "630"], SMALL.read_bytes(), cwd=here,
                          LC_ALL="C")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    assert not (here / "-").exists()


# --- UTF-16 count files (Excel "Unicode text") ---

def test_excel_unicode_text_counts_are_read_as_utf16(tmp_path):
    path = tmp_path / "reporte.txt"
    path.write_bytes(COUNTS_TEXT.encode("utf-16"))
    counts = read_counts(path)
    assert counts["detainees"].tolist() == [65, 800] and counts["facility"].tolist() == ["helicoide", "Tocorón"]
    assert counts["note"].tolist()[0] == "Sótano «uno»"
    path.write_bytes(b"\xfe\xff" + COUNTS_TEXT.encode("utf-16-be"))
    assert read_counts(path)["qualifier"].tolist() == ["exact", "at_least"]


# --- title rows above the header ---

TITLE_CSV = ("Presos políticos por centro de reclusión,,,\r\n"
             "Fuente: Foro Penal, enero de 2026,,,\r\n"
             ",,,\r\n"
             "Centro;Detenidos;Fecha;Fuente\r\n"
             "helicoide;65;2026-01-09;https://example.org/a\r\n"
             "Tocorón;-5;2024-11;https://example.org/b\r\n")


def test_a_csv_with_title_rows_finds_its_header_and_counts_rows_as_the_file_does(tmp_path):
    path = tmp_path / "reporte.csv"
    path.write_text(TITLE_CSV, "utf-8")
    with pytest.raises(InputError) as error:
        read_counts(path)
    assert str(error.value) == f"{path}: row 6: detainees -5 is negative: counts are whole numbers ≥ 0"
    path.write_text(TITLE_CSV.replace("-5", "800"), "utf-8")
    counts = read_counts(path)
    assert counts["row"].tolist() == [5, 6] and counts["detainees"].tolist() == [65, 800]


def _title_workbook(path, header, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "Centros de detención — lista de trabajo"
    sheet["A2"] = "Actualizada el 9 de enero de 2026"
    for number, line in enumerate([header, *rows], start=4):
        for column, value in enumerate(line, start=1):
            sheet.cell(number, column, value)
    workbook.save(path)
    return path


def test_an_xlsx_with_title_rows_is_read_with_its_real_row_numbers(tmp_path):
    path = _title_workbook(tmp_path / "reporte.xlsx", ["Establecimiento", "Detenidos", "Fecha", "Fuente"],
                           [["helicoide", 65, "2026-01-09", "https://example.org/a"],
                            ["rodeo_i", "muchos", "2026-01-09", "https://example.org/b"]])
    with pytest.raises(InputError) as error:
        read_counts(path)
    assert str(error.value).startswith(f"{path}: row 6: detainees 'muchos' is not a whole number")
    sites = _title_workbook(tmp_path / "sitios.xlsx", ["Nombre", "Ciudad", "Estado", "País"],
                            [["Retén de Caraballeda", "Caraballeda", "La Guaira", "VE"]])
    facilities = read_locations(sites)
    assert facilities["name"].tolist() == ["Retén de Caraballeda"] and facilities["city"].tolist() == ["Caraballeda"]


def test_header_row_option_names_the_header_when_nothing_can_find_it(here):
    path = here / "nombres.csv"
    path.write_text("Lista de centros\nNombre\nHelicoide\nTocorón\n", "utf-8")  # a name column only: not found
    result = invoke("geocode", path, "--offline", "-o", "out.geojson", "--gazetteer", FIXTURES / "gazetteer.geojson")
    assert result.exit_code == 1 and "no 'name' column" in result.stderr and "--header-row" in result.stderr
    result = invoke("geocode", path, "--offline", "-o", "out.geojson", "--gazetteer", FIXTURES / "gazetteer.geojson",
                    "--header-row", "2")
    assert result.exit_code == 0, result.output
    assert [f["properties"]["name"] for f in json.loads((here / "out.geojson").read_text("utf-8"))["features"]] == [
        "Helicoide", "Tocorón"]
    result = invoke("geocode", path, "--offline", "--header-row", "9")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {path}: --header-row 9: the file has 4 rows"
    counts = here / "cifras.csv"
    counts.write_text("Centro,Cifra\nhelicoide,65\nfacility,detainees,as_of,source\nrodeo_i,34,2024-06,https://example.org/r\n",
                      "utf-8")
    result = invoke("join", JOIN_FACILITIES, counts, "-o", "j.geojson", "--header-row", "3")
    assert result.exit_code == 0, result.output
    assert read_counts(counts, header_row=3)["row"].tolist() == [4]


# --- column synonyms and missing values ---

@pytest.mark.parametrize("header", ["Name,Latitude,Longitude,State", "NAME,LAT,LNG,ESTADO", "nombre,y,x,entidad",
                                    "Nombre,Latitud,Long,Estado", "name,lat,lon,state"])
def test_location_columns_match_case_insensitively_with_synonyms(tmp_path, header):
    path = tmp_path / "sites.csv"
    path.write_text(f"{header}\nEl Helicoide,10.4894,-66.9099,Distrito Capital\n", "utf-8")
    (facility,) = read_locations(path).to_dict("records")
    assert (facility["name"], facility["state"]) == ("El Helicoide", "Distrito Capital")
    assert (facility["geometry"].x, facility["geometry"].y) == (-66.9099, 10.4894)


def test_a_title_row_above_coordinates_and_a_municipality_beside_the_city(tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_text("Centros,,,\nNombre,Latitud,Longitud,Ciudad\nX,10.5,\"-66,9\",Caracas\n", "utf-8")
    (facility,) = read_locations(path).to_dict("records")
    assert (facility["city"], facility["geometry"].x) == ("Caracas", -66.9)
    assert read_locations(path).attrs["rows"] == [3]
    path.write_text("Nombre,Municipio,Ciudad\nX,Sucre,Caracas\n", "utf-8")  # no "both mean city" error
    assert read_locations(path)["city"].tolist() == ["Caracas"]


def test_spanish_place_columns(tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_text("Nombre,Municipio,Estado,País\nRetén de Caraballeda,Caraballeda,La Guaira,ve\n", "utf-8")
    (facility,) = read_locations(path).to_dict("records")
    assert (facility["city"], facility["state"], facility["country"]) == ("Caraballeda", "La Guaira", "VE")


@pytest.mark.parametrize("missing", ["NA", "N/A", "n/a", "-", "", "#N/A"])
def test_na_cells_are_missing_in_facilities_and_counts(tmp_path, missing):
    path = tmp_path / "sites.csv"
    path.write_text(f"Name,City,State,Latitude,Longitude\nSomewhere,{missing},Miranda,{missing},{missing}\n", "utf-8")
    (facility,) = read_locations(path).to_dict("records")
    assert facility["geometry"] is None and facility["city"] is None and facility["state"] == "Miranda"
    counts = tmp_path / "counts.csv"
    counts.write_text(f"facility,state,detainees,status,status_date,source,note\n"
                      f"helicoide,{missing},{missing},abierto,2026-01-02,https://example.org/s,{missing}\n", "utf-8")
    (row,) = read_counts(counts).to_dict("records")
    assert (row["state"], row["detainees"], row["note"], row["status"]) == (None, None, None, "open")


# --- geocode: the rows it could not place go apart, so its output builds ---

def _sites(here, text):
    path = here / "sites.csv"
    path.write_text(text, "utf-8")
    return path


def test_geocode_writes_unplaced_rows_beside_the_output_with_the_reason(here):
    path = _sites(here, "name,city,state,lat,lon\nEl Helicoide,Caracas,Distrito Capital,10.4894,-66.9099\n"
                        "Nowhere In Particular,,,,\n")
    result = invoke("geocode", path, "--offline", "--gazetteer", FIXTURES / "gazetteer.geojson", "-o", "out/sites.geojson")
    assert result.exit_code == 2
    features = json.loads((here / "out" / "sites.geojson").read_text("utf-8"))["features"]
    assert [feature["properties"]["name"] for feature in features] == ["El Helicoide"]
    (unplaced,) = csv.DictReader((here / "out" / "sites.unresolved.csv").open(encoding="utf-8", newline=""))
    assert (unplaced["row"], unplaced["name"]) == ("3", "Nowhere In Particular")
    assert "no country" in unplaced["reason"] and "--country" in unplaced["reason"]
    assert ("out/sites.unresolved.csv: 1 row not placed (the reason column says why): "
            "fix them there and run geocode on that file") in result.stderr
    assert invoke("build", "out/sites.geojson", "-o", "map.html", "--no-tiles").exit_code == 0
    # placed on a second try: the list of unplaced rows from the first is not left behind
    _sites(here, "name,city,state,lat,lon\nEl Helicoide,Caracas,Distrito Capital,10.4894,-66.9099\n")
    result = invoke("geocode", path, "--offline", "--gazetteer", FIXTURES / "gazetteer.geojson", "-o", "out/sites.geojson")
    assert result.exit_code == 0, result.output
    assert not (here / "out" / "sites.unresolved.csv").exists()


def test_geocode_to_stdout_puts_unplaced_rows_in_the_output_folder(here):
    path = _sites(here, "name\nNowhere In Particular\n")
    result = invoke("geocode", path, "--offline", "--gazetteer", FIXTURES / "gazetteer.geojson", "-o", "-")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["features"] == []
    assert (here / "output" / "sites.unresolved.csv").is_file()


def test_geocode_file_returns_where_the_unplaced_rows_went(here):
    path = _sites(here, "name,country\nNowhere In Particular,US\n")
    summary = geocode_file(path, here / "o.geojson", GeocodeOptions(gazetteer=None, cache=here / "c.sqlite", offline=True),
                           progress=False)
    assert summary["unresolved_path"] == str(here / "o.unresolved.csv")
    assert summary["unresolved"][0]["row"] == 2


@pytest.mark.skipif(not UCLA.is_file(), reason=f"{UCLA} is not on this machine")
def test_uclas_facility_list_geocodes_and_builds_as_it_is(here):
    result = invoke("geocode", UCLA, "--offline", "-o", "ucla.geojson")
    assert result.exit_code == 2, result.output  # some rows have no coordinates and no country: set apart
    with UCLA.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    with_points = [row for row in rows if row["Latitude"] not in ("", "NA") and row["Longitude"] not in ("", "NA")]
    placed = json.loads((here / "ucla.geojson").read_text("utf-8"))["features"]
    unplaced = list(csv.DictReader((here / "ucla.unresolved.csv").open(encoding="utf-8", newline="")))
    assert len(placed) + len(unplaced) == len(rows) == 2296
    assert len(placed) >= len(with_points) - 5
    steps = {feature["properties"]["geocoding"]["step"] for feature in placed}
    assert steps == {"input"}  # from their own columns
    countries = [feature["properties"]["country"] for feature in placed]
    assert "VE" not in countries  # each from its own point: no default country
    # a point on the Rio Grande may lie across the border of the generalised outline (two at Laredo do)
    assert sum(country not in ("US", "PR") for country in countries) <= 5
    result = invoke("build", "ucla.geojson", "-o", "ucla.html", "--no-tiles", "--no-timeline")
    assert result.exit_code == 0, result.output
    assert f"ucla.html: {len(placed)} facilities" in result.stderr


# --- geomap add reads its REPORT as the other commands read theirs ---

def test_add_reads_a_report_with_title_rows_from_stdin(here):
    shutil.copytree(REPO / "data", here / "data")
    report = ("Informe semanal,,,,\r\n,,,,\r\n"
              "Nombre;Estado;Detenidos;Fecha;Fuente\r\n"
              "Cárcel de Tocuyito;Carabobo;NA;;\r\n").encode("utf-16")
    result = invoke("add", "-", "--to", "data/facilities.geojson", "--offline", "--dry-run", stdin=report)
    assert result.exit_code == 0, result.output
    assert "tocuyito" in result.stderr and "would add 0 facilities" in result.stderr  # the variant, found
    geojson = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-66.9, 10.5]},
         "properties": {"name": "Retén Nuevo de Prueba", "state": "Distrito Capital", "country": "VE"}}]})
    result = invoke("add", "-", "--to", "data/facilities.geojson", "--offline", "--dry-run", stdin=geojson.encode())
    assert result.exit_code == 0, result.output
    assert "would add 1 facility" in result.stderr
