"""Validation without gaps: whole-string patterns, text UTF-8 can carry, enumerations on every path, no shadowed columns."""

import copy
import re

import fastjsonschema
import jsonschema
import pytest
from security_helpers import cli_fails, cli_runs, small_collection, write_json

from geomap import frame as frames
from geomap.errors import InputError, OutputError
from geomap.export import export_facilities, read_export
from geomap.geocode import check_geocoded
from geomap.load import read_facilities
from geomap.schema import MAX_TEXT_CHARS, RESERVED_NAMES, facility_schema, validate_collection

#: A value each pattern of the schema accepts; the test below fails when a new pattern has none.
EXAMPLES = {
    "id": "helicoide",
    "country": "VE",
    "date": "2026-01-09",
    "url": "https://example.org/a",
    "generated_at": "2026-11-25T12:00:00Z",
    "geomap_version": "0.1.0",
    "sha256": "0" * 64,
}


def patterns(schema, name=None):
    """``(property name, pattern)`` for every pattern in the schema."""
    if isinstance(schema, dict):
        if "pattern" in schema:
            yield name, schema["pattern"]
        for key, value in schema.items():
            yield from patterns(value, key if isinstance(value, dict) and key not in ("properties", "$defs", "items") else name)
    elif isinstance(schema, list):
        for value in schema:
            yield from patterns(value, name)


def test_every_schema_pattern_matches_the_whole_string_in_both_validators():
    found = dict(patterns(facility_schema()))
    assert set(found) == set(EXAMPLES)
    for name, pattern in found.items():
        example = EXAMPLES[name]
        for validator in (fastjsonschema.compile({"type": "string", "pattern": pattern}),
                          jsonschema.Draft7Validator({"type": "string", "pattern": pattern}).validate):
            validator(example)
            for bad in (example + "\n", "\n" + example, example + "\n\n", example + " "):
                with pytest.raises((fastjsonschema.JsonSchemaException, jsonschema.ValidationError)):
                    validator(bad)
        assert re.fullmatch(pattern, example)


@pytest.mark.parametrize(("field", "value"), [("id", "helicoide\n"), ("country", "VE\n"), ("status_date", "2026-01-30\n"),
                                              ("detainees_as_of", "2026-01\n"), ("status_source", "https://example.org/s\n")])
def test_a_trailing_newline_is_rejected_in_the_data(tmp_path, field, value):
    collection = small_collection()
    collection["features"][0]["properties"][field] = value
    lines = cli_fails(["validate", write_json(tmp_path / "nl.geojson", collection)])
    assert any(f": {field}: " in line for line in lines), lines
    assert all(len(line) < 300 for line in lines)


@pytest.mark.parametrize(("path", "field"), [
    (("name",), "name"), (("notes",), "notes"), (("aliases", 0), "aliases.0"),
    (("detainee_counts", 0, "note"), "detainee_counts.0.note"), (("geocoding", "query"), "geocoding.query"),
])
def test_a_lone_surrogate_is_rejected_at_validation_naming_the_field(tmp_path, path, field):
    collection = small_collection()
    properties = collection["features"][0]["properties"]
    properties.update(aliases=["x"], geocoding={"query": "x"},
                      detainee_counts=[{"detainees": 65, "as_of": "2026-01", "source": "https://example.org/c", "note": "x"}])
    target = properties
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "Rodeo \ud83d I"
    source = write_json(tmp_path / "surrogate.geojson", collection)
    lines = cli_fails(["validate", source])
    assert any(f": {field}: " in line and "lone surrogate" in line for line in lines), lines
    cli_fails(["build", source, "-o", tmp_path / "map.html"])
    assert not (tmp_path / "map.html").exists()


def test_a_surrogate_in_a_property_name_or_a_counts_file_is_named(tmp_path):
    collection = small_collection()
    collection["features"][0]["properties"]["x\udfff"] = "y"
    lines = cli_fails(["validate", write_json(tmp_path / "key.geojson", collection)])
    assert any("lone surrogate" in line for line in lines)
    counts = write_json(tmp_path / "counts.json", [{"facility": "helicoide", "detainees": 65, "as_of": "2026-01-09",
                                                    "source": "https://example.org/c", "note": "\ud800"}])
    facilities = write_json(tmp_path / "small.geojson", small_collection())
    lines = cli_fails(["join", facilities, counts, "-o", tmp_path / "j.geojson"])
    assert len(lines) == 1 and "row 2" in lines[0] and "note" in lines[0] and "surrogate" in lines[0]


@pytest.mark.parametrize("name", [*RESERVED_NAMES, "LON", "Lat", "GEOMETRY", "FID", "Geom", "NAME", "Id", "STATUS"])
def test_a_property_that_would_shadow_an_output_column_is_reported(tmp_path, name):
    collection = small_collection()
    collection["features"][1]["properties"][name] = "shadow"
    with pytest.raises(InputError) as caught:
        read_facilities(write_json(tmp_path / "shadow.geojson", collection))
    assert [(problem.index, problem.field) for problem in caught.value.problems] == [(1, name)]


def test_names_that_differ_from_each_other_only_in_case_are_reported_once(tmp_path):
    collection = small_collection()
    collection["features"][0]["properties"].update(extra="a", EXTRA="b", Extra="c")
    problems = validate_collection(collection)
    assert sorted(problem.field for problem in problems) == ["EXTRA", "Extra"]


@pytest.mark.parametrize("name", ["", "tab\there", "x" * 65, "new\nline"])
def test_property_names_are_short_printable_text(tmp_path, name):
    collection = small_collection()
    collection["features"][0]["properties"][name] = "v"
    problems = validate_collection(collection)
    assert len(problems) == 1 and "printable" in problems[0].message and "\n" not in str(problems[0])


def test_an_extra_property_still_round_trips_through_every_format(tmp_path):
    collection = small_collection()
    collection["features"][0]["properties"]["source_note"] = "kept"
    facilities = read_facilities(write_json(tmp_path / "extra.geojson", collection))
    for fmt in ("geojson", "csv", "gpkg", "kml"):
        back = read_export(export_facilities(facilities, fmt, tmp_path / f"extra.{fmt}"))
        assert back["source_note"].tolist()[0] == "kept", fmt


def test_text_has_a_documented_maximum(tmp_path):
    collection = small_collection()
    collection["features"][0]["properties"]["notes"] = "n" * MAX_TEXT_CHARS
    assert validate_collection(collection) == []
    collection["features"][0]["properties"]["notes"] += "n"
    [problem] = validate_collection(collection)
    assert problem.field == "notes" and f"more than {MAX_TEXT_CHARS:,}" in problem.message


def test_an_id_with_a_newline_still_prints_as_one_line(tmp_path):
    collection = small_collection()
    collection["features"][0]["properties"]["id"] = "helicoide\nerror: everything is fine"
    lines = cli_fails(["validate", write_json(tmp_path / "id.geojson", collection)])
    assert not any(line.startswith("error: everything") for line in lines)


@pytest.mark.parametrize("precision", ["constructor", "__proto__", "toString", "SITE"])
def test_build_geocode_enforces_the_precision_enumeration(tmp_path, precision):
    sites = tmp_path / "sites.csv"
    sites.write_text(f"name,lat,lon,location_precision\nSede,10.5,-66.9,{precision}\n", "utf-8")
    out = tmp_path / "map.html"
    args = ["--offline", "--cache", tmp_path / "cache.sqlite", "-o", out]
    lines = cli_fails(["build", sites, "--geocode", *args])
    assert any("location_precision" in line and repr(precision) in line for line in lines), lines
    assert not out.exists()
    collection = small_collection()
    collection["features"][0]["geometry"] = None
    collection["features"][0]["properties"]["location_precision"] = precision
    lines = cli_fails(["build", write_json(tmp_path / "unlocated.geojson", collection), "--geocode", *args])
    assert any("location_precision" in line for line in lines)
    cli_fails(["geocode", sites, "--offline", "--cache", tmp_path / "cache.sqlite", "-o", tmp_path / "g.geojson"])


def test_whatever_the_chain_answers_is_checked_before_a_page(tmp_path):
    facilities = read_facilities(write_json(tmp_path / "ok.geojson", small_collection()))
    assert check_geocoded(facilities) is facilities
    records = facilities.drop(columns="geometry").to_dict("records")
    records[0]["location_precision"] = "constructor"
    forged = frames.from_records(copy.deepcopy(records), list(facilities.geometry))
    with pytest.raises(OutputError, match="location_precision"):
        check_geocoded(forged)


def test_sites_without_a_precision_are_still_geocoded(tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nSede,10.5,-66.9\n", "utf-8")
    cli_runs(["build", sites, "--geocode", "--offline", "--cache", tmp_path / "cache.sqlite", "-o", tmp_path / "m.html",
              "--no-timeline"])
