"""Property-based fuzzing of every file reader: any input gives a valid frame or one InputError, and
any valid frame survives export -> read back unchanged. Budget: the ``ci`` Hypothesis profile (conftest)."""

import datetime as dt
import json
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import small_collection

from geomap import frame as frames
from geomap.counts import read_counts
from geomap.errors import InputError, OutputError
from geomap.export import export_facilities, read_export
from geomap.load import read_facilities
from geomap.schema import FACILITY_TYPES, PRECISIONS, STATUSES, validate_collection

FORMULAS = ["=1+1", "+A1", "-x", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''+1", "'", "-5"]
#: Text a facility may hold: any printable or line-breaking character, formula starts, separators.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08"
                          "\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff"),
            min_size=1, max_size=12),
    st.sampled_from(FORMULAS + [" | ", "[x]", "a | b", "\r\n", " ", "null", "{}", "65"]),
)
JSON_SCALAR = st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False) | TEXT
JSON = st.recursive(JSON_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
DATE = st.dates(dt.date(1990, 1, 1), dt.date(2026, 1, 1)).flatmap(
    lambda day: st.sampled_from([day.isoformat(), day.isoformat()[:7]]))
URL = st.builds(lambda path: "https://example.org/" + path, st.text("abc/?=&%é", max_size=8))
#: Inland points across Venezuela (Caracas, Tocorón, Barquisimeto, Ciudad Bolívar, El Dorado).
VENEZUELA = [(-66.9099, 10.4894), (-67.5772, 10.0833), (-69.3228, 10.0678), (-63.5497, 8.1222), (-61.6167, 6.7167)]
QUALIFIER = st.sampled_from(["exact", "about", "at_least", "up_to", None])
TEXT_OR_NULL = st.none() | TEXT


@st.composite
def facility(draw, number):
    """A valid facility (properties and point) with awkward text everywhere."""
    counts = draw(st.lists(st.fixed_dictionaries(
        {"detainees": st.integers(0, 10_000_000), "qualifier": QUALIFIER, "as_of": DATE, "source": URL, "note": TEXT_OR_NULL}),
        max_size=2))
    status = draw(st.sampled_from(STATUSES))
    dated = status in ("announced_closure", "closed") or draw(st.booleans())
    figure = draw(st.none() | st.integers(0, 10_000_000))
    properties = {
        "id": f"f{number}-" + draw(st.text("abc_-0", max_size=4)),
        "name": draw(TEXT), "name_en": draw(TEXT_OR_NULL), "aliases": draw(st.lists(TEXT, max_size=2)),
        "facility_type": draw(st.sampled_from(FACILITY_TYPES)), "operator": draw(TEXT_OR_NULL),
        "address": draw(TEXT_OR_NULL), "city": draw(TEXT_OR_NULL), "state": draw(TEXT_OR_NULL), "country": "VE",
        "status": status, "status_date": draw(DATE) if dated else None, "status_source": draw(URL) if dated else None,
        "status_history": draw(st.lists(st.fixed_dictionaries(
            {"status": st.sampled_from(STATUSES), "date": DATE, "source": URL, "note": TEXT_OR_NULL}), max_size=2)),
        "detainees": figure, "detainees_qualifier": draw(QUALIFIER) if figure is not None else None,
        "detainees_as_of": draw(DATE) if figure is not None else None,
        "detainees_source": draw(URL) if figure is not None else None,
        "detainee_counts": counts,
        "location_precision": draw(st.sampled_from(PRECISIONS)), "location_source": draw(TEXT),
        "location_as_of": draw(st.none() | DATE),
        "geocoding": draw(st.none() | st.dictionaries(TEXT, JSON, max_size=3)),
        "sources": draw(st.lists(URL, max_size=2)), "notes": draw(TEXT_OR_NULL),
    }
    if draw(st.booleans()):
        properties["extra_" + draw(st.text("abcxyz", min_size=1, max_size=4))] = draw(TEXT)  # extras stay text in CSV/KML
    # a point in Venezuela (readers check a point lies in its country): a known town, moved up to ~2 km
    lon, lat = draw(st.sampled_from(VENEZUELA))
    point = [round(lon + draw(st.integers(-20_000, 20_000)) / 1e6, 6), round(lat + draw(st.integers(-20_000, 20_000)) / 1e6, 6)]
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": point}, "properties": properties}


FACILITIES = st.integers(1, 3).flatmap(lambda size: st.tuples(*(facility(number) for number in range(size))))


def one_line_error(error):
    """An InputError is one line, and so is each of its problems."""
    for line in [str(error), *map(str, error.problems)]:
        assert line and "\n" not in line and "\r" not in line, line


def read_or_refuse(reader, path):
    """``reader(path)``: a frame, or an InputError of single lines; anything else fails the test."""
    try:
        return reader(path)
    except InputError as error:
        one_line_error(error)
        return None


def scratch(suffix, content):
    folder = Path(tempfile.mkdtemp(prefix="geomap-fuzz-"))
    path = folder / f"input{suffix}"
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, "utf-8", errors="surrogatepass")
    return path


def mutated(draw_value, key, value):
    """The small fixture with one property (or the provenance) replaced by ``value``."""
    collection = small_collection()
    if key == "geomap":
        collection["geomap"] = {"national_totals": value}
    elif key == "geometry":
        collection["features"][0]["geometry"] = value
    else:
        collection["features"][draw_value % 4]["properties"][key] = value
    return json.dumps(collection)


@given(st.one_of(
    st.binary(max_size=200),
    JSON.map(json.dumps),
    st.builds(mutated, st.integers(0, 3),
              st.sampled_from(["id", "name", "detainees", "detainee_counts", "status", "geocoding", "geometry", "geomap",
                               "lon", "NAME", "aliases", "sources", "location_precision", "detainees_as_of"]), JSON),
))
def test_any_facilities_file_gives_a_valid_frame_or_one_input_error(content):
    frame = read_or_refuse(read_facilities, scratch(".geojson", content))
    if frame is not None:
        assert validate_collection({"type": "FeatureCollection", "features": list(frames.to_features(frame))}) == []


COUNT_HEADERS = ["facility", "detainees", "qualifier", "as_of", "source", "status", "status_date", "note", "estado"]
CELL = st.one_of(st.none(), st.integers(-5, 10**8), st.floats(allow_nan=False), TEXT, DATE, st.dates(), URL,
                 st.sampled_from(["national:VE", "helicoide", "más de 800", "30/01/2026", "cerrado", "up to"]))


@given(st.lists(st.sampled_from(COUNT_HEADERS), min_size=1, max_size=5, unique=True),
       st.lists(st.lists(CELL, max_size=6), max_size=4), st.sampled_from([".csv", ".json", ".xlsx"]))
def test_any_counts_file_gives_rows_or_one_input_error(header, rows, suffix):
    if suffix == ".csv":
        import csv
        import io

        text = io.StringIO()
        csv.writer(text).writerows([header, *rows])
        content = text.getvalue()
    elif suffix == ".json":
        content = json.dumps([dict(zip(header, map(str, row))) for row in rows])
    else:
        book = openpyxl.Workbook()
        for row in [header, *rows]:
            book.active.append([cell if not isinstance(cell, str) else cell.replace("\r", "") for cell in row])
        path = scratch(".xlsx", b"")
        book.save(path)
        content = None
    path = path if content is None else scratch(suffix, content)
    table = read_or_refuse(read_counts, path)
    if table is not None:
        assert len(table) and {"facility", "detainees", "as_of"} <= set(table.columns)


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode), st.sampled_from([".csv", ".kml", ".gpkg", ".geojson"]))
def test_any_export_file_gives_a_valid_frame_or_one_input_error(content, suffix):
    read_or_refuse(read_export, scratch(suffix, content))


# four writes and reads per example (a GeoPackage is the slow one): a fifth of the profile's examples
@settings(max_examples=max(5, settings().max_examples // 5),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FACILITIES)
def test_any_valid_frame_survives_export_and_read_back_unchanged(features):
    collection = {"type": "FeatureCollection", "features": list(features)}
    assert validate_collection(collection) == [], validate_collection(collection)
    facilities = frames.from_features(collection["features"])
    expected = list(frames.to_features(facilities, 6))
    folder = Path(tempfile.mkdtemp(prefix="geomap-fuzz-"))
    for fmt in ("geojson", "csv", "gpkg", "kml"):
        try:
            path = export_facilities(facilities, fmt, folder / f"out.{fmt}")
        except OutputError as error:  # only KML refuses anything: text XML cannot carry
            assert fmt == "kml" and "\n" not in str(error)
            continue
        back = list(frames.to_features(read_export(path), 6))
        assert back == expected, fmt
