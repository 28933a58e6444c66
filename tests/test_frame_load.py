"""The Arrow-backed facilities frame and the streaming GeoJSON loader."""

import copy
import json

import pyarrow as pa
import pytest
from click.testing import CliRunner

from geomap import frame as frames
from geomap import load, schema
from geomap.cli import main
from geomap.errors import InputError
from geomap.load import read_facilities

from conftest import REPO

SMALL = REPO / "tests/fixtures/small.geojson"


def features():
    return json.loads(SMALL.read_text("utf-8"))["features"]


def many(count):
    """``count`` valid features: the fixture's repeated with unique ids."""
    base = features()
    out = []
    for index in range(count):
        feature = copy.deepcopy(base[index % len(base)])
        feature["properties"]["id"] = f"f-{index}"
        out.append(feature)
    return out


def as_frame_gives(properties):
    """``properties`` as the frame gives them back: every schema field present (null, or [] for lists)."""
    return {**{f: [] if f in schema.LIST_FIELDS else None for f in schema.FIELDS}, **properties}


def write(path, collection):
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=1), "utf-8")
    return path


def test_arrow_types_are_derived_from_the_schema():
    assert frames.ARROW_TYPES["id"] == pa.string()
    assert frames.ARROW_TYPES["detainees"] == pa.int64()
    assert frames.ARROW_TYPES["aliases"] == pa.list_(pa.string())
    counts = frames.ARROW_TYPES["detainee_counts"].value_type
    assert [field.name for field in counts] == list(schema.facility_schema()["$defs"]["count"]["properties"])
    assert counts.field("detainees").type == pa.int64()
    assert "geocoding" not in frames.ARROW_TYPES  # a free-form object: JSON text
    frame = frames.from_features(features())
    assert frame["detainee_counts"].dtype.pyarrow_dtype == frames.ARROW_TYPES["detainee_counts"]
    assert frame["geocoding"].dtype.pyarrow_dtype == frames.JSON


def test_values_come_back_plain():
    frame = frames.from_features(features())
    for column in frame.columns.drop("geometry"):
        for value in frame[column].tolist():
            assert value is None or type(value) in (str, int, list, dict), (column, value)
    assert None in frame["name_en"].tolist() or None in frame["detainees"].tolist()
    row = frame.iloc[0]
    assert type(row["aliases"]) is list and type(row["detainees"]) in (int, type(None))
    assert all(type(value) is not float for value in frames.properties(frame.iloc[1]).values())
    assert frame.iloc[1:2]["id"].tolist() == [features()[1]["properties"]["id"]]


def test_nested_values_round_trip_exactly():
    props = features()[0]["properties"]
    props["status_history"] = [{"status": "open", "date": "2026-01", "source": "https://a.example/x", "note": None}]
    props["detainee_counts"] = [{"detainees": 3, "qualifier": None, "as_of": "2026-01", "source": "https://a.example/y",
                                 "note": None}]
    awkward = copy.deepcopy(props)
    awkward["id"] = "awkward"
    awkward["status_history"] = [{"status": "open", "date": "2026-01", "source": "https://a.example/x"}]  # no note
    awkward["detainee_counts"] = [{"detainees": 3, "as_of": "2026-01", "source": "https://a.example/y", "extra": [1]}]
    awkward["geocoding"] = {"step": "gazetteer", "osm_id": 7}
    frame = frames.from_features([{"type": "Feature", "geometry": None, "properties": p} for p in (props, awkward)])
    got = [feature["properties"] for feature in frames.to_features(frame)]
    assert got == [as_frame_gives(props), as_frame_gives(awkward)]
    assert got[1]["status_history"][0].keys() == {"status", "date", "source"}  # missing stays missing
    assert frame["status_history"].dtype.pyarrow_dtype == frames.JSON  # its struct type could not hold them exactly
    assert frame["geocoding"].tolist() == [props.get("geocoding"), {"step": "gazetteer", "osm_id": 7}]


def test_values_arrow_would_coerce_stay_as_given():
    record = {**features()[0]["properties"], "detainees": 65.0, "aliases": "ab", "name": 7,
              "geocoding": {"at": (1, 2)}, "extra_field": {"a": 1}}
    frame = frames.from_records([record], [None])
    assert frame["detainees"].tolist() == [65.0] and type(frame["detainees"].tolist()[0]) is float
    assert frame["aliases"].tolist() == ["ab"] and frame["name"].tolist() == [7]
    assert frame["geocoding"].dtype == object and frame["geocoding"].tolist() == [{"at": (1, 2)}]  # not JSON
    assert frame["extra_field"].tolist() == [{"a": 1}] and list(frame.columns)[-2:] == ["extra_field", "geometry"]


def test_extra_columns_over_several_batches(monkeypatch):
    monkeypatch.setattr(frames, "BATCH_SIZE", 2)
    items = many(5)
    items[3]["properties"]["late"] = "x"
    frame = frames.from_features(items)
    assert frame["late"].tolist() == [None, None, None, "x", None]
    assert frame["id"].tolist() == [f"f-{i}" for i in range(5)]


def test_streaming_load_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_BYTES", 1000)  # every feature straddles a chunk boundary
    monkeypatch.setattr(frames, "BATCH_SIZE", 3)
    items = many(20)
    total = {"country": "VE", "detainees": 863, "qualifier": "exact", "as_of": "2026-01-19",
             "source": "https://foropenal.com/", "note": None}
    collection = {"type": "FeatureCollection", "features": items, "geomap": {"national_totals": [total]},
                  "count": 12345678}
    path = write(tmp_path / "big.geojson", collection)
    frame = read_facilities(path)
    assert frame["id"].tolist() == [f"f-{i}" for i in range(20)]
    assert [f["properties"] for f in frames.to_features(frame)] == [as_frame_gives(f["properties"]) for f in items]
    assert frame.attrs["national_totals"] == [total]
    assert frame.attrs["inputs"][0]["sha256"] == load.sha256_file(path)


def test_broken_json_in_the_second_chunk_gives_line_and_column(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_BYTES", 1000)
    path = write(tmp_path / "broken.geojson", {"type": "FeatureCollection", "features": many(10)})
    text = path.read_text("utf-8")
    where = text.index('"name"', 1500)
    path.write_text(text[:where] + "oops" + text[where:], "utf-8")
    expected = json.JSONDecodeError  # what json itself says about the whole text
    with pytest.raises(expected) as parsed:
        json.loads(path.read_text("utf-8"))
    with pytest.raises(InputError) as error:
        read_facilities(path)
    assert str(error.value) == (f"{path}: not valid JSON: line {parsed.value.lineno} column {parsed.value.colno}: "
                                f"{parsed.value.msg}")


def test_duplicate_ids_in_different_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(frames, "BATCH_SIZE", 2)
    items = many(6)
    items[5]["properties"]["id"] = "f-0"
    with pytest.raises(InputError) as error:
        read_facilities(write(tmp_path / "dup.geojson", {"type": "FeatureCollection", "features": items}))
    assert [str(p) for p in error.value.problems] == [
        f"{tmp_path / 'dup.geojson'}: feature 5 (id=f-0): id: duplicate of feature 0: ids must be unique"]


@pytest.mark.parametrize("text, message", [
    ('[1, 2]', "expected a GeoJSON FeatureCollection, found 'list'"),
    ('{"features": [], "type": "Topology"}', "expected a GeoJSON FeatureCollection, found 'Topology'"),
    ('{"type": "FeatureCollection", "features": {}}', "features: must be a list"),
    ('{"type": "FeatureCollection"}', "features: must be a list"),
    ('{"features": [], "type": "FeatureCollection"} x', "not valid JSON: line 1 column 47: Extra data"),
])
def test_odd_top_levels_read_as_before(tmp_path, text, message):
    path = tmp_path / "odd.geojson"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as error:
        read_facilities(path)
    assert message in str(error.value) + "".join(map(str, error.value.problems))


def test_members_after_features_are_checked(tmp_path):
    path = write(tmp_path / "crs.geojson", {"features": many(2), "crs": {"properties": {"name": "EPSG:3857"}},
                                             "type": "FeatureCollection"})
    with pytest.raises(InputError) as error:
        read_facilities(path)
    assert [p.field for p in error.value.problems] == ["crs"]


def test_stdin_is_streamed_too(tmp_path):
    text = json.dumps({"type": "FeatureCollection", "features": many(3)})
    result = CliRunner().invoke(main, ["validate", "-"], input=text)
    assert result.exit_code == 0, result.output
    broken = CliRunner().invoke(main, ["validate", "-"], input=text[:-5])
    assert broken.exit_code == 1 and "-: not valid JSON: line 1" in broken.output


def test_from_features_takes_a_list_as_well_as_an_iterator():
    from geomap import frame as frames
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-66.9, 10.5]},
               "properties": {"id": "a", "name": "A", "country": "VE"}}
    features = [dict(feature, properties=dict(feature["properties"], id=f"f{k}")) for k in range(frames.BATCH_SIZE + 3)]
    assert len(frames.from_features(features)) == len(features)
    assert len(frames.from_features(iter(features))) == len(features)
