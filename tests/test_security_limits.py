"""Readers bound their work: no small or malformed input makes geomap use unbounded memory or crash."""

import json
import zipfile

import openpyxl
import pytest
from security_helpers import cli_fails, small_collection, write_json

from geomap import counts as counts_module
from geomap import load
from geomap.counts import MAX_XLSX_COLUMNS, MAX_XLSX_ROWS, read_counts
from geomap.errors import InputError
from geomap.export import export_facilities, read_export
from geomap.load import read_facilities
from geomap.schema import MAX_DEPTH

HEADER = ["facility", "detainees", "as_of", "source"]
ROW = ["helicoide", 65, "2026-01-09", "https://example.org/c"]


def one_line(error):
    """The error's message and every problem are single lines."""
    lines = [str(error), *map(str, getattr(error, "problems", ()))]
    assert all("\n" not in line and "\r" not in line for line in lines), lines
    return " ".join(lines)


def workbook(path, cells=()):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(ROW)
    for ref, value in cells:
        sheet[ref] = value
    book.save(path)
    return path


def without_dimension(path):
    """The same workbook with its <dimension> removed: the declared extent says nothing."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    text = members[sheet].decode("utf-8")
    start = text.index("<dimension")
    members[sheet] = (text[:start] + text[text.index("/>", start) + 2:]).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def test_a_tiny_xlsx_declaring_the_whole_sheet_is_one_line_not_gigabytes(tmp_path):
    path = workbook(tmp_path / "far.xlsx", [("XFD1048576", 1)])
    assert path.stat().st_size < 10_000
    with pytest.raises(InputError) as caught:
        read_counts(path)
    message = one_line(caught.value)
    assert "far.xlsx" in message and "1,048,576 rows x 16,384 columns" in message and "CSV" in message
    facilities = write_json(tmp_path / "f.geojson", small_collection())
    lines = cli_fails(["join", facilities, path, "-o", tmp_path / "j.geojson"])
    assert len(lines) == 1


@pytest.mark.parametrize(("ref", "found"), [(f"A{MAX_XLSX_ROWS + 1}", "rows"), ("GS2", "columns")], ids=["rows", "columns"])
def test_a_sheet_whose_real_extent_is_too_large_is_caught_without_its_dimension(tmp_path, ref, found):
    assert ref != "GS2" or openpyxl.utils.column_index_from_string("GS") == MAX_XLSX_COLUMNS + 1
    path = without_dimension(workbook(tmp_path / "hidden.xlsx", [(ref, "x")]))
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert "has" in one_line(caught.value) and found in str(caught.value)


def test_an_xlsx_that_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    path = workbook(tmp_path / "bomb.xlsx")
    assert len(read_counts(path)) == 1
    monkeypatch.setattr(counts_module, "MAX_XLSX_UNPACKED_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to"):
        read_counts(path)


@pytest.mark.parametrize("content", [b"PK\x03\x04 broken", b"not a zip at all", b""], ids=["cut", "text", "empty"])
def test_a_broken_xlsx_is_one_line(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert "broken.xlsx" in one_line(caught.value)


def test_a_200000_character_cell_is_read_and_reported_not_a_csv_crash(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("facility,detainees,as_of,source,note\nhelicoide,65,2026-01-09,https://example.org/c,"
                    + "n" * 200_000 + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert "note is 200,000 characters long" in one_line(caught.value)


def test_an_export_csv_with_a_200000_character_note_reads_back_to_a_clear_problem(tmp_path):
    facilities = read_facilities(write_json(tmp_path / "f.geojson", small_collection()))
    path = export_facilities(facilities, "csv", tmp_path / "out.csv")
    lines = path.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("El Helicoide", "El Helicoide " + "x" * 200_000, 1)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        read_export(path)
    assert "name" in [problem.field for problem in caught.value.problems] and "200,013 characters" in one_line(caught.value)


def test_a_cell_past_the_csv_field_limit_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_CSV_FIELD_CHARS", 1000)
    path = tmp_path / "cell.csv"
    path.write_text("facility,detainees,as_of,source\n" + "h" * 2000 + ",65,2026-01-09,https://example.org/c\n", "utf-8")
    with pytest.raises(InputError, match="line 2: not readable CSV"):
        read_counts(path)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx", ".kml", ".gpkg", ".geojson"])
def test_files_past_the_size_limit_are_refused_before_they_are_read(tmp_path, monkeypatch, suffix):
    facilities = read_facilities(write_json(tmp_path / "f.geojson", small_collection()))
    if suffix == ".xlsx":
        path = workbook(tmp_path / "c.xlsx")
    elif suffix in (".kml", ".gpkg"):
        path = export_facilities(facilities, suffix[1:], tmp_path / f"f{suffix}")
    elif suffix == ".geojson":  # not streamable (a repeated "features"): read whole
        path = tmp_path / "whole.geojson"
        path.write_text('{"type": "FeatureCollection", "features": [], "features": []}', "utf-8")
    else:
        path = tmp_path / f"c{suffix}"
        path.write_text(",".join(HEADER) + "\n" + ",".join(map(str, ROW)) + "\n" if suffix == ".csv"
                        else json.dumps([dict(zip(HEADER, ROW))]), "utf-8")
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 40)
    reader = read_counts if suffix in (".csv", ".json", ".xlsx") else read_export
    with pytest.raises(InputError) as caught:
        reader(path)
    assert "geomap reads" in one_line(caught.value)


def test_a_streamed_feature_past_the_value_limit_stops_the_read(tmp_path, monkeypatch):
    collection = small_collection()
    # many small members: the cut moves with every chunk, so the stream keeps reading (a cut long
    # string instead hands over to the whole-file reader, bounded by MAX_FILE_BYTES)
    collection["features"][1]["properties"]["geocoding"] = {f"k{number}": number for number in range(1000)}
    path = write_json(tmp_path / "big.geojson", collection)
    assert len(read_facilities(path)) == len(collection["features"])
    monkeypatch.setattr(load, "CHUNK_BYTES", 512)
    monkeypatch.setattr(load, "MAX_JSON_VALUE_CHARS", 2000)
    with pytest.raises(InputError, match="longer than"):
        read_facilities(path)


def nested(levels, leaf):
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize("levels", [MAX_DEPTH, 100_000], ids=["past-the-limit", "past-python"])
def test_deeply_nested_facilities_are_one_problem_not_a_recursion_error(tmp_path, levels):
    collection = small_collection()
    collection["features"][0]["properties"]["geocoding"] = "NESTED"
    path = tmp_path / "deep.geojson"
    path.write_text(json.dumps(collection).replace('"NESTED"', '{"a": ' * levels + "1" + "}" * levels), "utf-8")
    with pytest.raises(InputError) as caught:
        read_facilities(path)
    assert "levels deep" in one_line(caught.value)
    lines = cli_fails(["validate", path])
    assert any("levels deep" in line for line in lines)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100_000], ids=["past-the-limit", "past-python"])
def test_deeply_nested_counts_json_is_one_line(tmp_path, levels):
    path = tmp_path / "deep.json"
    path.write_text('[{"facility": "helicoide", "note": ' + "[" * levels + "]" * levels + "}]", "utf-8")
    with pytest.raises(InputError, match="nested more than 32 levels"):
        read_counts(path)


def test_deep_coordinates_are_a_short_problem(tmp_path):
    collection = small_collection()
    collection["features"][0]["geometry"]["coordinates"] = nested(30, [1, 2])
    with pytest.raises(InputError) as caught:
        read_facilities(write_json(tmp_path / "c.geojson", collection))
    assert max(len(str(problem)) for problem in caught.value.problems) < 400


LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(2, 10))
HOSTILE_KML = {
    "billion-laughs": f'<!DOCTYPE k [<!ENTITY lol1 "lololololol">{LAUGHS}]><kml xmlns="http://www.opengis.net/kml/2.2">'
                      "<Document><Placemark><name>&lol9;</name></Placemark></Document></kml>",
    "external-entity": '<!DOCTYPE k [<!ENTITY x SYSTEM "file:///etc/passwd">]><kml xmlns="http://www.opengis.net/kml/2.2">'
                       '<Document><Placemark><ExtendedData><Data name="name"><value>&x;</value></Data></ExtendedData>'
                       "</Placemark></Document></kml>",
}


@pytest.mark.parametrize("name", list(HOSTILE_KML))
def test_hostile_kml_entities_are_neither_expanded_nor_fetched(tmp_path, name):
    path = tmp_path / f"{name}.kml"
    path.write_text('<?xml version="1.0"?>\n' + HOSTILE_KML[name], "utf-8")
    with pytest.raises(InputError) as caught:
        read_export(path)
    assert "root:" not in one_line(caught.value)
