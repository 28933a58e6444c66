"""Validation over Arrow columns (geomap.fastcheck) reports exactly what the JSON-Schema path reports:
same features, fields, messages and order, on every fixture and on generated bad features; and
valid data never falls back to checking features one by one."""

import copy
import json
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geomap import fastcheck
from geomap import frame as frames
from geomap.schema import (FIELDS, LOCATION_FIELDS, LOCATION_STAND_INS, FeatureChecker, facility_schema,
                           validate_collection, validate_properties)

from conftest import REPO

sys.path.insert(0, str(REPO))
from benchmarks import synthetic  # noqa: E402

CORPUS = sorted([*REPO.glob("tests/fixtures/**/*.geojson"), REPO / "data/facilities.geojson",
                 *REPO.glob("examples/*.geojson")])
CURATED = json.loads((REPO / "data/facilities.geojson").read_text("utf-8"))["features"]
SYNTHETIC = synthetic.features(40)


class CountingChecker(FeatureChecker):
    """A FeatureChecker that counts the features it is asked to check one by one."""

    one_by_one = 0

    def check(self, index, feature):
        self.one_by_one += 1
        super().check(index, feature)


def fast_problems(features, require_geometry=True):
    checker = CountingChecker("f.geojson", require_geometry)
    frames.from_features(iter(features), checker)
    return checker.problems, checker.one_by_one


def slow_problems(features, require_geometry=True):
    return validate_collection({"type": "FeatureCollection", "features": features}, "f.geojson", require_geometry)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: str(path.relative_to(REPO)))
@pytest.mark.parametrize("require_geometry", [True, False])
def test_every_file_of_the_corpus_gets_the_same_problems(path, require_geometry):
    features = json.loads(path.read_text("utf-8"))["features"]
    assert fast_problems(features, require_geometry)[0] == slow_problems(features, require_geometry)


@pytest.mark.parametrize("features", [CURATED, SYNTHETIC], ids=["curated", "synthetic"])
def test_valid_data_is_never_checked_one_feature_at_a_time(features):
    problems, one_by_one = fast_problems(features)
    assert problems == [] and one_by_one == 0


# --- generated bad features ---------------------------------------------------------------

TEXT = st.text(max_size=12) | st.sampled_from(
    ["", " ", "x" * 10_001, "a\x00b", "\ud800", "Name", "GEOM", "lat", "é" * 70, "2023-02-30", "0000-01-01",
     "2999-01-01", "2026-13", "2026-1", "2026-01-01\n", "http://a\u00a0b", "https://x.org/\n", "https://x.org/a b",
     "https://.org", "ftp://x.org", "https://x.org/\u2028", "open", "closed", "about", "prison", "VE", "ve", "VE\n",
     "abc", "Abc", "a-b_c", "-a", "0"])
SCALAR = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([5.0, 1.5, 10_000_001, 2**64, -1]) | TEXT
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                     max_leaves=6)
GEOMETRY = st.sampled_from([None, {"type": "Point", "coordinates": [-66.9, 10.5, 3]}, {"type": "Point"},
                            {"type": "Point", "coordinates": [10.5, -66.9 - 100]}, {"type": "LineString", "coordinates": []},
                            {"type": "Point", "coordinates": [True, 10]}, {"type": "Point", "coordinates": [float("nan"), 1]},
                            "POINT (1 2)", {"type": "Point", "coordinates": [-200, 10]}])
NESTED = ("status_history", "detainee_counts")


def _deep(levels):
    value = "x"
    for _ in range(levels):
        value = {"k": value}
    return value


@st.composite
def mutation(draw, features):
    """Change one thing of one feature of ``features`` (in place), the way broken files are broken."""
    whole = [k for k, feature in enumerate(features) if isinstance(feature, dict) and isinstance(feature.get("properties"), dict)]
    if not whole:  # every feature already replaced by something that is not one
        return
    index = draw(st.sampled_from(whole))
    feature = features[index]
    properties = feature["properties"]
    kind = draw(st.sampled_from(["set", "delete", "extra", "nested", "geometry", "duplicate", "feature", "deep"]))
    field = draw(st.sampled_from([field for field in FIELDS if field != "geometry"]))
    if kind == "set":
        properties[field] = draw(VALUE)
    elif kind == "delete":
        properties.pop(field, None)
    elif kind == "extra":
        properties[draw(TEXT)] = draw(VALUE)
    elif kind == "nested":
        items = properties.get(draw(st.sampled_from(NESTED))) or []
        if items and isinstance(items[0], dict):
            item = items[draw(st.integers(0, len(items) - 1))]
            key = draw(st.sampled_from([*item, "extra"]))
            if draw(st.booleans()):
                item[key] = draw(VALUE)
            else:
                item.pop(key, None)
        else:
            properties[field] = [draw(VALUE)]
    elif kind == "geometry":
        feature["geometry"] = draw(GEOMETRY)
    elif kind == "duplicate":
        properties["id"] = features[draw(st.sampled_from(whole))]["properties"].get("id")
    elif kind == "feature":
        features[index] = draw(st.sampled_from([None, [], "feature", {"type": "Feature", "properties": None},
                                                {"type": "Thing", "properties": {}}, {**feature, "properties": []}]))
    else:
        properties["geocoding"] = _deep(draw(st.integers(20, 40)))


@given(st.data(), st.sampled_from(["curated", "synthetic"]), st.integers(1, 4), st.booleans(), st.sampled_from([2, 3, 2000]))
def test_generated_bad_features_get_the_same_problems(data, source, changes, require_geometry, batch):
    features = copy.deepcopy((CURATED if source == "curated" else SYNTHETIC)[:7])
    for _ in range(changes):
        data.draw(mutation(features))
    slow = slow_problems(features, require_geometry)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames, "BATCH_SIZE", batch)  # duplicates and problems across batches too
        assert fast_problems(features, require_geometry)[0] == slow


# --- the RE2 translations ---------------------------------------------------------------


def test_pythons_whitespace_is_spelled_out_for_re2():
    python = {chr(code) for code in range(sys.maxunicode + 1) if re.match(r"\s", chr(code))}
    assert python == set(fastcheck.PY_SPACE)


def test_every_pattern_of_the_facility_schema_has_an_re2_translation():
    text = (REPO / "geomap/facility.schema.json").read_text("utf-8")
    patterns = {match for match in re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', text)}
    facility = {json.loads(pattern) for pattern in patterns} - {
        json.loads(p) for p in patterns if "T[0-9]" in p or "{64}" in p or "{1,40}" in p}  # provenance's own
    assert facility <= fastcheck.RE2_PATTERNS.keys()


@given(st.text(st.characters(codec="utf-8"), max_size=20) | TEXT,
       st.sampled_from(["", "https://", "http://x.", "https://x.org/", "2026-0", "2026-01-", "a", "V"]))
def test_each_re2_translation_matches_the_same_strings_as_python(text, prefix):
    import pyarrow as pa
    import pyarrow.compute as pc

    value = prefix + text
    if "\ud800" <= max(value, default="a") and any("\ud800" <= char <= "\udfff" for char in value):
        return  # Arrow holds no lone surrogates; such text never reaches a typed column
    for python, re2 in fastcheck.RE2_PATTERNS.items():
        expected = re.search(python, value) is not None
        assert pc.match_substring_regex(pa.array([value]), re2)[0].as_py() == expected, (python, value)


# --- unlocated features: the schema check with stand-ins for the fields geocoding fills in ---------------


def problems_without_stand_ins(features):
    """What FeatureChecker(require_geometry=False) reported before it used LOCATION_STAND_INS: every problem
    of the properties themselves, less those of null location fields of features without a geometry."""
    found = []
    for index, feature in enumerate(features):
        properties = feature["properties"]
        for field, message in validate_properties(properties):
            if not (field in LOCATION_FIELDS and properties.get(field) is None):
                found.append((index, field, message))
    return found


@given(st.data(), st.sampled_from(["curated", "synthetic"]), st.integers(0, 4), st.lists(st.sampled_from(LOCATION_FIELDS)))
def test_unlocated_features_get_the_same_problems_as_without_stand_ins(data, source, changes, nulled):
    features = copy.deepcopy((CURATED if source == "curated" else SYNTHETIC)[:5])
    for _ in range(changes):
        data.draw(mutation(features))
    features = [feature | {"geometry": None} for feature in features
                if isinstance(feature, dict) and feature.get("type") == "Feature" and isinstance(feature.get("properties"), dict)]
    for feature in features:
        for field in nulled:
            feature["properties"][field] = data.draw(st.sampled_from([None, "delete"]))
            if feature["properties"][field] == "delete":
                del feature["properties"][field]
    checker = FeatureChecker("f.geojson", require_geometry=False)
    for index, feature in enumerate(features):
        checker.check(index, feature)
    duplicates = [problem for problem in checker.problems if problem.field == "id" and "duplicate" in problem.message]
    assert [(p.index, p.field, p.message) for p in checker.problems if p not in duplicates] == problems_without_stand_ins(features)


def test_the_schema_ties_no_rule_to_the_fields_stand_ins_replace():
    """LOCATION_STAND_INS leave every other problem as it was only because no schema rule but the fields'
    own mention them (none in the allOf/if/then rules, none in another field's rule)."""
    schema = facility_schema()
    rules = [value for key, value in schema.items() if key not in ("properties", "required", "$defs")]
    rules += [rule for field, rule in schema["properties"].items() if field not in LOCATION_FIELDS]
    assert not [field for field in LOCATION_FIELDS if f'"{field}"' in json.dumps(rules)]
    valid = CURATED[0]["properties"] | LOCATION_STAND_INS
    assert list(validate_properties(valid)) == []
