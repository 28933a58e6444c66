"""Provenance read back from an export is checked like data: a forged figure never reaches a page or an export."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from security_helpers import TOTAL, cli_fails, cli_runs, small_collection, write_json

from geomap.errors import InputError
from geomap.export import KML_NS, export_facilities, read_export
from geomap.load import read_facilities
from geomap.schema import provenance_problems, validate_collection

TODAY = dt.datetime.now(dt.UTC).date()
YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()

#: (what the attacker wrote into the ``geomap`` member, the field the error must name)
FORGED = [
    ({"national_totals": [{**TOTAL, "detainees": -1234.5, "as_of": "2099-01-01"}]}, "geomap.national_totals.0.detainees"),
    ({"national_totals": [{**TOTAL, "as_of": "2099-01-01"}]}, "geomap.national_totals.0.as_of"),
    ({"national_totals": [{**TOTAL, "as_of": "2099-12"}]}, "geomap.national_totals.0.as_of"),
    ({"national_totals": [{**TOTAL, "detainees": "1.234"}]}, "geomap.national_totals.0.detainees"),
    ({"national_totals": [{key: value for key, value in TOTAL.items() if key != "source"}]}, "geomap.national_totals.0.source"),
    ({"national_totals": [{**TOTAL, "source": "javascript:alert(1)"}]}, "geomap.national_totals.0.source"),
    ({"national_totals": [{**TOTAL, "country": "VE\n"}]}, "geomap.national_totals.0.country"),
    ({"national_totals": [{**TOTAL, "qualifier": "constructor"}]}, "geomap.national_totals.0.qualifier"),
    ({"national_totals": [{**TOTAL, "counted_by": 7}]}, "geomap.national_totals.0.counted_by"),
    ({"national_totals": [{**TOTAL, "headline": "<b>forged</b>"}]}, "geomap.national_totals.0"),
    ({"national_totals": [{**TOTAL, "note": "\ud800"}]}, "geomap.national_totals.0.note"),
    ({"national_totals": "1234"}, "geomap.national_totals"),
    ({"national_totals": [None]}, "geomap.national_totals.0"),
    ({"primary_counted_by": ["Foro Penal"]}, "geomap.primary_counted_by"),
    ({"inputs": [{"path": "x", "sha256": "0" * 63 + "\n"}]}, "geomap.inputs.0.sha256"),
    ({"sources": ["data:text/html,<script>"]}, "geomap.sources.0"),
    ({"generated_at": "2026-11-25T12:00:00Z\n"}, "geomap.generated_at"),
    ("not an object", "geomap"),
]


def forged_file(tmp_path, member):
    collection = small_collection()
    collection["geomap"] = member
    return write_json(tmp_path / "forged.geojson", collection)


@pytest.mark.parametrize(("member", "field"), FORGED, ids=[field + f"-{i}" for i, (_, field) in enumerate(FORGED)])
def test_a_forged_provenance_is_an_input_error_naming_the_field(tmp_path, member, field):
    path = forged_file(tmp_path, member)
    with pytest.raises(InputError) as caught:
        read_facilities(path)
    assert field in [problem.field for problem in caught.value.problems], caught.value.problems
    assert all("\n" not in str(problem) for problem in caught.value.problems)


def test_validate_and_build_refuse_a_forged_total_in_one_line_each(tmp_path):
    path = forged_file(tmp_path, {"national_totals": [{**TOTAL, "detainees": -1234.5, "as_of": "2099-01-01"}]})
    lines = cli_fails(["validate", path])
    assert any("geomap.national_totals.0.as_of" in line and "2099-01-01" in line for line in lines)
    out = tmp_path / "map.html"
    cli_fails(["build", path, "-o", out, "--no-timeline"])
    assert not out.exists()


def test_a_missing_or_mistyped_field_fails_cleanly_not_with_a_traceback(tmp_path):
    for number, member in enumerate([{"national_totals": [{"country": "VE"}]}, {"national_totals": [{**TOTAL, "as_of": 20260119}]}]):
        path = forged_file(tmp_path, member)
        cli_fails(["build", path, "-o", tmp_path / f"map{number}.html"])
        cli_fails(["export", path, "-o", tmp_path / f"out{number}.geojson"])


@pytest.mark.parametrize("fmt", ["gpkg", "kml"])
def test_forged_provenance_in_a_gpkg_or_kml_export_is_refused_even_unvalidated(tmp_path, fmt):
    facilities = read_facilities(write_json(tmp_path / "ok.geojson", small_collection()))
    facilities.attrs["national_totals"] = [{**TOTAL, "detainees": -1234.5, "as_of": "2099-01-01"}]
    path = export_facilities(facilities, fmt, tmp_path / f"forged.{fmt}")  # an attacker writes any file they like
    for validate in (True, False):
        with pytest.raises(InputError) as caught:
            read_export(path, validate=validate)
        assert {"geomap.national_totals.0.as_of", "geomap.national_totals.0.detainees"} <= {p.field for p in caught.value.problems}
    lines = cli_fails(["export", path, "-o", tmp_path / "again.geojson"])
    assert any("national_totals.0.detainees" in line for line in lines)


@pytest.mark.parametrize("levels", [40, 5000], ids=["past-the-limit", "past-python"])
def test_a_kml_provenance_nested_too_deep_is_one_line(tmp_path, levels):
    facilities = read_facilities(write_json(tmp_path / "ok.geojson", small_collection()))
    facilities.attrs["national_totals"] = [TOTAL]
    path = export_facilities(facilities, "kml", tmp_path / "deep.kml")
    tree = ET.parse(path)
    value = tree.getroot().find("k:Document/k:ExtendedData/k:Data[@name='geomap']/k:value", {"k": KML_NS})
    value.text = json.dumps({"national_totals": [TOTAL]}).replace("[", "[" * levels, 1).replace("]", "]" * levels, 1)
    tree.write(path, encoding="unicode")
    with pytest.raises(InputError) as caught:
        read_export(path)
    assert "levels deep" in " ".join(map(str, [caught.value, *caught.value.problems]))
    assert all("\n" not in str(problem) for problem in [caught.value, *caught.value.problems])


def test_a_valid_provenance_with_counted_by_is_restored(tmp_path):
    collection = small_collection()
    totals = [{**TOTAL, "as_of": YESTERDAY}, {**TOTAL, "counted_by": None, "as_of": TODAY.isoformat()[:7]}]
    collection["geomap"] = {"national_totals": totals, "primary_counted_by": "Foro Penal", "future_member": {"any": 1}}
    facilities = read_facilities(write_json(tmp_path / "ok.geojson", collection))
    assert facilities.attrs["national_totals"] == totals
    for fmt in ("geojson", "gpkg", "kml"):
        back = read_export(export_facilities(facilities, fmt, tmp_path / f"ok.{fmt}"))
        assert back.attrs["national_totals"] == totals, fmt


def test_the_whole_collection_api_and_the_fallback_reader_check_provenance_too(tmp_path):
    collection = small_collection()
    collection["geomap"] = {"national_totals": [{**TOTAL, "as_of": "2099-01-01"}]}
    assert [p.field for p in validate_collection(collection)] == ["geomap.national_totals.0.as_of"]
    # a repeated "features" member makes the stream hand over to the whole-file reader
    text = json.dumps(collection)[:-1] + ', "features": ' + json.dumps(collection["features"]) + "}"
    path = tmp_path / "repeated.geojson"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as caught:
        read_facilities(path)
    assert [p.field for p in caught.value.problems] == ["geomap.national_totals.0.as_of"]
    assert provenance_problems({"national_totals": [TOTAL]}) == []


@pytest.mark.parametrize("field", ["detainees_as_of", "detainee_counts"])
def test_facility_figures_dated_after_today_are_rejected(tmp_path, field):
    collection = small_collection()
    properties = collection["features"][0]["properties"]
    if field == "detainees_as_of":
        properties["detainees_as_of"] = "2099-01-01"
    else:
        properties["detainee_counts"] = [{"detainees": 5, "as_of": "2099-02", "source": "https://example.org/c"}]
    lines = cli_fails(["validate", write_json(tmp_path / "future.geojson", collection)])
    assert any(field in line and "later than today" in line for line in lines), lines
    properties["detainees_as_of"] = YESTERDAY
    properties["detainee_counts"] = [{"detainees": 5, "as_of": TODAY.isoformat()[:7], "source": "https://example.org/c"}]
    cli_runs(["validate", write_json(tmp_path / "today.geojson", collection)])


def test_a_counts_row_dated_after_today_never_becomes_a_headline(tmp_path):
    facilities = write_json(tmp_path / "f.geojson", small_collection())
    counts = tmp_path / "counts.csv"
    counts.write_text("facility,detainees,as_of,source\nnational:VE,99999,2099-01-01,https://example.org/x\n", "utf-8")
    lines = cli_fails(["build", facilities, "--counts", counts, "-o", tmp_path / "map.html"])
    assert any("row 2" in line and "later than today" in line for line in lines), lines
    assert not (tmp_path / "map.html").exists()
